/**
 * When a driver runs its endpoint next: on the next turn of the loop when something is due now,
 * else at the endpoint's next deadline, with one timer that is replaced only for an earlier one.
 * Shared by both drivers, so they keep time alike.
 */
export class FlushTimer {
  readonly #flush: () => void;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | null = null;
  #timerDue = Infinity;
  #immediate: NodeJS.Immediate | null = null;
  #stopped = false;

  /** `flush` runs the endpoint; `clock` is the driver's, in µs. */
  constructor(flush: () => void, clock: () => number) {
    this.#flush = flush;
    this.#clock = clock;
  }

  /** Runs the endpoint on the next turn (once, however often asked before it runs). */
  soon(): void {
    if (this.#immediate !== null || this.#stopped) return;
    this.#immediate = setImmediate(this.#onImmediate);
  }

  /** Arranges the next run for `due` (the endpoint's pollTimeout; null: nothing to wait for). */
  schedule(due: number | null): void {
    if (due === null || this.#stopped) return;
    const waitMs = (due - this.#clock()) / 1000;
    // Due now: run on the next turn. Otherwise a timer, which Node rounds up to a whole
    // millisecond; the endpoint sends what falls due within its pacing quantum together, so
    // nothing spins waiting for sub-millisecond gaps.
    if (waitMs <= 0) {
      this.soon();
      return;
    }
    // Keep a timer that fires no later than needed; replace it only for an earlier deadline.
    if (this.#timer !== null && this.#timerDue <= due) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(this.#onTimer, waitMs);
  }

  /** Cancels what is pending; nothing runs afterwards. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    if (this.#immediate !== null) clearImmediate(this.#immediate);
    this.#timer = null;
    this.#immediate = null;
  }

  readonly #onImmediate = (): void => {
    this.#immediate = null;
    this.#flush();
  };

  readonly #onTimer = (): void => {
    this.#timer = null;
    this.#timerDue = Infinity;
    this.#flush();
  };
}
