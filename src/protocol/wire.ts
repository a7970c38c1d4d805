/**
 * Wire format v1 (docs/PROTOCOL.md). Encoding writes into caller-owned buffers; decoding fills
 * caller-owned header objects and returns a code, never throws: bytes from the network are
 * untrusted, and a bad datagram is counted and dropped by the caller.
 */

export const PROTOCOL_VERSION = 1;

export const PacketType = {
  media: 0,
  repair: 1,
  control: 2,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Bytes of the header in front of every media and repair payload. */
export const MEDIA_HEADER_BYTES = 38;
/** Bytes of the control packet header (before its messages). */
export const CONTROL_HEADER_BYTES = 4;

export const MediaFlag = {
  keyframe: 1 << 0,
  retransmission: 1 << 1,
  audio: 1 << 2,
} as const;

/** Mutable so one instance is reused for every datagram. */
export interface MediaHeader {
  type: PacketType;
  flags: number;
  stream: number;
  /** Low 32 bits of the stream's packet sequence number. */
  seq: number;
  /** Low 32 bits of the frame id. */
  frame: number;
  /** Sender clock, µs. */
  captureUs: number;
  /** Low 32 bits of the sender clock in µs when the datagram left. */
  sendUs: number;
  /** Bytes of the whole frame. */
  frameBytes: number;
  /** Media: fragment index (0..fragments-1). Repair: shard index (fragments..fragments+repairs-1). */
  index: number;
  /** Source fragments of the frame (k). */
  fragments: number;
  /** Frames back to the reference (0: decodable alone). */
  refDistance: number;
  /** Repair shards sent for the frame (m). */
  repairs: number;
  /** Bytes of every fragment but the last, and of every repair shard. */
  shardBytes: number;
}

export function newMediaHeader(): MediaHeader {
  return {
    type: PacketType.media,
    flags: 0,
    stream: 0,
    seq: 0,
    frame: 0,
    captureUs: 0,
    sendUs: 0,
    frameBytes: 0,
    index: 0,
    fragments: 0,
    refDistance: 0,
    repairs: 0,
    shardBytes: 0,
  };
}

export const DecodeResult = {
  ok: 0,
  truncated: 1,
  badVersion: 2,
  unknownType: 3,
  badField: 4,
} as const;
export type DecodeResult = (typeof DecodeResult)[keyof typeof DecodeResult];

const U32 = 2 ** 32;

/** The packet type of a datagram, or -1 when it is not a v1 datagram of a known type. */
export function peekType(bytes: Uint8Array): PacketType | -1 {
  if (bytes.length < 1) return -1;
  const first = bytes[0] ?? 0;
  if (first >> 4 !== PROTOCOL_VERSION) return -1;
  const type = first & 0x0f;
  return type === PacketType.media || type === PacketType.repair || type === PacketType.control ? type : -1;
}

// Big-endian field access by hand: a DataView per datagram would be an allocation per packet.
function u8(b: Uint8Array, at: number): number {
  return b[at] ?? 0;
}
function u16(b: Uint8Array, at: number): number {
  return (u8(b, at) << 8) | u8(b, at + 1);
}
function u32(b: Uint8Array, at: number): number {
  return u8(b, at) * 0x1000000 + ((u8(b, at + 1) << 16) | (u8(b, at + 2) << 8) | u8(b, at + 3));
}
function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}
function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Writes `header` at the start of `out`; the payload goes at MEDIA_HEADER_BYTES. */
export function encodeMediaHeader(header: MediaHeader, out: Uint8Array): void {
  out[0] = (PROTOCOL_VERSION << 4) | header.type;
  out[1] = header.flags;
  out[2] = header.stream;
  out[3] = 0;
  put32(out, 4, header.seq >>> 0);
  put32(out, 8, header.frame >>> 0);
  put32(out, 12, Math.floor(header.captureUs / U32));
  put32(out, 16, (header.captureUs % U32) >>> 0);
  put32(out, 20, header.sendUs >>> 0);
  put32(out, 24, header.frameBytes);
  put16(out, 28, header.index);
  put16(out, 30, header.fragments);
  put16(out, 32, header.refDistance);
  put16(out, 34, header.repairs);
  put16(out, 36, header.shardBytes);
}

