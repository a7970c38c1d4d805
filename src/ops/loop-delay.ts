/**
 * Event-loop delay as the time a turn of the loop held back a timer, in ms. Node's
 * `monitorEventLoopDelay` records the interval between two firings of its sampling timer, so each
 * raw value carries the sampling interval itself (an idle loop at 10 ms reads 10 ms): the interval
 * is taken off every figure here, which is what "delay" means on the status page and in benches.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopDelayFigures {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export class EventLoopDelay {
  readonly resolutionMs: number;
  readonly #histogram: IntervalHistogram;

  /** Samples every `resolutionMs` (≥ 1) once enabled. */
  constructor(resolutionMs = 10) {
    this.resolutionMs = resolutionMs;
    this.#histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  }

  enable(): void {
    this.#histogram.enable();
  }

  disable(): void {
    this.#histogram.disable();
  }

  /** The delay at percentile `p` (0–100) since the last reset, ms; 0 before any sample. */
  percentileMs(p: number): number {
    return this.#delayMs(this.#histogram.percentile(p));
  }

  /** p50, p99 and max since the last call (or the start), ms to 0.01, and starts a new period. */
  take(): LoopDelayFigures {
    const figures = {
      p50: round2(this.percentileMs(50)),
      p99: round2(this.percentileMs(99)),
      max: round2(this.#delayMs(this.#histogram.max)),
    };
    this.#histogram.reset();
    return figures;
  }

  #delayMs(ns: number): number {
    // An empty histogram reports 0 (or a huge min): no sample is no delay.
    if (!Number.isFinite(ns) || this.#histogram.count === 0) return 0;
    return Math.max(0, ns / 1e6 - this.resolutionMs);
  }
}

function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}
