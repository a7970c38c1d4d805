import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErasureCoder } from '../src/fec/index.js';

function fill(shard: Uint8Array, salt: number): Uint8Array {
  for (let i = 0; i < shard.length; i++) shard[i] = (i * 13 + salt * 101) & 0xff;
  return shard;
}

/** Shards that are views into one packet buffer at odd offsets, as a receive ring would hand them out. */
function packetViews(count: number, length: number, header: number): Uint8Array[] {
  const stride = header + length;
  const ring = new Uint8Array(count * stride + 3);
  return Array.from({ length: count }, (_, i) =>
    ring.subarray(1 + i * stride + header, 1 + i * stride + header + length),
  );
}

describe('caller-owned buffers', () => {
  it('encodeInto into unaligned views matches encode', () => {
    const coder = new ErasureCoder({ shardLength: 1200 });
    const k = 30;
    const m = 7;
    const length = 1195;
    const sources = packetViews(k, length, 5).map((s, i) => fill(s, i));
    const expected = coder.encode(sources, m);
    const repair = packetViews(m, length, 3);
    coder.encodeInto(sources, repair);
    assert.deepEqual(
      repair.map((r) => Array.from(r)),
      expected.map((r) => Array.from(r)),
    );
  });

  it('decodeInto recovers into unaligned views, leaves lost repairs alone, and takes a byte bitmap', () => {
    const coder = new ErasureCoder();
    const k = 12;
    const m = 4;
    const length = 77;
    const originals = Array.from({ length: k }, (_, i) => fill(new Uint8Array(length), i));
    const repair = coder.encode(originals, m);
    const views = packetViews(k + m, length, 7);
    [...originals, ...repair].forEach((s, g) => views[g]?.set(s));
    const received = new Uint8Array(k + m).fill(1);
    for (const g of [0, 5, 11, 13]) {
      received[g] = 0;
      views[g]?.fill(0xee);
    }
    const result = coder.decodeInto(views, received, k);
    assert.deepEqual(result, { ok: true, recovered: 3 });
    for (let i = 0; i < k; i++) assert.deepEqual(Array.from(views[i] ?? []), Array.from(originals[i] ?? []));
    assert.deepEqual(views[13], new Uint8Array(length).fill(0xee));
  });

  it('one coder serves frames of changing shard length, growing and shrinking', () => {
    const coder = new ErasureCoder();
    for (const [k, m, length] of [
      [3, 2, 10],
      [40, 10, 1200],
      [2, 1, 3],
      [300, 30, 600],
      [5, 5, 1],
    ] as const) {
      const sources = Array.from({ length: k }, (_, i) => fill(new Uint8Array(length), i + length));
      const repair = coder.encode(sources, m);
      const shards = [...sources, ...repair].map((s, g) => (g < m ? null : s));
      assert.equal(coder.decode(shards, k).ok, true, `k=${k} m=${m} length=${length}`);
      for (let i = 0; i < k; i++) assert.deepEqual(shards[i], sources[i]);
    }
  });

  it('zero-length shards are a trivial but valid frame', () => {
    const coder = new ErasureCoder();
    const repair = coder.encode([new Uint8Array(0), new Uint8Array(0)], 1);
    assert.deepEqual(repair, [new Uint8Array(0)]);
    const shards = [null, new Uint8Array(0), new Uint8Array(0)];
    assert.deepEqual(coder.decode(shards, 2), { ok: true, recovered: 1 });
    assert.deepEqual(shards[0], new Uint8Array(0));
  });
});
