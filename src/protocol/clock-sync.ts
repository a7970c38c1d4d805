import { DoorwayError } from '../errors/index.js';
import { micros, msToMicros, type Micros } from '../units/index.js';

/** A `ClockSync` or `WindowedMin` option out of range; the message is one line naming it. */
export class ClockSyncConfigError extends DoorwayError {
  override readonly name = 'ClockSyncConfigError';
  readonly exitCode = 2;
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`clock-sync: ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

// Slot layout of WindowedMin's storage: three samples of four numbers each.
const T = 0;
const KEY = 1;
const A = 2;
const B = 3;
const SLOT = 4;

/**
 * The minimum of a stream of keys over a sliding time window, after Kathleen Nichols' windowed min
 * filter as in Linux's lib/win_minmax.c (used by BBR for min RTT): it keeps the best, second-best and
 * third-best samples from successive sub-windows, so it costs O(1) time and memory per sample and an
 * old best expires once it is `window` old. Each sample carries two payload numbers (`a`, `b`) that
 * ride along with its key. Times must not decrease.
 */
export class WindowedMin {
  readonly #window: number;
  // [t, key, a, b] × 3: best in the window, best since a quarter of it, best since half of it.
  readonly #s = new Float64Array(3 * SLOT);
  #empty = true;

  constructor(window: Micros) {
    if (!Number.isFinite(window) || window <= 0) {
      throw new ClockSyncConfigError('window', `must be a positive number of microseconds, got ${window}`);
    }
    this.#window = window;
  }

  get empty(): boolean {
    return this.#empty;
  }

  /** The minimum key in the window; `Infinity` while empty. */
  get key(): number {
    return this.#empty ? Number.POSITIVE_INFINITY : this.#get(0, KEY);
  }

  /** Payload `a` of the minimum; `NaN` while empty. */
  get a(): number {
    return this.#empty ? Number.NaN : this.#get(0, A);
  }

  /** Payload `b` of the minimum; `NaN` while empty. */
  get b(): number {
    return this.#empty ? Number.NaN : this.#get(0, B);
  }

  /** The time of the minimum; `NaN` while empty. */
  get time(): number {
    return this.#empty ? Number.NaN : this.#get(0, T);
  }

  update(t: number, key: number, a = 0, b = 0): void {
    const win = this.#window;
    // Read straight from the array, not through #get: a time read back out of a call is a heap
    // number (16 bytes of JS heap each, measured per received packet); read here it stays a double.
    const s = this.#s;
    if (this.#empty || key <= (s[KEY] ?? NaN) || t - (s[2 * SLOT + T] ?? NaN) > win) {
      // A new overall best, or nothing left in the window: forget the rest.
      this.#set(0, t, key, a, b);
      this.#copy(1, 0);
      this.#copy(2, 0);
      this.#empty = false;
      return;
    }
    if (key <= (s[SLOT + KEY] ?? NaN)) {
      this.#set(1, t, key, a, b);
      this.#copy(2, 1);
    } else if (key <= (s[2 * SLOT + KEY] ?? NaN)) {
      this.#set(2, t, key, a, b);
    }
    const dt = t - (s[T] ?? NaN);
    if (dt > win) {
      // The best has aged out: promote the sub-window choices (twice if the second one has too).
      this.#copy(0, 1);
      this.#copy(1, 2);
      this.#set(2, t, key, a, b);
      if (t - (s[T] ?? NaN) > win) {
        this.#copy(0, 1);
        this.#copy(1, 2);
      }
    } else if (s[SLOT + T] === s[T] && dt > win / 4) {
      // A quarter of the window without a new best: take a second choice from the second quarter.
      this.#set(1, t, key, a, b);
      this.#copy(2, 1);
    } else if (s[2 * SLOT + T] === s[SLOT + T] && dt > win / 2) {
      // Half the window without one: take a third choice from the last half.
      this.#set(2, t, key, a, b);
    }
  }

  reset(): void {
    this.#empty = true;
  }

  #get(slot: number, field: number): number {
    return this.#s[slot * SLOT + field] ?? Number.NaN;
  }

  #set(slot: number, t: number, key: number, a: number, b: number): void {
    const s = this.#s;
    const i = slot * SLOT;
    s[i + T] = t;
    s[i + KEY] = key;
    s[i + A] = a;
    s[i + B] = b;
  }

  #copy(to: number, from: number): void {
    this.#s.copyWithin(to * SLOT, from * SLOT, from * SLOT + SLOT);
  }
}

export interface ClockSyncOptions {
  /** How long a min-RTT (and best-offset) sample stays eligible. Default 10 s. */
  readonly window?: Micros;
  /**
   * The most the two clocks' rates may differ, as a fraction (100e-6 = 100 ppm; two ±50 ppm crystals).
   * An offset sample's error bound grows by this much per microsecond of age, so a slightly worse but
   * fresher sample wins over an old one and the estimate follows drift. Default 100e-6.
   */
  readonly maxDrift?: number;
  /** RTO before the first sample (RFC 6298 §2.1). Default 1 s. */
  readonly initialRto?: Micros;
  /** Floor of the RTO. Default 10 ms: a media link retransmits within a frame time, not RFC 6298's 1 s. */
  readonly minRto?: Micros;
  /** Ceiling of the RTO. Default 2 s. */
  readonly maxRto?: Micros;
  /** Timer granularity G of RFC 6298 §2: the RTO is at least srtt + G. Default 1 ms. */
  readonly granularity?: Micros;
}

/** RFC 6298's gains: alpha = 1/8 for srtt, beta = 1/4 for rttvar, K = 4. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new ClockSyncConfigError(field, `must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/**
 * Round-trip time and the peer's clock offset from ping/pong exchanges, NTP-style (RFC 5905 §8):
 * t1 our send, t2 peer receive, t3 peer send, t4 our receive; rtt = (t4 − t1) − (t3 − t2) and
 * offset θ = ((t2 − t1) + (t3 − t4)) / 2 (peer minus local).
 *
 * - srtt and rttvar follow RFC 6298 §2; `rto()` is srtt + max(G, 4·rttvar), clamped.
 * - `minRtt` is the windowed minimum (Nichols' filter, see `WindowedMin`).
 * - The offset comes from the sample with the smallest error bound: a sample's true offset lies within
 *   θ ± rtt/2 (one-way delays are never negative), so the lowest-RTT sample is the most exact. As in
 *   NTP's clock filter (RFC 5905 §10) that bound grows with the sample's age at `maxDrift`, so the
 *   choice moves to fresher samples as the clocks drift apart, and the window expires an old best.
 *
 * Pure: times are inputs, nothing reads a clock. Samples that cannot be right are counted in
 * `rejected` and ignored, never thrown about, since they come off the network.
 */
export class ClockSync {
  readonly #maxDrift: number;
  readonly #initialRto: number;
  readonly #minRto: number;
  readonly #maxRto: number;
  readonly #granularity: number;
  readonly #minRtt: WindowedMin;
  // Keyed on rtt/2 − maxDrift·t4: its order never changes with time, and key + maxDrift·now is the
  // sample's error bound at `now`. Payloads: a = offset θ, b = rtt/2.
  readonly #best: WindowedMin;
  #srtt = 0;
  #rttVar = 0;
  #samples = 0;
  #rejected = 0;
  #lastT4 = Number.NEGATIVE_INFINITY;

