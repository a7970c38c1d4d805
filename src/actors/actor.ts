/**
 * The contract an actor implements, and the context it is handed.
 */
import type { Logger } from '../log/index.js';
import type { Addr } from './addr.js';
import type { Clock } from './clock.js';
import type { Lane, Milliseconds, TimerId } from './types.js';

/**
 * An actor: state plus a `handle` for each message, run one message at a time. Every hook may fail by
 * throwing (or, for `started` and `stopped`, by rejecting); a failure ends this run of the actor and its
 * supervisor decides, from its restart policy, whether a fresh instance takes over the same mailbox.
 */
export interface Actor<M> {
  /** Name used in logs and stats unless the spawn builder gives another. */
  readonly name: string;
  /** Runs before the first message; messages sent meanwhile wait in the mailbox. */
  started?(ctx: Context<M>): void | Promise<void>;
  /** Handles one message. Synchronous: the next message waits until it returns. */
  handle(ctx: Context<M>, message: M): void;
  /** Called once the deadline set with `ctx.setDeadline`/`ctx.setTimeout` has passed. */
  deadlinePassed?(ctx: Context<M>, deadline: Milliseconds): void;
  /** Runs after the last message: on shutdown, on `ctx.stop()`, and after a failed `handle`. */
  stopped?(ctx: Context<M>): void | Promise<void>;
  /**
   * The lane of a message, `normal` if absent. Called by the sender on every send, so keep it cheap and
   * pure. For an actor in a worker thread, give the same function to the spawn builder's `priority`.
   */
  priority?(message: M): Lane;
}

export interface ShutdownOptions {
  /** Logged, and returned in `SystemExit.reason`. */
  readonly reason?: string;
  /** Exit code of the process (`System.run`); 0 by default. */
  readonly exitCode?: number;
}

/** What an actor may ask of its system. */
export interface SystemHandle {
  readonly name: string;
  readonly shuttingDown: boolean;
  /** Starts a graceful shutdown of the whole system; returns at once. */
  requestShutdown(options?: ShutdownOptions): void;
}

/** Handed to every hook: the actor's own address, its system, time, and timers. */
export interface Context<M> {
  readonly name: string;
  readonly myself: Addr<M>;
  readonly system: SystemHandle;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The pending deadline, or null. */
  readonly deadline: Milliseconds | null;
  /**
   * Sets (or with null clears) the one deadline of this actor. Once it passes, `deadlinePassed` runs once,
   * queued in the high lane. Setting it again replaces it, even when already due and queued.
   */
  setDeadline(at: Milliseconds | null): void;
  /** `setDeadline(now + after)`. */
  setTimeout(after: Milliseconds | null): void;
  /** Delivers `message` to this actor at `at` (behind what is queued in its lane by then). */
  sendAt(message: M, at: Milliseconds): TimerId;
  /** Delivers `message` to this actor `delay` from now. */
  sendAfter(message: M, delay: Milliseconds): TimerId;
  /**
   * Delivers `message` every `interval`, first at `firstAt` (default: one interval from now). At most one
   * tick waits in the mailbox at a time; ticks missed while the actor was busy are skipped, not bunched,
   * and later ticks stay on the original grid.
   */
  sendEvery(message: M, interval: Milliseconds, firstAt?: Milliseconds): TimerId;
  /** Cancels a delayed or recurring message, even one already due and queued; false if unknown. */
  cancelTimer(id: TimerId): boolean;
  /** Ends this run of the actor normally, after the current message. */
  stop(): void;
}
