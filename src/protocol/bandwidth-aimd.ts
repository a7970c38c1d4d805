import type { BandwidthUsage } from './bandwidth-trendline.js';

/** µs per second. */
const SECOND = 1_000_000;

/** The rate controller's phase (WebRTC's RateControlState). */
export type RateControlState = 'hold' | 'increase' | 'decrease';

/**
 * Where the link last congested, after WebRTC's LinkCapacityEstimator: an average of the throughput
 * measured at each overuse, with a normalized variance, so the controller knows when it is near the
 * knee (probe gently) and when the path has clearly changed (forget it).
 */
export class LinkCapacity {
  #estimate = Number.NaN;
  #variance = 0.4;

  get known(): boolean {
    return !Number.isNaN(this.#estimate);
  }

  /** bit/s; NaN when unknown. */
  get estimate(): number {
    return this.#estimate;
  }

  /** Estimate + 3 deviations (NaN when unknown). */
  get upper(): number {
    return this.#estimate + 3 * this.#deviation();
  }

  /** Estimate − 3 deviations (NaN when unknown). */
  get lower(): number {
    return this.#estimate - 3 * this.#deviation();
  }

  onOveruse(throughput: number): void {
    const kbps = throughput / 1000;
    const alpha = 0.05;
    if (!this.known) {
      this.#estimate = throughput;
      return;
    }
    const est = this.#estimate / 1000;
    const next = (1 - alpha) * est + alpha * kbps;
    // The variance is normalized by the estimate, so it scales across rates.
    const error = est - kbps;
    this.#variance = (1 - alpha) * this.#variance + (alpha * error * error) / Math.max(est, 1);
    this.#variance = Math.min(2.5, Math.max(0.4, this.#variance));
    this.#estimate = next * 1000;
  }

  reset(): void {
    this.#estimate = Number.NaN;
  }

  /** bit/s: sqrt(variance × estimate) in kbit/s, as WebRTC computes it. */
  #deviation(): number {
    return Math.sqrt(this.#variance * (this.#estimate / 1000)) * 1000;
  }
}

export interface AimdSettings {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
  /** Decrease factor applied to the measured throughput on overuse. */
  readonly beta: number;
  /** Multiplicative increase per second far from the last congestion point. */
  readonly increasePerSecond: number;
  /** The time (µs) in which a drain aims to empty the queue, which sets how deep it goes. */
  readonly drainTarget: number;
  /** The lowest fraction of throughput a drain sends at. */
  readonly drainFloor: number;
}

/**
 * AIMD rate control, after WebRTC's AimdRateControl:
 * - the detector's `normal` moves hold → increase, `overusing` → decrease, `underusing` → hold (the
 *   queues are draining; let them);
 * - increase is multiplicative (`increasePerSecond`, 8 %/s) while the link capacity is unknown and
 *   additive (about one packet per response time, rtt + 100 ms) near the last congestion point; it
 *   never runs past 1.5 × the measured throughput + 10 kbit/s, so an idle encoder does not inflate it;
 * - decrease goes to `beta` × the measured throughput (the bottleneck's rate while a queue stands),
 *   at most once per RTT (clamped to 10–200 ms) unless the throughput fell below half the estimate.
 *
 * Added for "don't build a queue": plain GCC drains a queue at only (1 − beta) of the capacity, which
 * takes seconds for the queue a capacity drop builds before it is detected. So a decrease that finds
 * queueing delay d sends, for a while, at max(drainFloor, 1 − d / drainTarget) × throughput — the rate
 * that empties the queue within drainTarget — when that is below beta, for as long as the drain takes
 * (like BBR's drain phase), then returns to the beta rate.
 */
export class AimdRateControl {
  readonly #s: AimdSettings;
  readonly link = new LinkCapacity();
  #current: number;
  #state: RateControlState = 'hold';
  #lastUpdate = Number.NaN;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  #rtt = 100_000;
  #drainRate = Number.POSITIVE_INFINITY;
  #drainUntil = Number.NEGATIVE_INFINITY;
  /** Decreases taken. */
  decreases = 0;
  /** Decreases that also drained a queue. */
  drains = 0;

  constructor(settings: AimdSettings) {
    this.#s = settings;
    this.#current = settings.initial;
  }

  get state(): RateControlState {
    return this.#state;
  }

  /** The rate after the current drain (if any) ends. */
  get current(): number {
    return this.#current;
  }

