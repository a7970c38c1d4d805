/**
 * Addresses. A {@link Recipient} is anything a message of type `M` can be sent to; an {@link Addr} is the
 * address of one actor, wherever it runs: in this event loop, in a worker thread, or in another process.
 * Sending never blocks: it returns a {@link SendResult}.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ActorDisconnectedError, AddrNotShareableError, MailboxFullError } from './errors.js';
import { scheduler, type Flushable } from './scheduler.js';
import { COUNT_DROPPED, COUNT_STATE, STATE_OPEN } from './stats.js';
import {
  DISCONNECTED,
  FULL,
  SENT,
  laneIndex,
  type LaneIndex,
  type PriorityFn,
  type SendResult,
  type Transferable,
} from './types.js';

export interface Recipient<M> {
  /** Name of the actor behind it. */
  readonly name: string;
  /** False once nothing will ever read what is sent (the actor stopped for good, its peer is gone). */
  readonly connected: boolean;
  /**
   * Queues `message`; `ok: false` with `full` when its lane is at capacity, `disconnected` when nobody
   * will read it. `transfer` lists buffers to move (not copy) to a worker thread; they become detached
   * here. It is ignored when the actor runs in this event loop (the object itself is handed over).
   */
  send(message: M, transfer?: readonly Transferable[]): SendResult;
  /** Like `send`, but when the lane is full the oldest queued message of that lane is dropped instead. */
  sendDropOldest(message: M, transfer?: readonly Transferable[]): SendResult;
  /** Like `send`, but throws `MailboxFullError` or `ActorDisconnectedError`: for senders that must not lose. */
  sendOrThrow(message: M, transfer?: readonly Transferable[]): void;
}

/**
 * An actor's address, handed out by `System.spawn(...).start()` and `Context.myself`. It stays valid
 * across restarts of the actor: messages sent while the actor restarts wait in its mailbox.
 */
export abstract class Addr<M> implements Recipient<M> {
  abstract readonly name: string;
  abstract readonly connected: boolean;
  abstract send(message: M, transfer?: readonly Transferable[]): SendResult;
  abstract sendDropOldest(message: M, transfer?: readonly Transferable[]): SendResult;
  /**
   * A cloneable form of this address for another thread: put it in a message (with
   * `transferablesOf(shared)` in the transfer list) or in a worker actor's `args`, and turn it back with
   * `Addr.fromShared`. Addresses of actors in other processes cannot be shared.
   */
  abstract share(): SharedAddr<M>;

  sendOrThrow(message: M, transfer?: readonly Transferable[]): void {
    const result = this.send(message, transfer);
    if (result.ok) return;
    switch (result.reason) {
      case 'full':
        throw new MailboxFullError(this.name);
      case 'disconnected':
        throw new ActorDisconnectedError(this.name);
    }
  }

  /** This address as a recipient of a narrower message type `N` (a member of the union `M`, say). */
  recipient<N extends M>(): Recipient<N> {
    return this;
  }

  /** A recipient of another message type, converted on each send. */
  map<N>(convert: (message: N) => M): Recipient<N> {
    return new MappedRecipient(this, convert);
  }

  /**
   * Rebuilds an address shared by another thread. `priority` picks lanes on this side (a function cannot
   * cross threads); without it every message goes to the normal lane.
   */
  static fromShared<M>(shared: SharedAddr<M>, priority?: PriorityFn<M>): Addr<M> {
    return new PortAddr<M>(
      shared.name,
      shared.lanes,
      new Int32Array(shared.counts),
      shared.capacities,
      priority ?? null,
      (request, transfer) => {
        shared.attach.postMessage(request, transfer);
      },
    );
  }
}

class MappedRecipient<N, M> implements Recipient<N> {
  readonly #target: Recipient<M>;
  readonly #convert: (message: N) => M;

  constructor(target: Recipient<M>, convert: (message: N) => M) {
    this.#target = target;
    this.#convert = convert;
  }

  get name(): string {
    return this.#target.name;
  }

  get connected(): boolean {
    return this.#target.connected;
  }

  send(message: N, transfer?: readonly Transferable[]): SendResult {
    return this.#target.send(this.#convert(message), transfer);
  }

  sendDropOldest(message: N, transfer?: readonly Transferable[]): SendResult {
    return this.#target.sendDropOldest(this.#convert(message), transfer);
  }

