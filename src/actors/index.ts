/**
 * doorway's actor runtime: bounded three-lane mailboxes whose sends never block, deadline timers,
 * in-loop or worker-thread placement, cross-process addresses over a Unix socket, OTP-style
 * supervision, and per-actor counters. See README.md.
 */
export type { Actor, Context, ShutdownOptions, SystemHandle } from './actor.js';
export { Addr, isSharedAddr, transferablesOf, type Recipient, type SharedAddr } from './addr.js';
export { FakeClock, realClock, type Clock, type ClockTimer } from './clock.js';
export {
  ActorDisconnectedError,
  ActorHookError,
  ActorRuntimeError,
  AddrNotShareableError,
  MailboxFullError,
  RemoteProtocolError,
  RestartIntensityError,
  SpawnError,
  WorkerActorError,
} from './errors.js';
export { isNativeHandle, nativeHandle, type NativeHandle } from './handle.js';
export {
  RemoteNode,
  RemotePeer,
  type MessageGuard,
  type RemoteNodeOptions,
  type RemoteStats,
} from './remote.js';
export { settle } from './scheduler.js';
export type { ActorState, ActorStats } from './stats.js';
export {
  DEFAULT_CAPACITY,
  ModuleSpawnBuilder,
  SpawnBuilder,
  System,
  type ActorClass,
  type ActorModule,
  type MessageOf,
  type RestartIntensity,
  type RunOptions,
  type ShutdownHook,
  type ShutdownPhase,
  type SystemExit,
  type SystemOptions,
} from './system.js';
export {
  DISCONNECTED,
  FULL,
  LANES,
  SENT,
  ms,
  us,
  type ActorExit,
  type FailurePhase,
  type Lane,
  type LaneCounts,
  type Microseconds,
  type Milliseconds,
  type Placement,
  type PriorityFn,
  type RestartPolicy,
  type SendFailure,
  type SendResult,
  type TimerId,
  type Transferable,
} from './types.js';
