/**
 * native/fec against the JS kernel: the same bytes for every coefficient, every alignment of
 * length, and through whole encode/decode round trips.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { accumulate, ErasureCoder } from '../src/fec/index.js';
import { loadFecKernel } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import { Rng } from '../src/rng/index.js';
import { REPO } from './support/tree.js';

const kernel = loadFecKernel(readManifest(join(REPO, 'build', 'manifest.json')), REPO);

function randomWords(rng: Rng, n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.nextU32();
  return a;
}

describe('native FEC kernel', () => {
  it('names the SIMD path it chose', () => {
    assert.match(kernel.name, /^(avx2|ssse3|scalar)$/);
  });

  it('gives the same bytes as the JS kernel for every coefficient and odd lengths', () => {
    const rng = new Rng('native-kernel');
    for (const count of [1, 3, 7, 8, 9, 291, 300]) {
      const coefficients = new Uint8Array(256).map((_, i) => i);
      for (let first = 0; first < 256; first += 16) {
        const outputs = 16;
        const words = randomWords(rng, count * (outputs + 1));
        const expected = words.slice();
        const coef = coefficients.subarray(first, first + outputs);
        accumulate(expected, 0, count, coef, outputs, count);
        kernel.accumulate(words, 0, count, coef, outputs, count);
        assert.deepEqual(words, expected, `count ${count}, coefficients from ${first}`);
      }
    }
  });

  it('round-trips a 1250-shard frame with losses exactly like the JS coder', () => {
    const rng = new Rng('native-roundtrip');
    const sources = Array.from({ length: 1250 }, () => new Uint8Array(1162).map(() => rng.nextInt(256)));
    const native = new ErasureCoder({ kernel: kernel.accumulate });
    const js = new ErasureCoder();
    const repairNative = native.encode(sources, 125);
    const repairJs = js.encode(sources, 125);
    assert.deepEqual(repairNative, repairJs);
    const shards: (Uint8Array | null)[] = [...sources, ...repairNative];
    for (let i = 0; i < shards.length; i += 13) shards[i] = null;
    const result = native.decode(shards, sources.length);
    assert.ok(result.ok);
    for (let i = 0; i < sources.length; i++) assert.deepEqual(shards[i], sources[i]);
  });

  it('refuses offsets outside the array instead of writing past it', () => {
    const words = new Uint32Array(10);
    assert.throws(() => {
      kernel.accumulate(words, 0, 8, new Uint8Array([2]), 1, 4);
    }, RangeError);
  });
});
