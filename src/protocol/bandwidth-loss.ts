import { bitsPerSecond, micros, msToMicros, type BitsPerSecond, type Micros } from '../units/index.js';
import { between, BandwidthConfigError, nonNegative, positive, rateBounds } from './bandwidth-config.js';

export interface LossBasedOptions {
  /** Default 2 Mbit/s. */
  readonly initial?: BitsPerSecond;
  /** Default 100 kbit/s. */
  readonly min?: BitsPerSecond;
  /** Default 50 Mbit/s. */
  readonly max?: BitsPerSecond;
  /** RTT until `setRtt` says otherwise; spaces loss decreases. Default 100 ms. */
  readonly rtt?: Micros;
  /** Loss below which the rate may grow. Default 0.02. */
  readonly lowLoss?: number;
  /** Loss above which the rate shrinks. Default 0.1. */
  readonly highLoss?: number;
  /** Growth per second while loss is low. Default 0.08. */
  readonly increasePerSecond?: number;
  /** `pollTargetChange` reports moves of at least this fraction. Default 0.03. */
  readonly changeThreshold?: number;
  /** Rises are reported at most this often (drops at once). Default 200 ms. */
  readonly minChangeInterval?: Micros;
  /** Any move at all is reported after this long. Default 1 s. */
  readonly maxChangeInterval?: Micros;
  /** With no report for this long the target falls to 0.8× per further interval. Default 1 s. */
  readonly feedbackTimeout?: Micros;
}

export interface LossBasedStats {
  readonly target: BitsPerSecond;
  readonly lossBased: BitsPerSecond;
  readonly receiverEstimate: BitsPerSecond | null;
  readonly lastLoss: number;
  readonly reports: number;
  /** Reports (or parts of them) ignored as malformed. */
  readonly rejected: number;
  readonly decreases: number;
  readonly timeouts: number;
}

const SECOND = 1_000_000;

/**
 * The sender's rate controller, after WebRTC's SendSideBandwidthEstimation (the classic loss-based
 * part): from each receiver report's loss fraction, below 2 % the rate grows 8 %/s (plus 1 kbit/s/s,
 * to climb off the floor), 2–10 % it holds, above 10 % it falls to (1 − loss/2) × the target, at most
 * once per 300 ms + RTT so one lossy spell is not counted twice. The target is the lower of this and
 * the receiver's delay-based estimate (see `DelayBasedEstimator`), within [min, max].
 *
 * The loss-based rate climbs only up to the receiver's estimate, so it stays meaningful, but is not
 * pulled down by it: a short dip in the receiver's estimate (a queue drain) passes straight through to
 * the target and back. If reports stop arriving (`feedbackTimeout`) the target falls, since a sender
 * that cannot hear the receiver cannot tell a collapsed path from a quiet one.
 *
 * Sans-I/O: time comes in with each call; `pollTimeout` / `handleTimeout` drive the feedback timeout.
 */
export class LossBasedController {
  readonly #min: number;
  readonly #max: number;
  readonly #lowLoss: number;
  readonly #highLoss: number;
  readonly #increase: number;
  readonly #changeThreshold: number;
  readonly #minChangeInterval: number;
  readonly #maxChangeInterval: number;
  readonly #feedbackTimeout: number;
  #rtt: number;
  #lossBased: number;
  #receiver = Number.NaN;
  #now = Number.NEGATIVE_INFINITY;
  #lastReport = Number.NaN;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  #lastTimeoutCut = Number.NaN;
  #emitted = Number.NaN;
  #emittedAt = Number.NEGATIVE_INFINITY;
  #lastLoss = 0;
  #reports = 0;
  #rejected = 0;
  #decreases = 0;
  #timeouts = 0;

