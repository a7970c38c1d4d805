import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CIPHERS, Opener, Sealer } from '../src/seal/index.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

describe('replayed packets', () => {
  it('every packet opens at most once, however often and in whatever order it is replayed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CIPHERS),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 120 }),
        (cipher, count, picks) => {
          const sealer = new Sealer({ key, receiverIndex: 5, cipher });
          const opener = new Opener({ key, receiverIndex: 5, cipher, windowSize: 2048 });
          const packets = Array.from({ length: count }, (_, i) => {
            const packet = sealer.seal(new Uint8Array([i, i >> 8, 0xaa]));
            assert.ok(packet !== null);
            return packet;
          });
          const opened = new Set<number>();
          for (const pick of picks) {
            const i = pick % count;
            const packet = packets[i];
            assert.ok(packet !== undefined);
            const result = opener.open(packet);
            if (opened.has(i)) {
              assert.deepEqual(result, { ok: false, reason: 'replay' });
            } else {
              assert.ok(result.ok);
              assert.equal(result.counter, i);
              assert.equal(result.plaintext[0], i & 0xff);
              opened.add(i);
            }
          }
          assert.equal(opener.stats.opened, opened.size);
          assert.equal(opener.stats.rejected.replay, picks.length - opened.size);
        },
      ),
      { numRuns: 100 },
    );
  });
});
