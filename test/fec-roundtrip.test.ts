import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockCount, ErasureCoder } from '../src/fec/index.js';

/** Seeded PRNG (mulberry32) so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function randomShards(next: () => number, count: number, length: number): Uint8Array[] {
  return Array.from({ length: count }, () => Uint8Array.from({ length }, () => Math.floor(next() * 256)));
}

/** `count` distinct indices below `n`, uniformly. */
function pick(next: () => number, n: number, count: number): Set<number> {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (n - i));
    [all[i], all[j]] = [all[j] ?? 0, all[i] ?? 0];
  }
  return new Set(all.slice(0, count));
}

describe('erasure code round trip (one block: any m losses are recoverable)', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 4, 17],
    [2, 1, 1200],
    [3, 3, 5],
    [14, 3, 1200],
    [20, 20, 8],
    [64, 16, 100],
    [125, 25, 1200],
    [128, 128, 12],
    [200, 56, 33],
    [255, 1, 4],
  ];
  for (const [k, m, length] of shapes) {
    it(`k=${k} m=${m} ${length}-byte shards`, () => {
      assert.equal(blockCount(k + m), 1);
      const next = random(k * 1000 + m);
      const coder = new ErasureCoder();
      const sources = randomShards(next, k, length);
      const repair = coder.encode(sources, m);
      assert.equal(repair.length, m);
      for (const shard of repair) assert.equal(shard.length, length);
      for (let trial = 0; trial < 12; trial++) {
        const losses = trial === 0 ? m : Math.floor(next() * (m + 1));
        const lost = pick(next, k + m, losses);
        const shards = [...sources, ...repair].map((s, i) => (lost.has(i) ? null : s));
        const result = coder.decode(shards, k);
        assert.deepEqual(result, { ok: true, recovered: [...lost].filter((i) => i < k).length });
        for (let i = 0; i < k; i++) assert.deepEqual(shards[i], sources[i], `source ${i}`);
      }
    });
  }

  it('k=1 repair is a copy of the source (column 0 of the code is all ones)', () => {
    const coder = new ErasureCoder();
    const source = Uint8Array.from([1, 2, 3, 250, 0]);
    for (const shard of coder.encode([source], 3)) assert.deepEqual(shard, source);
  });

  it('repair 0 is the XOR of the sources (row 0 of the code is all ones)', () => {
    const next = random(7);
    const sources = randomShards(next, 9, 31);
    const [parity] = new ErasureCoder().encode(sources, 2);
    const xor = new Uint8Array(31);
    for (const s of sources) for (let i = 0; i < 31; i++) xor[i] = (xor[i] ?? 0) ^ (s[i] ?? 0);
    assert.deepEqual(parity, xor);
  });

  it('repair shards do not depend on how many are asked for', () => {
    const sources = randomShards(random(11), 40, 24);
    const coder = new ErasureCoder();
    const few = coder.encode(sources, 3);
    const many = coder.encode(sources, 30);
    assert.deepEqual(many.slice(0, 3), few);
  });

  it('decoding with nothing lost recovers nothing and touches nothing', () => {
    const sources = randomShards(random(3), 5, 10);
    const coder = new ErasureCoder();
    const repair = coder.encode(sources, 2);
    const shards: (Uint8Array | null)[] = [...sources, null, repair[1] ?? null];
    assert.deepEqual(coder.decode(shards, 5), { ok: true, recovered: 0 });
    assert.equal(shards[5], null);
  });

  it('m = 0 yields no repair and decodes a complete frame', () => {
    const coder = new ErasureCoder();
    const sources = randomShards(random(5), 4, 8);
    assert.deepEqual(coder.encode(sources, 0), []);
    assert.deepEqual(coder.decode([...sources], 4), { ok: true, recovered: 0 });
  });
});
