import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { blockCount, blockShapes, ErasureCoder } from '../src/fec/index.js';

/** A frame shape, its data, and a set of lost shard indices. */
const frame = fc
  .record({
    k: fc.integer({ min: 1, max: 400 }),
    m: fc.integer({ min: 0, max: 120 }),
    length: fc.integer({ min: 1, max: 24 }),
    seed: fc.integer(),
  })
  .chain(({ k, m, length, seed }) =>
    fc.record({
      k: fc.constant(k),
      m: fc.constant(m),
      length: fc.constant(length),
      seed: fc.constant(seed),
      lost: fc.uniqueArray(fc.integer({ min: 0, max: k + m - 1 }), { maxLength: Math.min(k + m, 2 * m + 2) }),
    }),
  );

function data(k: number, length: number, seed: number): Uint8Array[] {
  let x = seed >>> 0;
  return Array.from({ length: k }, () =>
    Uint8Array.from({ length }, () => {
      x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
      return x & 0xff;
    }),
  );
}

describe('erasure code properties', () => {
  const coder = new ErasureCoder();

  it('decodes exactly when no block lost more than its repairs, and then returns the sources', () => {
    fc.assert(
      fc.property(frame, ({ k, m, length, seed, lost }) => {
        const sources = data(k, length, seed);
        const repair = coder.encode(sources, m);
        const blocks = blockCount(k + m);
        const shapes = blockShapes(k, m);
        const lostPerBlock = new Array<number>(blocks).fill(0);
        for (const g of lost) lostPerBlock[g % blocks] = (lostPerBlock[g % blocks] ?? 0) + 1;
        const decodable = shapes.every((s, b) => (lostPerBlock[b] ?? 0) <= s.repairs);

        const gone = new Set(lost);
        const shards = [...sources, ...repair].map((s, g) => (gone.has(g) ? null : s));
        const result = coder.decode(shards, k);
        assert.equal(result.ok, decodable);
        if (result.ok) {
          assert.equal(result.recovered, lost.filter((g) => g < k).length);
          for (let i = 0; i < k; i++) assert.deepEqual(shards[i], sources[i]);
        }
      }),
      { numRuns: 150, seed: 20240601 },
    );
  });

  it('in a single block (k + m ≤ 256) any m losses are recoverable', () => {
    const shape = fc
      .record({
        k: fc.integer({ min: 1, max: 200 }),
        m: fc.integer({ min: 0, max: 56 }),
        length: fc.integer({ min: 1, max: 40 }),
        seed: fc.integer(),
      })
      .chain((s) =>
        fc
          .subarray(
            Array.from({ length: s.k + s.m }, (_, i) => i),
            { minLength: s.m, maxLength: s.m },
          )
          .map((lost) => ({ ...s, lost })),
      );
    fc.assert(
      fc.property(shape, ({ k, m, length, seed, lost }) => {
        const sources = data(k, length, seed);
        const repair = coder.encode(sources, m);
        const shards: (Uint8Array | null)[] = [...sources, ...repair];
        for (const g of lost) shards[g] = null;
        assert.equal(coder.decode(shards, k).ok, true);
        for (let i = 0; i < k; i++) assert.deepEqual(shards[i], sources[i]);
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('decodeInto agrees with decode on the same losses', () => {
    fc.assert(
      fc.property(frame, ({ k, m, length, seed, lost }) => {
        const sources = data(k, length, seed);
        const repair = coder.encode(sources, m);
        const gone = new Set(lost);
        const viaDecode = [...sources, ...repair].map((s, g) => (gone.has(g) ? null : s));
        const buffers = [...sources, ...repair].map((s, g) =>
          gone.has(g) ? new Uint8Array(length) : Uint8Array.from(s),
        );
        const received = buffers.map((_, g) => (gone.has(g) ? 0 : 1));
        const a = coder.decode(viaDecode, k);
        const b = coder.decodeInto(buffers, received, k);
        assert.deepEqual(b, a);
        if (a.ok) for (let i = 0; i < k; i++) assert.deepEqual(buffers[i], sources[i]);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});
