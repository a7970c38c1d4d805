/**
 * Named errors of the actor runtime. Messages are one line. Sending never throws these for a full
 * mailbox: `send` returns a result; only `sendOrThrow` turns it into {@link MailboxFullError}.
 */
import type { Lane } from './types.js';

export abstract class ActorRuntimeError extends Error {}

/** `sendOrThrow` found the lane at capacity. */
export class MailboxFullError extends ActorRuntimeError {
  override readonly name = 'MailboxFullError';
  readonly actor: string;

  constructor(actor: string) {
    super(`mailbox of actor '${actor}' is full`);
    this.actor = actor;
  }
}

/** `sendOrThrow` found nobody reading: the actor stopped for good, or its process or connection is gone. */
export class ActorDisconnectedError extends ActorRuntimeError {
  override readonly name = 'ActorDisconnectedError';
  readonly actor: string;

  constructor(actor: string) {
    super(`actor '${actor}' is disconnected`);
    this.actor = actor;
  }
}

/** An actor could not be spawned: bad options, unknown module export, or the system is shutting down. */
export class SpawnError extends ActorRuntimeError {
  override readonly name = 'SpawnError';
  readonly actor: string;

  constructor(actor: string, reason: string) {
    super(`cannot spawn actor '${actor}': ${reason}`);
    this.actor = actor;
  }
}

/** The supervisor restarted more often than its intensity allows; the system shuts down with exit code 1. */
export class RestartIntensityError extends ActorRuntimeError {
  override readonly name = 'RestartIntensityError';
  readonly actor: string;

  constructor(actor: string, maxRestarts: number, periodMs: number) {
    super(`actor '${actor}' exceeded the restart intensity (${maxRestarts} restarts in ${periodMs} ms)`);
    this.actor = actor;
  }
}

/** A hook (`started`, `handle`, ...) threw something that is not an `Error`; the value is kept. */
export class ActorHookError extends ActorRuntimeError {
  override readonly name = 'ActorHookError';
  readonly value: unknown;

  constructor(actor: string, value: unknown) {
    super(`actor '${actor}' threw a non-Error value: ${describe(value)}`);
    this.value = value;
  }
}

/** An error thrown in a worker thread, rebuilt on the supervisor's side with its original name and stack. */
export class WorkerActorError extends ActorRuntimeError {
  override readonly name = 'WorkerActorError';
  readonly originalName: string;

  constructor(originalName: string, message: string, stack: string | undefined) {
    super(`${originalName}: ${message}`);
    this.originalName = originalName;
    if (stack !== undefined) this.stack = stack;
  }
}

/** An address that cannot be handed to another thread (one that points at another process). */
export class AddrNotShareableError extends ActorRuntimeError {
  override readonly name = 'AddrNotShareableError';

  constructor(actor: string, reason: string) {
    super(`address of actor '${actor}' cannot be shared: ${reason}`);
  }
}

/** A peer process sent a frame that breaks the protocol; the connection is dropped. */
export class RemoteProtocolError extends ActorRuntimeError {
  override readonly name = 'RemoteProtocolError';

  constructor(peer: string, reason: string) {
    super(`remote peer '${peer}': ${reason}`);
  }
}

/** A lane's capacity is not a positive integer. */
export function checkCapacity(actor: string, lane: Lane, capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 0x3fffffff) {
    throw new SpawnError(actor, `capacity of lane '${lane}' must be a positive integer, got ${capacity}`);
  }
}

/** Turns anything thrown into an `Error`. */
export function toError(actor: string, value: unknown): Error {
  return value instanceof Error ? value : new ActorHookError(actor, value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  return Object.prototype.toString.call(value);
}
