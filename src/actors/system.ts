/**
 * The system: spawns actors (in this event loop or in worker threads), supervises them as an OTP
 * supervisor does (restart policy per actor, restart intensity over a period, escalation to a non-zero
 * exit), and shuts them down gracefully in reverse spawn order, within a deadline.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { createLogRoot, type Logger } from '../log/index.js';
import type { Actor, ShutdownOptions, SystemHandle } from './actor.js';
import { PortAddr, type Addr, type LanePorts } from './addr.js';
import { ActorCell, type ActorFactory, type CellHost } from './cell.js';
import { realClock, type Clock, type ClockTimer } from './clock.js';
import { scheduler } from './scheduler.js';
import { RestartIntensityError, SpawnError, checkCapacity } from './errors.js';
import {
  COUNT_STATE,
  STATE_CLOSED,
  STATE_OPEN,
  newCounts,
  newStats,
  snapshot,
  type ActorState,
  type ActorStats,
} from './stats.js';
import {
  LANES,
  ms,
  type ActorExit,
  type LaneCounts,
  type Milliseconds,
  type Placement,
  type PriorityFn,
  type RestartPolicy,
  type Transferable,
} from './types.js';
import {
  closePorts,
  fromWireExit,
  isFromWorker,
  packArgs,
  type FromWorker,
  type ToWorker,
  type WorkerBoot,
} from './worker-protocol.js';

export interface RestartIntensity {
  /** Restarts allowed within `period`; one more and the system shuts down with exit code 1. */
  readonly maxRestarts: number;
  readonly period: Milliseconds;
}

export interface SystemOptions {
  readonly name?: string;
  readonly clock?: Clock;
  /** Logger of the runtime; each actor gets a child with its name. Default: the `actors` component. */
  readonly logger?: Logger;
  /** Default: 3 restarts in 5 s. */
  readonly restartIntensity?: RestartIntensity;
  /** How long a graceful shutdown may take before the remaining actors are abandoned. Default 5 s. */
  readonly shutdownTimeout?: Milliseconds;
  /** Default mailbox capacities. */
  readonly capacity?: Partial<LaneCounts>;
}

/** How the system ended. */
export interface SystemExit {
  readonly code: number;
  readonly reason: string;
  /** Actors that had not stopped by the deadline and were abandoned (worker threads terminated). */
  readonly forced: readonly string[];
}

export interface RunOptions {
  /** Exit the process with `SystemExit.code` once shut down. Default true: this is what a binary wants. */
  readonly exitProcess?: boolean;
  /** Shut down gracefully on SIGTERM and SIGINT. Default true. */
  readonly signals?: boolean;
}

export type ShutdownPhase = 'before-actors' | 'after-actors';
export type ShutdownHook = () => void | Promise<void>;

/** A class whose instances are actors: what a module spawn names. */
export type ActorClass = abstract new (...args: never[]) => { handle(ctx: never, message: never): void };
/** The message type of an actor class. */
export type MessageOf<C extends ActorClass> = InstanceType<C> extends Actor<infer M> ? M : never;

/**
 * An actor class exported by a module, loadable by URL so that a worker thread can load it. Spawn with
 * `system.spawn<typeof Encoder>({ module: new URL('./encoder.js', import.meta.url), export: 'Encoder',
 * args: [config] })`. `args` must be cloneable; `Addr`s in them are shared with the worker automatically.
 */
export interface ActorModule<C extends ActorClass> {
  readonly module: URL;
  readonly export: string;
  readonly args: ConstructorParameters<C>;
}

export const DEFAULT_CAPACITY: LaneCounts = Object.freeze({ control: 64, high: 256, normal: 1024 });
const DEFAULT_INTENSITY: RestartIntensity = Object.freeze({ maxRestarts: 3, period: ms(5000) });
const DEFAULT_SHUTDOWN_TIMEOUT = ms(5000);

interface SpawnConfig<M> {
  name: string | undefined;
  capacity: LaneCounts;
  policy: RestartPolicy;
  priority: PriorityFn<M> | null;
  placement: Placement;
}

