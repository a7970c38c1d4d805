/**
 * Units, lanes and send results shared by every part of the actor runtime.
 */
import type { Transferable } from 'node:worker_threads';

declare const millisecondsBrand: unique symbol;
declare const microsecondsBrand: unique symbol;
declare const timerIdBrand: unique symbol;

/** A duration or a point on a {@link Clock}, in milliseconds. */
export type Milliseconds = number & { readonly [millisecondsBrand]: true };
/** A duration in microseconds (handle-time statistics). */
export type Microseconds = number & { readonly [microsecondsBrand]: true };
/** Identifies a delayed or recurring message of one actor; see `Context.cancelTimer`. */
export type TimerId = number & { readonly [timerIdBrand]: true };

export function ms(value: number): Milliseconds {
  return value as Milliseconds;
}

export function us(value: number): Microseconds {
  return value as Microseconds;
}

/** Something `postMessage` can move to another thread without copying (an `ArrayBuffer`, a `MessagePort`). */
export type { Transferable };

/**
 * The three lanes of a mailbox, always served in this order: every queued `control` message is handled
 * before any `high` one, every `high` one before any `normal` one.
 */
export type Lane = 'control' | 'high' | 'normal';

export const LANES: readonly Lane[] = ['control', 'high', 'normal'];

/** Index of a lane in per-lane arrays: 0 control, 1 high, 2 normal. */
export type LaneIndex = 0 | 1 | 2;

export function laneIndex(lane: Lane): LaneIndex {
  switch (lane) {
    case 'control':
      return 0;
    case 'high':
      return 1;
    case 'normal':
      return 2;
  }
}

/** One number per lane. */
export interface LaneCounts {
  readonly control: number;
  readonly high: number;
  readonly normal: number;
}

/** Picks the lane of a message; it runs on the sender's side, on every send, so keep it trivial. */
export type PriorityFn<M> = (message: M) => Lane;

/** Why a message was not accepted. `full`: the lane is at capacity; `disconnected`: nobody will ever read it. */
export type SendFailure = 'full' | 'disconnected';

/**
 * The outcome of a send. Sending never blocks and never throws for a full mailbox: the sender decides what
 * a failure means (drop a frame, retry later, fail loudly with `sendOrThrow`).
 */
export type SendResult = { readonly ok: true } | { readonly ok: false; readonly reason: SendFailure };

/** Preallocated results so that the hot path allocates nothing. */
export const SENT: SendResult = Object.freeze({ ok: true });
export const FULL: SendResult = Object.freeze({ ok: false, reason: 'full' });
export const DISCONNECTED: SendResult = Object.freeze({ ok: false, reason: 'disconnected' });

/** Where an actor runs: in the event loop of the thread that spawned it, or in a worker thread of its own. */
export type Placement = 'in-loop' | 'worker';

/**
 * What the supervisor does when an actor exits, as OTP has it. `permanent`: always restarted;
 * `transient`: restarted only after a failure; `temporary`: never restarted.
 */
export type RestartPolicy = 'permanent' | 'transient' | 'temporary';

/** Which hook failed, or `create` when the actor could not even be constructed (or its module loaded). */
export type FailurePhase = 'create' | 'started' | 'handle' | 'deadline' | 'stopped' | 'thread';

/** How an actor's run ended: it stopped itself (`ctx.stop()`), or one of its hooks failed. */
export type ActorExit =
  | { readonly kind: 'normal' }
  | { readonly kind: 'failed'; readonly phase: FailurePhase; readonly error: Error };
