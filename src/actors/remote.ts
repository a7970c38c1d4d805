/**
 * Addresses across processes of the same doorway (the video, audio and control roles). A
 * {@link RemoteNode} listens on a Unix socket and exposes some of its actors by name; another process
 * connects with `node.peer(socketPath)` and gets typed addresses of those actors. Frames are a 4-byte
 * big-endian length and a msgpackr body. Connections come back by themselves (exponential backoff), and
 * heartbeats catch a peer that hangs; while a peer is unreachable its addresses answer `disconnected`,
 * never hang. Meant for control messages and stats, not media.
 */
import { EventEmitter } from 'node:events';
import { existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Packr } from 'msgpackr';
import { createLogRoot, type Logger } from '../log/index.js';
import { Addr, type Recipient, type SharedAddr } from './addr.js';
import { realClock, type Clock, type ClockTimer } from './clock.js';
import { AddrNotShareableError, RemoteProtocolError } from './errors.js';
import {
  DISCONNECTED,
  FULL,
  SENT,
  ms,
  type Milliseconds,
  type SendResult,
  type Transferable,
} from './types.js';

/** Checks that a value received from another process is a message of the exposed actor's type. */
export type MessageGuard<M> = (value: unknown) => value is M;

export interface RemoteNodeOptions {
  /** Name of this process's role, sent to peers in the greeting and used in logs. */
  readonly name: string;
  /** Where `listen()` listens. */
  readonly socketPath?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Delay before the first reconnection attempt, doubling up to `maxDelay`. Default 50 ms to 2 s. */
  readonly reconnect?: { readonly initialDelay: Milliseconds; readonly maxDelay: Milliseconds };
  /** A ping every `interval`; a peer silent for `timeout` is dropped. Default 1 s and 3 s. */
  readonly heartbeat?: { readonly interval: Milliseconds; readonly timeout: Milliseconds };
  /** Bytes waiting in a connection's write buffer beyond which sends answer `full`. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** Largest frame accepted. Default 16 MiB. */
  readonly maxFrameBytes?: number;
}

/** Counters of a node, for the metrics endpoint. */
export interface RemoteStats {
  /** Messages received and delivered to an exposed actor. */
  readonly delivered: number;
  /** Received messages refused: unknown actor, or failing the actor's guard. */
  readonly rejected: number;
  /** Received messages the exposed actor's mailbox refused (full or disconnected). */
  readonly undeliverable: number;
  /** Messages sent to peers. */
  readonly sent: number;
  readonly connectedPeers: number;
}

const PROTOCOL_VERSION = 1;
const FRAME_HELLO = 0;
const FRAME_MESSAGE = 1;
const FRAME_PING = 2;

type Frame =
  | readonly [typeof FRAME_HELLO, string, number]
  | readonly [typeof FRAME_MESSAGE, string, unknown]
  | readonly [typeof FRAME_PING];

function parseFrame(value: unknown): Frame | null {
  if (!Array.isArray(value)) return null;
  const items = value as unknown[];
  switch (items[0]) {
    case FRAME_HELLO:
      return typeof items[1] === 'string' && typeof items[2] === 'number'
        ? [FRAME_HELLO, items[1], items[2]]
        : null;
    case FRAME_MESSAGE:
      return typeof items[1] === 'string' && items.length === 3 ? [FRAME_MESSAGE, items[1], items[2]] : null;
    case FRAME_PING:
      return [FRAME_PING];
    default:
      return null;
  }
}

interface Settings {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly heartbeat: { readonly interval: Milliseconds; readonly timeout: Milliseconds };
  readonly maxQueuedBytes: number;
  readonly maxFrameBytes: number;
}

/** One socket: framing, greeting, heartbeat. */
class Connection {
  readonly #socket: Socket;
  readonly #settings: Settings;
  readonly #packr = new Packr({ useRecords: false });
  readonly #onFrame: (frame: Frame) => void;
  #pending: Buffer | null = null;
  #lastSeen: number;
  #heartbeat: ClockTimer | null = null;
  #open = true;
  peerName = '?';