/** Configures one actor, then `start()` spawns it and returns its address at once. */
export class SpawnBuilder<M> {
  protected readonly config: SpawnConfig<M>;
  readonly #launch: (config: SpawnConfig<M>) => Addr<M>;

  /** @internal Use `System.spawn`. */
  constructor(capacity: LaneCounts, launch: (config: SpawnConfig<M>) => Addr<M>) {
    this.config = { name: undefined, capacity, policy: 'permanent', priority: null, placement: 'in-loop' };
    this.#launch = launch;
  }

  /** Name in logs and stats; default: the actor's `name` (or the module export's name). */
  name(name: string): this {
    this.config.name = name;
    return this;
  }

  /** Mailbox capacity per lane; lanes not given keep the system's default. */
  capacity(capacity: Partial<LaneCounts>): this {
    this.config.capacity = { ...this.config.capacity, ...capacity };
    return this;
  }

  /** Restart policy; default `permanent`. */
  restart(policy: RestartPolicy): this {
    this.config.policy = policy;
    return this;
  }

  /**
   * The lane of each message, evaluated by senders. Overrides the actor's own `priority`; required for
   * lanes other than normal when the actor runs in a worker thread.
   */
  priority(priority: PriorityFn<M>): this {
    this.config.priority = priority;
    return this;
  }

  start(): Addr<M> {
    return this.#launch({ ...this.config });
  }
}

/** Builder of an actor loaded from a module, which can run in this event loop or in a worker thread. */
export class ModuleSpawnBuilder<M> extends SpawnBuilder<M> {
  /** `in-loop` (default): this event loop; `worker`: a worker thread of its own. */
  placement(placement: Placement): this {
    this.config.placement = placement;
    return this;
  }
}

/** What the supervisor keeps for each actor. */
interface Supervised {
  readonly name: string;
  readonly placement: Placement;
  readonly policy: RestartPolicy;
  restarts: number;
  readonly state: ActorState;
  /** Resolves once the actor has started for the first time, or closed. */
  readonly firstStart: Promise<void>;
  restart(): void;
  /** Graceful stop; resolves once stopped. */
  shutdown(): Promise<void>;
  /** Abandons the actor now. */
  forceStop(): void;
  /** Closes the mailbox for good (after an exit that is not restarted). */
  close(): void;
  stats(): ActorStats;
}

type SystemState = 'running' | 'shutting-down' | 'stopped';

export class System implements SystemHandle {
  readonly name: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intensity: RestartIntensity;
  readonly #shutdownTimeout: Milliseconds;
  readonly #capacity: LaneCounts;
  readonly #entries: Supervised[] = [];
  readonly #hooks: { phase: ShutdownPhase; hook: ShutdownHook }[] = [];
  #restartTimes: number[] = [];
  #state: SystemState = 'running';
  readonly #exit: Promise<SystemExit>;
  #resolveExit: (exit: SystemExit) => void = () => undefined;

