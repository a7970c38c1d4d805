/**
 * The sans-I/O endpoint on a batched native port (see batch-port.ts): the same job as UdpDriver,
 * without a Buffer, a RemoteInfo or a syscall per datagram. A batch of received datagrams is
 * handed to the endpoint as views into the port's receive ring, then the endpoint runs once; what
 * it has to send is written (sealed, for a SecureSession) straight into the send ring and leaves
 * in one sendmmsg. Garbage never gets here: the port's filter drops it per batch, natively.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type {
  BatchFilterMode,
  BatchPort,
  BatchPortDropped,
  BatchPortFactory,
  BatchPortStats,
} from './batch-port.js';
import { tosForLane } from './dscp.js';
import {
  formatAddress,
  nowMicros,
  parseAddress,
  type RingEndpoint,
  type SansIoEndpoint,
  type UdpAddress,
} from './endpoint.js';
import { FlushTimer } from './flush-timer.js';

export interface BatchUdpDriverOptions {
  readonly endpoint: SansIoEndpoint;
  readonly createPort: BatchPortFactory;
  readonly bind: UdpAddress;
  /** Where to send; when absent, the source of the latest datagram received. */
  readonly peer?: UdpAddress;
  /** 'secure' for a SecureSession, 'clear' for a bare Connection. */
  readonly mode: BatchFilterMode;
  readonly clock?: () => number;
  readonly onActivity?: () => void;
  readonly receiveBufferBytes?: number;
  readonly sendBufferBytes?: number;
  /** The largest datagram (default 2048 bytes). */
  readonly slotBytes?: number;
  /** Mark datagrams with DSCP by pacing lane (default true). */
  readonly dscp?: boolean;
}

const VIEWS_PER_DESCRIPTOR = 4;

async function numeric(host: string): Promise<string> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIP(bare) !== 0) return bare;
  return (await lookup(bare)).address;
}

export class BatchUdpDriver {
  readonly kind = 'native' as const;
  readonly #options: BatchUdpDriverOptions;
  readonly #endpoint: RingEndpoint;
  readonly #clock: () => number;
  #port: BatchPort | null = null;
  #receiveRing: ArrayBuffer = new ArrayBuffer(0);
  #receiveBytes = new Uint8Array(0);
  /** Views of the spare buffer by length (GRO only). */
  readonly #scratchViews: (Uint8Array | undefined)[] = [];
  #sendRing = new Uint8Array(0);
  /** One view per send slot, made once: the endpoint writes each datagram into one. */
  #sendViews: Uint8Array[] = [];
  /** VIEWS_PER_DESCRIPTOR views per receive descriptor, by recent length (see #view). */
  #receiveViews: Uint8Array[] = [];
  readonly #timer: FlushTimer;
  #closed = false;
  #heardId = 0;
  #heardText = '';
  /** Destination of unnamed datagrams when no fixed peer: the latest source heard. */
  #peerDestination = -1;
  #toText = '';
  /** The fixed peer as `HOST:PORT`, or '' without one. */
  readonly #peerText: string;
  #toDestination = -1;
  #oversized = 0;
  #unresolved = 0;

