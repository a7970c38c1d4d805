/**
 * Runs a doorway sender and receiver against each other through the seeded network simulator,
 * on virtual time: the same frames, loss and delay give the same result every run, and a
 * minute of traffic takes as long as its computation. The transport's scenario tests and its
 * impairment benchmark are built on this.
 */
import { Rng } from '../rng/index.js';
import { Path, VirtualNetwork, type LinkConfig, type LinkStats } from '../netsim/index.js';
import {
  Connection,
  type ConnectionConfig,
  type ConnectionEvent,
  type RepairCoder,
} from '../protocol/index.js';
import { transportRepair } from './repair.js';
import { SyntheticFrames, verifySyntheticFrame } from '../synthetic/index.js';
import { micros, type Micros } from '../units/index.js';
import { FrameLedger, type FrameLogLine, type ReceiveReport } from './report.js';

export interface SimulationOptions {
  /** Impairments sender → receiver. */
  readonly forward: LinkConfig;
  /** Impairments receiver → sender; the forward ones when absent. */
  readonly reverse?: LinkConfig;
  readonly durationS: number;
  readonly bitrateBps: number;
  readonly fps?: number;
  readonly keyframeInterval?: number;
  readonly deadlineMs: number;
  readonly seed?: number;
  /** Follow the bandwidth estimate (default true). */
  readonly adapt?: boolean;
  /** The receiver's clock runs this far ahead of the sender's, µs. */
  readonly clockOffsetUs?: number;
  readonly config?: Partial<ConnectionConfig>;
  /** The erasure code both ends use; the native kernel when built (see tools/repair.ts). */
  readonly repair?: RepairCoder;
  /** Sees every event of the receiver (after the harness). */
  readonly onReceiverEvent?: (event: ConnectionEvent, now: number) => void;
  /** Sees every event of the sender. */
  readonly onSenderEvent?: (event: ConnectionEvent, now: number) => void;
}

export interface SimulationResult {
  readonly report: ReceiveReport;
  /** Every frame's capture and completion time (receiver clock) and status. */
  readonly frames: readonly FrameLogLine[];
  readonly sender: ReturnType<Connection['stats']>;
  readonly receiver: ReturnType<Connection['stats']>;
  readonly keyframes: number;
  readonly keyframeRequests: number;
  /** Frames the decoder side got, in order, from the jitter buffer. */
  readonly played: number;
  readonly bitrates: readonly { readonly atUs: number; readonly bps: number }[];
  /** What the simulated network did in each direction. */
  readonly links: { readonly forward: LinkStats; readonly reverse: LinkStats };
}

const STREAM = 1;

/** The sans-I/O endpoint shape, with the receiver's clock offset applied at its boundary. */
class Skewed {
  readonly inner: Connection;
  readonly #offset: number;
  readonly #beforeTimeout: (now: number) => void;
  readonly #nextEvent: () => number;

  constructor(
    inner: Connection,
    offset: number,
    beforeTimeout: (now: number) => void,
    nextEvent: () => number,
  ) {
    this.inner = inner;
    this.#offset = offset;
    this.#beforeTimeout = beforeTimeout;
    this.#nextEvent = nextEvent;
  }

