/**
 * The in-loop runner: one run queue per thread. Actors with queued messages are served round-robin, a
 * quantum of messages each; a drain stops after a time and message budget and continues on
 * `setImmediate`, so the event loop keeps serving I/O and timers between batches.
 */
import { Ring } from './ring.js';

/** Something holding messages for another thread, to be posted before this thread waits. */
export interface Flushable {
  flush(): void;
}

/** Something the scheduler can run: an actor cell. */
export interface Runnable {
  /** Set by the scheduler while the runnable sits in the run queue. */
  scheduled: boolean;
  /** Handles up to `quantum` messages; returns how many it handled. */
  run(quantum: number): number;
  /** Whether `run` would do something now. */
  hasWork(): boolean;
}

/** Messages one actor handles before the next actor's turn. */
const QUANTUM = 64;
/** A drain yields to the event loop after this much real time... */
const BUDGET_MS = 1;
/** ...or this many messages, whichever comes first. */
const BUDGET_MESSAGES = 8192;

class Scheduler {
  readonly #queue = new Ring<Runnable>(64);
  #pending = false;
  #waiters: (() => void)[] = [];
  #flushes: Flushable[] = [];
  #flushQueued = false;
  readonly #drain = (): void => {
    this.#runBatch();
  };
  readonly #flushAll = (): void => {
    this.#flushQueued = false;
    const flushes = this.#flushes;
    if (flushes.length === 0) return;
    this.#flushes = [];
    for (const flushable of flushes) flushable.flush();
  };

  /** Whether a drain is scheduled or running. */
  get busy(): boolean {
    return this.#pending;
  }

  /**
   * Queues `runnable`. A send from ordinary code starts a drain in a microtask (lowest latency); messages
   * arriving from another thread start it on `setImmediate`, so that a burst is queued, and ordered by
   * lane, before it is handled.
   */
  schedule(runnable: Runnable, afterIo: boolean): void {
    runnable.scheduled = true;
    this.#queue.push(runnable);
    if (this.#pending) return;
    this.#pending = true;
    if (afterIo) setImmediate(this.#drain);
    else queueMicrotask(this.#drain);
  }

  /**
   * Posts `flushable` soon: at the end of the current actor's quantum if a drain is running, else in a
   * microtask. Messages sent to another thread in one go thus travel in one `postMessage`.
   */
  requestFlush(flushable: Flushable): void {
    this.#flushes.push(flushable);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flushAll);
  }

  /** Posts everything pending now: before a lifecycle notice that must not overtake messages. */
  flushPending(): void {
    this.#flushAll();
  }

  /** Resolves once no in-loop actor of this thread has work. */
  whenIdle(): Promise<void> {
    if (!this.#pending) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  #runBatch(): void {
    const start = performance.now();
    let handled = 0;
    const queue = this.#queue;
    try {
      let runnable: Runnable | undefined;
      while ((runnable = queue.shift()) !== undefined) {
        // `scheduled` stays true while it runs, so that its own sends do not queue it twice.
        handled += runnable.run(QUANTUM);
        if (this.#flushes.length > 0) this.#flushAll();
        if (runnable.hasWork()) queue.push(runnable);
        else runnable.scheduled = false;
        if (handled >= BUDGET_MESSAGES || performance.now() - start >= BUDGET_MS) break;
      }
    } finally {
      if (queue.length > 0) {
        setImmediate(this.#drain);
      } else {
        this.#pending = false;
        const waiters = this.#waiters;
        if (waiters.length > 0) {
          this.#waiters = [];
          for (const resolve of waiters) resolve();
        }
      }
    }
  }
}

/** The run queue of this thread. */
export const scheduler = new Scheduler();

/**
 * Resolves once every in-loop actor of this thread is idle and pending promise callbacks and immediates
 * have run (an async `started` hook, say). Tests use it; so does {@link FakeClock.advance}.
 */
export async function settle(): Promise<void> {
  for (let round = 0; round < 10_000; round++) {
    await scheduler.whenIdle();
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!scheduler.busy) return;
  }
}
