/**
 * The one typed boundary to `native/fec`: the SIMD GF(2^8) kernel the transport's erasure code
 * runs on. It has no features; every profile builds it.
 */
import type { AccumulateKernel } from '../fec/index.js';
import type { BuildManifest } from '../profiles/index.js';
import { loadManifestAddon, type AddonShape } from './native-loader.js';

const SHAPE: AddonShape = { always: ['accumulate'], byFeature: {} };

export interface FecKernel {
  readonly accumulate: AccumulateKernel;
  /** Which implementation the CPU got: `avx2`, `ssse3` or `scalar`. */
  readonly name: string;
}

export function loadFecKernel(manifest: BuildManifest, appRoot: string): FecKernel {
  const { exports } = loadManifestAddon('fec', SHAPE, manifest, appRoot);
  // loadManifestAddon checked that `accumulate` is a function.
  const accumulate = exports.accumulate as AccumulateKernel;
  return { accumulate, name: typeof exports.kernel === 'string' ? exports.kernel : 'unknown' };
}
