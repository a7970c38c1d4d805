import { bitsPerSecond, micros, msToMicros, type BitsPerSecond, type Micros } from '../units/index.js';
import { WindowedMin } from './clock-sync.js';
import { AimdRateControl, type RateControlState } from './bandwidth-aimd.js';
import { between, BandwidthConfigError, count, positive, rateBounds } from './bandwidth-config.js';
import { RateWindow } from './bandwidth-rate-window.js';
import { InterArrival, TrendlineDetector, type BandwidthUsage } from './bandwidth-trendline.js';

export interface DelayBasedOptions {
  /** Default 2 Mbit/s. */
  readonly initial?: BitsPerSecond;
  /** Default 100 kbit/s. */
  readonly min?: BitsPerSecond;
  /** Default 50 Mbit/s. */
  readonly max?: BitsPerSecond;
  /** Packets sent within this of a group's first form one group. Default 5 ms. */
  readonly groupLength?: Micros;
  /** Groups in the trendline's regression. Default 20. */
  readonly trendlineWindow?: number;
  /** Smoothing of the accumulated delay, in (0, 1). Default 0.9. */
  readonly smoothing?: number;
  /** Gain on the trend before it meets the threshold. Default 4. */
  readonly thresholdGain?: number;
  /** Window of the incoming rate (and of the increase cap). Default 500 ms. */
  readonly rateWindow?: Micros;
  /**
   * Longest window of the throughput a decrease is based on (WebRTC's 150 ms); it is shortened to
   * the time 20 packets take, down to 50 ms. At most `rateWindow`.
   */
  readonly decreaseRateWindow?: Micros;
  /** Decrease to this × the measured throughput on overuse. Default 0.85. */
  readonly beta?: number;
  /** Multiplicative increase per second. Default 0.08. */
  readonly increasePerSecond?: number;
  /** A decrease that finds a queue aims to drain it within this (see `AimdRateControl`). Default 250 ms. */
  readonly drainTarget?: Micros;
  /** The lowest fraction of throughput a drain sends at. Default 0.5. */
  readonly drainFloor?: number;
  /** How long the lowest one-way delay (the queue-free baseline) is remembered. Default 10 s. */
  readonly baseDelayWindow?: Micros;
  /**
   * Queueing delay that counts as overuse even before the trend says so, once the queue has risen
   * this much since the last decrease and is still rising. Default 30 ms.
   */
  readonly queueDelayLimit?: Micros;
  /** RTT until `setRtt` says otherwise. Default 100 ms. */
  readonly rtt?: Micros;
}

export interface DelayBasedStats {
  readonly estimate: BitsPerSecond;
  readonly state: BandwidthUsage;
  readonly rateControl: RateControlState;
  /** Receive rate over `rateWindow`; null until there is one. */
  readonly incomingRate: BitsPerSecond | null;
  /** Current one-way delay above the lowest seen in `baseDelayWindow`. */
  readonly queueDelay: Micros;
  /** Where the link last congested; null when unknown. */
  readonly linkCapacity: BitsPerSecond | null;
  readonly draining: boolean;
  /** Trend as compared with the threshold, and the threshold. */
  readonly trend: number;
  readonly threshold: number;
  readonly packets: number;
  readonly groups: number;
  /** Packets with a time or size that is not a number, ignored. */
  readonly rejected: number;
  /** Packets left out of the delay trend as reordered. */
  readonly reordered: number;
  /** Times the grouping started over after the sender's clock jumped by seconds. */
  readonly resets: number;
  readonly decreases: number;
  readonly drains: number;
}

/** Below this queueing delay a drain has done its job. */
const DRAIN_DONE = 10_000;
/**
 * A packet whose one-way delay jumped by more than this over the previous one's marks a stall (a
 * route change, a radio pausing), not queueing: the gap is left out of the measured throughput. A
 * bottleneck would have to fall below ~300 kbit/s for 1200-byte packets to space them this far.
 */
const STALL = 30_000;
/** The shortest span the throughput behind a decrease is measured over. */
const MIN_DECREASE_SPAN = 50_000;