  constructor(socket: Socket, settings: Settings, onFrame: (frame: Frame) => void, onClose: () => void) {
    this.#socket = socket;
    this.#settings = settings;
    this.#onFrame = onFrame;
    this.#lastSeen = settings.clock.now();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#receive(chunk);
    });
    socket.on('error', (error: Error) => {
      settings.logger.debug({ err: error, peer: this.peerName }, 'remote connection error');
    });
    socket.on('close', () => {
      this.#open = false;
      this.#heartbeat?.cancel();
      onClose();
    });
    this.#beat();
  }

  get open(): boolean {
    return this.#open;
  }

  get queuedBytes(): number {
    return this.#socket.writableLength;
  }

  write(frame: Frame): void {
    const body = this.#packr.pack(frame);
    const out = Buffer.allocUnsafe(4 + body.length);
    out.writeUInt32BE(body.length, 0);
    body.copy(out, 4);
    this.#socket.write(out);
  }

  destroy(): void {
    this.#open = false;
    this.#heartbeat?.cancel();
    this.#socket.destroy();
  }

  #beat(): void {
    const { clock, heartbeat } = this.#settings;
    this.#heartbeat = clock.setTimer(heartbeat.interval, () => {
      if (!this.#open) return;
      if (clock.now() - this.#lastSeen > heartbeat.timeout) {
        this.#settings.logger.warn({ peer: this.peerName }, `remote peer '${this.peerName}' timed out`);
        this.destroy();
        return;
      }
      this.write([FRAME_PING]);
      this.#beat();
    });
  }

  #receive(chunk: Buffer): void {
    this.#lastSeen = this.#settings.clock.now();
    let buffer = this.#pending === null ? chunk : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    while (this.#open && buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset);
      if (length > this.#settings.maxFrameBytes) {
        this.#protocolError(`frame of ${length} bytes exceeds the limit`);
        return;
      }
      if (buffer.length - offset - 4 < length) break;
      const body = buffer.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      let frame: Frame | null;
      try {
        frame = parseFrame(this.#packr.unpack(body));
      } catch {
        frame = null;
      }
      if (frame === null) {
        this.#protocolError('undecodable frame');
        return;
      }
      this.#onFrame(frame);
    }
    if (offset === buffer.length) {
      this.#pending = null;
    } else {
      if (offset > 0) buffer = buffer.subarray(offset);
      this.#pending = buffer;
    }
  }

  #protocolError(reason: string): void {
    const error = new RemoteProtocolError(this.peerName, reason);
    this.#settings.logger.warn({ err: error }, error.message);
    this.destroy();
  }
}

interface PeerEvents {
  connected: [];
  disconnected: [];
}

/**
 * The connection to one other process. It connects in the background and reconnects whenever the
 * connection drops; `recipient()` gives addresses of that process's exposed actors.
 */
export class RemotePeer extends EventEmitter<PeerEvents> {
  readonly path: string;
  readonly #settings: Settings;
  readonly #node: RemoteNode;
  readonly #reconnect: { readonly initialDelay: Milliseconds; readonly maxDelay: Milliseconds };
  #connection: Connection | null = null;
  #ready = false;
  #closed = false;
  #attempt = 0;
  #retry: ClockTimer | null = null;

  /** @internal Use `RemoteNode.peer`. */
  constructor(
    node: RemoteNode,
    path: string,
    settings: Settings,
    reconnect: { readonly initialDelay: Milliseconds; readonly maxDelay: Milliseconds },
  ) {
    super();
    this.#node = node;
    this.path = path;
    this.#settings = settings;
    this.#reconnect = reconnect;
    this.#connect();
  }

  /** Whether a connection is up; sends answer `disconnected` otherwise. */
  get connected(): boolean {
    return this.#ready && this.#connection?.open === true;
  }

