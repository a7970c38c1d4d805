/** Fixtures shared by the audio jitter buffer tests (`test/audio-jitter-*.test.ts`). */
import {
  AudioJitterBuffer,
  type AudioDecision,
  type AudioJitterBufferOptions,
  type AudioPacket,
} from '../../src/audio/index.js';
import { micros } from '../../src/units/index.js';

/** One block: 10 ms, 480 frames at 48 kHz. */
export const BLOCK_US = 10_000;
export const BLOCK_FRAMES = 480;
/** Capture time of packet 0. */
export const T0 = 1_000_000;
/** Transit of a packet on the quiet path. */
export const TRANSIT_US = 20_000;

export const capture = (seq: number): number => T0 + seq * BLOCK_US;

export function packet(seq: number, captureUs = capture(seq)): AudioPacket<number> {
  return { seq, captureUs: micros(captureUs), payload: seq };
}

/** A buffer whose target starts at the margin (no initial 20 ms), unless options say otherwise. */
export function buffer(options: AudioJitterBufferOptions = {}): AudioJitterBuffer<number> {
  return new AudioJitterBuffer<number>({ initialTargetUs: micros(0), ...options });
}

/** A decision in short: kind, and the packet's seq (or the FEC source's, or null for PLC). */
export interface Step {
  readonly at: number;
  readonly kind: AudioDecision<number>['kind'];
  readonly seq: number | null;
  readonly addedDelayUs?: number;
}

export function short(at: number, d: AudioDecision<number>): Step {
  switch (d.kind) {
    case 'play':
    case 'accelerate':
      return { at, kind: d.kind, seq: d.packet.seq, addedDelayUs: d.addedDelayUs };
    case 'conceal':
      return { at, kind: d.kind, seq: d.fecFrom?.seq ?? null };
    case 'expand':
    case 'idle':
      return { at, kind: d.kind, seq: null };
  }
}

/** Frames the model device's time stretch gives for a decision: half a block less or more. */
export function framesFor(d: AudioDecision<number>): number {
  if (d.kind === 'accelerate') return BLOCK_FRAMES / 2;
  if (d.kind === 'expand') return (BLOCK_FRAMES * 3) / 2;
  return BLOCK_FRAMES;
}

/** When each buffer's device asks next. */
const devices = new WeakMap<AudioJitterBuffer<number>, number>();

/**
 * Plays `buf` from `fromUs` to `untilUs` with a device that asks again when the audio it got has
 * played, inserting each of `arrivals` at its time (before a decision due at the same instant),
 * and all of those before `untilUs` by the end: go on with `after(arrivals, untilUs)`.
 */
export function run(
  buf: AudioJitterBuffer<number>,
  arrivals: readonly { readonly at: number; readonly seq: number; readonly captureUs?: number }[],
  fromUs: number,
  untilUs: number,
): Step[] {
  const pending = [...arrivals].sort((a, b) => a.at - b.at);
  const steps: Step[] = [];
  let i = 0;
  // A run that goes on from an earlier one keeps the device's phase.
  let at = Math.max(fromUs, devices.get(buf) ?? -Infinity);
  while (at < untilUs) {
    for (let a = pending[i]; a !== undefined && a.at <= at; a = pending[++i]) {
      buf.insert(micros(a.at), packet(a.seq, a.captureUs));
    }
    const d = buf.next(micros(at));
    steps.push(short(at, d));
    const frames = framesFor(d);
    buf.output(frames);
    at += (frames * 1e6) / 48_000;
  }
  devices.set(buf, at);
  // Everything that arrives before the end is in, so a later run can go on with the rest.
  for (let a = pending[i]; a !== undefined && a.at < untilUs; a = pending[++i]) {
    buf.insert(micros(a.at), packet(a.seq, a.captureUs));
  }
  return steps;
}

/** Arrivals of packets `from`..`to`-1 at capture + `transit(seq)`. */
export function stream(
  from: number,
  to: number,
  transit: (seq: number) => number = () => TRANSIT_US,
): { at: number; seq: number }[] {
  const out: { at: number; seq: number }[] = [];
  for (let seq = from; seq < to; seq++) out.push({ at: capture(seq) + transit(seq), seq });
  return out;
}

/** The arrivals at or after `fromUs`, for a run that goes on from there. */
export const after = <A extends { readonly at: number }>(arrivals: readonly A[], fromUs: number): A[] =>
  arrivals.filter((a) => a.at >= fromUs);

export const kinds = (steps: readonly Step[]): string[] => steps.map((s) => s.kind);
export const count = (steps: readonly Step[], kind: Step['kind']): number =>
  steps.filter((s) => s.kind === kind).length;