  constructor(options: ClockSyncOptions = {}) {
    const window = options.window ?? msToMicros(10_000);
    if (!Number.isFinite(window) || window <= 0) {
      throw new ClockSyncConfigError('window', `must be a positive number of microseconds, got ${window}`);
    }
    this.#maxDrift = nonNegative('maxDrift', options.maxDrift ?? 100e-6);
    if (this.#maxDrift >= 0.01) {
      throw new ClockSyncConfigError(
        'maxDrift',
        `must be below 0.01 (a fraction, not ppm), got ${this.#maxDrift}`,
      );
    }
    this.#initialRto = nonNegative('initialRto', options.initialRto ?? msToMicros(1_000));
    this.#minRto = nonNegative('minRto', options.minRto ?? msToMicros(10));
    this.#maxRto = nonNegative('maxRto', options.maxRto ?? msToMicros(2_000));
    this.#granularity = nonNegative('granularity', options.granularity ?? msToMicros(1));
    if (this.#minRto > this.#maxRto) {
      throw new ClockSyncConfigError(
        'minRto',
        `must not exceed maxRto (${this.#maxRto}), got ${this.#minRto}`,
      );
    }
    this.#minRtt = new WindowedMin(window);
    this.#best = new WindowedMin(window);
  }

  /**
   * One completed exchange. Returns whether the sample was used; a rejected one (a time not finite,
   * t4 < t1, t3 < t2, a negative RTT, or t4 earlier than a previous sample's) only bumps `rejected`.
   */
  onPong(t1: Micros, t2: Micros, t3: Micros, t4: Micros): boolean {
    const rtt = t4 - t1 - (t3 - t2);
    if (
      !Number.isFinite(t1) ||
      !Number.isFinite(t2) ||
      !Number.isFinite(t3) ||
      !Number.isFinite(t4) ||
      t4 < t1 ||
      t3 < t2 ||
      rtt < 0 ||
      t4 < this.#lastT4
    ) {
      this.#rejected++;
      return false;
    }
    this.#lastT4 = t4;
    if (this.#samples === 0) {
      this.#srtt = rtt;
      this.#rttVar = rtt / 2;
    } else {
      // RFC 6298 §2.3: rttvar first, with the old srtt.
      this.#rttVar = (1 - BETA) * this.#rttVar + BETA * Math.abs(this.#srtt - rtt);
      this.#srtt = (1 - ALPHA) * this.#srtt + ALPHA * rtt;
    }
    this.#samples++;
    this.#minRtt.update(t4, rtt);
    const theta = (t2 - t1 + (t3 - t4)) / 2;
    this.#best.update(t4, rtt / 2 - this.#maxDrift * t4, theta, rtt / 2);
    return true;
  }

