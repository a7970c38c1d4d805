/**
 * The actor cell: one actor's mailbox (three bounded lanes), its timers, its counters, and the loop that
 * hands messages to the actor. Cells run on the thread's {@link scheduler}; the same cell type hosts an
 * actor in the main event loop or inside a worker thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from '../log/index.js';
import type { Actor, Context, SystemHandle } from './actor.js';
import {
  LocalAddr,
  isAttachRequest,
  newShareChannels,
  type Addr,
  type LanePorts,
  type LocalMailbox,
  type SharedAddr,
} from './addr.js';
import type { Clock, ClockTimer } from './clock.js';
import { AddrNotShareableError, toError } from './errors.js';
import { Ring } from './ring.js';
import { scheduler, type Runnable } from './scheduler.js';
import {
  COUNT_STATE,
  STATE_CLOSED,
  STAT_BUCKETS,
  STAT_DROPPED,
  STAT_FAILED,
  STAT_HANDLED,
  STAT_HIGH_WATER,
  STAT_RECEIVED,
  STAT_TICKS_SKIPPED,
  bucketOf,
  newCounts,
  newStats,
  type ActorState,
} from './stats.js';
import { TimerEntry, TimerHeap } from './timers.js';
import {
  DISCONNECTED,
  FULL,
  SENT,
  laneIndex,
  ms,
  type ActorExit,
  type FailurePhase,
  type LaneIndex,
  type Milliseconds,
  type PriorityFn,
  type SendResult,
  type TimerId,
} from './types.js';

/** Where a cell reports to: its supervisor. */
export interface CellHost<M> {
  readonly system: SystemHandle;
  /** The actor's `started` hook returned; it now handles messages. */
  started(cell: ActorCell<M>): void;
  /** This run of the actor ended (its `stopped` hook, if due, has run); restart it or close the cell. */
  exited(cell: ActorCell<M>, exit: ActorExit): void;
}

export type ActorFactory<M> = () => Actor<M> | Promise<Actor<M>>;

export interface CellOptions<M> {
  readonly name: string;
  readonly capacities: readonly [number, number, number];
  readonly priority: PriorityFn<M> | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly host: CellHost<M>;
  /** Shared counters and stats, when the supervisor lives in another thread. */
  readonly counts?: Int32Array;
  readonly stats?: Float64Array;
}

const IDLE = 0;
const STARTING = 1;
const RUNNING = 2;
const STOPPING = 3;
const EXITED = 4;
const CLOSED = 5;
type CellState =
  typeof IDLE | typeof STARTING | typeof RUNNING | typeof STOPPING | typeof EXITED | typeof CLOSED;

type StopRequest = 'self' | 'shutdown' | null;
type Item<M> = M | TimerEntry<M>;

const NORMAL_EXIT: ActorExit = Object.freeze({ kind: 'normal' });

/** Adds to a counter slot (typed-array reads are `number | undefined` under noUncheckedIndexedAccess). */
function bump(stats: Float64Array, slot: number, amount: number): void {
  stats[slot] = Number(stats[slot]) + amount;
}

