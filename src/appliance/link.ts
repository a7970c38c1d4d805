/**
 * One stream in one direction between this site and its peer: a UDP socket, the media
 * `Connection`, and (unless insecure) the secure session around it. The outbound link opens the
 * session (initiator); the inbound link answers it (responder). Handshake counters persist in the
 * state directory, so a restarted service is never refused as a replay and a replayed initiation
 * from before a reboot is.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chooseAead, udpPortFactory, type UdpDriverChoice } from '../media/index.js';
import { PersistedCounter, readCounterFile, writeCounterFile } from '../noise/index.js';
import {
  Connection,
  type ConnectionConfig,
  type ConnectionEvent,
  type ConnectionStatsSnapshot,
  type FrameInput,
  type RepairCoder,
} from '../protocol/index.js';
import { linkEndpoint, SecureSession, type SessionTimings } from '../session/index.js';
import {
  createUdpDriver,
  formatAddress,
  nowMicros,
  type UdpAddress,
  type UdpLinkDriver,
} from '../udp/index.js';
import type { SecurityStatus, SessionState } from '../ops/index.js';
import type { StreamName } from './plan.js';

/** Stream ids on the wire, as `doorway send`/`recv` number them. */
export const STREAM_ID: Readonly<Record<StreamName, number>> = { audio: 0, video: 1 };

export interface LinkKeys {
  readonly staticPrivate: Uint8Array;
  readonly peerPublic: Uint8Array;
  readonly psk?: Uint8Array;
  /** Where the handshake counters live (the service's state directory). */
  readonly stateDir: string;
}

export interface MediaLinkOptions {
  readonly direction: 'outbound' | 'inbound';
  readonly stream: StreamName;
  readonly fps: number;
  /** Inbound: the address to listen on. Outbound: where to send from (port 0: any). */
  readonly bind: UdpAddress;
  /** Outbound only: the peer's address for this stream. */
  readonly peer?: UdpAddress;
  /** Null: no session layer (`--insecure`, benchmarks and tests only). */
  readonly keys: LinkKeys | null;
  readonly repair: RepairCoder;
  readonly config?: Partial<ConnectionConfig>;
  readonly timings?: Partial<SessionTimings>;
  /** Every event of the connection, as it happens. */
  readonly onEvent: (event: ConnectionEvent) => void;
  /** The batched native socket when built (`auto`, the default), or node:dgram's. */
  readonly udp?: UdpDriverChoice;
}

/** An authenticated packet this recent means the peer is there. */
const HEARD_RECENTLY_US = 2_000_000;

export class MediaLink {
  readonly stream: StreamName;
  readonly direction: 'outbound' | 'inbound';
  readonly #session: SecureSession | null;
  readonly #connection: Connection;
  readonly #driver: UdpLinkDriver;
  readonly #streamId: number;
  #lastDatagramAt: number | null = null;
  #bound: UdpAddress | null = null;