  /** Smoothed RTT (RFC 6298 srtt); null before the first sample. */
  get rtt(): Micros | null {
    return this.#samples === 0 ? null : micros(this.#srtt);
  }

  /** RTT variation (RFC 6298 rttvar); null before the first sample. */
  get rttVar(): Micros | null {
    return this.#samples === 0 ? null : micros(this.#rttVar);
  }

  /** Lowest RTT within the window; null before the first sample. */
  get minRtt(): Micros | null {
    return this.#minRtt.empty ? null : micros(this.#minRtt.key);
  }

  /** Peer clock minus ours (may carry half a microsecond); null before the first sample. */
  get offset(): Micros | null {
    return this.#best.empty ? null : micros(this.#best.a);
  }

  /**
   * Bound on |offset − true offset| as of the latest sample: rtt/2 of the sample used, plus the drift
   * it may have accumulated since (maxDrift × its age). Null before the first sample.
   */
  get accuracy(): Micros | null {
    if (this.#best.empty) return null;
    return micros(this.#best.b + this.#maxDrift * (this.#lastT4 - this.#best.time));
  }

  /** Accepted samples. */
  get samples(): number {
    return this.#samples;
  }

  /** Samples ignored as impossible. */
  get rejected(): number {
    return this.#rejected;
  }

  /** A peer-clock time on our clock; null before the first sample. */
  toLocal(peerTime: Micros): Micros | null {
    return this.#best.empty ? null : micros(peerTime - this.#best.a);
  }

  /** One of our times on the peer's clock; null before the first sample. */
  toPeer(localTime: Micros): Micros | null {
    return this.#best.empty ? null : micros(localTime + this.#best.a);
  }

  /** Retransmission timeout: srtt + max(G, 4·rttvar) clamped to [minRto, maxRto] (RFC 6298 §2). */
  rto(): Micros {
    if (this.#samples === 0) return micros(this.#initialRto);
    const rto = this.#srtt + Math.max(this.#granularity, K * this.#rttVar);
    return micros(Math.min(this.#maxRto, Math.max(this.#minRto, rto)));
  }
}