  /** Whether a drain is lowering the estimate right now. */
  draining(now: number): boolean {
    return now < this.#drainUntil && this.#drainRate < this.#current;
  }

  /** The rate to send at now: the current rate, or less while draining a queue. */
  estimate(now: number): number {
    return this.draining(now) ? Math.max(this.#s.min, this.#drainRate) : this.#current;
  }

  set rtt(rtt: number) {
    this.#rtt = rtt;
  }

  /** Ends a drain early: the queue it was for is gone. */
  endDrain(): void {
    this.#drainUntil = Number.NEGATIVE_INFINITY;
  }

  /**
   * WebRTC's TimeToReduceFurther: at most one decrease per RTT (clamped to 10–200 ms) unless the
   * throughput fell below half the rate. Counted from the last decrease, where WebRTC counts from any
   * change: an increase a moment ago must not hold back the first reaction to a queue.
   */
  timeToReduceFurther(now: number, throughput: number): boolean {
    const interval = Math.min(200_000, Math.max(10_000, this.#rtt));
    if (now - this.#lastDecrease >= interval) return true;
    return !Number.isNaN(throughput) && this.#current / 2 > throughput;
  }

  /**
   * Advances to `now` with the detector's verdict. `throughput` is the recent receive rate (bit/s,
   * NaN when unknown), `queueDelay` the current queueing delay (µs) and `packetBits` the average
   * packet size, for the additive step.
   */
  update(
    now: number,
    usage: BandwidthUsage,
    throughput: number,
    queueDelay: number,
    packetBits: number,
  ): void {
    switch (usage) {
      case 'normal':
        if (this.#state === 'hold') this.#state = 'increase';
        break;
      case 'overusing':
        if (this.#state !== 'decrease') this.#state = 'decrease';
        break;
      case 'underusing':
        this.#state = 'hold';
        break;
    }
    const dt = Number.isNaN(this.#lastUpdate) ? 0 : Math.min(Math.max(now - this.#lastUpdate, 0), SECOND);
    this.#lastUpdate = now;
    switch (this.#state) {
      case 'hold':
        break;
      case 'increase':
        this.#increase(now, dt, throughput, packetBits);
        break;
      case 'decrease':
        this.#decrease(now, throughput, queueDelay);
        break;
    }
    this.#current = Math.min(this.#s.max, Math.max(this.#s.min, this.#current));
  }

  #increase(now: number, dt: number, throughput: number, packetBits: number): void {
    if (this.link.known && throughput > this.link.upper) this.link.reset();
    let step: number;
    if (this.link.known) {
      // Near the knee: about one packet per response time (the detector needs ~100 ms to answer).
      const responseTime = this.#rtt + 100_000;
      step = (Math.max(4_000, (packetBits * SECOND) / responseTime) * dt) / SECOND;
    } else {
      const factor = Math.pow(1 + this.#s.increasePerSecond, dt / SECOND);
      step = Math.max(this.#current * (factor - 1), (1_000 * dt) / SECOND);
    }
    let next = this.#current + step;
    if (!Number.isNaN(throughput)) {
      const cap = 1.5 * throughput + 10_000;
      if (next > cap) next = Math.max(this.#current, cap);
    }
    this.#current = next;
  }

  #decrease(now: number, throughput: number, queueDelay: number): void {
    const measured = Number.isNaN(throughput) ? this.#current : throughput;
    let next = this.#s.beta * measured;
    if (next > 5_000) next -= 5_000;
    // Never raise the rate on overuse; a stale measurement falls back on the known capacity.
    if (next > this.#current && this.link.known) next = this.#s.beta * this.link.estimate;
    if (next < this.#current) this.#current = next;
    if (this.link.known && measured < this.link.lower) this.link.reset();
    this.link.onOveruse(measured);
    this.decreases++;
    const depth = Math.max(this.#s.drainFloor, 1 - queueDelay / this.#s.drainTarget);
    if (depth < this.#s.beta) {
      // Sending at `depth` of the bottleneck rate empties `queueDelay` of queue in delay / (1 − depth);
      // an RTT more covers the feedback lag.
      this.#drainRate = Math.min(depth * measured, this.#current);
      this.#drainUntil = now + queueDelay / (1 - depth) + this.#rtt;
      this.drains++;
    }
    this.#state = 'hold';
    this.#lastDecrease = now;
  }
}