export class ActorCell<M> implements Runnable, LocalMailbox<M> {
  scheduled = false;
  readonly name: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly counts: Int32Array;
  readonly stats: Float64Array;
  readonly capacities: readonly [number, number, number];
  readonly myself: Addr<M>;
  readonly #lanes: readonly [Ring<Item<M>>, Ring<Item<M>>, Ring<Item<M>>];
  /** User messages (not timer entries) in each lane's ring. */
  readonly #queued: [number, number, number] = [0, 0, 0];
  readonly #host: CellHost<M>;
  readonly #priority: PriorityFn<M> | null;
  readonly #context: ActorContext<M>;
  #actor: Actor<M> | null = null;
  #state: CellState = IDLE;
  #stopRequest: StopRequest = null;
  #closeWaiters: (() => void)[] = [];
  readonly #hosted: MessagePort[] = [];
  // Timers.
  readonly #timers = new TimerHeap<M>();
  readonly #timerIds = new Map<number, TimerEntry<M>>();
  #nextTimerId = 1;
  #deadline: TimerEntry<M> | null = null;
  #wake: ClockTimer | null = null;
  #wakeAt = Infinity;
  readonly #onWake = (): void => {
    this.#wake = null;
    this.#wakeAt = Infinity;
    if (this.#state === RUNNING) {
      this.#queueDueTimers(this.clock.now());
      if (!this.scheduled && this.hasWork()) scheduler.schedule(this, false);
    }
    this.#armWake();
  };

  constructor(options: CellOptions<M>) {
    this.name = options.name;
    this.logger = options.logger;
    this.clock = options.clock;
    this.capacities = options.capacities;
    this.#host = options.host;
    this.#priority = options.priority;
    this.counts = options.counts ?? newCounts();
    this.stats = options.stats ?? newStats(false);
    const [control, high, normal] = options.capacities;
    this.#lanes = [
      new Ring(Math.min(control, 1024)),
      new Ring(Math.min(high, 1024)),
      new Ring(Math.min(normal, 1024)),
    ];
    this.myself = new LocalAddr(this);
    this.#context = new ActorContext(this);
  }

  get open(): boolean {
    return this.#state !== CLOSED;
  }

  get actorState(): ActorState {
    switch (this.#state) {
      case IDLE:
      case STARTING:
        return 'starting';
      case RUNNING:
        return 'running';
      case STOPPING:
        return 'stopping';
      case EXITED:
        return 'restarting';
      case CLOSED:
        return 'stopped';
    }
  }

  get systemHandle(): SystemHandle {
    return this.#host.system;
  }

  // ---- Mailbox ----------------------------------------------------------------------------------------

  enqueue(message: M, dropOldest: boolean): SendResult {
    if (this.#state === CLOSED) return DISCONNECTED;
    const lane = this.#laneOf(message);
    const counts = this.counts;
    if (Atomics.load(counts, lane) >= this.capacities[lane]) {
      if (!dropOldest) {
        bump(this.stats, STAT_DROPPED, 1);
        return FULL;
      }
      this.#evictOldest(lane);
    }
    Atomics.add(counts, lane, 1);
    this.#push(lane, message);
    if (!this.scheduled && this.#state === RUNNING) scheduler.schedule(this, false);
    return SENT;
  }

  /** A message from another thread, already counted by its sender. */
  arrive(lane: LaneIndex, message: M): void {
    if (this.#state === CLOSED) return;
    if (this.#queued[lane] >= this.capacities[lane]) this.#evictOldest(lane);
    this.#push(lane, message);
    if (!this.scheduled && this.#state === RUNNING) scheduler.schedule(this, true);
  }

  share(): SharedAddr<M> {
    if (this.#state === CLOSED) throw new AddrNotShareableError(this.name, 'the actor is stopped');
    const { local, remote } = newShareChannels();
    this.hostPorts(local.lanes, local.attach, false);
    return {
      $sharedAddr: 1,
      name: this.name,
      lanes: remote.lanes,
      attach: remote.attach,
      counts: this.counts.buffer as SharedArrayBuffer,
      capacities: this.capacities,
    };
  }

  /** Serves messages arriving on `lanes` (and share requests on `attach`) until the cell closes. */
  hostPorts(lanes: LanePorts, attach: MessagePort | null, keepAlive: boolean): void {
    this.#listen(lanes[0], 0, keepAlive);
    this.#listen(lanes[1], 1, keepAlive);
    this.#listen(lanes[2], 2, keepAlive);
    if (attach === null) return;
    this.#hosted.push(attach);
    attach.on('message', (request: unknown) => {
      if (isAttachRequest(request)) this.hostPorts(request.lanes, request.attach, false);
    });
    attach.unref();
  }

  #listen(port: MessagePort, lane: LaneIndex, keepAlive: boolean): void {
    this.#hosted.push(port);
    port.on('message', (batch: readonly M[]) => {
      for (const message of batch) this.arrive(lane, message);
    });
    if (!keepAlive) port.unref();
  }

  #laneOf(message: M): LaneIndex {
    const priority = this.#priority;
    if (priority !== null) return laneIndex(priority(message));
    const actor = this.#actor;
    return actor?.priority === undefined ? 2 : laneIndex(actor.priority(message));
  }

  #push(lane: LaneIndex, item: M): void {
    this.#lanes[lane].push(item);
    const queued = ++this.#queued[lane];
    const stats = this.stats;
    bump(stats, STAT_RECEIVED, 1);
    if (queued > Number(stats[STAT_HIGH_WATER + lane])) stats[STAT_HIGH_WATER + lane] = queued;
  }

  /** Drops the oldest message of a lane (timer entries are kept, moved behind it). */
  #evictOldest(lane: LaneIndex): void {
    const ring = this.#lanes[lane];
    for (let scan = ring.length; scan > 0; scan--) {
      const head = ring.shift() as Item<M>;
      if (head instanceof TimerEntry) {
        ring.push(head);
        continue;
      }
      this.#queued[lane]--;
      Atomics.sub(this.counts, lane, 1);
      bump(this.stats, STAT_DROPPED, 1);
      return;
    }
  }

  // ---- Running ----------------------------------------------------------------------------------------

  hasWork(): boolean {
    if (this.#state !== RUNNING) return false;
    return (
      this.#stopRequest !== null ||
      this.#lanes[0].length > 0 ||
      this.#lanes[1].length > 0 ||
      this.#lanes[2].length > 0
    );
  }

  run(quantum: number): number {
    const actor = this.#actor;
    if (this.#state !== RUNNING || actor === null) return 0;
    const context = this.#context;
    const clock = this.clock;
    const stats = this.stats;
    const counts = this.counts;
    const queued = this.#queued;
    const [control, high, normal] = this.#lanes;
    let handled = 0;
    let t0: number = clock.now();
    while (handled < quantum) {
      if (this.#stopRequest !== null) {
        this.#beginStop();
        return handled;
      }
      if (t0 >= this.#timers.nextAt) this.#queueDueTimers(ms(t0));
      let lane: LaneIndex;
      let item: Item<M> | undefined;
      if (control.length > 0) {
        lane = 0;
        item = control.shift();
      } else if (high.length > 0) {
        lane = 1;
        item = high.shift();
      } else if (normal.length > 0) {
        lane = 2;
        item = normal.shift();
      } else {
        break;
      }
      let phase: FailurePhase = 'handle';
      try {
        if (item instanceof TimerEntry) {
          if (item.kind === 'deadline') phase = 'deadline';
          if (!this.#deliverTimer(actor, item)) continue;
        } else {
          queued[lane]--;
          Atomics.sub(counts, lane, 1);
          actor.handle(context, item as M);
        }
      } catch (error) {
        bump(stats, STAT_HANDLED, 1);
        this.#fail(phase, error);
        return handled + 1;
      }
      const t1 = clock.now();
      bump(stats, STAT_BUCKETS + bucketOf(t1 - t0), 1);
      bump(stats, STAT_HANDLED, 1);
      t0 = t1;
      handled++;
    }
    this.#armWake();
    return handled;
  }

  // ---- Lifecycle --------------------------------------------------------------------------------------

  /** Creates the actor and runs its `started` hook; messages queue meanwhile. */
  start(factory: ActorFactory<M>): void {
    this.#state = STARTING;
    let created: Actor<M> | Promise<Actor<M>>;
    try {
      created = factory();
    } catch (error) {
      this.#exit({ kind: 'failed', phase: 'create', error: toError(this.name, error) });
      return;
    }
    if (created instanceof Promise) {
      created.then(
        (actor) => {
          this.#started(actor);
        },
        (error: unknown) => {
          this.#exit({ kind: 'failed', phase: 'create', error: toError(this.name, error) });
        },
      );
    } else {
      this.#started(created);
    }
  }

  /** Starts a fresh actor after an exit, keeping the mailbox. */
  restart(factory: ActorFactory<M>): void {
    if (this.#state !== EXITED) return;
    this.start(factory);
  }

  /** Ends this run normally once the current message is handled (`ctx.stop()`). */
  stopSelf(): void {
    if (this.#state !== RUNNING || this.#stopRequest !== null) return;
    this.#stopRequest = 'self';
    if (!this.scheduled) scheduler.schedule(this, false);
  }

  /**
   * Stops the actor for good: after the current message, `stopped` runs and the mailbox closes. Resolves
   * once closed.
   */
  shutdown(): Promise<void> {
    const closed = this.whenClosed();
    switch (this.#state) {
      case IDLE:
      case EXITED:
        this.close();
        break;
      case STARTING:
      case STOPPING:
        this.#stopRequest = 'shutdown';
        break;
      case RUNNING:
        this.#stopRequest = 'shutdown';
        if (!this.scheduled) scheduler.schedule(this, false);
        break;
      case CLOSED:
        break;
    }
    return closed;
  }

  whenClosed(): Promise<void> {
    if (this.#state === CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
  }

  /** Closes the mailbox now: queued messages are dropped, senders see `disconnected`. No hook runs. */
  close(): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#stopRequest = null;
    this.#cancelTimers();
    Atomics.store(this.counts, COUNT_STATE, STATE_CLOSED);
    for (let lane = 0; lane < 3; lane++) {
      this.#lanes[lane as LaneIndex].clear();
      this.#queued[lane as LaneIndex] = 0;
      Atomics.store(this.counts, lane, 0);
    }
    for (const port of this.#hosted) port.close();
    this.#hosted.length = 0;
    this.#actor = null;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #started(actor: Actor<M>): void {
    this.#actor = actor;
    let result: void | Promise<void>;
    try {
      result = actor.started?.(this.#context);
    } catch (error) {
      this.#exit({ kind: 'failed', phase: 'started', error: toError(this.name, error) });
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => {
          this.#running();
        },
        (error: unknown) => {
          this.#exit({ kind: 'failed', phase: 'started', error: toError(this.name, error) });
        },
      );
    } else {
      this.#running();
    }
  }

  #running(): void {
    if (this.#state !== STARTING) return;
    this.#state = RUNNING;
    this.#host.started(this);
    if (this.#stopRequest !== null) {
      this.#beginStop();
      return;
    }
    this.#armWake();
    if (!this.scheduled && this.hasWork()) scheduler.schedule(this, false);
  }

  #beginStop(): void {
    const request = this.#stopRequest;
    this.#stopRequest = null;
    this.#state = STOPPING;
    this.#cancelTimers();
    this.#callStopped(() => {
      if (request === 'shutdown' || this.#stopRequest === 'shutdown') this.close();
      else this.#exit(NORMAL_EXIT);
    });
  }

  #fail(phase: FailurePhase, thrown: unknown): void {
    const error = toError(this.name, thrown);
    this.#state = STOPPING;
    this.#cancelTimers();
    this.#callStopped(() => {
      this.#exit({ kind: 'failed', phase, error });
    });
  }

  #callStopped(then: () => void): void {
    const actor = this.#actor;
    let result: void | Promise<void>;
    try {
      result = actor?.stopped?.(this.#context);
    } catch (error) {
      this.#stoppedFailed(error);
      then();
      return;
    }
    if (result instanceof Promise) {
      result.then(then, (error: unknown) => {
        this.#stoppedFailed(error);
        then();
      });
    } else {
      then();
    }
  }

  #stoppedFailed(error: unknown): void {
    bump(this.stats, STAT_FAILED, 1);
    this.logger.error(
      { err: toError(this.name, error), actor: this.name },
      `actor '${this.name}' failed in stopped`,
    );
  }

  #exit(exit: ActorExit): void {
    if (this.#state === CLOSED) return;
    if (exit.kind === 'failed') bump(this.stats, STAT_FAILED, 1);
    this.#cancelTimers();
    this.#actor = null;
    if (this.#stopRequest === 'shutdown') {
      this.close();
      return;
    }
    this.#state = EXITED;
    this.#host.exited(this, exit);
  }

  // ---- Timers -----------------------------------------------------------------------------------------

  get deadline(): Milliseconds | null {
    const entry = this.#deadline;
    return entry !== null && (entry.index >= 0 || entry.queued) ? entry.at : null;
  }

  setDeadline(at: Milliseconds | null): void {
    let entry = this.#deadline;
    if (at === null) {
      if (entry !== null) {
        this.#timers.remove(entry);
        entry.cancelled = true;
        this.#deadline = null;
      }
    } else if (entry !== null && !entry.queued) {
      this.#timers.reschedule(entry, at);
    } else {
      if (entry !== null) entry.cancelled = true;
      entry = new TimerEntry<M>(this.#nextTimerId++, 'deadline', at, ms(0), undefined, 1);
      this.#deadline = entry;
      this.#timers.push(entry);
    }
    this.#armWake();
  }

  addTimer(message: M, at: Milliseconds, interval: Milliseconds | null): TimerId {
    const id = this.#nextTimerId++;
    const entry = new TimerEntry<M>(
      id,
      interval === null ? 'once' : 'recurring',
      at,
      interval ?? ms(0),
      message,
      this.#laneOf(message),
    );
    this.#timerIds.set(id, entry);
    this.#timers.push(entry);
    this.#armWake();
    return id as TimerId;
  }

  cancelTimer(id: TimerId): boolean {
    const entry = this.#timerIds.get(id);
    if (entry === undefined) return false;
    this.#timerIds.delete(id);
    entry.cancelled = true;
    this.#timers.remove(entry);
    this.#armWake();
    return true;
  }

  /** Moves every due timer to the tail of its lane. */
  #queueDueTimers(now: Milliseconds): void {
    const timers = this.#timers;
    for (let entry = timers.peek(); entry !== undefined && entry.at <= now; entry = timers.peek()) {
      timers.remove(entry);
      switch (entry.kind) {
        case 'once':
        case 'deadline':
          entry.queued = true;
          this.#lanes[entry.lane].push(entry);
          break;
        case 'recurring': {
          if (entry.queued) {
            bump(this.stats, STAT_TICKS_SKIPPED, 1);
          } else {
            entry.queued = true;
            this.#lanes[entry.lane].push(entry);
          }
          let next = entry.at + entry.interval;
          if (next <= now) {
            const missed = Math.floor((now - entry.at) / entry.interval);
            bump(this.stats, STAT_TICKS_SKIPPED, missed);
            next = entry.at + (missed + 1) * entry.interval;
          }
          timers.reschedule(entry, ms(next));
          break;
        }
      }
    }
  }

  /** Hands a due timer to the actor; false if it was cancelled meanwhile. */
  #deliverTimer(actor: Actor<M>, entry: TimerEntry<M>): boolean {
    entry.queued = false;
    if (entry.cancelled) return false;
    switch (entry.kind) {
      case 'once':
        this.#timerIds.delete(entry.id);
        actor.handle(this.#context, entry.message as M);
        return true;
      case 'recurring':
        actor.handle(this.#context, entry.message as M);
        return true;
      case 'deadline':
        if (actor.deadlinePassed === undefined) return false;
        actor.deadlinePassed(this.#context, entry.at);
        return true;
    }
  }

  #cancelTimers(): void {
    for (const entry of this.#timerIds.values()) entry.cancelled = true;
    this.#timerIds.clear();
    if (this.#deadline !== null) this.#deadline.cancelled = true;
    this.#deadline = null;
    this.#timers.clear();
    this.#armWake();
  }

  #armWake(): void {
    const next = this.#timers.nextAt;
    if (next === this.#wakeAt) return;
    this.#wake?.cancel();
    this.#wake = null;
    this.#wakeAt = next;
    if (next !== Infinity) this.#wake = this.clock.setTimer(ms(next - this.clock.now()), this.#onWake);
  }
}

/** The {@link Context} handed to an actor's hooks. */
class ActorContext<M> implements Context<M> {
  readonly #cell: ActorCell<M>;

  constructor(cell: ActorCell<M>) {
    this.#cell = cell;
  }

  get name(): string {
    return this.#cell.name;
  }

  get myself(): Addr<M> {
    return this.#cell.myself;
  }

  get system(): SystemHandle {
    return this.#cell.systemHandle;
  }

  get clock(): Clock {
    return this.#cell.clock;
  }

  get logger(): Logger {
    return this.#cell.logger;
  }

  get deadline(): Milliseconds | null {
    return this.#cell.deadline;
  }

  setDeadline(at: Milliseconds | null): void {
    this.#cell.setDeadline(at);
  }

  setTimeout(after: Milliseconds | null): void {
    this.#cell.setDeadline(after === null ? null : ms(this.#cell.clock.now() + after));
  }

  sendAt(message: M, at: Milliseconds): TimerId {
    return this.#cell.addTimer(message, at, null);
  }

  sendAfter(message: M, delay: Milliseconds): TimerId {
    return this.#cell.addTimer(message, ms(this.#cell.clock.now() + delay), null);
  }

  sendEvery(message: M, interval: Milliseconds, firstAt?: Milliseconds): TimerId {
    if (!(interval > 0)) throw new RangeError(`sendEvery: interval must be positive, got ${interval}`);
    return this.#cell.addTimer(message, firstAt ?? ms(this.#cell.clock.now() + interval), interval);
  }

  cancelTimer(id: TimerId): boolean {
    return this.#cell.cancelTimer(id);
  }

  stop(): void {
    this.#cell.stopSelf();
  }
}
