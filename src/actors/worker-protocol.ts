/**
 * What the supervisor and a worker thread hosting an actor say to each other over `parentPort`.
 * Actor messages never travel here: they use the lane ports.
 */
import type { MessagePort } from 'node:worker_threads';
import { Addr, isSharedAddr, type LanePorts, type SharedAddr } from './addr.js';
import { WorkerActorError } from './errors.js';
import type { ActorExit, FailurePhase, Transferable } from './types.js';

export interface WorkerBoot {
  readonly $doorwayActorWorker: 1;
  readonly name: string;
  readonly systemName: string;
  readonly module: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  readonly lanes: LanePorts;
  readonly counts: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly capacities: readonly [number, number, number];
  readonly logLevel: string;
}

export function isWorkerBoot(value: unknown): value is WorkerBoot {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $doorwayActorWorker?: unknown }).$doorwayActorWorker === 1
  );
}

export type WireExit =
  | { readonly kind: 'normal' }
  | {
      readonly kind: 'failed';
      readonly phase: FailurePhase;
      readonly name: string;
      readonly message: string;
      readonly stack: string | undefined;
    };

export type ToWorker = { readonly t: 'restart' } | { readonly t: 'stop' };

export type FromWorker =
  | { readonly t: 'started' }
  | { readonly t: 'exited'; readonly exit: WireExit }
  | { readonly t: 'closed' }
  | { readonly t: 'shutdown'; readonly reason: string | undefined; readonly exitCode: number | undefined };

export function isFromWorker(value: unknown): value is FromWorker {
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string';
}

export function toWireExit(exit: ActorExit): WireExit {
  switch (exit.kind) {
    case 'normal':
      return exit;
    case 'failed':
      return {
        kind: 'failed',
        phase: exit.phase,
        name: exit.error.name,
        message: exit.error.message,
        stack: exit.error.stack,
      };
  }
}

export function fromWireExit(exit: WireExit): ActorExit {
  switch (exit.kind) {
    case 'normal':
      return exit;
    case 'failed':
      return {
        kind: 'failed',
        phase: exit.phase,
        error: new WorkerActorError(exit.name, exit.message, exit.stack),
      };
  }
}

/** An `Addr` inside a worker actor's spawn arguments, on its way to the worker. */
interface AddrArg {
  readonly $addrArg: 1;
  readonly shared: SharedAddr<unknown>;
}

function isAddrArg(value: unknown): value is AddrArg {
  return typeof value === 'object' && value !== null && (value as { $addrArg?: unknown }).$addrArg === 1;
}

const MAX_DEPTH = 4;

/**
 * Replaces every `Addr` found in `args` (in arrays and plain objects, a few levels deep) by its shared
 * form, and collects the ports that must be transferred with it.
 */
export function packArgs(args: readonly unknown[], transfer: Transferable[]): unknown[] {
  return args.map((arg) => pack(arg, transfer, 0));
}

function pack(value: unknown, transfer: Transferable[], depth: number): unknown {
  if (value instanceof Addr) {
    const shared = value.share() as SharedAddr<unknown>;
    transfer.push(...shared.lanes, shared.attach);
    const arg: AddrArg = { $addrArg: 1, shared };
    return arg;
  }
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => pack(item, transfer, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = pack(item, transfer, depth + 1);
  return out;
}

/** The inverse of {@link packArgs}, in the worker. */
export function unpackArgs(args: readonly unknown[]): unknown[] {
  return args.map((arg) => unpack(arg, 0));
}

function unpack(value: unknown, depth: number): unknown {
  if (isAddrArg(value) && isSharedAddr(value.shared)) return Addr.fromShared(value.shared);
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => unpack(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = unpack(item, depth + 1);
  return out;
}

/** Closes the ports collected by {@link packArgs} when the worker could not be created. */
export function closePorts(transfer: readonly Transferable[]): void {
  for (const item of transfer) {
    if (typeof (item as Partial<MessagePort>).close === 'function') (item as MessagePort).close();
  }
}