  constructor(options: SystemOptions = {}) {
    this.name = options.name ?? 'doorway';
    this.#clock = options.clock ?? realClock;
    this.#logger = options.logger ?? createLogRoot().component('actors');
    this.#intensity = options.restartIntensity ?? DEFAULT_INTENSITY;
    this.#shutdownTimeout = options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    this.#capacity = { ...DEFAULT_CAPACITY, ...options.capacity };
    this.#exit = new Promise<SystemExit>((resolve) => {
      this.#resolveExit = resolve;
    });
  }

  get shuttingDown(): boolean {
    return this.#state !== 'running';
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Spawns an actor in this event loop; `factory` is called again for each restart. */
  spawn<M>(factory: () => Actor<M>): SpawnBuilder<M>;
  /** Spawns an actor exported by a module, in this event loop or (with `.placement('worker')`) a worker. */
  spawn<C extends ActorClass>(module: ActorModule<C>): ModuleSpawnBuilder<MessageOf<C>>;
  spawn<M>(source: (() => Actor<M>) | ActorModule<ActorClass>): SpawnBuilder<M> {
    if (typeof source === 'function') {
      return new SpawnBuilder<M>(this.#capacity, (config) => this.#spawnFactory(source, config));
    }
    return new ModuleSpawnBuilder<M>(this.#capacity, (config) => this.#spawnModule<M>(source, config));
  }

  /** Resolves once every actor spawned so far has started (or has given up starting). */
  async ready(): Promise<void> {
    await Promise.all(this.#entries.map((entry) => entry.firstStart));
  }

  /** Counters of every actor, in spawn order. */
  stats(): ActorStats[] {
    return this.#entries.map((entry) => entry.stats());
  }

  /** Registers a hook run during shutdown, before the actors stop or after (the default). */
  onShutdown(hook: ShutdownHook, phase: ShutdownPhase = 'after-actors'): void {
    this.#hooks.push({ phase, hook });
  }

  requestShutdown(options: ShutdownOptions = {}): void {
    void this.shutdown(options);
  }

  /**
   * Stops every actor, last spawned first, each after its current message and its `stopped` hook. Past
   * the shutdown timeout the remaining actors are abandoned. Calling it again returns the same result.
   */
  shutdown(options: ShutdownOptions = {}): Promise<SystemExit> {
    if (this.#state === 'running') {
      this.#state = 'shutting-down';
      void this.#shutdown(options.reason ?? 'shutdown requested', options.exitCode ?? 0);
    }
    return this.#exit;
  }

  /** Resolves when the system has shut down. */
  whenStopped(): Promise<SystemExit> {
    return this.#exit;
  }

  /**
   * Keeps the process alive until the system shuts down (on request, on a signal, or because restarts
   * exceeded their intensity), then exits the process with the exit code unless told not to.
   */
  async run(options: RunOptions = {}): Promise<SystemExit> {
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const onSignal = (signal: NodeJS.Signals): void => {
      void this.shutdown({ reason: `received ${signal}` });
    };
    const signals = options.signals ?? true;
    if (signals) {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    let exit: SystemExit;
    try {
      exit = await this.#exit;
    } finally {
      clearInterval(keepAlive);
      if (signals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    }
    if (options.exitProcess ?? true) process.exit(exit.code);
    return exit;
  }

  // ---- Spawning ---------------------------------------------------------------------------------------

  #check(name: string, config: SpawnConfig<unknown>): void {
    if (this.#state !== 'running') throw new SpawnError(name, 'the system is shutting down');
    checkCapacity(name, 'control', config.capacity.control);
    checkCapacity(name, 'high', config.capacity.high);
    checkCapacity(name, 'normal', config.capacity.normal);
    if (this.#entries.some((entry) => entry.name === name && entry.state !== 'stopped')) {
      throw new SpawnError(name, 'an actor of that name is already running');
    }
  }

  #spawnFactory<M>(factory: () => Actor<M>, config: SpawnConfig<M>): Addr<M> {
    if (this.#state !== 'running') throw new SpawnError(config.name ?? '?', 'the system is shutting down');
    let first: Actor<M> | undefined;
    try {
      first = factory();
    } catch (error) {
      throw new SpawnError(config.name ?? '?', `factory failed: ${String(error)}`);
    }
    const name = config.name ?? first.name;
    this.#check(name, config as SpawnConfig<unknown>);
    let pending: Actor<M> | undefined = first;
    const entry = new InLoopEntry<M>(this, name, config, () => {
      const actor = pending ?? factory();
      pending = undefined;
      return actor;
    });
    this.#entries.push(entry);
    entry.begin();
    return entry.cell.myself;
  }

  #spawnModule<M>(source: ActorModule<ActorClass>, config: SpawnConfig<M>): Addr<M> {
    const name = config.name ?? source.export;
    this.#check(name, config as SpawnConfig<unknown>);
    if (!(source.module instanceof URL)) throw new SpawnError(name, 'module must be a URL');
    switch (config.placement) {
      case 'in-loop': {
        const args = source.args as unknown[];
        const href = source.module.href;
        const factory: ActorFactory<M> = async () => {
          const module = (await import(href)) as Record<string, unknown>;
          const exported = module[source.export];
          if (typeof exported !== 'function') {
            throw new SpawnError(name, `module ${href} has no export '${source.export}' that is a class`);
          }
          return new (exported as new (...args: unknown[]) => Actor<M>)(...args);
        };
        const entry = new InLoopEntry<M>(this, name, config, factory);
        this.#entries.push(entry);
        entry.begin();
        return entry.cell.myself;
      }
      case 'worker': {
        const entry = new WorkerEntry<M>(this, name, config, source);
        this.#entries.push(entry);
        entry.begin();
        return entry.addr;
      }
    }
  }

  // ---- Supervision ------------------------------------------------------------------------------------

  /** @internal */
  get logger(): Logger {
    return this.#logger;
  }

  /** @internal Called by an entry whose actor's run ended. */
  exited(entry: Supervised, exit: ActorExit): void {
    switch (exit.kind) {
      case 'failed':
        this.#logger.error(
          { err: exit.error, actor: entry.name, phase: exit.phase },
          `actor '${entry.name}' failed in ${exit.phase}: ${exit.error.message}`,
        );
        break;
      case 'normal':
        this.#logger.info({ actor: entry.name }, `actor '${entry.name}' stopped`);
        break;
    }
    if (this.#state !== 'running' || !restarts(entry.policy, exit)) {
      entry.close();
      return;
    }
    const now = this.#clock.now();
    const since = now - this.#intensity.period;
    this.#restartTimes = this.#restartTimes.filter((at) => at > since);
    this.#restartTimes.push(now);
    if (this.#restartTimes.length > this.#intensity.maxRestarts) {
      const error = new RestartIntensityError(
        entry.name,
        this.#intensity.maxRestarts,
        this.#intensity.period,
      );
      this.#logger.fatal({ err: error, actor: entry.name }, error.message);
      entry.close();
      void this.shutdown({ reason: error.message, exitCode: 1 });
      return;
    }
    entry.restarts++;
    this.#logger.warn({ actor: entry.name, restarts: entry.restarts }, `restarting actor '${entry.name}'`);
    entry.restart();
  }

  // ---- Shutdown ---------------------------------------------------------------------------------------

  async #shutdown(reason: string, exitCode: number): Promise<void> {
    this.#logger.info({ reason, exitCode }, `system '${this.name}' shutting down: ${reason}`);
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const progress = { expired: false };
    let timer: ClockTimer | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = this.#clock.setTimer(this.#shutdownTimeout, () => {
        progress.expired = true;
        resolve(false);
      });
    });
    const within = (work: Promise<unknown>): Promise<boolean> =>
      Promise.race([work.then(() => true), deadline]);
    const forced: string[] = [];
    await this.#runHooks('before-actors', within);
    for (const entry of [...this.#entries].reverse()) {
      if (entry.state === 'stopped') continue;
      if (progress.expired || !(await within(entry.shutdown()))) {
        forced.push(entry.name);
        entry.forceStop();
      }
    }
    if (forced.length > 0) {
      this.#logger.error({ forced }, `actors abandoned after the shutdown timeout: ${forced.join(', ')}`);
    }
    await this.#runHooks('after-actors', within);
    timer?.cancel();
    clearInterval(keepAlive);
    this.#state = 'stopped';
    this.#logger.info({ exitCode }, `system '${this.name}' stopped`);
    this.#resolveExit({ code: exitCode, reason, forced });
  }

  async #runHooks(phase: ShutdownPhase, within: (work: Promise<unknown>) => Promise<boolean>): Promise<void> {
    const hooks = this.#hooks.filter((hook) => hook.phase === phase).reverse();
    for (const { hook } of hooks) {
      const work = (async () => {
        await hook();
      })().catch((error: unknown) => {
        this.#logger.error({ err: error }, `shutdown hook failed`);
      });
      if (!(await within(work))) {
        this.#logger.error(`shutdown hook did not finish before the shutdown timeout`);
        return;
      }
    }
  }
}

