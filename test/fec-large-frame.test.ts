import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockCount, blockShapes, ErasureCoder } from '../src/fec/index.js';

function randomShards(seed: number, count: number, length: number): Uint8Array[] {
  let x = seed;
  const shards: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const shard = new Uint8Array(length);
    for (let j = 0; j < length; j++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      shard[j] = x >>> 24;
    }
    shards.push(shard);
  }
  return shards;
}

describe('large frames have no size cliff', () => {
  const k = 2000;
  const m = 200;
  const length = 64;
  const coder = new ErasureCoder();
  const sources = randomShards(1, k, length);
  const repair = coder.encode(sources, m);
  const blocks = blockCount(k + m);
  const shapes = blockShapes(k, m);

  it('splits 2200 shards into 9 interleaved blocks of ≤ 256 with the repair spread evenly', () => {
    assert.equal(blocks, 9);
    assert.equal(shapes.length, 9);
    for (const { sources: kb, repairs: mb } of shapes) {
      assert.ok(kb + mb <= 256);
      assert.ok(mb === Math.floor(m / blocks) || mb === Math.ceil(m / blocks));
    }
    assert.equal(
      shapes.reduce((sum, s) => sum + s.repairs, 0),
      m,
    );
  });

  it('recovers when every block loses as many sources as it has repairs (all 200 repairs used)', () => {
    const shards: (Uint8Array | null)[] = [...sources, ...repair];
    const lostPerBlock = new Array<number>(blocks).fill(0);
    for (let g = k - 1; g >= 0; g--) {
      const b = g % blocks;
      if ((lostPerBlock[b] ?? 0) < (shapes[b]?.repairs ?? 0)) {
        shards[g] = null;
        lostPerBlock[b] = (lostPerBlock[b] ?? 0) + 1;
      }
    }
    const result = coder.decode(shards, k);
    assert.deepEqual(result, { ok: true, recovered: m });
    for (let i = 0; i < k; i++) assert.deepEqual(shards[i], sources[i]);
  });

  it('recovers any burst of B·⌊m/B⌋ = 198 consecutive lost shards, wherever it starts', () => {
    const burst = blocks * Math.floor(m / blocks);
    for (const start of [0, 1, 500, 1801, k - burst / 2, k + m - burst]) {
      const shards = [...sources, ...repair].map((s, g) => (g >= start && g < start + burst ? null : s));
      const result = coder.decode(shards, k);
      assert.equal(result.ok, true, `burst at ${start}`);
      for (let i = 0; i < k; i++) assert.deepEqual(shards[i], sources[i]);
    }
  });

  it('recovers a 1500-packet keyframe-sized frame at 1200 bytes per shard', () => {
    const big = randomShards(2, 1500, 1200);
    const bigRepair = coder.encode(big, 150);
    const shards = [...big, ...bigRepair].map((s, g) => (g % 12 === 3 ? null : s));
    const result = coder.decode(shards, 1500);
    assert.equal(result.ok, true);
    for (let i = 0; i < 1500; i++) assert.deepEqual(shards[i], big[i]);
  });

  it('handles far more repair than sources (blocks without any source)', () => {
    const few = randomShards(3, 2, 9);
    const lots = coder.encode(few, 600);
    assert.equal(blockCount(602), 3);
    // Block 2 has no source: its repairs are zero, and the others still decode from repair alone.
    const shards = [null, null, ...lots];
    assert.equal(coder.decode(shards, 2).ok, true);
    assert.deepEqual(shards.slice(0, 2), few);
  });
});
