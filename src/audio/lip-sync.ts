/**
 * Lip sync: keeps audio within ±20 ms of the picture by making audio wait for slower video.
 *
 * The driver feeds latency samples as they come: the audio path's capture-to-speaker latency and
 * the video path's capture-to-display latency (µs, each on its own capture clock). Both are
 * smoothed; the skew is audio − video. When the picture lags (skew below −tolerance/2), the audio
 * jitter buffer's least delay (`AudioJitterBuffer.setMinDelayUs`) goes up by the skew; when audio
 * lags while it is being held back, that delay comes down again, never below zero. Video is never
 * delayed for audio: the video path always shows the newest frame it can.
 *
 * The correction is integral: the audio latency samples already include the delay applied, so a
 * step that the jitter buffer's own target partly covered is topped up by the next one. Hysteresis
 * keeps it from flapping: it acts only on a skew past half the tolerance for `confirmUs`, aims at
 * zero skew, and waits `holdUs` after each change, long enough for the buffer to expand to the new
 * delay and for the smoothing to see it. Pure: time is always an argument.
 */
import { DoorwayError } from '../errors/index.js';
import { micros, type Micros } from '../units/index.js';

export interface LipSyncOptions {
  /** The |skew| to stay within, µs. Default 20 ms. */
  readonly toleranceUs?: Micros;
  /** Most delay added to audio, µs. Default 150 ms. */
  readonly maxExtraDelayUs?: Micros;
  /** Half-life of the latency smoothing, µs. Default 300 ms. */
  readonly smoothingHalfLifeUs?: Micros;
  /** Least time between two changes of the audio delay, µs. Default 2 s. */
  readonly holdUs?: Micros;
  /** How long the skew must stay past half the tolerance before it is acted on, µs. Default 500 ms. */
  readonly confirmUs?: Micros;
  /** A side with no sample for this long no longer counts (audio then waits for nothing), µs. Default 2 s. */
  readonly staleAfterUs?: Micros;
}

export interface LipSyncStats {
  /** Smoothed latencies and their difference (audio − video); null until both sides have samples. */
  readonly audioLatencyUs: Micros | null;
  readonly videoLatencyUs: Micros | null;
  readonly skewUs: Micros | null;
  /** The least audio buffer delay lip sync asks for now. */
  readonly minDelayUs: Micros;
  /** Times that delay changed. */
  readonly changes: number;
}

/** A lip sync option out of range. */
export class LipSyncConfigError extends DoorwayError {
  override readonly name = 'LipSyncConfigError';
  readonly exitCode = 2;
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`lip sync: ${field}: ${reason}`);
    this.field = field;
  }
}

/** A sample that is not a finite time: a bug in the caller. */
export class LipSyncInputError extends DoorwayError {
  override readonly name = 'LipSyncInputError';
  readonly exitCode = 1;

  constructor(what: string, value: number) {
    super(`lip sync: ${what} must be a finite number, got ${value}`);
  }
}

/** Exponentially smoothed samples with a half-life in time. */
class Smoothed {
  value: number | null = null;
  lastUs = 0;

  add(nowUs: number, sample: number, halfLifeUs: number): void {
    if (this.value === null) this.value = sample;
    else {
      const keep = 2 ** (-Math.max(0, nowUs - this.lastUs) / halfLifeUs);
      this.value = sample + (this.value - sample) * keep;
    }
    this.lastUs = Math.max(this.lastUs, nowUs);
  }

  fresh(nowUs: number, staleAfterUs: number): boolean {
    return this.value !== null && nowUs - this.lastUs <= staleAfterUs;
  }
}

interface Resolved {
  readonly toleranceUs: number;
  readonly maxExtraDelayUs: number;
  readonly smoothingHalfLifeUs: number;
  readonly holdUs: number;
  readonly confirmUs: number;
  readonly staleAfterUs: number;
}

export class LipSync {
  readonly #options: Resolved;
  readonly #audio = new Smoothed();
  readonly #video = new Smoothed();
  #minDelayUs = 0;
  #changedAt: number | null = null;
  /** Since when the skew has been past half the tolerance; null while inside. */
  #outsideSince: number | null = null;
  #changes = 0;

  constructor(options: LipSyncOptions = {}) {
    this.#options = resolve(options);
  }

