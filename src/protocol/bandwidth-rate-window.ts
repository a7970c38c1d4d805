import { count, positive } from './bandwidth-config.js';

/**
 * Bytes over a sliding time window, in fixed buckets (after WebRTC's RateStatistics): adding a sample
 * and reading the rate allocate nothing, and the cost of sliding is bounded by the bucket count.
 * The rate over any span up to the window can be read, so one window serves both a steady 500 ms rate
 * and a quick 150 ms one. Times must not go backwards; a sample that does is counted in the newest bucket.
 *
 * Time marked idle (`idle`) is left out of the span a rate is taken over: a stall in the network is not
 * a lower capacity, and a rate that counted it would send a decrease to the floor.
 */
export class RateWindow {
  readonly #window: number;
  readonly #width: number;
  readonly #bytes: Float64Array;
  readonly #idle: Float64Array;
  /** Absolute index (time / width) of the newest bucket; buckets older than `n` behind it are zero. */
  #newest = Number.NEGATIVE_INFINITY;
  #first = Number.NaN;
  /** Running totals of the whole window, so the full-window rate costs O(1). */
  #sumBytes = 0;
  #sumIdle = 0;

  constructor(window: number, buckets = 100) {
    this.#window = positive('window', window);
    count('buckets', buckets, 1);
    this.#width = window / buckets;
    this.#bytes = new Float64Array(buckets);
    this.#idle = new Float64Array(buckets);
  }

  get window(): number {
    return this.#window;
  }

  add(now: number, bytes: number): void {
    this.#advance(now);
    if (Number.isNaN(this.#first)) this.#first = now;
    const slot = this.#slot(this.#newest);
    this.#bytes[slot] = (this.#bytes[slot] ?? 0) + bytes;
    this.#sumBytes += bytes;
  }

  /** Marks the `duration` µs before `now` as idle (spread over the buckets it spans). */
  idle(now: number, duration: number): void {
    this.#advance(now);
    const n = this.#bytes.length;
    let end = Math.max(now, this.#newest * this.#width);
    const start = Math.max(end - duration, (this.#newest - n + 1) * this.#width);
    for (let i = this.#newest; i > this.#newest - n && end > start; i--) {
      const from = Math.max(start, i * this.#width);
      const slot = this.#slot(i);
      this.#idle[slot] = (this.#idle[slot] ?? 0) + (end - from);
      this.#sumIdle += end - from;
      end = from;
    }
  }

  /**
   * Bits per second over the last `span` µs (at most the window) ending at `now`, idle time left out;
   * null before the first sample or while less than one bucket of time has passed since it.
   */
  rate(now: number, span: number = this.#window): number | null {
    if (Number.isNaN(this.#first)) return null;
    this.#advance(now);
    const n = this.#bytes.length;
    const k = Math.min(n, Math.max(1, Math.ceil(span / this.#width)));
    let bytes = 0;
    let idle = 0;
    if (k === n) {
      bytes = this.#sumBytes;
      idle = this.#sumIdle;
    } else {
      for (let i = 0; i < k; i++) {
        const slot = this.#slot(this.#newest - i);
        bytes += this.#bytes[slot] ?? 0;
        idle += this.#idle[slot] ?? 0;
      }
    }
    // The span covered: from the start of the oldest bucket read (or the first sample) to now.
    const start = Math.max((this.#newest - k + 1) * this.#width, this.#first);
    const covered = Math.max(now, this.#newest * this.#width) - start;
    if (covered < this.#width) return null;
    return (bytes * 8 * 1_000_000) / Math.max(covered - idle, this.#width);
  }

  #slot(index: number): number {
    const n = this.#bytes.length;
    return ((index % n) + n) % n;
  }

  #advance(now: number): void {
    const index = Math.floor(now / this.#width);
    if (index <= this.#newest) return;
    const n = this.#bytes.length;
    if (index - this.#newest >= n) {
      this.#bytes.fill(0);
      this.#idle.fill(0);
      this.#sumBytes = 0;
      this.#sumIdle = 0;
    } else {
      for (let i = this.#newest + 1; i <= index; i++) {
        const slot = this.#slot(i);
        this.#sumBytes -= this.#bytes[slot] ?? 0;
        this.#sumIdle -= this.#idle[slot] ?? 0;
        this.#bytes[slot] = 0;
        this.#idle[slot] = 0;
      }
    }
    this.#newest = index;
  }
}
