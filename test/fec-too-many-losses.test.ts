import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockCount, ErasureCoder } from '../src/fec/index.js';

function shardsOf(count: number, length: number, salt: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    Uint8Array.from({ length }, (_, j) => (i * 31 + j * 7 + salt) & 0xff),
  );
}

describe('decoding with more losses than repair fails cleanly', () => {
  for (const [k, m] of [
    [1, 1],
    [14, 3],
    [125, 25],
    [1250, 125],
  ] as const) {
    it(`k=${k} m=${m}: m+1 losses give insufficient-shards and change nothing`, () => {
      const coder = new ErasureCoder();
      const sources = shardsOf(k, 16, k);
      const repair = coder.encode(sources, m);
      // Lose m + 1 shards spread over the frame, sources and repairs alike.
      const n = k + m;
      const lost = new Set(Array.from({ length: m + 1 }, (_, i) => Math.floor((i * n) / (m + 1))));
      const shards = [...sources, ...repair].map((s, g) => (lost.has(g) ? null : s));
      const before = [...shards];
      const result = coder.decode(shards, k);
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.problem, 'insufficient-shards');
      assert.match(
        result.message,
        /^erasure decode: block \d+ of \d+ lost \d+ of its \d+ shards but has only \d+ repair$/,
      );
      assert.deepEqual(shards, before);
    });
  }

  it('a blocked frame fails when one block loses more than its repairs, even with < m losses in all', () => {
    const k = 600;
    const m = 60;
    const coder = new ErasureCoder();
    const blocks = blockCount(k + m);
    assert.equal(blocks, 3);
    const sources = shardsOf(k, 8, 1);
    const repair = coder.encode(sources, m);
    // Block 0 has 20 repairs; lose 21 of its sources and nothing else.
    const shards = [...sources, ...repair].map((s, g) => (g % blocks === 0 && g < 21 * blocks ? null : s));
    const result = coder.decode(shards, k);
    assert.deepEqual(result.ok ? 'ok' : result.problem, 'insufficient-shards');
    assert.ok(!result.ok && result.message.includes('block 0 of 3 lost 21'));
  });

  it('decodeInto leaves the caller buffers untouched on failure', () => {
    const coder = new ErasureCoder();
    const sources = shardsOf(10, 12, 9);
    const repair = coder.encode(sources, 2);
    const buffers = [...sources, ...repair].map((s) => Uint8Array.from(s));
    const received = buffers.map((_, g) => g > 2);
    buffers[0]?.fill(0xaa);
    const result = coder.decodeInto(buffers, received, 10);
    assert.equal(result.ok, false);
    assert.deepEqual(buffers[0], new Uint8Array(12).fill(0xaa));
  });

  it('nothing received at all is insufficient, not an exception', () => {
    const result = new ErasureCoder().decode([null, null, null], 2);
    assert.equal(result.ok ? 'ok' : result.problem, 'insufficient-shards');
  });
});
