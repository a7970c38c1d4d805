/**
 * The audio jitter buffer's target: how much delay above the path's fastest transit the playout
 * keeps, so that a packet is almost always there when its slot comes.
 *
 * Each packet gives a transit sample, arrival − capture (local clock). The smallest sample in a
 * window of recent packets is the transit floor (one-way delay plus the clock-sync error); the raw
 * target is a high percentile of how far samples lie above it, plus a margin: NetEQ's 95th
 * percentile of inter-arrival delay, in a form that needs no histogram. The applied target
 * follows the raw one up at once (a packet too late is an audible concealment) and down with an
 * exponential decay, so a burst of jitter leaving the window does not make the delay oscillate.
 * Until a quarter of the window is measured, an initial target (NetEQ starts high too) stands in.
 *
 * Clock sync moves the local capture times when its offset estimate changes (the first pong moves
 * it by the whole offset). A sample far below the floor, or a run of samples far above it, is such
 * a step, not jitter: the window starts over, so the step does not count as jitter for a window.
 */

/** Settings, already validated by the buffer (µs, integers). */
export interface TargetDelayConfig {
  readonly windowPackets: number;
  readonly percentile: number;
  readonly marginUs: number;
  readonly decayHalfLifeUs: number;
  readonly initialTargetUs: number;
  readonly maxDelayUs: number;
}

/** A sample this far below the floor is a clock step (real transit never drops that fast). */
const STEP_DOWN_US = 50_000;
/** Consecutive samples this far above floor + maximum delay that make a step up. */
const STEP_UP_RUN = 8;

export class TargetDelay {
  readonly #config: TargetDelayConfig;
  /** Ring of the last `windowPackets` transit samples; unused slots hold +Infinity. */
  readonly #samples: Float64Array;
  /** Scratch sorted on every sample: preallocated, so a sample allocates nothing. */
  readonly #sorted: Float64Array;
  #count = 0;
  #write = 0;
  #floor = 0;
  #high = 0;
  /** The applied target above the floor, unrounded so the decay does not stick on rounding. */
  #smoothed: number;
  #lastSampleUs: number | null = null;
  /** Samples before the measured target replaces the initial one. */
  #warmup: number;
  #stepsUp = 0;
  #steps = 0;

  constructor(config: TargetDelayConfig) {
    this.#config = config;
    this.#samples = new Float64Array(config.windowPackets).fill(Infinity);
    this.#sorted = new Float64Array(config.windowPackets);
    this.#smoothed = config.initialTargetUs;
    this.#warmup = Math.max(8, Math.ceil(config.windowPackets / 4));
  }

  /** Smallest transit in the window, µs; null before the first sample. */
  get floorUs(): number | null {
    return this.#count === 0 ? null : this.#floor;
  }

  /** The percentile of transit above the floor, µs; null before the first sample. */
  get jitterUs(): number | null {
    return this.#count === 0 ? null : this.#high - this.#floor;
  }

  /** Clock steps seen (each started the window over). */
  get steps(): number {
    return this.#steps;
  }

  /** The delay above the floor to keep, clamped to [min, max], µs (an integer). */
  targetUs(minUs: number, maxUs: number): number {
    return Math.min(maxUs, Math.max(minUs, Math.ceil(this.#smoothed)));
  }

  /** A packet arrived at `nowUs`, `transitUs` after its capture (local clock). */
  addSample(nowUs: number, transitUs: number): void {
    if (this.#count > 0) {
      if (transitUs < this.#floor - STEP_DOWN_US) {
        this.#restart();
      } else if (transitUs > this.#floor + this.#config.maxDelayUs + STEP_DOWN_US) {
        if (++this.#stepsUp >= STEP_UP_RUN) this.#restart();
      } else {
        this.#stepsUp = 0;
      }
    }
    const { windowPackets: size, percentile, marginUs, maxDelayUs, decayHalfLifeUs } = this.#config;
    this.#samples[this.#write] = transitUs;
    this.#write = this.#write + 1 === size ? 0 : this.#write + 1;
    if (this.#count < size) this.#count++;
    // A sort of a few hundred numbers per packet (100–200 a second) is cheap and exact;
    // +Infinity in unused slots sorts last, so the first `count` entries are the samples.
    const sorted = this.#sorted;
    sorted.set(this.#samples);
    sorted.sort();
    const rank = Math.min(this.#count - 1, Math.max(0, Math.ceil(percentile * this.#count) - 1));
    this.#floor = sorted[0] ?? transitUs;
    this.#high = sorted[rank] ?? transitUs;
    const raw = Math.min(maxDelayUs, this.#high - this.#floor + marginUs);
    if (this.#warmup > 0) {
      // The initial target holds until enough jitter is measured; then the measure takes over.
      this.#smoothed = --this.#warmup === 0 ? raw : Math.max(raw, this.#smoothed);
    } else if (raw >= this.#smoothed || this.#lastSampleUs === null) {
      this.#smoothed = raw;
    } else {
      const elapsed = Math.max(0, nowUs - this.#lastSampleUs);
      this.#smoothed = raw + (this.#smoothed - raw) * 2 ** (-elapsed / decayHalfLifeUs);
    }
    this.#lastSampleUs = nowUs;
  }

  /** Forgets the window (not the applied target, which decays as usual). */
  #restart(): void {
    this.#samples.fill(Infinity);
    this.#count = 0;
    this.#write = 0;
    this.#stepsUp = 0;
    this.#steps++;
  }
}