function restarts(policy: RestartPolicy, exit: ActorExit): boolean {
  switch (policy) {
    case 'permanent':
      return true;
    case 'transient':
      return exit.kind === 'failed';
    case 'temporary':
      return false;
  }
}

function capacities(capacity: LaneCounts): readonly [number, number, number] {
  return [capacity.control, capacity.high, capacity.normal];
}

/** An actor in this event loop. */
class InLoopEntry<M> implements Supervised, CellHost<M> {
  readonly name: string;
  readonly placement: Placement = 'in-loop';
  readonly policy: RestartPolicy;
  readonly cell: ActorCell<M>;
  readonly firstStart: Promise<void>;
  restarts = 0;
  readonly #system: System;
  readonly #factory: ActorFactory<M>;
  #resolveFirstStart: () => void = () => undefined;

  constructor(system: System, name: string, config: SpawnConfig<M>, factory: ActorFactory<M>) {
    this.name = name;
    this.policy = config.policy;
    this.#system = system;
    this.#factory = factory;
    this.firstStart = new Promise<void>((resolve) => {
      this.#resolveFirstStart = resolve;
    });
    this.cell = new ActorCell<M>({
      name,
      capacities: capacities(config.capacity),
      priority: config.priority,
      clock: system.clock,
      logger: system.logger.child({ actor: name }),
      host: this,
    });
  }

