import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Opener, Sealer } from '../src/seal/index.js';

const key = new Uint8Array(32).fill(0x99);
const WINDOW = 2048;

/** One pool of packets shared by every run: sealing is the slow part. */
const sealer = new Sealer({ key, receiverIndex: 1, cipher: 'aes-256-gcm' });
const pool = Array.from({ length: WINDOW + 600 }, (_, i) => {
  const packet = sealer.seal(new Uint8Array([i & 0xff, i >> 8]));
  assert.ok(packet !== null);
  return packet;
});

function packet(i: number): Uint8Array {
  const p = pool[i];
  assert.ok(p !== undefined);
  return p;
}

describe('reordering', () => {
  it('packets reordered within the window are each accepted exactly once', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 200 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.integer({ min: 0, max: pool.length - n }),
              fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
              fc.array(fc.nat({ max: n - 1 }), { maxLength: 50 }),
            ),
          ),
        ([n, start, order, duplicates]) => {
          const opener = new Opener({ key, receiverIndex: 1, windowSize: WINDOW });
          const accepted = new Map<number, number>();
          // Duplicates are spliced in at arbitrary points of the shuffled order.
          const deliveries = [...order];
          duplicates.forEach((d, k) => deliveries.splice((k * 7) % (deliveries.length + 1), 0, d));
          for (const i of deliveries) {
            const result = opener.open(packet(start + i));
            if (result.ok) {
              assert.equal(result.counter, start + i);
              assert.equal(result.plaintext[0], (start + i) & 0xff);
              accepted.set(i, (accepted.get(i) ?? 0) + 1);
            } else {
              assert.equal(result.reason, 'replay');
            }
          }
          assert.equal(accepted.size, n);
          for (const times of accepted.values()) assert.equal(times, 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('packets older than the window are rejected, those inside it accepted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: WINDOW, max: pool.length - 1 }),
        fc.array(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 60 }),
        (top, others) => {
          const opener = new Opener({ key, receiverIndex: 1, windowSize: WINDOW });
          assert.ok(opener.open(packet(top)).ok);
          const seen = new Set([top]);
          let highest = top;
          for (const c of others) {
            const result = opener.open(packet(c));
            const fresh = !seen.has(c) && (c > highest || highest - c < WINDOW);
            assert.equal(result.ok, fresh, `counter ${c}, highest ${highest}`);
            if (result.ok) {
              seen.add(c);
              highest = Math.max(highest, c);
            } else {
              assert.equal(result.reason, 'replay');
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
