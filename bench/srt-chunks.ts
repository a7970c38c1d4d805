/**
 * How the SRT side of the benchmark carries frames: SRT live mode moves datagrams, not frames, so
 * each synthetic frame is cut into chunks that fit one SRT packet, each with a small header
 * (frame index, chunk index, chunk count, capture time) the far end reassembles from.
 */

/** SRT live mode's default payload size (SRTO_PAYLOADSIZE): a larger datagram is refused. */
export const SRT_LIVE_PAYLOAD_BYTES = 1316;

export const CHUNK_MAGIC = 0x44575343; // 'DWSC'
/** magic u32, frame u32, chunk u16, count u16, capture time f64 (µs since the epoch). */
export const CHUNK_HEADER_BYTES = 20;

/** Frame index of a probe: a chunk that only proves the path is up before frames flow. */
export const PROBE_FRAME = 0xffffffff;

/** Frames this far behind the newest are given up, so partial frames cannot pile up. */
const ASSEMBLY_WINDOW = 600;

export interface ChunkHeader {
  readonly frame: number;
  readonly chunk: number;
  readonly count: number;
  readonly captureUs: number;
}

function header(h: ChunkHeader, bodyBytes: number): Buffer {
  const out = Buffer.allocUnsafe(CHUNK_HEADER_BYTES + bodyBytes);
  out.writeUInt32BE(CHUNK_MAGIC, 0);
  out.writeUInt32BE(h.frame >>> 0, 4);
  out.writeUInt16BE(h.chunk, 8);
  out.writeUInt16BE(h.count, 10);
  out.writeDoubleBE(h.captureUs, 12);
  return out;
}

/** The datagrams that carry one frame, each at most `maxDatagram` bytes. */
export function chunkFrame(
  frame: number,
  captureUs: number,
  payload: Uint8Array,
  maxDatagram = SRT_LIVE_PAYLOAD_BYTES,
): Buffer[] {
  const body = maxDatagram - CHUNK_HEADER_BYTES;
  if (body <= 0) throw new RangeError(`chunks: datagrams of ${maxDatagram} bytes leave no room for data`);
  const count = Math.max(1, Math.ceil(payload.length / body));
  if (count > 0xffff)
    throw new RangeError(`chunks: a frame of ${payload.length} bytes needs too many chunks`);
  const out: Buffer[] = [];
  for (let chunk = 0; chunk < count; chunk++) {
    const part = payload.subarray(chunk * body, Math.min(payload.length, (chunk + 1) * body));
    const datagram = header({ frame, chunk, count, captureUs }, part.length);
    datagram.set(part, CHUNK_HEADER_BYTES);
    out.push(datagram);
  }
  return out;
}

export function probeDatagram(sentUs: number): Buffer {
  return header({ frame: PROBE_FRAME, chunk: 0, count: 1, captureUs: sentUs }, 0);
}

/** The header of a chunk, or null when the datagram is not one. */
export function readChunkHeader(datagram: Uint8Array): ChunkHeader | null {
  if (datagram.length < CHUNK_HEADER_BYTES) return null;
  const view = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  if (view.readUInt32BE(0) !== CHUNK_MAGIC) return null;
  const h = {
    frame: view.readUInt32BE(4),
    chunk: view.readUInt16BE(8),
    count: view.readUInt16BE(10),
    captureUs: view.readDoubleBE(12),
  };
  return h.count > 0 && h.chunk < h.count ? h : null;
}

export interface AssembledFrame {
  readonly frame: number;
  readonly captureUs: number;
  readonly payload: Uint8Array;
}

interface Partial {
  readonly captureUs: number;
  readonly parts: (Uint8Array | undefined)[];
  received: number;
}

/** Puts chunks back together; a frame comes out once, when its last missing chunk arrives. */
export class FrameAssembler {
  readonly #partial = new Map<number, Partial>();
  readonly #done = new Set<number>();
  #newest = -1;

  /** The frame this chunk completes, or null (not complete yet, duplicate, stale or malformed). */
  add(datagram: Uint8Array): AssembledFrame | null {
    const h = readChunkHeader(datagram);
    if (h === null || h.frame === PROBE_FRAME || this.#done.has(h.frame)) return null;
    if (h.frame <= this.#newest - ASSEMBLY_WINDOW) return null;
    let p = this.#partial.get(h.frame);
    if (p === undefined) {
      p = { captureUs: h.captureUs, parts: new Array<Uint8Array | undefined>(h.count), received: 0 };
      this.#partial.set(h.frame, p);
    }
    if (p.parts.length !== h.count || p.parts[h.chunk] !== undefined) return null;
    // Copy: the socket may reuse the datagram's memory.
    p.parts[h.chunk] = Uint8Array.prototype.slice.call(datagram, CHUNK_HEADER_BYTES);
    p.received++;
    if (h.frame > this.#newest) this.#forgetBefore(h.frame - ASSEMBLY_WINDOW);
    this.#newest = Math.max(this.#newest, h.frame);
    if (p.received < h.count) return null;
    this.#partial.delete(h.frame);
    this.#done.add(h.frame);
    return { frame: h.frame, captureUs: p.captureUs, payload: concat(p.parts) };
  }

  #forgetBefore(frame: number): void {
    for (const id of this.#partial.keys()) if (id <= frame) this.#partial.delete(id);
    for (const id of this.#done) if (id <= frame) this.#done.delete(id);
  }
}

function concat(parts: readonly (Uint8Array | undefined)[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p?.length ?? 0;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    if (p === undefined) continue;
    out.set(p, at);
    at += p.length;
  }
  return out;
}
