/**
 * The jitter buffer's adaptive playout delay: how long after capture (local clock) a video frame is
 * handed to the decoder.
 *
 * Each complete frame gives one transit sample, arrival − localCapture. The smallest sample in a
 * window of recent frames is the transit floor (one-way delay plus clock-offset error); a sample's
 * jitter is how far it lies above that floor. The raw target is the floor plus a high percentile of
 * that jitter plus a margin, which is simply the percentile of the transit samples plus the margin,
 * clamped to [min, max]. The floor is part of the target because the clock sync maps capture times
 * onto the true local clock (it halves the RTT), so a frame can never be played before it arrived.
 *
 * The applied target follows the raw one up at once (a late frame costs a visible stall, a few more
 * milliseconds of delay cost nothing visible) and down only with an exponential decay of a set
 * half-life, so a burst that leaves the window does not make the delay oscillate.
 */

/** Settings of the estimator, already validated by the jitter buffer. */
export interface JitterDelayConfig {
  /** Smallest and largest capture-to-release delay, µs (integers). */
  readonly minDelayUs: number;
  readonly maxDelayUs: number;
  /** The share of recent transit samples the target covers, in (0, 1]. */
  readonly percentile: number;
  /** Frames in the sliding window (the floor and the percentile are taken over it). */
  readonly windowFrames: number;
  /** Added on top of the percentile, µs. */
  readonly marginUs: number;
  /** Time for the applied target to close half its distance down to the raw target, µs. */
  readonly decayHalfLifeUs: number;
}

export class JitterDelayEstimator {
  readonly #config: JitterDelayConfig;
  /** Ring of the last `windowFrames` transit samples; unused slots hold +Infinity. */
  readonly #samples: Float64Array;
  /** Scratch copy sorted on every sample: preallocated, so a sample allocates nothing. */
  readonly #sorted: Float64Array;
  #count = 0;
  #write = 0;
  #floor = 0;
  #high = 0;
  /** The applied target, unrounded, so the decay does not stick on rounding. */
  #smoothed = 0;
  #lastSampleUs = 0;

  constructor(config: JitterDelayConfig) {
    this.#config = config;
    this.#samples = new Float64Array(config.windowFrames).fill(Infinity);
    this.#sorted = new Float64Array(config.windowFrames);
  }

  /** The capture-to-release delay to apply now, µs: an integer in [min, max]. */
  get targetDelayUs(): number {
    if (this.#count === 0) return this.#config.minDelayUs;
    return Math.min(this.#config.maxDelayUs, Math.max(this.#config.minDelayUs, Math.ceil(this.#smoothed)));
  }

  /** Smallest transit in the window, µs; null before the first sample. */
  get transitFloorUs(): number | null {
    return this.#count === 0 ? null : this.#floor;
  }

  /** The percentile of jitter above the floor in the window, µs; null before the first sample. */
  get jitterUs(): number | null {
    return this.#count === 0 ? null : this.#high - this.#floor;
  }

  /** One complete frame arrived at `nowUs`, `transitUs` after its capture. */
  addSample(nowUs: number, transitUs: number): void {
    const config = this.#config;
    const size = config.windowFrames;
    this.#samples[this.#write] = transitUs;
    this.#write = this.#write + 1 === size ? 0 : this.#write + 1;
    if (this.#count < size) this.#count++;
    // A sort of at most a few hundred numbers per frame (60–120 a second) is cheap and exact;
    // +Infinity in unused slots sorts last, so the first `count` entries are the samples.
    const sorted = this.#sorted;
    sorted.set(this.#samples);
    sorted.sort();
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil(config.percentile * this.#count) - 1));
    this.#floor = sorted[0] ?? transitUs;
    this.#high = sorted[rank] ?? transitUs;
    const raw = Math.min(config.maxDelayUs, Math.max(config.minDelayUs, this.#high + config.marginUs));
    if (this.#count === 1 || raw >= this.#smoothed) {
      this.#smoothed = raw;
    } else {
      const elapsed = Math.max(0, nowUs - this.#lastSampleUs);
      this.#smoothed = raw + (this.#smoothed - raw) * 2 ** (-elapsed / config.decayHalfLifeUs);
    }
    this.#lastSampleUs = nowUs;
  }
}
