/**
 * Time, injectable. The runtime reads time and schedules its wake-ups only through a {@link Clock}, so
 * tests run with a {@link FakeClock} faster than real time and deterministically.
 */
import { settle } from './scheduler.js';
import { ms, type Milliseconds } from './types.js';

/** A scheduled callback that can be cancelled; cancelling twice or after it fired does nothing. */
export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic time in milliseconds (sub-millisecond resolution on the real clock). */
  now(): Milliseconds;
  /** Calls `callback` once, `delay` from now. Timers never keep the process alive on their own. */
  setTimer(delay: Milliseconds, callback: () => void): ClockTimer;
}

class RealTimer implements ClockTimer {
  readonly #timeout: NodeJS.Timeout;

  constructor(delay: Milliseconds, callback: () => void) {
    this.#timeout = setTimeout(callback, Math.max(0, delay));
    this.#timeout.unref();
  }

  cancel(): void {
    clearTimeout(this.#timeout);
  }
}

/** The clock of production: `performance.now()` and `setTimeout`. */
export const realClock: Clock = Object.freeze({
  now: (): Milliseconds => ms(performance.now()),
  setTimer: (delay: Milliseconds, callback: () => void): ClockTimer => new RealTimer(delay, callback),
});

interface FakeTimer extends ClockTimer {
  readonly at: Milliseconds;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told. `advance()` fires due timers in time order and, after each, lets
 * every in-loop actor of this thread work until idle, so an actor's reaction to a timer is visible before
 * time moves on. `spend()` moves time without firing anything: a handler calls it to pretend it was busy.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  constructor(start: Milliseconds = ms(0)) {
    this.#now = start;
  }

  now(): Milliseconds {
    return ms(this.#now);
  }

  setTimer(delay: Milliseconds, callback: () => void): ClockTimer {
    const timer: FakeTimer = {
      at: ms(this.#now + Math.max(0, delay)),
      seq: this.#seq++,
      callback,
      cancelled: false,
      cancel(): void {
        timer.cancelled = true;
      },
    };
    this.#timers.push(timer);
    return timer;
  }

  /** Timers not yet fired nor cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward without firing timers, as if the caller had been busy for `duration`. */
  spend(duration: Milliseconds): void {
    this.#now += Math.max(0, duration);
  }

  /** Moves time forward by `duration`, firing every timer that falls due, in order. */
  async advance(duration: Milliseconds): Promise<void> {
    const target = this.#now + Math.max(0, duration);
    await settle();
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#now = Math.max(this.#now, next.at);
      next.cancelled = true;
      next.callback();
      await settle();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
  }

  /** Moves time to `at` (if later than now), firing timers on the way. */
  async advanceTo(at: Milliseconds): Promise<void> {
    await this.advance(ms(at - this.#now));
  }

  #nextDue(target: number): FakeTimer | undefined {
    this.#timers = this.#timers.filter((timer) => !timer.cancelled);
    let best: FakeTimer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > target) continue;
      if (best === undefined || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq))
        best = timer;
    }
    return best;
  }
}
