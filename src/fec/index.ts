/**
 * doorway's per-frame erasure code: systematic Reed-Solomon (Cauchy, GF(2^8)) over interleaved
 * blocks of up to 256 shards, so any frame size up to 65535 shards is protected. See README.md.
 *
 * ```ts
 * const coder = new ErasureCoder();
 * const m = repairCountFor(sources.length, measuredLoss, 1e-4);
 * const repair = coder.encode(sources, m);            // or encodeInto(sources, buffers)
 * // … receiver: shards[i] = null where packet i was lost
 * const result = coder.decode(shards, sources.length); // never throws
 * if (!result.ok) log.warn(result.message);
 * ```
 */
export { ErasureCoder } from './coder.js';
export type {
  DecodeFailure,
  DecodeProblem,
  DecodeResult,
  DecodeSuccess,
  ErasureCoderOptions,
} from './coder.js';
export { FecInputError } from './errors.js';
export { accumulate, type AccumulateKernel } from './kernels.js';
export type { FecProblem } from './errors.js';
export { blockCount, blockShapes, MAX_BLOCK_SHARDS, MAX_SHARDS } from './layout.js';
export type { BlockShape } from './layout.js';
export { binomialTail, frameFailureProbability, repairCountFor } from './loss.js';
export type { RepairCountOptions } from './loss.js';