  constructor(options: BatchUdpDriverOptions) {
    this.#options = options;
    this.#endpoint = options.endpoint;
    this.#clock = options.clock ?? nowMicros;
    this.#peerText = options.peer === undefined ? '' : formatAddress(options.peer);
    this.#timer = new FlushTimer(() => {
      this.#flush();
    }, this.#clock);
  }

  /** Opens and binds the port; resolves with the bound address (port 0 picks a free one). */
  async start(): Promise<UdpAddress> {
    const o = this.#options;
    const bindHost = await numeric(o.bind.host);
    let peerHost: string | undefined;
    if (o.peer !== undefined) {
      try {
        peerHost = await numeric(o.peer.host);
      } catch {
        // A peer name that does not resolve yet: unconnected, its datagrams counted as unresolved.
        peerHost = undefined;
      }
    }
    let port: BatchPort;
    try {
      port = o.createPort(
        {
          bindHost,
          bindPort: o.bind.port,
          ...(peerHost !== undefined && o.peer !== undefined ? { peerHost, peerPort: o.peer.port } : {}),
          mode: o.mode,
          ...(o.receiveBufferBytes !== undefined ? { receiveBufferBytes: o.receiveBufferBytes } : {}),
          ...(o.sendBufferBytes !== undefined ? { sendBufferBytes: o.sendBufferBytes } : {}),
          slotBytes: o.slotBytes ?? 2048,
        },
        this.#onBatch,
      );
    } catch (err) {
      throw new Error(
        `cannot bind UDP ${formatAddress(o.bind)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.#port = port;
    this.#receiveRing = port.receiveRing;
    this.#receiveBytes = new Uint8Array(port.receiveRing);
    this.#sendRing = new Uint8Array(port.sendRing);
    this.#sendViews = Array.from(
      { length: port.sendSlots },
      (_, i) => new Uint8Array(port.sendRing, i * port.slotBytes, port.slotBytes),
    );
    this.#receiveViews = new Array<Uint8Array>(port.receiveOffsets.length * VIEWS_PER_DESCRIPTOR);
    if (peerHost !== undefined) this.#peerDestination = 0;
    const mac1Key = this.#endpoint.handshakeMac1Key?.();
    if (mac1Key !== undefined) port.setMac1Key(mac1Key);
    port.start();
    this.#flush();
    const stats = port.stats();
    return { host: stats.localHost ?? bindHost, port: stats.localPort ?? o.bind.port };
  }

  /** Runs the endpoint now: after the application queued something on it. */
  kick(): void {
    this.#flush();
  }

  /** What the port's filter dropped before JS, by reason. */
  droppedBeforeJs(): BatchPortDropped | null {
    return this.#port?.stats().dropped ?? null;
  }

  get sendErrors(): number {
    return this.#port?.stats().sendErrors ?? 0;
  }

  /** The native port's counters, plus datagrams this driver could not place. */
  stats(): (BatchPortStats & { readonly oversized: number; readonly unresolved: number }) | null {
    const stats = this.#port?.stats();
    return stats === undefined
      ? null
      : { ...stats, oversized: this.#oversized, unresolved: this.#unresolved };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.stop();
    this.#port?.close();
    await Promise.resolve();
  }

  readonly #onBatch = (count: number): void => {
    const port = this.#port;
    if (port === null || this.#closed) return;
    const now = this.#clock();
    const offsets = port.receiveOffsets;
    const lengths = port.receiveLengths;
    const sources = port.receiveSources;
    for (let i = 0; i < count; i++) {
      const offset = offsets[i] ?? 0;
      const length = lengths[i] ?? 0;
      const view = this.#view(i, offset, length);
      const source = sources[i] ?? 0;
      if (source !== this.#heardId) this.#heard(port, source);
      this.#endpoint.handleDatagram(now, view, this.#heardText);
    }
    // One run of the endpoint per batch: its replies and due media leave together.
    this.#flush();
  };

  /**
   * A view of one received datagram. Each descriptor keeps the views it made for its last few
   * lengths (a media stream has few distinct sizes), so steady traffic makes none.
   */
  #view(i: number, offset: number, length: number): Uint8Array {
    const views = this.#receiveViews;
    const base = i * VIEWS_PER_DESCRIPTOR;
    for (let k = base; k < base + VIEWS_PER_DESCRIPTOR; k++) {
      const v = views[k];
      if (v === undefined) break;
      if (v.byteOffset === offset && v.length === length) return v;
    }
    if (this.#port?.gro === true) {
      // GRO segments sit at ever-changing offsets: copy the datagram to the spare buffer at the
      // ring's end (no object made) and hand out that buffer's view for its length.
      const scratch = this.#port.receiveScratchOffset;
      this.#receiveBytes.copyWithin(scratch, offset, offset + length);
      let view = this.#scratchViews[length];
      if (view === undefined) {
        view = new Uint8Array(this.#receiveRing, scratch, length);
        this.#scratchViews[length] = view;
      }
      return view;
    }
    const made = new Uint8Array(this.#receiveRing, offset, length);
    // Newest first: shift the others down and drop the oldest.
    for (let k = base + VIEWS_PER_DESCRIPTOR - 1; k > base; k--) {
      const older = views[k - 1];
      if (older !== undefined) views[k] = older;
    }
    views[base] = made;
    return made;
  }

  /** A new source: its text once, and (with no fixed peer) where unnamed datagrams now go. */
  #heard(port: BatchPort, source: number): void {
    this.#heardId = source;
    this.#heardText = port.sourceAddress(source) ?? '';
    if (this.#options.peer === undefined && this.#heardText !== '') {
      this.#peerDestination = this.#destination(this.#heardText);
    }
  }

  /** The port's destination id for `HOST:PORT`, or -1 when it cannot be one. */
  #destination(text: string): number {
    const port = this.#port;
    if (port === null) return -1;
    try {
      const address = parseAddress(text);
      return port.addDestination(address.host, address.port);
    } catch {
      return -1;
    }
  }

  #destinationFor(to: string | null | undefined): number {
    if (to === null || to === undefined || to === '') return this.#peerDestination;
    // Connected to the fixed peer: a datagram named for it needs no address.
    if (this.#port?.connected === true && to === this.#peerText) return 0;
    if (to !== this.#toText) {
      this.#toText = to;
      this.#toDestination = this.#destination(to);
    }
    return this.#toDestination;
  }

  #flush(): void {
    const port = this.#port;
    if (this.#closed || port === null) return;
    const endpoint = this.#endpoint;
    const now = this.#clock();
    const due = endpoint.pollTimeout();
    if (due !== null && due <= now) endpoint.handleTimeout(now);
    const indices = endpoint.pollReceiverIndices?.() ?? null;
    if (indices !== null) port.setIndices(indices);
    const mark = this.#options.dscp ?? true;
    const slots = port.sendSlots;
    const slotBytes = port.slotBytes;
    const lengths = port.sendLengths;
    const tos = port.sendTos;
    const destinations = port.sendDestinations;
    let n = 0;
    for (;;) {
      let length: number;
      let to: string | null | undefined;
      if (endpoint.pollTransmitInto !== undefined) {
        length = endpoint.pollTransmitInto(this.#sendViews[n] ?? this.#sendRing);
        if (length === 0) break;
        to = endpoint.lastTransmitTo?.() ?? null;
      } else {
        const d = endpoint.pollTransmit();
        if (d === null) break;
        const bytes = d instanceof Uint8Array ? d : d.bytes;
        to = d instanceof Uint8Array ? null : d.to;
        if (bytes.length > slotBytes) {
          this.#oversized++;
          continue;
        }
        this.#sendRing.set(bytes, n * slotBytes);
        length = bytes.length;
      }
      const destination = this.#destinationFor(to);
      if (destination < 0) {
        this.#unresolved++;
        continue;
      }
      lengths[n] = length;
      destinations[n] = destination;
      tos[n] = mark ? tosForLane(endpoint.lastTransmitLane?.() ?? null) : 0;
      n++;
      if (n === slots) {
        port.send(n);
        n = 0;
      }
    }
    if (n > 0) port.send(n);
    this.#options.onActivity?.();
    this.#timer.schedule(this.#endpoint.pollTimeout());
  }
}