/**
 * The receiver's delay-based bandwidth estimate, after WebRTC's GCC receive side (DelayBasedBwe):
 * packets are grouped into send bursts (`InterArrival`), the growth of inter-group delay variation is
 * fitted and judged (`TrendlineDetector`), and an AIMD controller (`AimdRateControl`) turns the verdict
 * and the measured receive rate into an estimate that the receiver reports back to the sender.
 *
 * `sendTime` is the sender's clock, taken exactly from the packet header: only differences of it are
 * used (and its difference with `arrival`, against its own minimum), so the clock offset cancels out.
 *
 * Hot path: `onPacket` allocates nothing (typed-array rings, fields for intermediate results).
 */
export class DelayBasedEstimator {
  readonly #interArrival: InterArrival;
  readonly #trendline: TrendlineDetector;
  readonly #rate: RateWindow;
  readonly #decreaseWindow: number;
  readonly #baseDelay: WindowedMin;
  readonly #aimd: AimdRateControl;
  #lastArrival = Number.NEGATIVE_INFINITY;
  #lastSend = Number.NaN;
  #packetBits = 1200 * 8;
  readonly #queueDelayLimit: number;
  #queueDelay = 0;
  /** The lowest queueing delay since the last decrease (Infinity right after one). */
  #queueFloor = Number.POSITIVE_INFINITY;
  #usage: BandwidthUsage = 'normal';
  #packets = 0;
  #groups = 0;
  #rejected = 0;