  /** Resolves once connected (at once if already). */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise<void>((resolve) => this.once('connected', resolve));
  }

  /** Resolves once disconnected (at once if already). */
  whenDisconnected(): Promise<void> {
    if (!this.connected) return Promise.resolve();
    return new Promise<void>((resolve) => this.once('disconnected', resolve));
  }

  /**
   * Address of the actor the peer exposes as `actor`. `M` is trusted here and checked by the guard on
   * the receiving side. Messages must be msgpack-encodable: no native handles, no ports.
   */
  recipient<M>(actor: string): Addr<M> {
    return new RemoteAddr<M>(this, actor);
  }

  /** @internal */
  sendTo(actor: string, message: unknown): SendResult {
    const connection = this.#connection;
    if (!this.#ready || !connection?.open) return DISCONNECTED;
    if (connection.queuedBytes > this.#settings.maxQueuedBytes) return FULL;
    connection.write([FRAME_MESSAGE, actor, message]);
    this.#node.countSent();
    return SENT;
  }

  /** Stops reconnecting and drops the connection. */
  close(): void {
    this.#closed = true;
    this.#retry?.cancel();
    this.#connection?.destroy();
  }

  #connect(): void {
    if (this.#closed) return;
    const socket = createConnection(this.path);
    const connection = new Connection(
      socket,
      this.#settings,
      (frame) => {
        if (frame[0] === FRAME_HELLO) connection.peerName = frame[1];
      },
      () => {
        this.#dropped(connection);
      },
    );
    this.#connection = connection;
    socket.once('connect', () => {
      if (this.#closed) return;
      this.#attempt = 0;
      this.#ready = true;
      connection.write([FRAME_HELLO, this.#node.name, PROTOCOL_VERSION]);
      this.#settings.logger.info({ peer: this.path }, `connected to ${this.path}`);
      this.emit('connected');
    });
  }

  #dropped(connection: Connection): void {
    if (this.#connection !== connection) return;
    const wasReady = this.#ready;
    this.#ready = false;
    if (wasReady) {
      this.#settings.logger.warn({ peer: this.path }, `disconnected from ${this.path}`);
      this.emit('disconnected');
    }
    if (this.#closed) return;
    const { initialDelay, maxDelay } = this.#reconnect;
    const delay = Math.min(maxDelay, initialDelay * 2 ** Math.min(this.#attempt, 20));
    this.#attempt++;
    this.#retry = this.#settings.clock.setTimer(ms(delay), () => {
      this.#connect();
    });
  }
}

class RemoteAddr<M> extends Addr<M> {
  readonly #peer: RemotePeer;
  readonly #actor: string;

  constructor(peer: RemotePeer, actor: string) {
    super();
    this.#peer = peer;
    this.#actor = actor;
  }

  get name(): string {
    return this.#actor;
  }

  get connected(): boolean {
    return this.#peer.connected;
  }

  send(message: M, _transfer?: readonly Transferable[]): SendResult {
    return this.#peer.sendTo(this.#actor, message);
  }

  /** Same as `send`: the remote mailbox cannot be reached from here to evict anything. */
  sendDropOldest(message: M, _transfer?: readonly Transferable[]): SendResult {
    return this.#peer.sendTo(this.#actor, message);
  }

  share(): SharedAddr<M> {
    throw new AddrNotShareableError(this.#actor, 'it points at another process');
  }
}

interface Exposed {
  readonly target: Recipient<unknown>;
  readonly guard: MessageGuard<unknown>;
}

/** This process's end of the cross-process links. */
export class RemoteNode {
  readonly name: string;
  readonly #socketPath: string | undefined;
  readonly #settings: Settings;
  readonly #reconnect: { readonly initialDelay: Milliseconds; readonly maxDelay: Milliseconds };
  readonly #exposed = new Map<string, Exposed>();
  readonly #peers = new Map<string, RemotePeer>();
  readonly #inbound = new Set<Connection>();
  #server: Server | null = null;
  #keepAlive: NodeJS.Timeout | null = null;
  #delivered = 0;
  #rejected = 0;
  #undeliverable = 0;
  #sent = 0;

  constructor(options: RemoteNodeOptions) {
    this.name = options.name;
    this.#socketPath = options.socketPath;
    this.#settings = {
      clock: options.clock ?? realClock,
      logger: options.logger ?? createLogRoot().component('actors-remote'),
      heartbeat: options.heartbeat ?? { interval: ms(1000), timeout: ms(3000) },
      maxQueuedBytes: options.maxQueuedBytes ?? 1 << 20,
      maxFrameBytes: options.maxFrameBytes ?? 16 << 20,
    };
    this.#reconnect = options.reconnect ?? { initialDelay: ms(50), maxDelay: ms(2000) };
  }

  /** Makes `target` reachable from peers as `name`; `guard` checks every message received for it. */
  expose<M>(name: string, target: Recipient<M>, guard: MessageGuard<M>): void {
    this.#exposed.set(name, { target: target, guard });
  }

  /** Listens on `socketPath`, replacing a stale socket file left by a dead process. */
  async listen(): Promise<void> {
    const path = this.#socketPath;
    if (path === undefined) throw new RemoteProtocolError(this.name, 'no socketPath to listen on');
    await removeStaleSocket(path);
    const server = createServer((socket) => {
      this.#accept(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error: Error) => {
      this.#settings.logger.error({ err: error }, `remote listener on ${path} failed`);
    });
    this.#server = server;
    this.#holdOpen();
  }

  /** The connection to the process listening on `socketPath` (one per path; connects in the background). */
  peer(socketPath: string): RemotePeer {
    let peer = this.#peers.get(socketPath);
    if (peer === undefined) {
      peer = new RemotePeer(this, socketPath, this.#settings, this.#reconnect);
      this.#peers.set(socketPath, peer);
      this.#holdOpen();
    }
    return peer;
  }

  stats(): RemoteStats {
    let connectedPeers = 0;
    for (const peer of this.#peers.values()) if (peer.connected) connectedPeers++;
    return {
      delivered: this.#delivered,
      rejected: this.#rejected,
      undeliverable: this.#undeliverable,
      sent: this.#sent,
      connectedPeers,
    };
  }

  /** @internal */
  countSent(): void {
    this.#sent++;
  }

  /** Like a server, a node keeps the process alive (listening, or reconnecting) until closed. */
  #holdOpen(): void {
    this.#keepAlive ??= setInterval(() => undefined, 1 << 30);
  }

  /** Drops every connection, stops listening (the socket file goes with it), lets the process exit. */
  async close(): Promise<void> {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    for (const connection of this.#inbound) connection.destroy();
    this.#inbound.clear();
    const server = this.#server;
    this.#server = null;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    }
  }

  #accept(socket: Socket): void {
    let greeted = false;
    const connection: Connection = new Connection(
      socket,
      this.#settings,
      (frame) => {
        switch (frame[0]) {
          case FRAME_HELLO:
            greeted = true;
            connection.peerName = frame[1];
            break;
          case FRAME_MESSAGE:
            if (!greeted) {
              connection.destroy();
              return;
            }
            this.#deliver(connection.peerName, frame[1], frame[2]);
            break;
          case FRAME_PING:
            break;
        }
      },
      () => {
        this.#inbound.delete(connection);
      },
    );
    this.#inbound.add(connection);
  }

  #deliver(peer: string, actor: string, message: unknown): void {
    const exposed = this.#exposed.get(actor);
    if (!exposed?.guard(message)) {
      this.#rejected++;
      this.#settings.logger.warn(
        { peer, actor },
        exposed === undefined
          ? `message from '${peer}' for unknown actor '${actor}'`
          : `invalid message for '${actor}'`,
      );
      return;
    }
    const result = exposed.target.send(message);
    if (result.ok) this.#delivered++;
    else this.#undeliverable++;
  }
}

/** Removes a socket file nobody listens on any more; refuses to touch one in use. */
async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => {
      resolve(false);
    });
  });
  if (inUse) throw new RemoteProtocolError(path, 'another process is listening on this socket');
  unlinkSync(path);
}
