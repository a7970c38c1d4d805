/**
 * An audio stream through two Connections over the seeded network simulator, into the audio
 * jitter buffer, on virtual time (`test/audio-jitter-netsim.test.ts` and seed sweeps).
 *
 * The sender sends one ~160-byte block every 10 ms (Opus at ~128 kbit/s); the receiver's clock runs
 * `clockOffsetUs` ahead. Each completed audio frame goes to the buffer at once, its capture time
 * turned onto the receiver's clock by the connection's clock sync. A model device pulls from the
 * buffer: it asks again when the audio it got has played, and its time stretch removes or adds half
 * a block on accelerate and expand.
 */
import { Path, VirtualNetwork, type LinkConfig, type Micros } from '../../src/netsim/index.js';
import { Connection } from '../../src/protocol/index.js';
import { Rng } from '../../src/rng/index.js';
import { AudioJitterBuffer, type AudioJitterBufferStats } from '../../src/audio/index.js';
import { micros } from '../../src/units/index.js';

export interface AudioRunOptions {
  readonly seed: number;
  readonly durationS: number;
  readonly link: LinkConfig;
  readonly clockOffsetUs?: number;
  /** Connection config overrides for both ends. */
  readonly audioFecMaxOverhead?: number;
}

export interface AudioRunResult {
  readonly stats: AudioJitterBufferStats;
  /** Added delay of every played packet, µs. */
  readonly addedDelays: readonly number[];
  /** Output made up (PLC + FEC) as a share of all output, up to the last packet played. */
  readonly concealedShare: number;
  readonly p95Us: number;
  readonly sent: number;
  readonly dropped: number;
  readonly fecRecovered: number;
}

const BLOCK_US = 10_000;
const STREAM = 0;

export function runAudio(options: AudioRunOptions): AudioRunResult {
  const streams = [{ id: STREAM, kind: 'audio' as const, fps: 100 }];
  const fec =
    options.audioFecMaxOverhead === undefined ? {} : { audioFecMaxOverhead: options.audioFecMaxOverhead };
  const sender = new Connection({ config: { streams, ...fec } });
  const receiver = new Connection({ config: { streams, ...fec } });
  const jb = new AudioJitterBuffer<number>();
  const offset = options.clockOffsetUs ?? 0;
  const total = options.durationS * 100;
  const payload = new Uint8Array(160);
  const addedDelays: number[] = [];
  let sent = 0;
  let deviceAt = 0;
  // Output by kind, µs, as of the last packet played (the silence after the stream ends is not loss).
  const out = { played: 0, made: 0, expanded: 0 };
  const upToLastPlay = { ...out };

  const drainReceiver = (now: number): void => {
    for (let e = receiver.pollEvent(); e !== null; e = receiver.pollEvent()) {
      if (e.kind !== 'frame') continue;
      jb.insert(micros(Math.round(now)), {
        seq: e.frame.frameId,
        captureUs: micros(Math.round(e.frame.localCaptureUs)),
        payload: e.frame.frameId,
      });
      receiver.recycle(e.frame);
    }
  };
  const runDevice = (now: number): void => {
    while (deviceAt <= now) {
      const d = jb.next(micros(deviceAt));
      let frames = jb.blockFrames;
      if (d.kind === 'accelerate') frames /= 2;
      else if (d.kind === 'expand') frames *= 1.5;
      const us = (frames * 1e6) / 48_000;
      if (d.kind === 'play' || d.kind === 'accelerate') {
        addedDelays.push(d.addedDelayUs);
        out.played += us;
        Object.assign(upToLastPlay, out);
      } else if (d.kind === 'conceal') out.made += us;
      else if (d.kind === 'expand') out.expanded += us;
      jb.output(frames);
      deviceAt += us;
    }
  };

  const a = {
    handleDatagram: (now: Micros, bytes: Uint8Array): void => {
      sender.handleDatagram(now, bytes);
    },
    handleTimeout: (now: Micros): void => {
      while (sent < total && sent * BLOCK_US <= now) {
        payload[0] = sent & 0xff;
        sender.sendFrame(now, STREAM, payload, { captureUs: sent * BLOCK_US, keyframe: true });
        sent++;
      }
      sender.handleTimeout(now);
      while (sender.pollEvent() !== null);
    },
    pollTransmit: (): Uint8Array | null => sender.pollTransmit(),
    pollTimeout: (): Micros =>
      micros(Math.min(sender.pollTimeout(), sent < total ? sent * BLOCK_US : Infinity)),
  };
  const b = {
    handleDatagram: (now: Micros, bytes: Uint8Array): void => {
      const local = now + offset;
      runDevice(local - 1);
      receiver.handleDatagram(local, bytes);
      drainReceiver(local);
    },
    handleTimeout: (now: Micros): void => {
      const local = now + offset;
      receiver.handleTimeout(local);
      drainReceiver(local);
      runDevice(local);
    },
    pollTransmit: (): Uint8Array | null => receiver.pollTransmit(),
    pollTimeout: (): Micros => micros(Math.min(receiver.pollTimeout(), Math.ceil(deviceAt)) - offset),
  };
  deviceAt = offset;
  const path = new Path({ aToB: options.link }, new Rng(options.seed));
  const network = new VirtualNetwork({ a, b, path });
  network.runUntil(micros(options.durationS * 1e6 + 200_000));

  const stats = jb.stats;
  const { made, played, expanded } = upToLastPlay;
  const all = made + played + expanded;
  const sorted = [...addedDelays].sort((x, y) => x - y);
  const p95Us = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? NaN;
  const recv = receiver.stats().streams.find((s) => s.stream === STREAM);
  return {
    stats,
    addedDelays,
    concealedShare: made / all,
    p95Us,
    sent,
    dropped: path.aToB.stats().droppedLoss,
    fecRecovered: recv?.fecRecovered ?? 0,
  };
}