  handleDatagram(now: Micros, datagram: Uint8Array): void {
    this.inner.handleDatagram(now + this.#offset, datagram);
  }

  handleTimeout(now: Micros): void {
    this.#beforeTimeout(now + this.#offset);
    this.inner.handleTimeout(now + this.#offset);
  }

  pollTransmit(): Uint8Array | null {
    return this.inner.pollTransmit();
  }

  pollTimeout(): Micros {
    return micros(Math.min(this.inner.pollTimeout(), this.#nextEvent()) - this.#offset);
  }
}

export function simulateTransport(options: SimulationOptions): SimulationResult {
  const fps = options.fps ?? 60;
  const streams = [
    { id: 0, kind: 'audio' as const, fps: 100 },
    { id: STREAM, kind: 'video' as const, fps },
  ];
  const repair = options.repair ?? transportRepair();
  const sender = new Connection({
    repair,
    config: {
      ...options.config,
      streams,
      initialBitrateBps: options.bitrateBps,
      maxBitrateBps: options.bitrateBps,
      minBitrateBps: Math.min(options.bitrateBps, 300_000),
    },
  });
  const receiver = new Connection({
    repair,
    config: {
      ...options.config,
      streams,
      deadlineUs: Math.max(options.config?.deadlineUs ?? 0, options.deadlineMs * 1000),
    },
  });
  const source = new SyntheticFrames({
    bitrateBps: options.bitrateBps,
    fps,
    keyframeInterval: options.keyframeInterval ?? 60,
    seed: options.seed ?? 1,
  });
  const ledger = new FrameLedger(options.deadlineMs);
  const intervalUs = 1e6 / fps;
  const total = Math.round(options.durationS * fps);
  const adapt = options.adapt ?? true;
  const bitrates: { atUs: number; bps: number }[] = [];
  let sent = 0;
  let forceKeyframe = false;
  let keyframes = 0;
  let keyframeRequests = 0;
  let played = 0;
  const offset = options.clockOffsetUs ?? 0;

  const drainSender = (now: number): void => {
    for (let e = sender.pollEvent(); e !== null; e = sender.pollEvent()) {
      options.onSenderEvent?.(e, now);
      switch (e.kind) {
        case 'keyframe-request':
          keyframeRequests++;
          forceKeyframe = true;
          break;
        case 'bandwidth':
          bitrates.push({ atUs: now, bps: e.bps });
          if (adapt) source.setBitrate(Math.min(options.bitrateBps, e.bps));
          break;
        case 'frame':
          sender.recycle(e.frame);
          break;
        case 'frame-complete':
        case 'frame-dropped':
          break;
      }
    }
  };
  const drainReceiver = (now: number): void => {
    for (let e = receiver.pollEvent(); e !== null; e = receiver.pollEvent()) {
      switch (e.kind) {
        case 'frame-complete':
          if (e.frame.stream === STREAM) {
            // Frame ids count frames the connection took; the payload's own index counts every frame made.
            const intact = verifySyntheticFrame(e.frame.payload) !== null;
            ledger.complete(e.frame.frameId, e.frame.localCaptureUs, e.frame.completedAt, intact);
          }
          break;
        case 'frame':
          played++;
          break;
        case 'frame-dropped':
        case 'keyframe-request':
        case 'bandwidth':
          break;
      }
      options.onReceiverEvent?.(e, now);
      if (e.kind === 'frame') receiver.recycle(e.frame);
    }
  };

  const a = new Skewed(
    sender,
    0,
    (now) => {
      drainSender(now);
      while (sent < total && sent * intervalUs <= now) {
        const frame = source.next(forceKeyframe);
        forceKeyframe = false;
        if (frame.keyframe) keyframes++;
        sender.sendFrame(now, STREAM, frame.payload, {
          captureUs: Math.round(sent * intervalUs),
          keyframe: frame.keyframe,
        });
        sent++;
      }
    },
    () => (sent < total ? sent * intervalUs : Infinity),
  );
  const b = new Skewed(receiver, offset, drainReceiver, () => Infinity);
  // Events raised while handling datagrams are drained on the next timeout; make one come soon.
  const path = new Path(
    { aToB: options.forward, ...(options.reverse === undefined ? {} : { bToA: options.reverse }) },
    new Rng(options.seed ?? 1),
  );
  const network = new VirtualNetwork({ a, b, path, maxTransmitsPerInstant: 100_000 });
  const end = micros(Math.round((options.durationS + 1) * 1e6));
  network.runUntil(end);
  drainSender(end);
  drainReceiver(end + offset);

  const receiverStats = receiver.stats();
  const video = receiverStats.streams.find((s) => s.stream === STREAM);
  const report = ledger.report(
    {
      packets: video?.packetsReceived ?? 0,
      fecRecovered: video?.fecRecovered ?? 0,
      retransmitted: video?.retransmittedReceived ?? 0,
      nacks: video?.nacksSent ?? 0,
      keyframeRequests: receiverStats.keyframeRequestsSent,
      rttMs: receiverStats.rttUs === null ? 0 : receiverStats.rttUs / 1000,
      malformed: receiverStats.malformed,
    },
    options.durationS,
  );
  return {
    report,
    frames: ledger.lines(),
    sender: sender.stats(),
    receiver: receiverStats,
    keyframes,
    keyframeRequests,
    played,
    bitrates,
    links: { forward: path.aToB.stats(), reverse: path.bToA.stats() },
  };
}
