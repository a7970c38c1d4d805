/**
 * One end of a doorway media connection, sans-I/O: `handleDatagram(now, bytes)` and
 * `handleTimeout(now)` in; `pollTransmit()`, `pollEvent()` and `pollTimeout()` out. It never
 * reads a clock, never touches a socket and never throws on network input: malformed datagrams
 * are counted and dropped. `now` is this side's clock in µs; capture times passed to
 * `sendFrame` are on the same clock.
 */
import {
  bitsPerSecond,
  frameId as toFrameId,
  micros,
  type BitsPerSecond,
  type Micros,
} from '../units/index.js';
import { LossBasedController, DelayBasedEstimator } from './bandwidth.js';
import { ClockSync } from './clock-sync.js';
import { connectionConfig, type ConnectionConfig, type StreamSpec } from './config.js';
import { FramePool } from './frame-pool.js';
import { VideoJitterBuffer } from './jitter-buffer.js';
import { Lane, Pacer } from './pacer.js';
import { ReceiveStream, type CompletedFrame } from './receive-stream.js';
import { ReedSolomonRepair, type RepairCoder } from './repair.js';
import { SendStream, type FrameInput } from './send-stream.js';
import { ConnectionStats, type MalformedReason } from './stats.js';
import {
  ControlKind,
  ControlWriter,
  decodeControl,
  decodeMediaHeader,
  DecodeResult,
  newMediaHeader,
  PacketType,
  peekType,
  type ControlMessage,
  type NackRange,
} from './wire.js';

/** What the connection tells its owner; switch on `kind`. */
export type ConnectionEvent =
  /** A frame is complete (before the jitter buffer): for latency and on-time accounting. */
  | { readonly kind: 'frame-complete'; readonly frame: CompletedFrame }
  /** A frame leaves the jitter buffer for the decoder, in order, at its playout time. */
  | { readonly kind: 'frame'; readonly frame: CompletedFrame; readonly releasedAt: number }
  /** A frame that will never be played: lost, too late, or undecodable after a loss. */
  | {
      readonly kind: 'frame-dropped';
      readonly stream: number;
      readonly frameId: number;
      readonly reason: 'lost' | 'late' | 'undecodable';
    }
  /** The peer asks for a keyframe on one of our streams. */
  | { readonly kind: 'keyframe-request'; readonly stream: number }
  /** The bitrate the encoder should aim at now. */
  | { readonly kind: 'bandwidth'; readonly bps: BitsPerSecond };

export interface ConnectionOptions {
  readonly config?: Partial<ConnectionConfig>;
  /** Erasure code; Reed-Solomon by default. */
  readonly repair?: RepairCoder;
}

export class Connection {
  readonly config: ConnectionConfig;
  readonly #send = new Map<number, SendStream>();
  readonly #recv = new Map<number, ReceiveStream>();
  readonly #jitter = new Map<number, VideoJitterBuffer<CompletedFrame>>();
  /**
   * The receive streams' ids, in config order, for the per-timeout and per-poll loops: walking
   * `#recv` itself made a Map iterator (and an entry pair) per call, seen in the receive path's
   * heap profile.
   */
  readonly #recvIds: number[] = [];
  readonly #pacer: Pacer;
  readonly #clock = new ClockSync();
  readonly #delayEstimator: DelayBasedEstimator;
  readonly #lossController: LossBasedController;
  readonly #pool = new FramePool();
  readonly #repair: RepairCoder;
  readonly #header = newMediaHeader();
  readonly #control: ControlWriter;
  readonly #messages: ControlMessage[] = [];
  readonly #events: ConnectionEvent[] = [];
  readonly #nacks: NackRange[] = [];
  readonly #expired: number[] = [];
  readonly #lastKeyframeRequest = new Map<number, number>();
  /** Per stalled video stream, the last frame released before the stall (for repeated requests). */
  readonly #stalledAfter = new Map<number, number>();
  /** Per stalled video stream, keyframe requests repeated in this stall. */
  readonly #stallRetries = new Map<number, number>();
  readonly #stats = new ConnectionStats();
  #now = 0;
  #nextPingAt = 0;
  #nextReportAt = 0;
  #pingId = 0;
  #lossRate: number;
  #peerDeadlineUs: number;
  #targetBps: number;
  // NaN until the first packet, not null: a field that has held null keeps each double stored in
  // it as a new heap number (one per received packet, measured); one that only holds numbers
  // updates its number in place.
  #lastSendUs = Number.NaN;
  #lastSendUnwrapped = 0;
  #toLocal = (peerUs: number): number => this.#clock.toLocal(micros(Math.round(peerUs))) ?? peerUs;