/** Overwrites the send time and adds flags to an already encoded datagram (retransmissions). */
export function patchSendTime(datagram: Uint8Array, sendUs: number, extraFlags: number): void {
  datagram[1] = u8(datagram, 1) | extraFlags;
  put32(datagram, 20, sendUs >>> 0);
}

/**
 * Reads a media or repair header. Checks every field against the others, so later code can
 * trust the numbers: indices in range, sizes consistent with the datagram's length.
 */
export function decodeMediaHeader(bytes: Uint8Array, out: MediaHeader, maxFrameBytes: number): DecodeResult {
  if (bytes.length < MEDIA_HEADER_BYTES) return DecodeResult.truncated;
  const first = u8(bytes, 0);
  if (first >> 4 !== PROTOCOL_VERSION) return DecodeResult.badVersion;
  const type = first & 0x0f;
  if (type !== PacketType.media && type !== PacketType.repair) return DecodeResult.unknownType;
  out.type = type;
  out.flags = u8(bytes, 1);
  out.stream = u8(bytes, 2);
  out.seq = u32(bytes, 4);
  out.frame = u32(bytes, 8);
  out.captureUs = u32(bytes, 12) * U32 + u32(bytes, 16);
  out.sendUs = u32(bytes, 20);
  out.frameBytes = u32(bytes, 24);
  out.index = u16(bytes, 28);
  out.fragments = u16(bytes, 30);
  out.refDistance = u16(bytes, 32);
  out.repairs = u16(bytes, 34);
  out.shardBytes = u16(bytes, 36);
  if (u8(bytes, 3) !== 0) return DecodeResult.badField;
  if (out.frameBytes === 0 || out.frameBytes > maxFrameBytes || out.shardBytes === 0)
    return DecodeResult.badField;
  if (out.fragments !== Math.ceil(out.frameBytes / out.shardBytes)) return DecodeResult.badField;
  if (out.captureUs > Number.MAX_SAFE_INTEGER) return DecodeResult.badField;
  const payload = bytes.length - MEDIA_HEADER_BYTES;
  if (type === PacketType.media) {
    if (out.index >= out.fragments) return DecodeResult.badField;
    if (payload !== fragmentLength(out.frameBytes, out.shardBytes, out.index)) return DecodeResult.badField;
  } else {
    if (out.repairs === 0 || out.index < out.fragments || out.index >= out.fragments + out.repairs) {
      return DecodeResult.badField;
    }
    if (payload !== out.shardBytes) return DecodeResult.badField;
  }
  return DecodeResult.ok;
}

/**
 * How a frame is cut: every fragment `shardBytes` long but the last, and as few fragments as
 * keep each within `maxPayload`, with the size evened out so the last is not a sliver.
 */
export function planFragments(
  frameBytes: number,
  maxPayload: number,
): { fragments: number; shardBytes: number } {
  const fewest = Math.max(1, Math.ceil(frameBytes / maxPayload));
  const shardBytes = Math.ceil(frameBytes / fewest);
  return { fragments: Math.ceil(frameBytes / shardBytes), shardBytes };
}

/** Bytes of fragment `index` of a frame cut into `shardBytes` pieces. */
export function fragmentLength(frameBytes: number, shardBytes: number, index: number): number {
  return Math.max(0, Math.min(shardBytes, frameBytes - index * shardBytes));
}

// ---- control packets -------------------------------------------------------------------------

export const ControlKind = {
  nack: 1,
  keyframeRequest: 2,
  receiverReport: 3,
  ping: 4,
  pong: 5,
} as const;
export type ControlKind = (typeof ControlKind)[keyof typeof ControlKind];

export interface NackRange {
  /** Low 32 bits of the first missing sequence number. */
  start: number;
  /** Sequence numbers in the range (1..65536). */
  count: number;
}

