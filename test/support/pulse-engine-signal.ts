/**
 * What the PulseAudio engine child (pulse-engine-child.ts) is told to do, and the far-end signal
 * it plays: shared by the child and the tests that judge what came back.
 */

export const RATE = 48_000;
/** 10 ms at 48 kHz: the engine's default block. */
export const BLOCK_FRAMES = 480;

/**
 * `tone`: 440 Hz at −20 dBFS. `speech`: the echo harness's speech proxy (addon `speechLike`: voiced
 * syllables through formants, fricatives, pauses), its far-end voice at about −20 dBFS while
 * talking; a tone would flatter the echo canceller.
 */
export type FarEndSignal = 'tone' | 'speech';

export interface PulseEngineConfig {
  readonly signal: FarEndSignal;
  /** Blocks kept in the playback queue. */
  readonly depth: number;
  readonly echoCancel?: boolean;
  /** Keep this many seconds of what was queued and heard, returned at close. */
  readonly recordSeconds?: number;
}

/** Mean power of `samples[from, to)`. */
export function power(samples: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (samples[i] ?? 0) ** 2;
  return to > from ? sum / (to - from) : 0;
}

export function db(ratio: number): number {
  return 10 * Math.log10(Math.max(ratio, 1e-20));
}

/** Echo delays searched, samples: up to 200 ms. */
export const MAX_LAG = RATE / 5;

/**
 * The lag (samples, within [least, most]) at which `heard[from, from + length)` best matches
 * `played`, and their normalised correlation there.
 */
export function echoLag(
  played: Float32Array,
  heard: Float32Array,
  from: number,
  length: number,
  least = 0,
  most = MAX_LAG,
) {
  let best = { lag: -1, correlation: -1 };
  const hh = power(heard, from, from + length);
  for (let lag = Math.max(least, 0); lag <= most && from - lag >= 0; lag++) {
    let dot = 0;
    for (let i = from; i < from + length; i++) dot += (heard[i] ?? 0) * (played[i - lag] ?? 0);
    const correlation = dot / length / Math.sqrt(hh * power(played, from - lag, from + length - lag));
    if (correlation > best.correlation) best = { lag, correlation };
  }
  return best;
}

/**
 * The echo's delay and correlation on every second of `heard` with sound in it (half a second
 * each), `heard` being what came back of `played`: the whole range on the first, then a few
 * samples either side of it, which any slip in the path would leave.
 */
export function echoLags(played: Float32Array, heard: Float32Array): { lag: number; correlation: number }[] {
  const lags: { lag: number; correlation: number }[] = [];
  for (let second = 1; (second + 0.5) * RATE <= heard.length; second++) {
    if (power(heard, second * RATE, (second + 0.5) * RATE) < 1e-5) continue;
    const first = lags[0];
    lags.push(
      first === undefined
        ? echoLag(played, heard, second * RATE, RATE / 2)
        : echoLag(played, heard, second * RATE, RATE / 2, first.lag - 8, first.lag + 8),
    );
  }
  return lags;
}