  constructor(options: ConnectionOptions = {}) {
    this.config = connectionConfig(options.config);
    const repair = options.repair ?? new ReedSolomonRepair();
    this.#repair = repair;
    // Lanes hold at most half the retransmission ring, so a queued datagram's ring slot is never
    // reused before it leaves.
    this.#pacer = new Pacer(this.config.historyPackets / 2);
    this.#control = new ControlWriter(this.config.maxDatagramBytes - this.config.overheadBytes);
    for (const spec of this.config.streams) {
      this.#send.set(spec.id, new SendStream(spec, this.config, repair));
      this.#recv.set(spec.id, new ReceiveStream(spec, this.config, repair, this.#pool));
      this.#recvIds.push(spec.id);
      if (spec.kind === 'video') this.#jitter.set(spec.id, this.#newJitterBuffer());
    }
    this.#lossRate = this.config.fecInitialLoss;
    this.#peerDeadlineUs = this.config.deadlineUs;
    this.#targetBps = this.config.initialBitrateBps;
    const bounds = {
      initial: bitsPerSecond(this.config.initialBitrateBps),
      min: bitsPerSecond(this.config.minBitrateBps),
      max: bitsPerSecond(this.config.maxBitrateBps),
    };
    this.#delayEstimator = new DelayBasedEstimator(bounds);
    this.#lossController = new LossBasedController(bounds);
  }

  // ---- the application's side ------------------------------------------------------------------