  sendOrThrow(message: N, transfer?: readonly Transferable[]): void {
    this.#target.sendOrThrow(this.#convert(message), transfer);
  }
}

/** Three lanes: control, high, normal. */
export type LanePorts = readonly [MessagePort, MessagePort, MessagePort];

/**
 * The cloneable form of an address (see `Addr.share`): one port per lane, a port to ask for further
 * shares, and the mailbox counters in shared memory, so that a sender in any thread sees `full` at once.
 */
export interface SharedAddr<M> {
  readonly $sharedAddr: 1;
  readonly name: string;
  readonly lanes: LanePorts;
  readonly attach: MessagePort;
  readonly counts: SharedArrayBuffer;
  readonly capacities: readonly [number, number, number];
  /** Type marker only; never present at run time. */
  readonly message?: (message: M) => void;
}

export function isSharedAddr(value: unknown): value is SharedAddr<unknown> {
  return (
    typeof value === 'object' && value !== null && (value as { $sharedAddr?: unknown }).$sharedAddr === 1
  );
}

/** The ports a shared address carries: what the transfer list of the message that carries it must hold. */
export function transferablesOf(shared: SharedAddr<unknown>): Transferable[] {
  return [...shared.lanes, shared.attach];
}

/** Asks the thread hosting an actor to serve one more set of lane ports. */
export interface AttachRequest {
  readonly $attach: 1;
  readonly lanes: LanePorts;
  readonly attach: MessagePort;
}

export function isAttachRequest(value: unknown): value is AttachRequest {
  return typeof value === 'object' && value !== null && (value as { $attach?: unknown }).$attach === 1;
}

/** Creates the channels of a new share: `local` ends are served by the host, `remote` ends travel. */
export function newShareChannels(): {
  local: AttachRequest;
  remote: Pick<AttachRequest, 'lanes' | 'attach'>;
} {
  const control = new MessageChannel();
  const high = new MessageChannel();
  const normal = new MessageChannel();
  const attach = new MessageChannel();
  return {
    local: { $attach: 1, lanes: [control.port1, high.port1, normal.port1], attach: attach.port1 },
    remote: { lanes: [control.port2, high.port2, normal.port2], attach: attach.port2 },
  };
}

/** What a {@link LocalAddr} needs from the actor cell behind it. */
export interface LocalMailbox<M> {
  readonly name: string;
  readonly open: boolean;
  enqueue(message: M, dropOldest: boolean): SendResult;
  share(): SharedAddr<M>;
}

/** Address of an actor in this thread's event loop. */
export class LocalAddr<M> extends Addr<M> {
  readonly #mailbox: LocalMailbox<M>;

  constructor(mailbox: LocalMailbox<M>) {
    super();
    this.#mailbox = mailbox;
  }

  get name(): string {
    return this.#mailbox.name;
  }

  get connected(): boolean {
    return this.#mailbox.open;
  }

  send(message: M, _transfer?: readonly Transferable[]): SendResult {
    return this.#mailbox.enqueue(message, false);
  }

  sendDropOldest(message: M, _transfer?: readonly Transferable[]): SendResult {
    return this.#mailbox.enqueue(message, true);
  }

  share(): SharedAddr<M> {
    return this.#mailbox.share();
  }
}

/** Most messages posted to another thread in one `postMessage`. */
const MAX_BATCH = 1024;

/**
 * Address of an actor in another thread: one `MessagePort` per lane; capacity is checked against shared
 * counters that the receiving thread decrements as it handles messages. Messages sent in one go (one
 * handler, one callback) are posted together, as one array per lane, at the end of the sender's turn:
 * one structured clone and one event instead of one per message. A message with a transfer list is
 * posted at once (with what is pending before it), so that its buffers are detached when `send` returns.
 */
export class PortAddr<M> extends Addr<M> implements Flushable {
  readonly #name: string;
  #ports: LanePorts;
  readonly #counts: Int32Array;
  readonly #capacities: readonly [number, number, number];
  readonly #priority: PriorityFn<M> | null;
  readonly #attach: (request: AttachRequest, transfer: Transferable[]) => void;
  readonly #batches: readonly [M[], M[], M[]] = [[], [], []];
  #flushRequested = false;
  #closed = false;

