/**
 * One outgoing media stream: cuts frames into datagrams, adds FEC repair shards, keeps what it
 * sent in a preallocated ring for retransmission, and hands everything to the pacer with the
 * time each datagram may leave.
 */
import type { ConnectionConfig, StreamSpec } from './config.js';
import { maxMediaPayload } from './config.js';
import type { RepairCoder } from './repair.js';
import { Lane, type Pacer } from './pacer.js';
import {
  encodeMediaHeader,
  fragmentLength,
  MEDIA_HEADER_BYTES,
  MediaFlag,
  newMediaHeader,
  PacketType,
  patchSendTime,
  planFragments,
} from './wire.js';

export interface FrameInput {
  /** Capture time on the sender's clock, µs. */
  readonly captureUs: number;
  readonly keyframe: boolean;
  /** Frames back to the one this frame references; 0 when it decodes alone. Default: 0 for keyframes, else 1. */
  readonly refDistance?: number;
}

export interface SendStreamStats {
  framesSent: number;
  /** Frames refused because the send queue was too deep to take them (the encoder outruns the path). */
  framesRefused: number;
  packetsSent: number;
  bytesSent: number;
  repairPacketsSent: number;
  retransmitted: number;
  retransmitsRefused: number;
  nacksReceived: number;
  keyframeRequestsReceived: number;
}

export class SendStream {
  readonly spec: StreamSpec;
  readonly stats: SendStreamStats = {
    framesSent: 0,
    framesRefused: 0,
    packetsSent: 0,
    bytesSent: 0,
    repairPacketsSent: 0,
    retransmitted: 0,
    retransmitsRefused: 0,
    nacksReceived: 0,
    keyframeRequestsReceived: 0,
  };
  readonly #config: ConnectionConfig;
  readonly #coder: RepairCoder;
  readonly #header = newMediaHeader();
  readonly #slots: Uint8Array[];
  /** The exact-length datagram last built in each slot (what the pacer and retransmission send). */
  readonly #datagrams: (Uint8Array | null)[];
  readonly #slotSeq: Float64Array;
  readonly #slotCapture: Float64Array;
  readonly #mask: number;
  readonly #maxPayload: number;
  readonly #sources: Uint8Array[] = [];
  readonly #repairs: Uint8Array[] = [];
  #nextSeq = 0;
  #nextFrame = 0;
  /** When the last queued datagram of the previous frame leaves; frames never overlap. */
  #pacedUntil = 0;

