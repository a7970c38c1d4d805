import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CIPHERS, Opener, Sealer } from '../src/seal/index.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 13) ^ 0x5c);

const packetCase = fc.record({
  cipher: fc.constantFrom(...CIPHERS),
  plaintext: fc.uint8Array({ minLength: 0, maxLength: 300 }),
  /** Packets sealed before the one under test, so the counter is not always 0. */
  before: fc.integer({ min: 0, max: 3 }),
});

function setup(cipher: (typeof CIPHERS)[number], before: number, plaintext: Uint8Array) {
  const sealer = new Sealer({ key, receiverIndex: 0x10203040, cipher });
  const opener = new Opener({ key, receiverIndex: 0x10203040, cipher });
  for (let i = 0; i < before; i++) sealer.seal(new Uint8Array(1));
  const packet = sealer.seal(plaintext);
  assert.ok(packet !== null);
  return { opener, packet: Uint8Array.from(packet) };
}

/** The untouched packet still opens after the tampered one was refused: nothing was committed. */
function stillOpens(opener: Opener, packet: Uint8Array, plaintext: Uint8Array): void {
  const result = opener.open(packet);
  assert.ok(result.ok, 'the genuine packet opens after the tampered one');
  assert.deepEqual(new Uint8Array(result.plaintext), plaintext);
}

describe('tampered packets', () => {
  it('a packet with any byte flipped (header, body or tag) is rejected', () => {
    fc.assert(
      fc.property(
        packetCase,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        ({ cipher, plaintext, before }, where, mask) => {
          const { opener, packet } = setup(cipher, before, plaintext);
          const tampered = Uint8Array.from(packet);
          const at = where % tampered.length;
          tampered[at] = (tampered[at] ?? 0) ^ mask;
          const result = opener.open(tampered);
          assert.equal(result.ok, false, `byte ${at} of ${tampered.length} flipped by ${mask}`);
          stillOpens(opener, packet, plaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a truncated or extended packet is rejected', () => {
    fc.assert(
      fc.property(
        packetCase,
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        ({ cipher, plaintext, before }, cut, extra) => {
          const { opener, packet } = setup(cipher, before, plaintext);
          const truncated = packet.subarray(0, cut % packet.length);
          const result = opener.open(truncated);
          assert.equal(result.ok, false);
          if (truncated.length < 29) assert.deepEqual(result, { ok: false, reason: 'truncated' });
          const extended = new Uint8Array(packet.length + extra.length);
          extended.set(packet);
          extended.set(extra, packet.length);
          assert.deepEqual(opener.open(extended), { ok: false, reason: 'auth' });
          stillOpens(opener, packet, plaintext);
        },
      ),
      { numRuns: 200 },
    );
  });
});
