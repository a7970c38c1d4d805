/**
 * Outage windows, sorted and disjoint, with a cursor past the ones that are over: time only moves
 * forward, so each query looks at the current window and rarely more.
 */
export class OutageWindows {
  readonly #windows: readonly { readonly start: number; readonly end: number }[];
  #cursor = 0;

  constructor(windows: readonly { readonly start: number; readonly end: number }[]) {
    this.#windows = windows;
  }

  /** Forgets windows that ended at or before `now`. */
  advance(now: number): void {
    const w = this.#windows;
    while (this.#cursor < w.length && (w[this.#cursor]?.end ?? 0) <= now) this.#cursor++;
  }

  /** Whether `t` (not before the last `advance`) falls inside a window [start, end). */
  covers(t: number): boolean {
    for (let i = this.#cursor; i < this.#windows.length; i++) {
      const w = this.#windows[i];
      if (w === undefined || t < w.start) return false;
      if (t < w.end) return true;
    }
    return false;
  }
}
