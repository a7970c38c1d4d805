import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, RngArgumentError } from '../src/rng/index.js';

function take(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextU32());
}

describe('rng', () => {
  it('is xoshiro128** seeded by splitmix32 (outputs of the C reference for seed 42)', () => {
    // From Blackman and Vigna's xoshiro128starstar.c with s[i] = fmix32(42 + (i + 1) * 0x9e3779b9).
    assert.deepEqual(
      take(new Rng(42), 6),
      [2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290],
    );
  });

  it('replays the same sequence for the same seed and differs for another', () => {
    assert.deepEqual(take(new Rng(7), 1000), take(new Rng(7), 1000));
    assert.deepEqual(take(new Rng('site-a'), 100), take(new Rng('site-a'), 100));
    assert.notDeepEqual(take(new Rng(7), 100), take(new Rng(8), 100));
    assert.notDeepEqual(take(new Rng(42), 100), take(new Rng('42'), 100));
    // Seeds beyond 32 bits fold their high word in rather than being truncated.
    assert.notDeepEqual(take(new Rng(2 ** 32 + 5), 10), take(new Rng(5), 10));
    assert.notDeepEqual(take(new Rng(-1), 10), take(new Rng(2 ** 32 - 1), 10));
  });

  it('rejects seeds that are not safe integers or strings', () => {
    for (const seed of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => new Rng(seed), RngArgumentError);
    }
    assert.throws(() => new Rng(1.5), /^RngArgumentError: rng: seed: must be a safe integer/);
  });

  it('draws floats in [0, 1) evenly', () => {
    const rng = new Rng(1);
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.nextFloat();
      assert.ok(x >= 0 && x < 1);
      sum += x;
      const b = Math.floor(x * 10);
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
    const chi2 = buckets.reduce((acc, c) => acc + (c - n / 10) ** 2 / (n / 10), 0);
    assert.ok(chi2 < 27.9, `chi2 ${chi2}`);
  });

  it('draws unbiased integers below any bound up to 2^32', () => {
    const rng = new Rng(2);
    const n = 60_000;
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < n; i++) {
      const k = rng.nextInt(6);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 6);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    const chi2 = counts.reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
    assert.ok(chi2 < 20.5, `chi2 ${chi2}`); // 5 degrees of freedom, 0.1%
    assert.equal(rng.nextInt(1), 0);
    // A bound just over half the range is where modulo bias would be worst: the lower half
    // would come up twice as often. Unbiased, values below 2^31 are about half of them.
    const big = 2 ** 31 + 2 ** 30;
    let low = 0;
    for (let i = 0; i < 20_000; i++) if (rng.nextInt(big) < big / 2) low++;
    assert.ok(Math.abs(low / 20_000 - 0.5) < 0.02, `low half ${low / 20_000}`);
    const full = rng.nextInt(2 ** 32);
    assert.ok(Number.isInteger(full) && full >= 0 && full < 2 ** 32);
  });

  it('rejects bounds outside [1, 2^32]', () => {
    const rng = new Rng(3);
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) {
      assert.throws(() => rng.nextInt(bad), RngArgumentError);
    }
  });

  it('gives standard normal samples', () => {
    const rng = new Rng(4);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let withinOne = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.nextGaussian();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) < 1) withinOne++;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean) < 0.015, `mean ${mean}`);
    assert.ok(Math.abs(sumSq / n - mean * mean - 1) < 0.02, `variance ${sumSq / n}`);
    assert.ok(Math.abs(withinOne / n - 0.6827) < 0.007, `within 1 sd ${withinOne / n}`);
    const scaled = new Rng(4);
    const plain = new Rng(4);
    assert.equal(scaled.nextNormal(10, 2), 10 + 2 * plain.nextGaussian());
  });

  it('answers chance(p) with probability p', () => {
    const rng = new Rng(5);
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (rng.chance(0.3)) hits++;
    assert.ok(Math.abs(hits / 100_000 - 0.3) < 0.006, `rate ${hits / 100_000}`);
    assert.equal(rng.chance(0), false);
    assert.equal(rng.chance(1), true);
  });

  it('forks streams that depend only on the seed and the label', () => {
    const parent = new Rng(9);
    const early = take(parent.fork('loss'), 50);
    take(parent, 1000);
    parent.nextGaussian();
    assert.deepEqual(take(parent.fork('loss'), 50), early, 'draws on the parent do not move its forks');
    assert.deepEqual(take(new Rng(9).fork('loss'), 50), early);
    assert.notDeepEqual(take(new Rng(9).fork('jitter'), 50), early);
    assert.notDeepEqual(take(new Rng(10).fork('loss'), 50), early);
    assert.notDeepEqual(take(new Rng('loss'), 50), early, 'a fork is not the label used as a seed');
    assert.notDeepEqual(take(new Rng(9), 50), early, 'a fork is not its parent');
    assert.deepEqual(take(new Rng(9).fork('a').fork('b'), 20), take(new Rng(9).fork('a').fork('b'), 20));
    assert.notDeepEqual(take(new Rng(9).fork('a').fork('b'), 20), take(new Rng(9).fork('b').fork('a'), 20));
  });

  it('clones at the current position, the pending normal sample included', () => {
    const rng = new Rng(11);
    take(rng, 17);
    rng.nextGaussian(); // leaves the pair's second sample pending
    const copy = rng.clone();
    assert.equal(copy.nextGaussian(), rng.nextGaussian());
    assert.deepEqual(take(copy, 100), take(rng, 100));
    assert.deepEqual(take(copy.fork('x'), 10), take(rng.fork('x'), 10));
  });
});
