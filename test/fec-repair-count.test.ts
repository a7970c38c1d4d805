import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binomialTail, frameFailureProbability, repairCountFor } from '../src/fec/index.js';

/** Within `rel` of the expected value. Reference values were computed with exact rational arithmetic. */
function near(actual: number, expected: number, rel = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} ≉ ${expected}`);
}

describe('repair count from measured loss', () => {
  it('binomial tails match exact values, from the tiny to the near-certain', () => {
    near(binomialTail(10, 0.1, 2), 0.0701908264);
    near(binomialTail(17, 0.05, 3), 0.008800604947685562);
    near(binomialTail(2, 0.5, 0), 0.75);
    near(binomialTail(300, 0.01, 20), 6.939837815144634e-12, 1e-7);
    near(binomialTail(1000, 0.5, 499), 0.5126125090891804);
    near(binomialTail(65535, 0.5, 32767), 0.5, 1e-7);
    near(binomialTail(65535, 0.5, 33000), 0.03435425004463672, 1e-6);
    assert.equal(binomialTail(65535, 0.5, 0), 1);
    assert.equal(binomialTail(5, 0.3, 5), 0);
    assert.equal(binomialTail(5, 0, 0), 0);
    assert.equal(binomialTail(5, 1, 4), 1);
    assert.equal(binomialTail(5, 0.3, -1), 1);
  });

  it('frame failure of a single block is the binomial tail', () => {
    near(frameFailureProbability(14, 3, 0.05), 0.008800604947685562);
    assert.equal(frameFailureProbability(14, 3, 0), 0);
    assert.equal(frameFailureProbability(14, 0, 1), 1);
  });

  it('frame failure of a blocked frame combines its blocks', () => {
    // 1250 + 125 shards: 6 blocks of 229-230 shards with 20 or 21 repairs each.
    near(frameFailureProbability(1250, 125, 0.05), 0.019728973223716296, 1e-8);
    near(frameFailureProbability(1250, 125, 0.01), 5.552167176308505e-14, 1e-6);
    near(frameFailureProbability(2000, 200, 0.02), 9.678379284109782e-9, 1e-7);
  });

  it('picks the smallest sufficient m on known values', () => {
    const cases: [number, number, number, number][] = [
      [1, 0.1, 0.02, 1],
      [1, 0.1, 0.005, 2],
      [14, 0.05, 1e-4, 6],
      [14, 0.2, 1e-3, 12],
      [125, 0.01, 1e-4, 7],
      [125, 0.05, 1e-4, 19],
      [1250, 0.01, 1e-4, 60],
      [1250, 0.05, 1e-4, 165],
    ];
    for (const [k, loss, target, expected] of cases) {
      assert.equal(repairCountFor(k, loss, target), expected, `k=${k} loss=${loss} target=${target}`);
    }
  });

  it('needs no repair without loss, and caps when the target is out of reach', () => {
    assert.equal(repairCountFor(100, 0, 1e-6), 0);
    assert.equal(repairCountFor(10, 0.9, 1e-9, { maxRepair: 20 }), 20);
    assert.equal(repairCountFor(10, 1, 0.5, { maxRepair: 5 }), 5);
    assert.equal(repairCountFor(65535, 0.01, 1e-4), 0);
    assert.equal(repairCountFor(14, 0.05, 1e-4, { maxRepair: 100 }), 6);
    // One MDS code would need 28 here; the blocked layout needs 60, so a cap of 40 is what comes back.
    assert.equal(repairCountFor(1250, 0.01, 1e-4, { maxRepair: 40 }), 40);
  });

  it('is minimal: m meets the target and m − 1 does not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.double({ min: 0.0005, max: 0.3, noNaN: true }),
        fc.constantFrom(1e-2, 1e-4, 1e-6),
        (k, loss, target) => {
          const m = repairCountFor(k, loss, target);
          assert.ok(frameFailureProbability(k, m, loss) <= target);
          if (m > 0) assert.ok(frameFailureProbability(k, m - 1, loss) > target);
        },
      ),
      { numRuns: 60, seed: 1 },
    );
  });

  it('is non-decreasing in the loss rate and non-increasing in the target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 0.25, noNaN: true }),
        fc.double({ min: 0, max: 0.25, noNaN: true }),
        (k, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          assert.ok(repairCountFor(k, low, 1e-4) <= repairCountFor(k, high, 1e-4));
          assert.ok(repairCountFor(k, high, 1e-3) <= repairCountFor(k, high, 1e-5));
        },
      ),
      { numRuns: 60, seed: 2 },
    );
  });

  it('grows overhead with loss for a 3K keyframe', () => {
    const series = [0, 0.001, 0.01, 0.02, 0.05, 0.1].map((loss) => repairCountFor(1250, loss, 1e-4));
    for (let i = 1; i < series.length; i++)
      assert.ok((series[i] ?? 0) > (series[i - 1] ?? 0), series.join(','));
  });
});
