/**
 * One incoming media stream: tracks sequence numbers to find losses, reassembles frames (with
 * FEC when sources are missing), decides which losses are still worth a NACK before the frame's
 * deadline, and gives frames up when the deadline passes.
 */
import { unwrapU32 } from '../units/index.js';
import type { ConnectionConfig, StreamSpec } from './config.js';
import type { FramePool } from './frame-pool.js';
import type { RepairCoder } from './repair.js';
import { MEDIA_HEADER_BYTES, MediaFlag, PacketType, type MediaHeader, type NackRange } from './wire.js';

/** A frame whose sources are all here, by arrival, FEC or retransmission. */
export interface CompletedFrame {
  readonly stream: number;
  readonly frameId: number;
  readonly keyframe: boolean;
  /** Frame id of the reference, or null when the frame decodes alone. */
  readonly refFrameId: number | null;
  /** Capture time on the sender's clock, µs. */
  readonly captureUs: number;
  /** Capture time on this side's clock, µs (clock offset applied). */
  readonly localCaptureUs: number;
  readonly completedAt: number;
  readonly payload: Uint8Array;
  /** Sources rebuilt by FEC. */
  readonly recovered: number;
}

export interface ReceiveStreamStats {
  packets: number;
  bytes: number;
  duplicates: number;
  /** Packets of frames already finished (complete or given up). */
  latePackets: number;
  retransmittedReceived: number;
  lost: number;
  fecRecovered: number;
  framesCompleted: number;
  framesGivenUp: number;
  nacksSent: number;
  nackedPackets: number;
  jitterUs: number;
}

interface Assembly {
  frameId: number;
  baseSeq: number;
  sources: number;
  repairs: number;
  shardBytes: number;
  frameBytes: number;
  captureUs: number;
  localCaptureUs: number;
  keyframe: boolean;
  refDistance: number;
  deadline: number;
  store: Uint8Array;
  have: Uint8Array;
  sourcesHave: number;
  repairsHave: number;
}

interface Missing {
  deadline: number;
  detectedAt: number;
  nackedAt: number;
  nacks: number;
}

const MAX_ASSEMBLIES = 128;
const FINISHED_RING = 4096;
/**
 * The payload view of a datagram, made once per datagram view: drivers and the session hand the
 * same few views over and over (one per slot and length), so steady traffic makes no object here.
 */
const payloads = new WeakMap<Uint8Array, Uint8Array>();
function payloadOf(datagram: Uint8Array): Uint8Array {
  let payload = payloads.get(datagram);
  if (payload === undefined) {
    payload = datagram.subarray(MEDIA_HEADER_BYTES);
    payloads.set(datagram, payload);
  }
  return payload;
}

/** Frames (and packets) a stream must fall behind before it counts as a sender that started over. */
const RESTART_GAP = 1024;

