/** What the delay trend says about the path: queues growing, steady, or draining. */
export type BandwidthUsage = 'normal' | 'overusing' | 'underusing';

/** µs per ms: the detector works in milliseconds so its constants read as WebRTC's do. */
const MS = 1_000;

/**
 * Groups packets into send bursts and gives the send and arrival time deltas between consecutive
 * completed groups, after WebRTC's InterArrivalDelta: a group is the packets sent within `groupLength`
 * of its first; a packet that arrives within 5 ms of the previous one, earlier than its send spacing
 * says it should, joins the group too (a burst the network squeezed together). Packets sent before
 * the current group began are reordered: counted and skipped. Arrival times must not decrease (the
 * caller clamps them), so unlike WebRTC's, whose arrival times come back in feedback, groups cannot
 * arrive out of order here.
 *
 * The results of `push` are left in fields rather than returned in an object, so the hot path
 * allocates nothing.
 */
export class InterArrival {
  readonly #groupLength: number;
  #firstSend = Number.NaN;
  #lastSend = 0;
  #firstArrival = 0;
  #completeArrival = 0;
  #minDelay = 0;
  #prevSend = Number.NaN;
  #prevComplete = 0;

  /** Send-time spacing of the last two completed groups (µs). */
  sendDelta = 0;
  /** Arrival-time spacing of the last two completed groups (µs). */
  arrivalDelta = 0;
  /** Lowest arrival − send time in the group just completed (µs, includes the clock offset). */
  groupMinDelay = 0;
  /** Packets and groups skipped as reordered. */
  reordered = 0;
  /** Times the grouping started over after a clock jump. */
  resets = 0;

  constructor(groupLength: number) {
    this.#groupLength = groupLength;
  }

