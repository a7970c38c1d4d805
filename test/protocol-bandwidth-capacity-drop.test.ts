import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayBasedEstimator, LossBasedController } from '../src/protocol/bandwidth.js';
import { Rng } from '../src/rng/index.js';
import { bitsPerSecond, micros } from '../src/units/index.js';

/**
 * The closed loop: a paced sender whose rate is the target the loss-based controller emits, a
 * bottleneck (FIFO, serialized at a capacity that steps 20 → 5 → 20 Mbit/s, unlimited queue, so a
 * queue that builds shows as delay, never hidden by drops), 20 ms each way, a receiver running the
 * delay-based estimator and reporting every 50 ms (at once when its estimate falls 5 %).
 */
const MBPS = 1_000_000;
const PACKET = 1_200;
const ONE_WAY = 20_000;
const REPORT_EVERY = 50_000;
const DROP_AT = 8_000_000;
const RESTORE_AT = 20_000_000;
const END = 50_000_000;
/** The sender's clock runs 5 s ahead of the receiver's: only differences of it may matter. */
const SENDER_CLOCK = 5_000_000;

const capacityAt = (t: number): number => (t >= DROP_AT && t < RESTORE_AT ? 5 * MBPS : 20 * MBPS);

interface InFlight {
  readonly sent: number;
  readonly arrival: number;
}

interface Trace {
  /** Per packet: when it entered the bottleneck and how long it waited there (µs). */
  readonly enqueued: number[];
  readonly waited: number[];
  /** Per report tick: time, the receiver's estimate, the rate the sender was sending at. */
  readonly t: number[];
  readonly estimate: number[];
  readonly sending: number[];
  /** Per report tick: bytes delivered since the previous tick. */
  readonly delivered: number[];
}