export class ReceiveStream {
  readonly spec: StreamSpec;
  readonly stats: ReceiveStreamStats = {
    packets: 0,
    bytes: 0,
    duplicates: 0,
    latePackets: 0,
    retransmittedReceived: 0,
    lost: 0,
    fecRecovered: 0,
    framesCompleted: 0,
    framesGivenUp: 0,
    nacksSent: 0,
    nackedPackets: 0,
    jitterUs: 0,
  };
  readonly #config: ConnectionConfig;
  readonly #coder: RepairCoder;
  readonly #pool: FramePool;
  readonly #seen: Float64Array;
  readonly #seenMask: number;
  readonly #finished = new Float64Array(FINISHED_RING).fill(-1);
  readonly #assemblies = new Map<number, Assembly>();
  readonly #missing = new Map<number, Missing>();
  readonly #shards: Uint8Array[] = [];
  #highestSeq = -1;
  #highestFrame = -1;
  // NaN until the first original packet, not null: see Connection's #lastSendUs (a field that has
  // held null makes a heap number of every double stored in it).
  #lastTransit = Number.NaN;
  // Counters since the last receiver report.
  #reportHighest = -1;
  #reportOriginals = 0;
  #reportBytes = 0;
  /*
   * The scans of the assembly and missing maps run per timeout and per poll: they go through
   * Map.forEach with callbacks made once, reading and writing these fields, so that no iterator,
   * entry pair or closure is made per call.
   */
  #scanNow = 0;
  #scanRtt = 0;
  #scanResend = 0;
  #scanNext = Infinity;
  #scanOut: number[] = [];
  readonly #expireAssembly = (a: Assembly): void => {
    if (a.deadline <= this.#scanNow) {
      this.#scanOut.push(a.frameId);
      this.#finish(a, false);
      this.stats.framesGivenUp++;
    }
  };
  readonly #expireMissing = (m: Missing, seq: number): void => {
    if (m.deadline <= this.#scanNow) {
      this.#missing.delete(seq);
      this.stats.lost++;
    }
  };
  readonly #earliestAssembly = (a: Assembly): void => {
    if (a.deadline < this.#scanNext) this.#scanNext = a.deadline;
  };
  readonly #earliestMissing = (m: Missing): void => {
    const due = m.nacks === 0 ? m.detectedAt + this.#config.nackDelayUs : m.nackedAt + this.#scanResend;
    const at = due + this.#scanRtt > m.deadline ? m.deadline : due;
    if (at < this.#scanNext) this.#scanNext = at;
  };

  constructor(spec: StreamSpec, config: ConnectionConfig, coder: RepairCoder, pool: FramePool) {
    this.spec = spec;
    this.#config = config;
    this.#coder = coder;
    this.#pool = pool;
    this.#seen = new Float64Array(config.historyPackets).fill(-1);
    this.#seenMask = config.historyPackets - 1;
  }

  get highestSeq(): number {
    return this.#highestSeq;
  }

  /**
   * Whether `h` comes from a sender that started over: a keyframe whose frame id and sequence
   * number are both far behind everything seen. Such a stream would otherwise be dropped as late
   * until its ids caught up with the old ones, which could take days.
   */
  isRestartOf(h: MediaHeader): boolean {
    if (this.#highestFrame < 0 || (h.flags & MediaFlag.keyframe) === 0) return false;
    const frameId = unwrapU32(h.frame, this.#highestFrame);
    const seq = unwrapU32(h.seq, this.#highestSeq);
    return frameId < this.#highestFrame - RESTART_GAP && seq < this.#highestSeq - RESTART_GAP;
  }

  /**
   * Takes one validated media or repair datagram. `toLocal` turns a sender-clock time into this
   * side's clock. Returns the completed frame when this packet completed one.
   */
  onPacket(
    now: number,
    h: MediaHeader,
    datagram: Uint8Array,
    toLocal: (peerUs: number) => number,
  ): CompletedFrame | null {
    const seq = this.#highestSeq < 0 ? h.seq : unwrapU32(h.seq, this.#highestSeq);
    const slot = seq & this.#seenMask;
    if (this.#seen[slot] === seq) {
      this.stats.duplicates++;
      return null;
    }
    this.#seen[slot] = seq;
    const retransmission = (h.flags & MediaFlag.retransmission) !== 0;
    this.stats.packets++;
    this.stats.bytes += datagram.length;
    this.#reportBytes += datagram.length;
    if (retransmission) this.stats.retransmittedReceived++;
    else {
      this.#reportOriginals++;
      this.#updateJitter(now, h.sendUs);
    }
    this.#trackSeq(now, seq);

    const frameId = this.#highestFrame < 0 ? h.frame : unwrapU32(h.frame, this.#highestFrame);
    if (
      this.#finished[frameId % FINISHED_RING] === frameId ||
      frameId < this.#highestFrame - FINISHED_RING / 2
    ) {
      this.stats.latePackets++;
      return null;
    }
    if (frameId > this.#highestFrame) this.#highestFrame = frameId;
    let assembly = this.#assemblies.get(frameId);
    if (assembly === undefined) {
      assembly = this.#open(now, frameId, seq - h.index, h, toLocal(h.captureUs));
    } else if (
      assembly.sources !== h.fragments ||
      assembly.repairs !== h.repairs ||
      assembly.shardBytes !== h.shardBytes ||
      assembly.frameBytes !== h.frameBytes
    ) {
      // Inconsistent with the frame's earlier packets: a forged or corrupt datagram.
      this.stats.duplicates++;
      return null;
    }
    const index = h.index;
    if (assembly.have[index] === 1) {
      this.stats.duplicates++;
      return null;
    }
    const payload = payloadOf(datagram);
    const payloadLength = payload.length;
    const store = assembly.store;
    const at = index * assembly.shardBytes;
    store.set(payloadLength <= assembly.shardBytes ? payload : payload.subarray(0, assembly.shardBytes), at);
    if (h.type === PacketType.media && payloadLength < assembly.shardBytes) {
      store.fill(0, at + payloadLength, at + assembly.shardBytes);
    }
    assembly.have[index] = 1;
    if (index < assembly.sources) assembly.sourcesHave++;
    else assembly.repairsHave++;
    return this.#tryComplete(now, assembly);
  }

  /** Frames whose deadline has passed unfinished: given up, their losses forgotten. */
  expire(now: number, out: number[]): void {
    this.#scanNow = now;
    this.#scanOut = out;
    // Deleting the entry being visited is allowed during Map.forEach.
    if (this.#assemblies.size > 0) this.#assemblies.forEach(this.#expireAssembly);
    if (this.#missing.size > 0) this.#missing.forEach(this.#expireMissing);
  }

  /**
   * Adds to `out` the losses worth a NACK now: old enough not to be reordering, not NACKed within
   * the last RTT, and able to arrive (now + RTT) before their frame's deadline.
   */
  collectNacks(now: number, rttUs: number, out: NackRange[]): void {
    if (this.#missing.size === 0) return;
    const resend = Math.max(rttUs * 1.25, 2_000);
    let open: NackRange | null = null;
    for (const [seq, m] of this.#missing) {
      const due = m.nacks === 0 ? m.detectedAt + this.#config.nackDelayUs <= now : m.nackedAt + resend <= now;
      if (!due || now + rttUs > m.deadline) continue;
      m.nackedAt = now;
      m.nacks++;
      this.stats.nackedPackets++;
      const seq32 = seq % 2 ** 32;
      if (open !== null && (open.start + open.count) % 2 ** 32 === seq32 && open.count < 65536) open.count++;
      else {
        open = { start: seq32, count: 1 };
        out.push(open);
      }
    }
  }

  /** When a NACK, a give-up or a loss expiry may next be due, or Infinity. */
  nextTimeout(rttUs: number): number {
    this.#scanNext = Infinity;
    if (this.#assemblies.size > 0) this.#assemblies.forEach(this.#earliestAssembly);
    if (this.#missing.size > 0) {
      this.#scanRtt = rttUs;
      this.#scanResend = Math.max(rttUs * 1.25, 2_000);
      this.#missing.forEach(this.#earliestMissing);
    }
    return this.#scanNext;
  }

  /** Loss since the previous call (0..1), bytes received since then; resets the interval. */
  takeInterval(): { lossFraction: number; bytes: number } {
    const expected = this.#highestSeq - this.#reportHighest;
    const lossFraction = expected > 0 ? Math.max(0, 1 - this.#reportOriginals / expected) : 0;
    const bytes = this.#reportBytes;
    this.#reportHighest = this.#highestSeq;
    this.#reportOriginals = 0;
    this.#reportBytes = 0;
    return { lossFraction, bytes };
  }

  /** Gives a completed frame's buffer back for reuse. */
  recycle(payload: Uint8Array): void {
    this.#pool.give(payload);
  }

  #trackSeq(now: number, seq: number): void {
    if (this.#highestSeq < 0) {
      this.#highestSeq = seq;
      this.#reportHighest = seq - 1;
      return;
    }
    if (seq > this.#highestSeq) {
      const gap = seq - this.#highestSeq - 1;
      if (gap > this.#seenMask / 2) {
        // A jump this large is a restart of the sender, not loss: start afresh.
        this.#missing.clear();
        this.#reportHighest = seq - 1;
      } else {
        for (let s = this.#highestSeq + 1; s < seq; s++) {
          this.#missing.set(s, {
            deadline: now + this.#config.deadlineUs,
            detectedAt: now,
            nackedAt: 0,
            nacks: 0,
          });
        }
      }
      this.#highestSeq = seq;
    } else {
      this.#missing.delete(seq);
    }
  }

  #open(now: number, frameId: number, baseSeq: number, h: MediaHeader, localCaptureUs: number): Assembly {
    if (this.#assemblies.size >= MAX_ASSEMBLIES) {
      const oldest = Math.min(...this.#assemblies.keys());
      const victim = this.#assemblies.get(oldest);
      if (victim !== undefined) {
        this.#finish(victim, false);
        this.stats.framesGivenUp++;
      }
    }
    const total = h.fragments + h.repairs;
    const assembly: Assembly = {
      frameId,
      baseSeq,
      sources: h.fragments,
      repairs: h.repairs,
      shardBytes: h.shardBytes,
      frameBytes: h.frameBytes,
      captureUs: h.captureUs,
      localCaptureUs,
      keyframe: (h.flags & MediaFlag.keyframe) !== 0,
      refDistance: h.refDistance,
      deadline: Math.max(now, localCaptureUs + this.#config.deadlineUs),
      store: this.#pool.take(total * h.shardBytes),
      have: new Uint8Array(total),
      sourcesHave: 0,
      repairsHave: 0,
    };
    this.#assemblies.set(frameId, assembly);
    // Losses inside this frame now have an exact deadline.
    for (let s = baseSeq; s < baseSeq + total; s++) {
      const m = this.#missing.get(s);
      if (m !== undefined) m.deadline = assembly.deadline;
    }
    return assembly;
  }

  #tryComplete(now: number, a: Assembly): CompletedFrame | null {
    let recovered = 0;
    if (a.sourcesHave < a.sources) {
      if (a.sourcesHave + a.repairsHave < a.sources) return null;
      const shards = this.#shards;
      shards.length = 0;
      for (let i = 0; i < a.sources + a.repairs; i++) {
        shards.push(a.store.subarray(i * a.shardBytes, (i + 1) * a.shardBytes));
      }
      if (!this.#coder.decode(shards, a.have, a.sources, a.shardBytes)) return null;
      recovered = a.sources - a.sourcesHave;
      this.stats.fecRecovered += recovered;
    }
    this.#finish(a, true);
    this.stats.framesCompleted++;
    return {
      stream: this.spec.id,
      frameId: a.frameId,
      keyframe: a.keyframe,
      refFrameId: a.refDistance === 0 ? null : a.frameId - a.refDistance,
      captureUs: a.captureUs,
      localCaptureUs: a.localCaptureUs,
      completedAt: now,
      payload: a.store.subarray(0, a.frameBytes),
      recovered,
    };
  }

  #finish(a: Assembly, complete: boolean): void {
    this.#assemblies.delete(a.frameId);
    this.#finished[a.frameId % FINISHED_RING] = a.frameId;
    for (let s = a.baseSeq; s < a.baseSeq + a.sources + a.repairs; s++) {
      if (this.#missing.delete(s) && !complete) this.stats.lost++;
    }
    if (!complete) this.#pool.give(a.store);
  }

  /** RFC 3550 interarrival jitter from the send times the sender stamps. */
  #updateJitter(now: number, sendUs32: number): void {
    const transit = now - sendUs32;
    if (!Number.isNaN(this.#lastTransit)) {
      let d = transit - this.#lastTransit;
      // The send time wraps at 2^32 µs; a wrap shows up as a jump of about that size.
      if (d > 2 ** 31) d -= 2 ** 32;
      else if (d < -(2 ** 31)) d += 2 ** 32;
      this.stats.jitterUs += (Math.abs(d) - this.stats.jitterUs) / 16;
    }
    this.#lastTransit = transit;
  }
}