export interface ReceiverReport {
  /** Low 32 bits of the highest sequence number received. */
  highestSeq: number;
  /** Fraction lost since the previous report, 0..1 (carried in 1/65535 steps). */
  lossFraction: number;
  /** Interarrival jitter, µs. */
  jitterUs: number;
  /** The receiver's delay-based bandwidth estimate, bit/s (0: none yet). */
  estimateBps: number;
  /** The rate at which media arrived, bit/s. */
  receiveBps: number;
  /** How long after capture the receiver still accepts a frame, µs: retransmissions that cannot beat it are not sent. */
  deadlineUs: number;
}

/** One decoded control message; the union is switched on `kind`. */
export type ControlMessage =
  | { kind: typeof ControlKind.nack; stream: number; ranges: NackRange[] }
  | { kind: typeof ControlKind.keyframeRequest; stream: number; lastFrame: number }
  | { kind: typeof ControlKind.receiverReport; stream: number; report: ReceiverReport }
  | { kind: typeof ControlKind.ping; stream: number; id: number; t1: number }
  | { kind: typeof ControlKind.pong; stream: number; id: number; t1: number; t2: number; t3: number };

const MESSAGE_HEADER_BYTES = 4;

/**
 * Builds control packets: `begin`, any number of messages, `finish`. Messages that would not
 * fit in `maxBytes` are refused (returns false) so the caller starts another packet.
 */
export class ControlWriter {
  readonly #buffer: Uint8Array;
  readonly #view: DataView;
  #offset = 0;
  #count = 0;

  constructor(maxBytes: number) {
    this.#buffer = new Uint8Array(maxBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  begin(): void {
    this.#view.setUint8(0, (PROTOCOL_VERSION << 4) | PacketType.control);
    this.#view.setUint8(1, 0);
    this.#offset = CONTROL_HEADER_BYTES;
    this.#count = 0;
  }

  get count(): number {
    return this.#count;
  }

  /** The finished datagram: a copy, since the writer is reused. */
  finish(): Uint8Array {
    this.#view.setUint16(2, this.#count);
    return this.#buffer.slice(0, this.#offset);
  }