  constructor(options: MediaLinkOptions) {
    this.stream = options.stream;
    this.direction = options.direction;
    this.#streamId = STREAM_ID[options.stream];
    const connectionOptions = {
      repair: options.repair,
      config: {
        ...options.config,
        streams: [
          { id: this.#streamId, kind: options.stream, fps: options.stream === 'audio' ? 100 : options.fps },
        ],
      },
    };
    const peerText = options.peer === undefined ? undefined : formatAddress(options.peer);
    this.#session = options.keys === null ? null : openSession(options, connectionOptions, peerText);
    this.#connection = this.#session?.connection ?? new Connection(connectionOptions);
    const session = this.#session;
    const connection = this.#connection;
    this.#driver = createUdpDriver({
      endpoint: linkEndpoint(session, connection, (now) => {
        this.#lastDatagramAt = now;
      }),
      createPort: udpPortFactory(options.udp ?? 'auto'),
      mode: session === null ? 'clear' : 'secure',
      slotBytes: Math.max(2048, connection.config.maxDatagramBytes),
      bind: options.bind,
      ...(options.peer === undefined ? {} : { peer: options.peer }),
      receiveBufferBytes: 4 * 1024 * 1024,
      onActivity: () => {
        for (let e = connection.pollEvent(); e !== null; e = connection.pollEvent()) options.onEvent(e);
      },
    });
  }

  /** Binds the socket; resolves with the bound address. */
  async start(): Promise<UdpAddress> {
    this.#bound = await this.#driver.start();
    return this.#bound;
  }

  get bound(): UdpAddress | null {
    return this.#bound;
  }

  /** Queues one encoded frame and sends what may go now. */
  sendFrame(payload: Uint8Array, input: FrameInput): void {
    this.#connection.sendFrame(nowMicros(), this.#streamId, payload, input);
    this.#driver.kick();
  }

  /** Hands a released frame's buffer back to the connection. */
  recycle(frame: Extract<ConnectionEvent, { kind: 'frame' }>['frame']): void {
    this.#connection.recycle(frame);
  }

  /** Capture time on the sender's clock → this machine's clock, once the clocks are synced. */
  toLocal(captureUs: number): number | null {
    return this.#connection.clock.toLocal(captureUs as Parameters<Connection['clock']['toLocal']>[0]);
  }

  /** Asks the outbound session for a fresh handshake (the peer restarted and lost our keys). */
  requestHandshake(): void {
    this.#session?.requestHandshake();
  }

  /** When an authenticated datagram last arrived (any datagram when insecure), µs; null if never. */
  get lastHeardAt(): number | null {
    if (this.#session === null) return this.#lastDatagramAt;
    return this.#session.lastAuthenticatedAt;
  }

  /** Whether frames sent now can reach the peer: a session is up (always, when insecure). */
  get established(): boolean {
    return this.#session === null || this.#session.established;
  }

  /** Handshakes completed on this link. */
  get handshakes(): number {
    return this.#session?.handshakes ?? 0;
  }

  sessionState(now: number): SessionState {
    const session = this.#session;
    if (session === null) return 'insecure';
    const heard = session.lastAuthenticatedAt;
    if (session.established && heard !== null && now - heard < HEARD_RECENTLY_US) return 'established';
    return this.direction === 'outbound' ? 'handshaking' : 'listening';
  }

  security(): SecurityStatus {
    const s = this.#session?.stats();
    return {
      handshakes: s?.handshakes ?? 0,
      rekeys: s?.rekeys ?? 0,
      rejectedAuth: s?.rejectedAuth ?? 0,
      rejectedReplay: s?.rejectedReplay ?? 0,
      rejectedMalformed: (s?.rejectedMalformed ?? 0) + this.#connection.stats().malformed,
    };
  }

  /** Initiations sent and not answered yet (outbound), for "why is nothing flowing". */
  get initiationsSent(): number {
    return this.#session?.stats().initiationsSent ?? 0;
  }

  stats(): ConnectionStatsSnapshot {
    return this.#connection.stats();
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }
}

function openSession(
  options: MediaLinkOptions,
  connection: { repair: RepairCoder; config: Partial<ConnectionConfig> },
  peerAddress: string | undefined,
): SecureSession {
  const keys = options.keys;
  if (keys === null) throw new Error('unreachable: no keys');
  const outbound = options.direction === 'outbound';
  const counterFile = join(
    keys.stateDir,
    `${options.stream}-${outbound ? 'initiator' : 'responder'}.counter`,
  );
  const initiatorCounter = outbound ? PersistedCounter.open(counterFile) : null;
  return new SecureSession({
    staticPrivate: keys.staticPrivate,
    peerPublic: keys.peerPublic,
    ...(keys.psk === undefined ? {} : { psk: keys.psk }),
    role: outbound ? 'initiator' : 'responder',
    ...(peerAddress === undefined ? {} : { peerAddress }),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    ...(initiatorCounter === null
      ? {
          lastAcceptedCounter: readCounterFile(counterFile),
          onAcceptedCounter: (counter: bigint) => {
            writeCounterFile(counterFile, counter);
          },
        }
      : { nextHandshakeCounter: () => initiatorCounter.next(Date.now()) }),
    ...(options.timings === undefined ? {} : { timings: options.timings }),
    aead: chooseAead().backend,
    connection,
  });
}