  /** Adds a packet; true when it closed a group and the delta fields hold a new sample. */
  push(arrival: number, send: number): boolean {
    const delay = arrival - send;
    if (Number.isNaN(this.#firstSend)) {
      this.#start(arrival, send, delay);
      return false;
    }
    if (send < this.#firstSend) {
      this.reordered++;
      return false;
    }
    let ready = false;
    if (this.#isNewGroup(arrival, send)) {
      if (!Number.isNaN(this.#prevSend)) {
        const sendDelta = this.#lastSend - this.#prevSend;
        const arrivalDelta = this.#completeArrival - this.#prevComplete;
        if (Math.abs(arrivalDelta - sendDelta) > 3_000 * MS) {
          // A jump of seconds is a clock step or a stall, not queueing: start over.
          this.resets++;
          this.#prevSend = Number.NaN;
          this.#start(arrival, send, delay);
          return false;
        }
        this.sendDelta = sendDelta;
        this.arrivalDelta = arrivalDelta;
        this.groupMinDelay = this.#minDelay;
        ready = true;
      } else {
        this.groupMinDelay = this.#minDelay;
      }
      this.#prevSend = this.#lastSend;
      this.#prevComplete = this.#completeArrival;
      this.#start(arrival, send, delay);
      return ready;
    }
    if (send > this.#lastSend) this.#lastSend = send;
    this.#completeArrival = arrival;
    if (delay < this.#minDelay) this.#minDelay = delay;
    return false;
  }

  #start(arrival: number, send: number, delay: number): void {
    this.#firstSend = send;
    this.#lastSend = send;
    this.#firstArrival = arrival;
    this.#completeArrival = arrival;
    this.#minDelay = delay;
  }

  #isNewGroup(arrival: number, send: number): boolean {
    // After WebRTC's BelongsToBurst.
    const arrivalDelta = arrival - this.#completeArrival;
    const sendDelta = send - this.#lastSend;
    if (sendDelta === 0) return false;
    if (arrivalDelta - sendDelta < 0 && arrivalDelta <= 5 * MS && arrival - this.#firstArrival < 100 * MS) {
      return false;
    }
    return send - this.#firstSend > this.#groupLength;
  }
}

/**
 * The delay-gradient overuse detector, after WebRTC's TrendlineEstimator: accumulate the inter-group
 * delay variation, smooth it, fit a least-squares line to the last `windowSize` points (time, delay)
 * and compare the slope — scaled by the number of samples and a gain — against a threshold that adapts
 * to the path (faster down than up), so steady jitter does not read as congestion but a growing queue
 * does within a few groups. Overuse needs the slope above the threshold for over 10 ms and two groups.
 */
export class TrendlineDetector {
  readonly #windowSize: number;
  readonly #smoothing: number;
  readonly #gain: number;
  // Ring buffer of (arrival ms since the first group, smoothed accumulated delay ms).
  readonly #x: Float64Array;
  readonly #y: Float64Array;
  #head = 0;
  #length = 0;
  #numDeltas = 0;
  #firstArrival = Number.NaN;
  #accumulated = 0;
  #smoothed = 0;
  #trend = 0;
  #prevTrend = 0;
  #modifiedTrend = 0;
  #threshold = 12.5;
  #lastThresholdUpdate = Number.NaN;
  #timeOverUsing = -1;
  #overuseCounter = 0;
  #state: BandwidthUsage = 'normal';

  constructor(windowSize: number, smoothing: number, gain: number) {
    this.#windowSize = windowSize;
    this.#smoothing = smoothing;
    this.#gain = gain;
    this.#x = new Float64Array(windowSize);
    this.#y = new Float64Array(windowSize);
  }

  get state(): BandwidthUsage {
    return this.#state;
  }

  /** The slope as compared against the threshold (delay ms per ms, scaled). */
  get modifiedTrend(): number {
    return this.#modifiedTrend;
  }

  /** The adaptive threshold (same scale as `modifiedTrend`). */
  get threshold(): number {
    return this.#threshold;
  }

  /** One inter-group sample; all times in µs. */
  update(arrivalDelta: number, sendDelta: number, arrival: number): void {
    const arrivalMs = arrival / MS;
    const sendDeltaMs = sendDelta / MS;
    const delayMs = (arrivalDelta - sendDelta) / MS;
    this.#numDeltas = Math.min(this.#numDeltas + 1, 1000);
    if (Number.isNaN(this.#firstArrival)) this.#firstArrival = arrivalMs;
    this.#accumulated += delayMs;
    this.#smoothed = this.#smoothing * this.#smoothed + (1 - this.#smoothing) * this.#accumulated;

    const slot = (this.#head + this.#length) % this.#windowSize;
    this.#x[slot] = arrivalMs - this.#firstArrival;
    this.#y[slot] = this.#smoothed;
    if (this.#length < this.#windowSize) this.#length++;
    else this.#head = (this.#head + 1) % this.#windowSize;
    if (this.#length === this.#windowSize) {
      const slope = this.#fitSlope();
      if (slope !== null) this.#trend = slope;
    }
    this.#detect(sendDeltaMs, arrivalMs);
  }

  /** Least-squares slope of the window; null when all points share one time. */
  #fitSlope(): number | null {
    const n = this.#length;
    let sumX = 0;
    let sumY = 0;
    for (let i = 0; i < n; i++) {
      sumX += this.#x[i] ?? 0;
      sumY += this.#y[i] ?? 0;
    }
    const meanX = sumX / n;
    const meanY = sumY / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const dx = (this.#x[i] ?? 0) - meanX;
      num += dx * ((this.#y[i] ?? 0) - meanY);
      den += dx * dx;
    }
    return den === 0 ? null : num / den;
  }

  #detect(sendDeltaMs: number, nowMs: number): void {
    if (this.#numDeltas < 2) {
      this.#state = 'normal';
      return;
    }
    const modified = Math.min(this.#numDeltas, 60) * this.#trend * this.#gain;
    this.#modifiedTrend = modified;
    if (modified > this.#threshold) {
      if (this.#timeOverUsing === -1) this.#timeOverUsing = sendDeltaMs / 2;
      else this.#timeOverUsing += sendDeltaMs;
      this.#overuseCounter++;
      if (this.#timeOverUsing > 10 && this.#overuseCounter > 1 && this.#trend >= this.#prevTrend) {
        this.#timeOverUsing = 0;
        this.#overuseCounter = 0;
        this.#state = 'overusing';
      }
    } else if (modified < -this.#threshold) {
      this.#timeOverUsing = -1;
      this.#overuseCounter = 0;
      this.#state = 'underusing';
    } else {
      this.#timeOverUsing = -1;
      this.#overuseCounter = 0;
      this.#state = 'normal';
    }
    this.#prevTrend = this.#trend;
    this.#updateThreshold(modified, nowMs);
  }

  /** WebRTC's adaptive threshold: k_up 0.0087, k_down 0.039 per ms, clamped to [6, 600]. */
  #updateThreshold(modified: number, nowMs: number): void {
    if (Number.isNaN(this.#lastThresholdUpdate)) this.#lastThresholdUpdate = nowMs;
    const magnitude = Math.abs(modified);
    if (magnitude > this.#threshold + 15) {
      // A spike (a route change, a burst of cross traffic) must not drag the threshold up with it.
      this.#lastThresholdUpdate = nowMs;
      return;
    }
    const k = magnitude < this.#threshold ? 0.039 : 0.0087;
    const dt = Math.min(Math.max(nowMs - this.#lastThresholdUpdate, 0), 100);
    this.#threshold = Math.min(600, Math.max(6, this.#threshold + k * (magnitude - this.#threshold) * dt));
    this.#lastThresholdUpdate = nowMs;
  }
}