  constructor(spec: StreamSpec, config: ConnectionConfig, coder: RepairCoder) {
    this.spec = spec;
    this.#config = config;
    this.#coder = coder;
    const packets = spec.kind === 'audio' ? Math.min(1024, config.historyPackets) : config.historyPackets;
    const arena = new ArrayBuffer(packets * config.maxDatagramBytes);
    this.#slots = Array.from(
      { length: packets },
      (_, i) => new Uint8Array(arena, i * config.maxDatagramBytes, config.maxDatagramBytes),
    );
    this.#datagrams = new Array<Uint8Array | null>(packets).fill(null);
    this.#slotSeq = new Float64Array(packets).fill(-1);
    this.#slotCapture = new Float64Array(packets);
    this.#mask = packets - 1;
    this.#maxPayload = maxMediaPayload(config);
  }

  /** Frame id the next frame gets. */
  get nextFrameId(): number {
    return this.#nextFrame;
  }

  /**
   * Packetizes one encoded frame and queues it. `lossRate` (0..1) sizes the FEC; `bitrateBps`
   * bounds how fast the frame may be paced out. Returns the frame id, or -1 when the send queue
   * cannot take the whole frame: a queue that deep means the encoder outruns the path, and a
   * frame sent later than that is worth less than the next one.
   */
  sendFrame(
    now: number,
    payload: Uint8Array,
    input: FrameInput,
    lossRate: number,
    bitrateBps: number,
    pacer: Pacer,
  ): number {
    const frameBytes = payload.length;
    const { fragments, shardBytes } = planFragments(frameBytes, this.#maxPayload);
    const video = this.spec.kind === 'video';
    // Audio gets its own, stronger FEC: a lost audio frame is concealed at once (its playout
    // delay is far below a round trip), so only repair that travels with it can save it.
    const repairs = video
      ? this.#coder.repairCount(
          fragments,
          lossRate,
          this.#config.fecTargetResidual,
          this.#config.fecMaxOverhead,
        )
      : this.#coder.repairCount(
          fragments,
          lossRate,
          this.#config.audioFecTargetResidual,
          this.#config.audioFecMaxOverhead,
        );
    // Everything still queued must keep its ring slot until it leaves: at most half the ring may
    // wait (datagrams of other streams in the same lanes count too, which errs on the safe side).
    const queued = video ? pacer.size(Lane.video) + pacer.size(Lane.repair) : pacer.size(Lane.audio);
    if (queued + fragments + repairs > (this.#mask + 1) / 2) {
      this.stats.framesRefused++;
      return -1;
    }
    const frame = this.#nextFrame++;
    const h = this.#header;
    h.flags = (input.keyframe ? MediaFlag.keyframe : 0) | (video ? 0 : MediaFlag.audio);
    h.stream = this.spec.id;
    h.frame = frame % 2 ** 32;
    h.captureUs = input.captureUs;
    h.frameBytes = frameBytes;
    h.fragments = fragments;
    h.refDistance = input.refDistance ?? (input.keyframe ? 0 : 1);
    h.repairs = repairs;
    h.shardBytes = shardBytes;

    // Spread the frame over part of its interval, but never faster than pacingGain × the rate.
    const total = fragments + repairs;
    const interval = 1_000_000 / this.spec.fps;
    const span = video
      ? Math.max(
          this.#config.pacingFraction * interval,
          ((frameBytes + repairs * shardBytes) * 8 * 1e6) / (this.#config.pacingGain * bitrateBps),
        )
      : 0;
    const start = Math.max(now, this.#pacedUntil);
    const step = total > 1 ? span / total : 0;

    this.#sources.length = 0;
    for (let i = 0; i < fragments; i++) {
      h.seq = this.#nextSeq % 2 ** 32;
      const at = this.#take(input.captureUs);
      const slot = this.#slot(at);
      h.type = PacketType.media;
      h.index = i;
      h.sendUs = Math.floor(start + i * step) % 2 ** 32;
      encodeMediaHeader(h, slot);
      const length = fragmentLength(frameBytes, shardBytes, i);
      slot.set(payload.subarray(i * shardBytes, i * shardBytes + length), MEDIA_HEADER_BYTES);
      // FEC works on equal shards: the short last fragment is zero-padded in its slot.
      if (length < shardBytes) slot.fill(0, MEDIA_HEADER_BYTES + length, MEDIA_HEADER_BYTES + shardBytes);
      if (repairs > 0) this.#sources.push(slot.subarray(MEDIA_HEADER_BYTES, MEDIA_HEADER_BYTES + shardBytes));
      this.#queue(at, MEDIA_HEADER_BYTES + length, video ? Lane.video : Lane.audio, start + i * step, pacer);
    }
    if (repairs > 0) {
      // Repair shards take the sequence numbers right after the frame's sources.
      const firstRepairSeq = this.#nextSeq;
      this.#repairs.length = 0;
      for (let j = 0; j < repairs; j++) {
        const slot = this.#slot(this.#take(input.captureUs));
        this.#repairs.push(slot.subarray(MEDIA_HEADER_BYTES, MEDIA_HEADER_BYTES + shardBytes));
      }
      this.#coder.encode(this.#sources, this.#repairs);
      h.type = PacketType.repair;
      for (let j = 0; j < repairs; j++) {
        const seq = firstRepairSeq + j;
        const at = seq & this.#mask;
        h.seq = seq % 2 ** 32;
        h.index = fragments + j;
        h.sendUs = Math.floor(start + (fragments + j) * step) % 2 ** 32;
        encodeMediaHeader(h, this.#slot(at));
        // Audio repair rides in the audio lane: behind video it would come too late to matter.
        const lane = video ? Lane.repair : Lane.audio;
        this.#queue(at, MEDIA_HEADER_BYTES + shardBytes, lane, start + (fragments + j) * step, pacer);
        this.stats.repairPacketsSent++;
      }
    }
    this.#pacedUntil = start + span;
    this.stats.framesSent++;
    return frame;
  }

  /**
   * Queues a retransmission of `seq` (low 32 bits) if it is still held and can still reach the
   * receiver before `deadlineUs` after capture, given one-way delay `oneWayUs`.
   */
  retransmit(now: number, seq32: number, oneWayUs: number, deadlineUs: number, pacer: Pacer): boolean {
    const at = seq32 & this.#mask;
    const held = this.#slotSeq[at];
    const datagram = this.#datagrams[at];
    if (
      held === undefined ||
      held < 0 ||
      held % 2 ** 32 !== seq32 ||
      datagram === null ||
      datagram === undefined
    ) {
      this.stats.retransmitsRefused++;
      return false;
    }
    if (now + oneWayUs > (this.#slotCapture[at] ?? 0) + deadlineUs) {
      this.stats.retransmitsRefused++;
      return false;
    }
    patchSendTime(datagram, Math.floor(now) % 2 ** 32, MediaFlag.retransmission);
    pacer.enqueue(Lane.retransmission, datagram, now);
    this.stats.retransmitted++;
    return true;
  }

  /** Claims the ring slot of the next sequence number; returns its index. */
  #take(captureUs: number): number {
    const seq = this.#nextSeq++;
    const at = seq & this.#mask;
    this.#slotSeq[at] = seq;
    this.#slotCapture[at] = captureUs;
    this.#datagrams[at] = null;
    return at;
  }

  #slot(at: number): Uint8Array {
    const slot = this.#slots[at];
    if (slot === undefined) throw new RangeError(`history slot ${at} out of range`);
    return slot;
  }

  #queue(at: number, length: number, lane: Lane, releaseAt: number, pacer: Pacer): void {
    const datagram = this.#slot(at).subarray(0, length);
    this.#datagrams[at] = datagram;
    pacer.enqueue(lane, datagram, releaseAt);
    this.stats.packetsSent++;
    this.stats.bytesSent += length;
  }
}