  /** The audio path's capture-to-speaker latency, observed at `nowUs`. */
  addAudioLatency(nowUs: Micros, latencyUs: Micros): void {
    checkFinite('nowUs', nowUs);
    checkFinite('audio latencyUs', latencyUs);
    this.#audio.add(nowUs, latencyUs, this.#options.smoothingHalfLifeUs);
  }

  /** The video path's capture-to-display latency, observed at `nowUs`. */
  addVideoLatency(nowUs: Micros, latencyUs: Micros): void {
    checkFinite('nowUs', nowUs);
    checkFinite('video latencyUs', latencyUs);
    this.#video.add(nowUs, latencyUs, this.#options.smoothingHalfLifeUs);
  }

  /** Smoothed audio − video latency, µs; null until both sides have samples. */
  get skewUs(): Micros | null {
    const a = this.#audio.value;
    const v = this.#video.value;
    return a === null || v === null ? null : micros(Math.round(a - v));
  }

  /** The least audio buffer delay to apply (`AudioJitterBuffer.setMinDelayUs`), µs. */
  get minDelayUs(): Micros {
    return micros(this.#minDelayUs);
  }

  /** Re-evaluates at `nowUs`; returns the least audio buffer delay to apply now. */
  update(nowUs: Micros): Micros {
    checkFinite('nowUs', nowUs);
    const { toleranceUs, maxExtraDelayUs, holdUs, staleAfterUs } = this.#options;
    const skew = this.skewUs;
    if (skew === null || !this.#video.fresh(nowUs, staleAfterUs) || !this.#audio.fresh(nowUs, staleAfterUs)) {
      // Without a picture to wait for (or a measure of audio), holding audio back only costs delay.
      if (this.#minDelayUs !== 0) this.#set(nowUs, 0);
      return this.minDelayUs;
    }
    if (Math.abs(skew) <= toleranceUs / 2) {
      this.#outsideSince = null;
      return this.minDelayUs;
    }
    this.#outsideSince ??= nowUs;
    // A skew that only passes through the band edge (a step still being smoothed in) waits.
    if (nowUs < this.#outsideSince + this.#options.confirmUs) return this.minDelayUs;
    if (this.#changedAt !== null && nowUs < this.#changedAt + holdUs) return this.minDelayUs;
    const wanted = Math.min(maxExtraDelayUs, Math.max(0, Math.round(this.#minDelayUs - skew)));
    if (wanted !== this.#minDelayUs) this.#set(nowUs, wanted);
    return this.minDelayUs;
  }

  get stats(): LipSyncStats {
    const a = this.#audio.value;
    const v = this.#video.value;
    return {
      audioLatencyUs: a === null ? null : micros(Math.round(a)),
      videoLatencyUs: v === null ? null : micros(Math.round(v)),
      skewUs: this.skewUs,
      minDelayUs: this.minDelayUs,
      changes: this.#changes,
    };
  }

  #set(nowUs: number, minDelayUs: number): void {
    this.#minDelayUs = minDelayUs;
    this.#outsideSince = null;
    this.#changedAt = nowUs;
    this.#changes++;
  }
}

function checkFinite(what: string, value: number): void {
  if (!Number.isFinite(value)) throw new LipSyncInputError(what, value);
}

function resolve(options: LipSyncOptions): Resolved {
  const r: Resolved = {
    toleranceUs: 20_000,
    maxExtraDelayUs: 150_000,
    smoothingHalfLifeUs: 300_000,
    holdUs: 2_000_000,
    confirmUs: 500_000,
    staleAfterUs: 2_000_000,
    ...options,
  };
  for (const field of ['toleranceUs', 'smoothingHalfLifeUs'] as const) {
    check(Number.isSafeInteger(r[field]) && r[field] > 0, field, 'must be a positive integer (µs)');
  }
  for (const field of ['maxExtraDelayUs', 'holdUs', 'confirmUs', 'staleAfterUs'] as const) {
    check(Number.isSafeInteger(r[field]) && r[field] >= 0, field, 'must be a non-negative integer (µs)');
  }
  return r;
}

function check(ok: boolean, field: string, reason: string): void {
  if (!ok) throw new LipSyncConfigError(field, reason);
}