  constructor(
    name: string,
    ports: LanePorts,
    counts: Int32Array,
    capacities: readonly [number, number, number],
    priority: PriorityFn<M> | null,
    attach: (request: AttachRequest, transfer: Transferable[]) => void,
  ) {
    super();
    this.#name = name;
    this.#counts = counts;
    this.#capacities = capacities;
    this.#priority = priority;
    this.#attach = attach;
    this.#ports = ports;
    this.#watch(ports);
  }

  get name(): string {
    return this.#name;
  }

  get connected(): boolean {
    return !this.#closed && Atomics.load(this.#counts, COUNT_STATE) === STATE_OPEN;
  }

  send(message: M, transfer?: readonly Transferable[]): SendResult {
    return this.#post(message, transfer, false);
  }

  sendDropOldest(message: M, transfer?: readonly Transferable[]): SendResult {
    return this.#post(message, transfer, true);
  }

  share(): SharedAddr<M> {
    if (!this.connected) throw new AddrNotShareableError(this.#name, 'the actor is disconnected');
    const { local, remote } = newShareChannels();
    this.#attach(local, [...local.lanes, local.attach]);
    return {
      $sharedAddr: 1,
      name: this.#name,
      lanes: remote.lanes,
      attach: remote.attach,
      counts: this.#counts.buffer as SharedArrayBuffer,
      capacities: this.#capacities,
    };
  }

  /** Points this address at new ports (the worker thread behind it was replaced). */
  rebind(ports: LanePorts): void {
    for (const port of this.#ports) port.close();
    this.#ports = ports;
    this.#closed = false;
    this.#watch(ports);
  }

  /** Closes the ports; sends return `disconnected` from now on. */
  close(): void {
    this.#closed = true;
    for (const port of this.#ports) port.close();
  }

  #watch(ports: LanePorts): void {
    for (const port of ports) {
      port.once('close', () => {
        if (this.#ports === ports) this.#closed = true;
      });
      port.unref();
    }
  }

  #post(message: M, transfer: readonly Transferable[] | undefined, dropOldest: boolean): SendResult {
    const counts = this.#counts;
    if (this.#closed || Atomics.load(counts, COUNT_STATE) !== STATE_OPEN) return DISCONNECTED;
    const priority = this.#priority;
    const lane: LaneIndex = priority === null ? 2 : laneIndex(priority(message));
    if (!dropOldest && Atomics.load(counts, lane) >= this.#capacities[lane]) {
      Atomics.add(counts, COUNT_DROPPED, 1);
      return FULL;
    }
    Atomics.add(counts, lane, 1);
    const batch = this.#batches[lane];
    batch.push(message);
    if (transfer !== undefined && transfer.length > 0) {
      this.#postLane(lane, transfer);
    } else if (batch.length >= MAX_BATCH) {
      this.#postLane(lane, undefined);
    } else if (!this.#flushRequested) {
      this.#flushRequested = true;
      scheduler.requestFlush(this);
    }
    return SENT;
  }

  /** Posts what is pending, lane by lane. */
  flush(): void {
    this.#flushRequested = false;
    if (this.#batches[0].length > 0) this.#postLane(0, undefined);
    if (this.#batches[1].length > 0) this.#postLane(1, undefined);
    if (this.#batches[2].length > 0) this.#postLane(2, undefined);
  }

  #postLane(lane: LaneIndex, transfer: readonly Transferable[] | undefined): void {
    const batch = this.#batches[lane];
    try {
      this.#ports[lane].postMessage(batch, transfer);
    } catch (error) {
      this.#postOneByOne(lane, batch, transfer, error);
    }
    batch.length = 0;
  }

  /** A batch failed to clone: post its messages one by one, dropping (and reporting) those that fail. */
  #postOneByOne(
    lane: LaneIndex,
    batch: readonly M[],
    transfer: readonly Transferable[] | undefined,
    error: unknown,
  ): void {
    const last = batch.length - 1;
    for (let i = 0; i <= last; i++) {
      try {
        this.#ports[lane].postMessage([batch[i]], i === last ? transfer : undefined);
      } catch {
        Atomics.sub(this.#counts, lane, 1);
        Atomics.add(this.#counts, COUNT_DROPPED, 1);
        process.emitWarning(
          `a message to actor '${this.#name}' was dropped: it cannot be sent to another thread (${String(error)})`,
          'ActorWarning',
        );
      }
    }
  }
}
