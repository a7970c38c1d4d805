import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CIPHERS, Opener, Sealer } from '../src/seal/index.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => i);

/**
 * A forgery with a well-formed header for `counter` (it passes every cheap check) and attacker
 * bytes for ciphertext and tag.
 */
function forge(counter: number, garbage: Uint8Array): Uint8Array {
  const packet = new Uint8Array(13 + 16 + garbage.length);
  packet[0] = 0x13;
  packet[4] = 2; // receiver index 2, big-endian
  new DataView(packet.buffer).setBigUint64(5, BigInt(counter));
  packet.set(garbage, 13);
  return packet;
}

const event = fc.oneof(
  fc.record({ kind: fc.constant('real' as const), i: fc.nat({ max: 29 }) }),
  fc.record({
    kind: fc.constant('forged' as const),
    counter: fc.oneof(fc.nat({ max: 40 }), fc.integer({ min: 40, max: 1_000_000 })),
    garbage: fc.uint8Array({ minLength: 16, maxLength: 64 }),
  }),
);

describe('forged packets with fresh counters', () => {
  it('never mark a counter seen nor move the window', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CIPHERS), fc.array(event, { maxLength: 80 }), (cipher, events) => {
        const sealer = new Sealer({ key, receiverIndex: 2, cipher });
        const opener = new Opener({ key, receiverIndex: 2, cipher, windowSize: 2048 });
        const real = Array.from({ length: 30 }, (_, i) => {
          const p = sealer.seal(new Uint8Array([i]));
          assert.ok(p !== null);
          return p;
        });
        const accepted = new Set<number>();
        for (const e of events) {
          if (e.kind === 'forged') {
            // A counter already taken by a real packet is refused before decryption; any other fails auth.
            const reason = e.counter < real.length && accepted.has(e.counter) ? 'replay' : 'auth';
            assert.deepEqual(opener.open(forge(e.counter, e.garbage)), { ok: false, reason });
          } else {
            const p = real[e.i];
            assert.ok(p !== undefined);
            const result = opener.open(p);
            // Only real packets count: forgeries with counters up to 10^6 must not have aged them out.
            assert.equal(result.ok, !accepted.has(e.i));
            accepted.add(e.i);
          }
        }
        // Every real packet not yet delivered still opens.
        for (let i = 0; i < real.length; i++) {
          const p = real[i];
          assert.ok(p !== undefined);
          assert.equal(opener.open(p).ok, !accepted.has(i));
        }
        assert.equal(opener.highestCounter, 29);
      }),
      { numRuns: 100 },
    );
  });

  it('a real packet modified to claim a future counter does not block that counter', () => {
    const sealer = new Sealer({ key, receiverIndex: 2 });
    const opener = new Opener({ key, receiverIndex: 2 });
    const first = sealer.seal(new Uint8Array(50));
    const second = sealer.seal(new Uint8Array(50));
    assert.ok(first !== null && second !== null);
    const moved = Uint8Array.from(first);
    moved[12] = 1; // counter 0 → 1
    assert.deepEqual(opener.open(moved), { ok: false, reason: 'auth' });
    assert.equal(opener.highestCounter, -1);
    assert.ok(opener.open(second).ok);
    assert.ok(opener.open(first).ok);
    assert.equal(opener.stats.rejected.auth, 1);
  });
});