  nack(stream: number, ranges: readonly NackRange[], first: number, count: number): boolean {
    const body = 2 + count * 6;
    if (!this.#open(ControlKind.nack, stream, body)) return false;
    this.#view.setUint16(this.#offset, count);
    let at = this.#offset + 2;
    for (let i = first; i < first + count; i++) {
      const range = ranges[i];
      if (range === undefined) break;
      this.#view.setUint32(at, range.start >>> 0);
      this.#view.setUint16(at + 4, range.count - 1);
      at += 6;
    }
    this.#close(body);
    return true;
  }

  /** Most NACK ranges one message can still take in this packet. */
  nackRoom(): number {
    return Math.max(0, Math.floor((this.#buffer.length - this.#offset - MESSAGE_HEADER_BYTES - 2) / 6));
  }

  keyframeRequest(stream: number, lastFrame: number): boolean {
    if (!this.#open(ControlKind.keyframeRequest, stream, 4)) return false;
    this.#view.setUint32(this.#offset, lastFrame >>> 0);
    this.#close(4);
    return true;
  }

  receiverReport(stream: number, report: ReceiverReport): boolean {
    if (!this.#open(ControlKind.receiverReport, stream, 22)) return false;
    const at = this.#offset;
    this.#view.setUint32(at, report.highestSeq >>> 0);
    this.#view.setUint16(at + 4, Math.round(clamp01(report.lossFraction) * 65535));
    this.#view.setUint32(at + 6, clampU32(report.jitterUs));
    this.#view.setUint32(at + 10, clampU32(report.estimateBps / 1000));
    this.#view.setUint32(at + 14, clampU32(report.receiveBps / 1000));
    this.#view.setUint32(at + 18, clampU32(report.deadlineUs));
    this.#close(22);
    return true;
  }

  ping(id: number, t1: number): boolean {
    if (!this.#open(ControlKind.ping, 0, 12)) return false;
    this.#view.setUint32(this.#offset, id >>> 0);
    this.#putTime(this.#offset + 4, t1);
    this.#close(12);
    return true;
  }

  pong(id: number, t1: number, t2: number, t3: number): boolean {
    if (!this.#open(ControlKind.pong, 0, 28)) return false;
    this.#view.setUint32(this.#offset, id >>> 0);
    this.#putTime(this.#offset + 4, t1);
    this.#putTime(this.#offset + 12, t2);
    this.#putTime(this.#offset + 20, t3);
    this.#close(28);
    return true;
  }

  #open(kind: ControlKind, stream: number, body: number): boolean {
    if (this.#offset + MESSAGE_HEADER_BYTES + body > this.#buffer.length) return false;
    this.#view.setUint8(this.#offset, kind);
    this.#view.setUint8(this.#offset + 1, stream);
    this.#view.setUint16(this.#offset + 2, body);
    this.#offset += MESSAGE_HEADER_BYTES;
    return true;
  }

  #close(body: number): void {
    this.#offset += body;
    this.#count++;
  }

  #putTime(at: number, us: number): void {
    const value = Math.max(0, Math.floor(us));
    this.#view.setUint32(at, Math.floor(value / U32));
    this.#view.setUint32(at + 4, value % U32);
  }
}

/**
 * Decodes every message of a control packet into `out` (cleared first). Returns ok, or the
 * first problem; on a problem `out` holds nothing, so a bad packet is dropped whole.
 */
export function decodeControl(bytes: Uint8Array, out: ControlMessage[]): DecodeResult {
  out.length = 0;
  if (bytes.length < CONTROL_HEADER_BYTES) return DecodeResult.truncated;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const first = view.getUint8(0);
  if (first >> 4 !== PROTOCOL_VERSION) return DecodeResult.badVersion;
  if ((first & 0x0f) !== PacketType.control) return DecodeResult.unknownType;
  if (view.getUint8(1) !== 0) return DecodeResult.badField;
  const count = view.getUint16(2);
  let at = CONTROL_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + MESSAGE_HEADER_BYTES > bytes.length) return fail(out, DecodeResult.truncated);
    const kind = view.getUint8(at);
    const stream = view.getUint8(at + 1);
    const body = view.getUint16(at + 2);
    at += MESSAGE_HEADER_BYTES;
    if (at + body > bytes.length) return fail(out, DecodeResult.truncated);
    const message = decodeMessage(view, kind, stream, at, body);
    if (message === null) return fail(out, DecodeResult.badField);
    out.push(message);
    at += body;
  }
  if (at !== bytes.length) return fail(out, DecodeResult.badField);
  return DecodeResult.ok;
}

function decodeMessage(
  view: DataView,
  kind: number,
  stream: number,
  at: number,
  body: number,
): ControlMessage | null {
  const time = (offset: number): number => view.getUint32(offset) * U32 + view.getUint32(offset + 4);
  switch (kind) {
    case ControlKind.nack: {
      if (body < 2) return null;
      const n = view.getUint16(at);
      if (body !== 2 + n * 6 || n === 0) return null;
      const ranges: NackRange[] = [];
      for (let i = 0; i < n; i++) {
        ranges.push({ start: view.getUint32(at + 2 + i * 6), count: view.getUint16(at + 6 + i * 6) + 1 });
      }
      return { kind, stream, ranges };
    }
    case ControlKind.keyframeRequest:
      return body === 4 ? { kind, stream, lastFrame: view.getUint32(at) } : null;
    case ControlKind.receiverReport:
      return body === 22
        ? {
            kind,
            stream,
            report: {
              highestSeq: view.getUint32(at),
              lossFraction: view.getUint16(at + 4) / 65535,
              jitterUs: view.getUint32(at + 6),
              estimateBps: view.getUint32(at + 10) * 1000,
              receiveBps: view.getUint32(at + 14) * 1000,
              deadlineUs: view.getUint32(at + 18),
            },
          }
        : null;
    case ControlKind.ping:
      return body === 12 ? { kind, stream, id: view.getUint32(at), t1: time(at + 4) } : null;
    case ControlKind.pong:
      return body === 28
        ? { kind, stream, id: view.getUint32(at), t1: time(at + 4), t2: time(at + 12), t3: time(at + 20) }
        : null;
    default:
      return null;
  }
}

function fail(out: ControlMessage[], result: DecodeResult): DecodeResult {
  out.length = 0;
  return result;
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

function clampU32(value: number): number {
  return value <= 0 ? 0 : value >= U32 - 1 ? U32 - 1 : Math.round(value);
}