  constructor(options: DelayBasedOptions = {}) {
    const { min, initial, max } = rateBounds(
      options.min ?? 100_000,
      options.initial ?? 2_000_000,
      options.max ?? 50_000_000,
    );
    const groupLength = positive('groupLength', options.groupLength ?? msToMicros(5));
    const window = count('trendlineWindow', options.trendlineWindow ?? 20, 2);
    const smoothing = between('smoothing', options.smoothing ?? 0.9, 0, 1);
    const gain = positive('thresholdGain', options.thresholdGain ?? 4);
    const rateWindow = positive('rateWindow', options.rateWindow ?? msToMicros(500));
    this.#decreaseWindow = positive('decreaseRateWindow', options.decreaseRateWindow ?? msToMicros(150));
    if (this.#decreaseWindow > rateWindow) {
      throw new BandwidthConfigError(
        'decreaseRateWindow',
        `must not exceed rateWindow (${rateWindow}), got ${this.#decreaseWindow}`,
      );
    }
    this.#interArrival = new InterArrival(groupLength);
    this.#trendline = new TrendlineDetector(window, smoothing, gain);
    this.#rate = new RateWindow(rateWindow, 100);
    this.#baseDelay = new WindowedMin(
      micros(positive('baseDelayWindow', options.baseDelayWindow ?? msToMicros(10_000))),
    );
    this.#aimd = new AimdRateControl({
      min,
      max,
      initial,
      beta: between('beta', options.beta ?? 0.85, 0, 1),
      increasePerSecond: positive('increasePerSecond', options.increasePerSecond ?? 0.08),
      drainTarget: positive('drainTarget', options.drainTarget ?? msToMicros(250)),
      drainFloor: between('drainFloor', options.drainFloor ?? 0.5, 0, 1),
    });
    this.#aimd.rtt = positive('rtt', options.rtt ?? msToMicros(100));
    this.#queueDelayLimit = positive('queueDelayLimit', options.queueDelayLimit ?? msToMicros(30));
  }

  /** One received packet: `arrival` on our clock, `sendTime` on the sender's, `bytes` on the wire. */
  onPacket(arrival: Micros, sendTime: Micros, bytes: number): void {
    if (!Number.isFinite(arrival) || !Number.isFinite(sendTime) || !Number.isFinite(bytes) || bytes < 0) {
      this.#rejected++;
      return;
    }
    // Our clock never runs backwards; a caller that says so gets the latest time instead.
    const now = arrival < this.#lastArrival ? this.#lastArrival : arrival;
    const stall = now - this.#lastArrival - Math.max(0, sendTime - this.#lastSend);
    if (stall > STALL) this.#rate.idle(now, stall);
    this.#lastArrival = now;
    this.#lastSend = sendTime;
    this.#packets++;
    this.#rate.add(now, bytes);
    this.#packetBits += (bytes * 8 - this.#packetBits) / 16;
    this.#baseDelay.update(now, now - sendTime);
    const ia = this.#interArrival;
    if (!ia.push(now, sendTime)) return;
    this.#groups++;
    this.#trendline.update(ia.arrivalDelta, ia.sendDelta, now);
    this.#queueDelay = Math.max(0, ia.groupMinDelay - this.#baseDelay.key);
    this.#control(now);
  }

  /** The path's RTT (from `ClockSync`): paces decreases and sizes the additive step. Ignored unless > 0. */
  setRtt(rtt: Micros): void {
    if (Number.isFinite(rtt) && rtt > 0) this.#aimd.rtt = rtt;
  }

  /** The rate the sender should not exceed, as of `now`. */
  estimate(now: Micros): BitsPerSecond {
    return bitsPerSecond(this.#aimd.estimate(now));
  }

  /** The verdict on the latest packet group. */
  get state(): BandwidthUsage {
    return this.#usage;
  }

  /** The receive rate over the rate window; null until there is one. */
  incomingRate(now: Micros): BitsPerSecond | null {
    const rate = this.#rate.rate(now);
    return rate === null ? null : bitsPerSecond(rate);
  }

  stats(now: Micros): DelayBasedStats {
    const link = this.#aimd.link;
    return {
      estimate: this.estimate(now),
      state: this.#usage,
      rateControl: this.#aimd.state,
      incomingRate: this.incomingRate(now),
      queueDelay: micros(this.#queueDelay),
      linkCapacity: link.known ? bitsPerSecond(link.estimate) : null,
      draining: this.#aimd.draining(now),
      trend: this.#trendline.modifiedTrend,
      threshold: this.#trendline.threshold,
      packets: this.#packets,
      groups: this.#groups,
      rejected: this.#rejected,
      reordered: this.#interArrival.reordered,
      resets: this.#interArrival.resets,
      decreases: this.#aimd.decreases,
      drains: this.#aimd.drains,
    };
  }

  #control(now: number): void {
    let usage = this.#trendline.state;
    // The trend is smoothed over ~20 groups, and a sudden capacity drop stretches groups out, so it
    // answers late (~100 ms for 20 → 5 Mbit/s) while the queue grows 3 ms a ms. A queue that has
    // risen by more than the limit since the last decrease, and is still rising, is overuse now.
    // Measured from the lowest point since the last decrease, a baseline gone stale (the route got
    // longer) costs one decrease, not one per RTT.
    const rise = this.#queueDelay - this.#queueFloor;
    if (this.#queueDelay < this.#queueFloor) this.#queueFloor = this.#queueDelay;
    if (usage !== 'overusing' && rise > this.#queueDelayLimit && this.#trendline.modifiedTrend > 0) {
      usage = 'overusing';
    }
    this.#usage = usage;
    if (this.#queueDelay < DRAIN_DONE) this.#aimd.endDrain();
    if (usage === 'overusing') {
      // A drain is already the answer to this queue; a decrease now would measure the drain's own
      // lower rate and compound it.
      if (this.#aimd.draining(now)) return;
      // While a queue stands the receive rate is the bottleneck's, so the most recent rate is the
      // truest: a window that still holds arrivals from before a capacity drop over-reads it. But a
      // few packets are too few to time, so the span covers at least 20 of them.
      const twentyPackets = (20 * this.#packetBits * 1_000_000) / this.#aimd.current;
      const span = Math.min(this.#decreaseWindow, Math.max(MIN_DECREASE_SPAN, twentyPackets));
      const throughput = this.#rate.rate(now, span) ?? Number.NaN;
      if (!this.#aimd.timeToReduceFurther(now, throughput)) return;
      this.#aimd.update(now, usage, throughput, this.#queueDelay, this.#packetBits);
      this.#queueFloor = Number.POSITIVE_INFINITY;
    } else {
      this.#aimd.update(now, usage, this.#rate.rate(now) ?? Number.NaN, this.#queueDelay, this.#packetBits);
    }
  }
}