  /**
   * Packetizes and queues one encoded frame; returns its frame id, or -1 (counted as refused)
   * when the send queue is too deep to take it.
   */
  sendFrame(now: number, stream: number, payload: Uint8Array, input: FrameInput): number {
    this.#advance(now);
    const s = this.#send.get(stream);
    if (s === undefined) throw new RangeError(`no stream ${stream} on this connection`);
    if (payload.length === 0 || payload.length > this.config.maxFrameBytes) {
      throw new RangeError(`frame of ${payload.length} bytes (allowed 1..${this.config.maxFrameBytes})`);
    }
    return s.sendFrame(now, payload, input, this.#lossRate, this.#targetBps, this.#pacer);
  }

  pollEvent(): ConnectionEvent | null {
    return this.#events.shift() ?? null;
  }

  /** Hands a frame's buffer back once the decoder is done with it. */
  recycle(frame: CompletedFrame): void {
    this.#pool.give(frame.payload);
  }

  /** Current bitrate target for the encoder (also announced through `bandwidth` events). */
  get targetBitrate(): BitsPerSecond {
    return this.#targetBps as BitsPerSecond;
  }

  get clock(): ClockSync {
    return this.#clock;
  }

  stats(): ReturnType<ConnectionStats['snapshot']> {
    return this.#stats.snapshot(this.#send, this.#recv, this.#jitter, this.#clock, {
      estimateBps: this.#delayEstimator.estimate(micros(Math.round(this.#now))),
      targetBps: this.#targetBps,
      lossRate: this.#lossRate,
      queued: this.#pacer.queued,
    });
  }

  // ---- the network's side ----------------------------------------------------------------------

  handleDatagram(now: number, bytes: Uint8Array): void {
    this.#advance(now);
    this.#stats.datagramsIn++;
    if (bytes.length > this.config.maxDatagramBytes) {
      this.#malformed('oversized');
      return;
    }
    const type = peekType(bytes);
    switch (type) {
      case PacketType.media:
      case PacketType.repair:
        this.#onMedia(now, bytes);
        break;
      case PacketType.control:
        this.#onControl(now, bytes);
        break;
      case -1:
        this.#malformed(bytes.length === 0 ? 'truncated' : 'unknown-type');
        break;
    }
  }

  handleTimeout(now: number): void {
    this.#advance(now);
    if (now >= this.#nextPingAt) {
      this.#nextPingAt = now + this.config.pingIntervalUs;
      this.#queueControl((w) => w.ping(++this.#pingId, now));
    }
    const rtt = this.#rtt();
    for (const id of this.#recvIds) {
      const stream = this.#recv.get(id);
      if (stream === undefined) continue;
      this.#expired.length = 0;
      stream.expire(now, this.#expired);
      const jb = this.#jitter.get(id);
      for (const frameId of this.#expired) {
        if (jb !== undefined) jb.giveUp(micros(Math.round(now)), toFrameId(frameId));
        else this.#events.push({ kind: 'frame-dropped', stream: id, frameId, reason: 'lost' });
      }
      this.#nacks.length = 0;
      stream.collectNacks(now, rtt, this.#nacks);
      if (this.#nacks.length > 0) this.#sendNacks(id, stream);
      if (jb !== undefined) {
        this.#drainJitter(now, id, jb);
        // The request or the keyframe it asked for may be lost too: ask again for as long as the
        // stream stays stalled (intra refresh sends no other IDR), backing off so that keyframes
        // still on their way over a slow path are not multiplied.
        const asked = this.#lastKeyframeRequest.get(id);
        if (jb.keyframeNeeded && asked !== undefined && now >= asked + this.#retryWait(id)) {
          this.#stallRetries.set(id, (this.#stallRetries.get(id) ?? 0) + 1);
          this.#requestKeyframe(now, id, this.#stalledAfter.get(id) ?? 0);
        }
      }
    }
    if (now >= this.#nextReportAt) {
      this.#nextReportAt = now + this.config.reportIntervalUs;
      this.#sendReports(now);
    }
    // Without reports from the peer (a dead return path) the loss controller lowers the target.
    const feedbackDue = this.#lossController.pollTimeout();
    if (feedbackDue !== null && feedbackDue <= now) {
      this.#lossController.handleTimeout(micros(Math.round(now)));
      this.#announceTarget();
    }
  }

  #announceTarget(): void {
    const change = this.#lossController.pollTargetChange();
    if (change !== null) {
      this.#targetBps = change;
      this.#events.push({ kind: 'bandwidth', bps: change });
    }
  }

  pollTransmit(): Uint8Array | null {
    const datagram = this.#pacer.poll(this.#now + this.config.pacingQuantumUs);
    if (datagram !== null) {
      this.#stats.datagramsOut++;
      this.#stats.bytesOut += datagram.length;
    }
    return datagram;
  }

  /**
   * The pacing lane of the datagram the last `pollTransmit` returned (control rides the audio
   * lane): what a driver marks it with on the network (DSCP).
   */
  lastTransmitLane(): Lane {
    return this.#pacer.lastLane;
  }

  pollTimeout(): Micros {
    let next = Math.min(this.#nextPingAt, this.#nextReportAt);
    const pacer = this.#pacer.nextRelease();
    if (pacer !== null) next = Math.min(next, pacer - this.config.pacingQuantumUs);
    const feedback = this.#lossController.pollTimeout();
    if (feedback !== null) next = Math.min(next, feedback);
    const rtt = this.#rtt();
    for (const id of this.#recvIds) {
      const stream = this.#recv.get(id);
      if (stream !== undefined) next = Math.min(next, stream.nextTimeout(rtt));
      const jb = this.#jitter.get(id);
      if (jb === undefined) continue;
      const t = jb.pollTimeout();
      if (t !== null) next = Math.min(next, t);
      const asked = this.#lastKeyframeRequest.get(id);
      if (jb.keyframeNeeded && asked !== undefined) next = Math.min(next, asked + this.#retryWait(id));
    }
    return micros(Math.ceil(Math.max(next, this.#now)));
  }

  // ---- internals -------------------------------------------------------------------------------

  #advance(now: number): void {
    if (now > this.#now) this.#now = now;
  }

  #rtt(): number {
    return this.#clock.rtt ?? 50_000;
  }

  #malformed(reason: MalformedReason): void {
    this.#stats.malformed(reason);
  }

  #onMedia(now: number, bytes: Uint8Array): void {
    const h = this.#header;
    const result = decodeMediaHeader(bytes, h, this.config.maxFrameBytes);
    if (result !== DecodeResult.ok) {
      this.#malformed(reasonOf(result));
      return;
    }
    let stream = this.#recv.get(h.stream);
    if (stream === undefined) {
      this.#malformed('unknown-stream');
      return;
    }
    if (stream.isRestartOf(h)) stream = this.#restartStream(stream);
    this.#delayEstimator.onPacket(
      micros(Math.round(now)),
      micros(this.#unwrapSendTime(h.sendUs)),
      bytes.length,
    );
    const frame = stream.onPacket(now, h, bytes, this.#toLocal);
    if (frame === null) return;
    this.#events.push({ kind: 'frame-complete', frame });
    const jb = this.#jitter.get(h.stream);
    if (jb === undefined) {
      this.#events.push({ kind: 'frame', frame, releasedAt: now });
      return;
    }
    jb.insert(micros(Math.round(now)), {
      frameId: toFrameId(frame.frameId),
      localCaptureUs: micros(Math.round(frame.localCaptureUs)),
      keyframe: frame.keyframe,
      refFrameId: frame.refFrameId === null ? null : toFrameId(frame.refFrameId),
      payload: frame,
    });
    this.#drainJitter(now, h.stream, jb);
  }

  /**
   * The peer's sender started over, as a layer above learnt (a secure session re-opened after the
   * peer fell silent): every receive stream and jitter buffer begins afresh, so the new sender's
   * low frame ids are not taken for stale ones. Counters carry over.
   */
  restartReceive(): void {
    for (const stream of [...this.#recv.values()]) this.#restartStream(stream);
  }

  /**
   * The peer's sender started over (a restart of its process): the stream's receive state and
   * jitter buffer begin afresh from this keyframe, so playback resumes at once.
   */
  #restartStream(old: ReceiveStream): ReceiveStream {
    const spec = old.spec;
    const fresh = new ReceiveStream(spec, this.config, this.#repair, this.#pool);
    // The counters are the connection's history, not the old sender's: they carry over.
    Object.assign(fresh.stats, old.stats);
    this.#recv.set(spec.id, fresh);
    if (this.#jitter.has(spec.id)) this.#jitter.set(spec.id, this.#newJitterBuffer());
    this.#stats.streamRestarts++;
    return fresh;
  }

  /** The 32-bit send time extended by its distance from the previous one. */
  #unwrapSendTime(sendUs32: number): number {
    if (Number.isNaN(this.#lastSendUs)) {
      this.#lastSendUs = sendUs32;
      this.#lastSendUnwrapped = sendUs32;
      return sendUs32;
    }
    let delta = sendUs32 - this.#lastSendUs;
    if (delta > 2 ** 31) delta -= 2 ** 32;
    else if (delta < -(2 ** 31)) delta += 2 ** 32;
    this.#lastSendUs = sendUs32;
    this.#lastSendUnwrapped += delta;
    return this.#lastSendUnwrapped;
  }

  #onControl(now: number, bytes: Uint8Array): void {
    const result = decodeControl(bytes, this.#messages);
    if (result !== DecodeResult.ok) {
      this.#malformed(reasonOf(result));
      return;
    }
    for (const message of this.#messages) this.#onMessage(now, message);
  }

  #onMessage(now: number, m: ControlMessage): void {
    switch (m.kind) {
      case ControlKind.nack: {
        const stream = this.#send.get(m.stream);
        if (stream === undefined) {
          this.#malformed('unknown-stream');
          return;
        }
        stream.stats.nacksReceived++;
        const oneWay = this.#rtt() / 2;
        for (const range of m.ranges) {
          for (let i = 0; i < range.count; i++) {
            stream.retransmit(now, (range.start + i) % 2 ** 32, oneWay, this.#peerDeadlineUs, this.#pacer);
          }
        }
        return;
      }
      case ControlKind.keyframeRequest: {
        const stream = this.#send.get(m.stream);
        if (stream === undefined) {
          this.#malformed('unknown-stream');
          return;
        }
        stream.stats.keyframeRequestsReceived++;
        this.#events.push({ kind: 'keyframe-request', stream: m.stream });
        return;
      }
      case ControlKind.receiverReport: {
        if (!this.#send.has(m.stream)) {
          this.#malformed('unknown-stream');
          return;
        }
        const r = m.report;
        this.#peerDeadlineUs = r.deadlineUs;
        // FEC follows the measured loss: quick to rise, slow to fall.
        const alpha = r.lossFraction > this.#lossRate ? 0.5 : 0.05;
        this.#lossRate += alpha * (r.lossFraction - this.#lossRate);
        this.#lossController.onReport(
          micros(Math.round(now)),
          r.lossFraction,
          r.estimateBps > 0 ? (r.estimateBps as BitsPerSecond) : null,
        );
        this.#announceTarget();
        return;
      }
      case ControlKind.ping:
        this.#queueControl((w) => w.pong(m.id, m.t1, now, now));
        return;
      case ControlKind.pong: {
        this.#clock.onPong(micros(m.t1), micros(m.t2), micros(m.t3), micros(Math.round(now)));
        const rtt = this.#clock.rtt;
        if (rtt !== null) {
          this.#delayEstimator.setRtt(rtt);
          this.#lossController.setRtt(rtt);
        }
        return;
      }
    }
  }

  #sendNacks(streamId: number, stream: ReceiveStream): void {
    let first = 0;
    while (first < this.#nacks.length) {
      this.#control.begin();
      const room = Math.min(this.#control.nackRoom(), this.#nacks.length - first);
      this.#control.nack(streamId, this.#nacks, first, room);
      this.#pacer.enqueue(Lane.audio, this.#control.finish(), this.#now);
      stream.stats.nacksSent++;
      first += room;
    }
  }

  #sendReports(now: number): void {
    // Until the delay-based estimator has seen congestion once, its number is only its starting
    // guess: report none, so it does not cap a sender the path has room for (GCC initialises its
    // rate control at the first overuse for the same reason).
    const delayStats = this.#delayEstimator.stats(micros(Math.round(now)));
    const estimate = delayStats.decreases > 0 ? delayStats.estimate : 0;
    for (const [id, stream] of this.#recv) {
      if (stream.highestSeq < 0) continue;
      const interval = stream.takeInterval();
      this.#queueControl((w) =>
        w.receiverReport(id, {
          highestSeq: stream.highestSeq % 2 ** 32,
          lossFraction: interval.lossFraction,
          jitterUs: stream.stats.jitterUs,
          estimateBps: estimate,
          receiveBps: (interval.bytes * 8 * 1e6) / this.config.reportIntervalUs,
          deadlineUs: this.config.deadlineUs,
        }),
      );
    }
  }

  #queueControl(write: (w: ControlWriter) => boolean): void {
    this.#control.begin();
    if (write(this.#control)) this.#pacer.enqueue(Lane.audio, this.#control.finish(), this.#now);
  }

  /**
   * How long after the last request a stalled stream asks again: a second at first, doubling up
   * to 8 s. A keyframe is several frames' worth of bytes; asking sooner, over a path that is slow
   * because it is congested, sends more of them before the first has arrived.
   */
  #retryWait(stream: number): number {
    const retries = Math.min(this.#stallRetries.get(stream) ?? 0, 3);
    return Math.max(this.config.keyframeRequestIntervalUs, 1_000_000) * 2 ** retries;
  }

  #requestKeyframe(now: number, stream: number, lastFrame: number): void {
    const last = this.#lastKeyframeRequest.get(stream);
    if (last !== undefined && now - last < this.config.keyframeRequestIntervalUs) return;
    this.#lastKeyframeRequest.set(stream, now);
    this.#stats.keyframeRequestsSent++;
    this.#queueControl((w) => w.keyframeRequest(stream, lastFrame % 2 ** 32));
  }

  #newJitterBuffer(): VideoJitterBuffer<CompletedFrame> {
    return new VideoJitterBuffer<CompletedFrame>({
      minDelayUs: micros(this.config.minPlayoutDelayUs),
      maxDelayUs: micros(this.config.maxPlayoutDelayUs),
      // The transport gives a frame up at its deadline and says so; until then a retransmission may
      // still complete it. Giving up sooner would trade a short wait for a keyframe round trip.
      maxLatenessUs: micros(this.config.deadlineUs),
    });
  }

  #drainJitter(now: number, stream: number, jb: VideoJitterBuffer<CompletedFrame>): void {
    const at = micros(Math.round(now));
    for (let frame = jb.pollRelease(at); frame !== null; frame = jb.pollRelease(at)) {
      this.#events.push({ kind: 'frame', frame: frame.payload, releasedAt: now });
    }
    for (let e = jb.pollEvent(); e !== null; e = jb.pollEvent()) {
      switch (e.kind) {
        case 'released':
          break;
        case 'late':
        case 'lost':
        case 'undecodable':
          this.#events.push({ kind: 'frame-dropped', stream, frameId: e.frameId, reason: e.kind });
          break;
        case 'keyframe-needed':
          this.#stalledAfter.set(stream, e.afterFrameId);
          this.#stallRetries.set(stream, 0);
          this.#requestKeyframe(now, stream, e.afterFrameId);
          break;
      }
    }
  }
}

function reasonOf(result: DecodeResult): MalformedReason {
  switch (result) {
    case DecodeResult.truncated:
      return 'truncated';
    case DecodeResult.badVersion:
      return 'bad-version';
    case DecodeResult.unknownType:
      return 'unknown-type';
    case DecodeResult.badField:
    case DecodeResult.ok:
      return 'bad-field';
  }
}

export type { StreamSpec };
