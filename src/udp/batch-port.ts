/**
 * The shape of a batched datagram port (native/udp's `UdpPort`, loaded through src/media): a
 * socket whose datagrams arrive a batch at a time as views into a receive ring it owns, and leave
 * a batch at a time from a send ring. Declared here, where the driver uses it, so that src/udp
 * depends on no addon.
 */

export type BatchFilterMode = 'secure' | 'clear';

export interface BatchPortOptions {
  /** Numeric addresses only; names are resolved before the port is made. */
  readonly bindHost: string;
  readonly bindPort: number;
  readonly peerHost?: string;
  readonly peerPort?: number;
  /** Which framing its native filter admits: sealed session packets, or the clear protocol. */
  readonly mode: BatchFilterMode;
  readonly receiveBufferBytes?: number;
  readonly sendBufferBytes?: number;
  /** Datagrams per recvmmsg and slots in the send ring. */
  readonly messages?: number;
  /** Bytes of one slot: the largest datagram. */
  readonly slotBytes?: number;
  readonly gro?: boolean;
  readonly gso?: boolean;
  /** Handshake messages admitted per second on average (token bucket), and the burst. */
  readonly handshakePerSecond?: number;
  readonly handshakeBurst?: number;
}

/** Datagrams the native filter dropped before JS, by reason. */
export interface BatchPortDropped {
  /** Longer than a slot (the kernel cut them). */
  readonly truncated: number;
  /** A first byte no doorway packet starts with, or empty. */
  readonly unknownType: number;
  /** A type with a length it never has. */
  readonly badLength: number;
  /** Sealed packets and cookie replies for a receiver index neither live nor pending. */
  readonly unknownIndex: number;
  /** Handshake messages over the token bucket's rate. */
  readonly handshakeRate: number;
  /** Initiations and responses whose mac1 is not ours (made without our public key). */
  readonly badMac: number;
}

export interface BatchPortStats {
  readonly received: number;
  readonly delivered: number;
  /** recvmmsg calls that returned datagrams. */
  readonly batches: number;
  readonly receiveErrors: number;
  readonly dropped: BatchPortDropped;
  readonly sent: number;
  readonly sendCalls: number;
  readonly gsoMessages: number;
  readonly sendErrors: number;
  /** Datagrams the kernel would not take (socket buffer full): dropped, not queued. */
  readonly sendDropped: number;
  readonly gso: boolean;
  readonly localHost?: string;
  readonly localPort?: number;
  readonly receiveBufferBytes?: number;
  readonly sendBufferBytes?: number;
}

export interface BatchPort {
  /** recvmmsg's buffers, then one spare buffer (from receiveScratchOffset) the driver may use. */
  readonly receiveRing: ArrayBuffer;
  readonly receiveScratchOffset: number;
  /** Per datagram of the current batch: where in the receive ring, how long, from which source. */
  readonly receiveOffsets: Int32Array;
  readonly receiveLengths: Int32Array;
  readonly receiveSources: Uint32Array;
  /** The TOS / traffic class byte each datagram arrived with (DSCP << 2 | ECN). */
  readonly receiveTos: Uint8Array;
  readonly sendRing: ArrayBuffer;
  readonly sendLengths: Int32Array;
  readonly sendTos: Uint8Array;
  /** 0: the peer given at creation; otherwise an id from addDestination. */
  readonly sendDestinations: Uint32Array;
  readonly slotBytes: number;
  readonly sendSlots: number;
  readonly gro: boolean;
  readonly connected: boolean;
  /** Starts delivering batches to the handler given at creation. */
  start(): void;
  /** Sends slots [0, count); returns how many datagrams the kernel took. */
  send(count: number): number;
  /** The receiver indices sealed packets and cookie replies may carry (up to four). */
  setIndices(indices: readonly number[]): void;
  /** Our handshake mac1 key (32 bytes): initiations and responses then need a valid mac1. */
  setMac1Key(key: Uint8Array): void;
  addDestination(host: string, port: number): number;
  /** `HOST:PORT` of a source id, or null once the id is no longer held. */
  sourceAddress(id: number): string | null;
  stats(): BatchPortStats;
  close(): void;
}

export type BatchPortFactory = (options: BatchPortOptions, onBatch: (count: number) => void) => BatchPort;