function simulate(): Trace {
  const rng = new Rng('bandwidth-capacity-drop');
  const initial = bitsPerSecond(16 * MBPS);
  const max = bitsPerSecond(30 * MBPS);
  const receiver = new DelayBasedEstimator({ initial, max, rtt: micros(2 * ONE_WAY) });
  const sender = new LossBasedController({ initial, max, rtt: micros(2 * ONE_WAY) });
  const trace: Trace = { enqueued: [], waited: [], t: [], estimate: [], sending: [], delivered: [] };

  let sendRate = sender.pollTargetChange() ?? 0;
  let nextSend = 0;
  let linkFree = 0;
  let lastArrival = 0;
  const wire: InFlight[] = [];
  let wireHead = 0;
  const reports: { at: number; estimate: number }[] = [];
  let reportHead = 0;
  let nextTick = REPORT_EVERY;
  let lastReported = Number.POSITIVE_INFINITY;
  let deliveredBytes = 0;

  const report = (now: number): void => {
    const estimate = receiver.estimate(micros(now));
    lastReported = estimate;
    reports.push({ at: now + ONE_WAY, estimate });
  };

  for (;;) {
    const nextArrival = wire[wireHead]?.arrival ?? Number.POSITIVE_INFINITY;
    const nextReport = reports[reportHead]?.at ?? Number.POSITIVE_INFINITY;
    const now = Math.min(nextSend, nextArrival, nextReport, nextTick);
    if (now >= END) break;
    if (now === nextSend) {
      // Into the bottleneck: wait for the packets ahead, then serialize at the capacity of the moment.
      const start = Math.max(now, linkFree);
      linkFree = start + (PACKET * 8 * 1e6) / capacityAt(start);
      trace.enqueued.push(now);
      trace.waited.push(start - now);
      const arrival = Math.max(lastArrival, linkFree + ONE_WAY + rng.nextFloat() * 1_000);
      lastArrival = arrival;
      wire.push({ sent: now, arrival });
      nextSend = now + (PACKET * 8 * 1e6) / sendRate;
    } else if (now === nextArrival) {
      const packet = wire[wireHead++];
      assert.ok(packet !== undefined);
      receiver.onPacket(micros(now), micros(packet.sent + SENDER_CLOCK), PACKET);
      deliveredBytes += PACKET;
      if (receiver.estimate(micros(now)) < lastReported * 0.95) report(now);
    } else if (now === nextReport) {
      const r = reports[reportHead++];
      assert.ok(r !== undefined);
      sender.onReport(micros(now), 0, bitsPerSecond(r.estimate));
      sendRate = sender.pollTargetChange() ?? sendRate;
    } else {
      report(now);
      trace.t.push(now);
      trace.estimate.push(receiver.estimate(micros(now)));
      trace.sending.push(sendRate);
      trace.delivered.push(deliveredBytes);
      deliveredBytes = 0;
      nextTick = now + REPORT_EVERY;
    }
  }
  return trace;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function waitsBetween(trace: Trace, from: number, to: number): number[] {
  const out: number[] = [];
  trace.enqueued.forEach((t, i) => {
    if (t >= from && t < to) out.push(trace.waited[i] ?? 0);
  });
  return out;
}

/** Mean delivered rate (bit/s) over report ticks in [from, to). */
function deliveredRate(trace: Trace, from: number, to: number): number {
  let bytes = 0;
  trace.t.forEach((t, i) => {
    if (t > from && t <= to) bytes += trace.delivered[i] ?? 0;
  });
  return (bytes * 8 * 1e6) / (to - from);
}

/** The first report tick at or after `from` where `pred` holds for the value; NaN if none. */
function firstTime(
  trace: Trace,
  values: readonly number[],
  from: number,
  pred: (v: number) => boolean,
): number {
  const i = trace.t.findIndex((t, k) => t >= from && pred(values[k] ?? Number.NaN));
  return i === -1 ? Number.NaN : (trace.t[i] ?? Number.NaN);
}

function valuesBetween(trace: Trace, values: readonly number[], from: number, to: number): number[] {
  return values.filter((_, k) => (trace.t[k] ?? 0) >= from && (trace.t[k] ?? 0) < to);
}

const ms = (us: number): string => `${(us / 1e3).toFixed(1)} ms`;
const mbps = (bps: number): string => `${(bps / 1e6).toFixed(2)} Mbit/s`;

describe('bandwidth control through a bottleneck that drops 20 → 5 Mbit/s and comes back', () => {
  const trace = simulate();

  it('uses the 20 Mbit/s path before the drop without a standing queue', (t) => {
    const estimates = valuesBetween(trace, trace.estimate, 5_000_000, DROP_AT);
    const waits = waitsBetween(trace, 5_000_000, DROP_AT);
    t.diagnostic(`estimate ${mbps(Math.min(...estimates))}..${mbps(Math.max(...estimates))}`);
    t.diagnostic(`queue p95 ${ms(percentile(waits, 0.95))}, max ${ms(Math.max(...waits))}`);
    assert.ok(Math.min(...estimates) > 15 * MBPS, 'near the capacity');
    assert.ok(percentile(waits, 0.95) < 20_000);
  });

  it('converges below 5 Mbit/s within a second of the drop', (t) => {
    const estimateBelow = firstTime(trace, trace.estimate, DROP_AT, (v) => v <= 5 * MBPS) - DROP_AT;
    const sendingBelow = firstTime(trace, trace.sending, DROP_AT, (v) => v <= 5 * MBPS) - DROP_AT;
    t.diagnostic(
      `receiver estimate below 5 Mbit/s after ${ms(estimateBelow)}, sender after ${ms(sendingBelow)}`,
    );
    assert.ok(estimateBelow <= 1_000_000, `estimate took ${ms(estimateBelow)}`);
    assert.ok(sendingBelow <= 1_000_000, `sender took ${ms(sendingBelow)}`);
    // ... and stays there, but for AIMD's probing (within 10 %), until the capacity returns, without
    // collapsing either.
    const after = valuesBetween(trace, trace.estimate, DROP_AT + 1_000_000, RESTORE_AT);
    t.diagnostic(`estimate ${mbps(Math.min(...after))}..${mbps(Math.max(...after))} from 1 s after the drop`);
    assert.ok(Math.max(...after) <= 5.5 * MBPS, `estimate rose to ${mbps(Math.max(...after))}`);
    const used = deliveredRate(trace, DROP_AT + 2_000_000, RESTORE_AT);
    t.diagnostic(`delivered ${mbps(used)} on average from 2 s after the drop`);
    assert.ok(used > 3.5 * MBPS, `delivered only ${mbps(used)}`);
  });

  it('keeps the queue bounded through the drop and low after it', (t) => {
    const all = waitsBetween(trace, 0, END);
    const worst = Math.max(...all);
    const drained = trace.enqueued.findIndex(
      (x, i) => x > DROP_AT + 100_000 && (trace.waited[i] ?? 0) < 10_000,
    );
    const drainedAfter = (trace.enqueued[drained] ?? Number.NaN) - DROP_AT;
    const settled = waitsBetween(trace, DROP_AT + 2_000_000, RESTORE_AT);
    t.diagnostic(`peak queueing delay ${ms(worst)}; below 10 ms again ${ms(drainedAfter)} after the drop`);
    t.diagnostic(
      `from 2 s after the drop: p95 ${ms(percentile(settled, 0.95))}, max ${ms(Math.max(...settled))}`,
    );
    assert.ok(worst < 400_000, `peak ${ms(worst)}`);
    assert.ok(drainedAfter < 1_500_000, `drained after ${ms(drainedAfter)}`);
    assert.ok(percentile(settled, 0.95) < 50_000);
    assert.ok(Math.max(...settled) < 50_000);
  });

  it('recovers when the capacity returns, still without a queue', (t) => {
    const over10 = firstTime(trace, trace.estimate, RESTORE_AT, (v) => v > 10 * MBPS) - RESTORE_AT;
    const used = deliveredRate(trace, END - 5_000_000, END);
    const waits = waitsBetween(trace, RESTORE_AT, END);
    t.diagnostic(`estimate above 10 Mbit/s ${ms(over10)} after the capacity returned`);
    t.diagnostic(`delivered ${mbps(used)} over the last 5 s; queue p95 ${ms(percentile(waits, 0.95))}`);
    assert.ok(over10 < 20_000_000);
    assert.ok(used > 15 * MBPS);
    assert.ok(percentile(waits, 0.95) < 50_000);
  });
});