  constructor(options: LossBasedOptions = {}) {
    const { min, initial, max } = rateBounds(
      options.min ?? 100_000,
      options.initial ?? 2_000_000,
      options.max ?? 50_000_000,
    );
    this.#min = min;
    this.#max = max;
    this.#lossBased = initial;
    this.#rtt = positive('rtt', options.rtt ?? msToMicros(100));
    this.#lowLoss = between('lowLoss', options.lowLoss ?? 0.02, 0, 1);
    this.#highLoss = between('highLoss', options.highLoss ?? 0.1, 0, 1);
    if (this.#lowLoss > this.#highLoss) {
      throw new BandwidthConfigError(
        'lowLoss',
        `must not exceed highLoss (${this.#highLoss}), got ${this.#lowLoss}`,
      );
    }
    this.#increase = positive('increasePerSecond', options.increasePerSecond ?? 0.08);
    this.#changeThreshold = between('changeThreshold', options.changeThreshold ?? 0.03, 0, 1);
    this.#minChangeInterval = nonNegative('minChangeInterval', options.minChangeInterval ?? msToMicros(200));
    this.#maxChangeInterval = nonNegative(
      'maxChangeInterval',
      options.maxChangeInterval ?? msToMicros(1_000),
    );
    this.#feedbackTimeout = positive('feedbackTimeout', options.feedbackTimeout ?? msToMicros(1_000));
  }

  /**
   * A receiver report: `lossFraction` of the packets lost over its interval (clamped to [0, 1]) and the
   * receiver's delay-based estimate, if it sent one (null: keep the last). A loss that is not a number
   * rejects the report; an estimate that is not a positive number is ignored alone.
   */
  onReport(now: Micros, lossFraction: number, receiverEstimate: BitsPerSecond | null): void {
    if (Number.isNaN(lossFraction) || !Number.isFinite(now)) {
      this.#rejected++;
      return;
    }
    const loss = Math.min(1, Math.max(0, lossFraction));
    if (receiverEstimate !== null) {
      if (Number.isFinite(receiverEstimate) && receiverEstimate > 0) this.#receiver = receiverEstimate;
      else this.#rejected++;
    }
    const dt = Number.isNaN(this.#lastReport) ? 0 : Math.min(Math.max(now - this.#lastReport, 0), SECOND);
    this.#advance(now);
    this.#lastReport = this.#now;
    this.#lastTimeoutCut = Number.NaN;
    this.#lastLoss = loss;
    this.#reports++;
    if (loss < this.#lowLoss) {
      const grown = this.#lossBased * Math.pow(1 + this.#increase, dt / SECOND) + (1_000 * dt) / SECOND;
      // Grow up to the receiver's estimate, never past it; but a lower receiver estimate does not
      // pull the loss-based rate down.
      const ceiling = Number.isNaN(this.#receiver) ? this.#max : Math.max(this.#lossBased, this.#receiver);
      this.#lossBased = Math.min(grown, ceiling);
    } else if (loss > this.#highLoss && this.#now - this.#lastDecrease >= 300_000 + this.#rtt) {
      this.#lossBased = this.#target() * (1 - 0.5 * loss);
      this.#lastDecrease = this.#now;
      this.#decreases++;
    }
    this.#lossBased = this.#clamp(this.#lossBased);
  }

  /** The path's RTT (from `ClockSync`). Ignored unless > 0. */
  setRtt(rtt: Micros): void {
    if (Number.isFinite(rtt) && rtt > 0) this.#rtt = rtt;
  }

  /** When `handleTimeout` next has something to do; null before the first report. */
  pollTimeout(): Micros | null {
    if (Number.isNaN(this.#lastReport)) return null;
    const since = Number.isNaN(this.#lastTimeoutCut) ? this.#lastReport : this.#lastTimeoutCut;
    return micros(since + this.#feedbackTimeout);
  }

  /** Cuts the target to 0.8× for each `feedbackTimeout` that passes without a report. */
  handleTimeout(now: Micros): void {
    const due = this.pollTimeout();
    if (due === null || now < due) return;
    this.#advance(now);
    this.#lossBased = this.#clamp(this.#target() * 0.8);
    this.#lastTimeoutCut = now;
    this.#timeouts++;
  }

  /** The rate the encoder should aim for: min(loss-based, receiver's estimate) within [min, max]. */
  get target(): BitsPerSecond {
    return bitsPerSecond(this.#target());
  }

  get lossBased(): BitsPerSecond {
    return bitsPerSecond(this.#lossBased);
  }

  /** The receiver's last delay-based estimate; null before one arrives. */
  get receiverEstimate(): BitsPerSecond | null {
    return Number.isNaN(this.#receiver) ? null : bitsPerSecond(this.#receiver);
  }

  /**
   * The target if the encoder should hear about it, else null: the first time; a drop of at least
   * `changeThreshold` at once; a rise of that much at most every `minChangeInterval`; any other move
   * after `maxChangeInterval`. Time is that of the latest report or timeout.
   */
  pollTargetChange(): BitsPerSecond | null {
    const target = this.#target();
    const since = this.#now - this.#emittedAt;
    let emit: boolean;
    if (Number.isNaN(this.#emitted)) {
      emit = true;
    } else {
      const change = (target - this.#emitted) / this.#emitted;
      if (change <= -this.#changeThreshold) emit = true;
      else if (change >= this.#changeThreshold) emit = since >= this.#minChangeInterval;
      else emit = change !== 0 && since >= this.#maxChangeInterval;
    }
    if (!emit) return null;
    this.#emitted = target;
    this.#emittedAt = this.#now;
    return bitsPerSecond(target);
  }

  stats(): LossBasedStats {
    return {
      target: this.target,
      lossBased: this.lossBased,
      receiverEstimate: this.receiverEstimate,
      lastLoss: this.#lastLoss,
      reports: this.#reports,
      rejected: this.#rejected,
      decreases: this.#decreases,
      timeouts: this.#timeouts,
    };
  }

  #target(): number {
    return this.#clamp(
      Number.isNaN(this.#receiver) ? this.#lossBased : Math.min(this.#lossBased, this.#receiver),
    );
  }

  #clamp(rate: number): number {
    return Math.min(this.#max, Math.max(this.#min, rate));
  }

  #advance(now: number): void {
    if (now > this.#now) this.#now = now;
    // A target emitted before any time was known counts as emitted at the first time seen.
    if (this.#emittedAt === Number.NEGATIVE_INFINITY && !Number.isNaN(this.#emitted))
      this.#emittedAt = this.#now;
  }
}
