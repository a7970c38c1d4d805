/**
 * Figures over the last sampling period without allocating per sample: latencies go into a fixed
 * ring; counters are turned into rates against the previous reading.
 */

/** Latencies of one period, ms; the newest `capacity` are kept when more arrive. */
export class LatencyWindow {
  readonly #values: Float64Array;
  #count = 0;
  #next = 0;

  constructor(capacity = 512) {
    this.#values = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.#values[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#count < this.#values.length) this.#count++;
  }

  /** p50 and p95 of the period, then starts a new one; nulls for an empty period. */
  take(): { p50: number | null; p95: number | null } {
    if (this.#count === 0) return { p50: null, p95: null };
    const sorted = this.#values.subarray(0, this.#count).slice().sort();
    const at = (q: number): number =>
      round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    const figures = { p50: at(0.5), p95: at(0.95) };
    this.#count = 0;
    this.#next = 0;
    return figures;
  }
}

/** The change of a running total since the last reading, per second. */
export class RateMeter {
  #last: number | null = null;
  #lastAt = 0;

  /** `total` at time `nowUs`; 0 on the first reading. */
  perSecond(total: number, nowUs: number): number {
    const last = this.#last;
    const seconds = (nowUs - this.#lastAt) / 1e6;
    this.#last = total;
    this.#lastAt = nowUs;
    if (last === null || !(seconds > 0)) return 0;
    return Math.max(0, (total - last) / seconds);
  }
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
