import { ErasureCoder, repairCountFor, type AccumulateKernel } from '../fec/index.js';
/**
 * What the transport needs from an erasure code: repair shards for a frame's source shards, the
 * missing sources back from enough shards, and how many repair shards a loss rate calls for.
 */
export interface RepairCoder {
  /** Repair shards to send for `sources` at packet loss `lossRate`, at most `maxOverhead` × sources. */
  repairCount(sources: number, lossRate: number, targetResidual: number, maxOverhead: number): number;
  /** Fills `repairs` (each as long as a source) from `sources`. */
  encode(sources: readonly Uint8Array[], repairs: readonly Uint8Array[]): void;
  /**
   * Recovers the missing sources in place. `shards` holds k sources then m repairs, each
   * `shardBytes` long; `present[i]` is 1 where shard i arrived. Writes each missing source into
   * its shard and returns true, or returns false when too few arrived to rebuild them.
   */
  decode(shards: readonly Uint8Array[], present: Uint8Array, sources: number, shardBytes: number): boolean;
}

/**
 * The transport's erasure code: src/fec's Reed-Solomon over interleaved blocks, so a keyframe of
 * thousands of packets is protected like any other frame. Repair counts are memoised per source
 * count and loss (in 0.1 % steps), since the binomial search is too slow to redo per frame.
 */
export class ReedSolomonRepair implements RepairCoder {
  readonly #coder: ErasureCoder;
  readonly #counts = new Map<number, number>();

  /** `kernel`: a native multiply-accumulate (native/fec); the JS one when absent. */
  constructor(kernel?: AccumulateKernel) {
    this.#coder = new ErasureCoder(kernel === undefined ? {} : { kernel });
  }

  repairCount(sources: number, lossRate: number, targetResidual: number, maxOverhead: number): number {
    const lossStep = Math.min(1000, Math.max(0, Math.round(lossRate * 1000)));
    const maxRepair = Math.floor(sources * maxOverhead);
    const key = (sources * 1001 + lossStep) * 4096 + Math.min(4095, maxRepair);
    let count = this.#counts.get(key);
    if (count === undefined) {
      count = lossStep === 0 ? 0 : repairCountFor(sources, lossStep / 1000, targetResidual, { maxRepair });
      if (this.#counts.size > 65536) this.#counts.clear();
      this.#counts.set(key, count);
    }
    return count;
  }

  encode(sources: readonly Uint8Array[], repairs: readonly Uint8Array[]): void {
    this.#coder.encodeInto(sources, repairs);
  }

  decode(shards: readonly Uint8Array[], present: Uint8Array, sources: number, _shardBytes: number): boolean {
    return this.#coder.decodeInto(shards, present, sources).ok;
  }
}