  get system(): SystemHandle {
    return this.#system;
  }

  get state(): ActorState {
    return this.cell.actorState;
  }

  begin(): void {
    this.cell.start(this.#factory);
  }

  started(): void {
    this.#resolveFirstStart();
  }

  exited(_cell: ActorCell<M>, exit: ActorExit): void {
    this.#system.exited(this, exit);
  }

  restart(): void {
    this.cell.restart(this.#factory);
  }

  shutdown(): Promise<void> {
    return this.cell.shutdown();
  }

  forceStop(): void {
    this.close();
  }

  close(): void {
    this.cell.close();
    this.#resolveFirstStart();
  }

  stats(): ActorStats {
    return snapshot(this.name, this.placement, this.state, this.restarts, this.cell.counts, this.cell.stats);
  }
}

const WORKER_HOST = new URL('./worker-host.js', import.meta.url);

/** An actor in a worker thread of its own. */
class WorkerEntry<M> implements Supervised {
  readonly name: string;
  readonly placement: Placement = 'worker';
  readonly policy: RestartPolicy;
  readonly addr: PortAddr<M>;
  readonly firstStart: Promise<void>;
  restarts = 0;
  readonly #system: System;
  readonly #source: ActorModule<ActorClass>;
  readonly #capacities: readonly [number, number, number];
  readonly #counts = newCounts();
  readonly #stats = newStats(true);
  #worker: Worker | null = null;
  #state: ActorState = 'starting';
  #resolveFirstStart: () => void = () => undefined;
  #closedWaiters: (() => void)[] = [];
  #pendingPorts: LanePorts;

  constructor(system: System, name: string, config: SpawnConfig<M>, source: ActorModule<ActorClass>) {
    this.name = name;
    this.policy = config.policy;
    this.#system = system;
    this.#source = source;
    this.#capacities = capacities(config.capacity);
    this.firstStart = new Promise<void>((resolve) => {
      this.#resolveFirstStart = resolve;
    });
    const { senders, receivers } = lanePairs();
    this.#pendingPorts = receivers;
    this.addr = new PortAddr<M>(
      name,
      senders,
      this.#counts,
      this.#capacities,
      config.priority,
      (request, transfer) => {
        this.#worker?.postMessage(request, transfer);
      },
    );
  }

  get state(): ActorState {
    return this.#state;
  }

  begin(): void {
    const transfer: Transferable[] = [];
    let args: unknown[];
    try {
      args = packArgs(this.#source.args, transfer);
    } catch (error) {
      closePorts(transfer);
      throw new SpawnError(this.name, `cannot pass args to the worker: ${String(error)}`);
    }
    const lanes = this.#pendingPorts;
    const boot: WorkerBoot = {
      $doorwayActorWorker: 1,
      name: this.name,
      systemName: this.#system.name,
      module: this.#source.module.href,
      exportName: this.#source.export,
      args,
      lanes,
      counts: this.#counts.buffer as SharedArrayBuffer,
      stats: this.#stats.buffer as SharedArrayBuffer,
      capacities: this.#capacities,
      logLevel: this.#system.logger.level,
    };
    this.#state = 'starting';
    Atomics.store(this.#counts, COUNT_STATE, STATE_OPEN);
    let worker: Worker;
    try {
      worker = new Worker(WORKER_HOST, {
        workerData: boot,
        transferList: [...lanes, ...transfer],
        name: this.name,
      });
    } catch (error) {
      closePorts([...lanes, ...transfer]);
      throw new SpawnError(this.name, `cannot start a worker thread: ${String(error)}`);
    }
    this.#worker = worker;
    let reported = false;
    worker.on('message', (message: unknown) => {
      if (isFromWorker(message)) this.#onMessage(message);
    });
    worker.on('error', (error: Error) => {
      if (this.#worker !== worker) return;
      reported = true;
      this.#threadDied({ kind: 'failed', phase: 'thread', error });
    });
    worker.on('exit', (code: number) => {
      if (this.#worker !== worker || reported) return;
      this.#threadDied({
        kind: 'failed',
        phase: 'thread',
        error: new Error(`worker thread of actor '${this.name}' exited with code ${code}`),
      });
    });
  }

  #onMessage(message: FromWorker): void {
    switch (message.t) {
      case 'started':
        this.#state = 'running';
        this.#resolveFirstStart();
        break;
      case 'exited':
        this.#state = 'restarting';
        this.#system.exited(this, fromWireExit(message.exit));
        break;
      case 'closed':
        this.#finish();
        break;
      case 'shutdown':
        this.#system.requestShutdown({
          ...(message.reason === undefined ? {} : { reason: message.reason }),
          ...(message.exitCode === undefined ? {} : { exitCode: message.exitCode }),
        });
        break;
    }
  }

  /** The thread itself died (uncaught error in the actor's own callbacks, `process.exit`, out of memory). */
  #threadDied(exit: ActorExit): void {
    this.#worker = null;
    Atomics.store(this.#counts, COUNT_STATE, STATE_CLOSED);
    for (let lane = 0; lane < LANES.length; lane++) Atomics.store(this.#counts, lane, 0);
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      this.#finish();
      return;
    }
    this.#state = 'restarting';
    this.#system.exited(this, exit);
  }

  restart(): void {
    this.#state = 'starting';
    if (this.#worker !== null) {
      this.#post({ t: 'restart' });
      return;
    }
    const { senders, receivers } = lanePairs();
    this.addr.rebind(senders);
    this.#pendingPorts = receivers;
    try {
      this.begin();
    } catch (error) {
      this.#state = 'restarting';
      this.#system.exited(this, { kind: 'failed', phase: 'thread', error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    if (this.#state === 'stopped') return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#closedWaiters.push(resolve));
    if (this.#worker === null) {
      this.#finish();
    } else {
      this.#state = 'stopping';
      this.#post({ t: 'stop' });
    }
    return closed;
  }

  forceStop(): void {
    this.close();
  }

  close(): void {
    if (this.#state === 'stopped') return;
    this.#finish();
  }

  #finish(): void {
    this.#state = 'stopped';
    Atomics.store(this.#counts, COUNT_STATE, STATE_CLOSED);
    this.addr.close();
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) void worker.terminate();
    this.#resolveFirstStart();
    const waiters = this.#closedWaiters;
    this.#closedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #post(message: ToWorker): void {
    scheduler.flushPending(); // Messages sent before a command reach the worker first.
    this.#worker?.postMessage(message);
  }

  stats(): ActorStats {
    return snapshot(this.name, this.placement, this.#state, this.restarts, this.#counts, this.#stats);
  }
}

function lanePairs(): { senders: LanePorts; receivers: LanePorts } {
  const control = new MessageChannel();
  const high = new MessageChannel();
  const normal = new MessageChannel();
  return {
    senders: [control.port1, high.port1, normal.port1],
    receivers: [control.port2, high.port2, normal.port2],
  };
}
