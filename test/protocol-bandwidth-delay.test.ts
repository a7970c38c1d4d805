import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BandwidthConfigError, DelayBasedEstimator, type BandwidthUsage } from '../src/protocol/bandwidth.js';
import { RateWindow } from '../src/protocol/bandwidth-rate-window.js';
import { Rng } from '../src/rng/index.js';
import { bitsPerSecond, micros } from '../src/units/index.js';

const MBPS = 1_000_000;
const PACKET = 1_200;
const SER = (rate: number): number => (PACKET * 8 * 1e6) / rate;

interface Path {
  /** Bottleneck capacity (bit/s) at a time; Infinity for none. */
  readonly capacity: (t: number) => number;
  /** One-way delay after the bottleneck at a time (µs). */
  readonly delay: (t: number) => number;
  /** Up to this much extra delay per packet, uniformly (never reordering). */
  readonly jitter: number;
}

/**
 * Paced packets from `from` to `to` at `rate(t)` (re-read every 50 ms, as a sender acting on
 * reports would) through a FIFO bottleneck; returns the verdicts the estimator gave on the way.
 */
function run(
  est: DelayBasedEstimator,
  path: Path,
  rate: (t: number) => number,
  from: number,
  to: number,
  seed: string,
  senderClock = 0,
): Set<BandwidthUsage> {
  const rng = new Rng(seed);
  const seen = new Set<BandwidthUsage>();
  let linkFree = from;
  let lastArrival = 0;
  let current = rate(from);
  let nextRateAt = from + 50_000;
  for (let t = from; t < to; t += SER(current)) {
    if (t >= nextRateAt) {
      current = rate(t);
      nextRateAt = t + 50_000;
    }
    const start = Math.max(t, linkFree);
    const capacity = path.capacity(start);
    linkFree = Number.isFinite(capacity) ? start + SER(capacity) : start;
    lastArrival = Math.max(lastArrival, linkFree + path.delay(linkFree) + rng.nextFloat() * path.jitter);
    est.onPacket(micros(lastArrival), micros(t + senderClock), PACKET);
    seen.add(est.state);
  }
  return seen;
}

const clear: Path = { capacity: () => Number.POSITIVE_INFINITY, delay: () => 15_000, jitter: 2_000 };

describe('DelayBasedEstimator', () => {
  it('grows toward max on a path with room, and never sees overuse', () => {
    const est = new DelayBasedEstimator({ initial: bitsPerSecond(2 * MBPS), max: bitsPerSecond(10 * MBPS) });
    const path: Path = { ...clear, capacity: () => 100 * MBPS };
    const at: number[] = [];
    const seen = run(
      est,
      path,
      (t) => {
        const e = est.estimate(micros(t));
        at.push(e);
        return e;
      },
      0,
      30_000_000,
      'delay-steady',
    );
    assert.ok(!seen.has('overusing'), 'no overuse on an empty path');
    const stats = est.stats(micros(30_000_000));
    assert.equal(stats.decreases, 0);
    assert.equal(est.estimate(micros(30_000_000)), 10 * MBPS, 'reached max');
    // Multiplicative increase of ~8 %/s: 2 → 10 Mbit/s takes ln 5 / ln 1.08 ≈ 21 s.
    const atTenSeconds = at[Math.round(10_000_000 / 50_000)] ?? 0;
    assert.ok(atTenSeconds > 3.8 * MBPS && atTenSeconds < 4.8 * MBPS, `at 10 s: ${atTenSeconds}`);
    assert.ok(stats.incomingRate !== null && Math.abs(stats.incomingRate - 10 * MBPS) < 0.5 * MBPS);
    assert.equal(stats.state, 'normal');
    assert.ok(stats.queueDelay < 3_000);
    assert.equal(stats.linkCapacity, null, 'never congested');
  });

  it('detects a queue that grows, and decreases to below the measured throughput', () => {
    const est = new DelayBasedEstimator({ initial: bitsPerSecond(10 * MBPS), rtt: micros(40_000) });
    const path: Path = { ...clear, capacity: () => 6 * MBPS };
    // Open loop: the sender ignores the estimate and keeps sending 8 Mbit/s for a second.
    const seen = run(est, path, () => 8 * MBPS, 0, 1_000_000, 'delay-overuse');
    assert.ok(seen.has('overusing'));
    const stats = est.stats(micros(1_300_000));
    assert.ok(stats.decreases >= 1);
    assert.ok(stats.incomingRate !== null && Math.abs(stats.incomingRate - 6 * MBPS) < 0.3 * MBPS);
    assert.ok(stats.linkCapacity !== null && Math.abs(stats.linkCapacity - 6 * MBPS) < 0.5 * MBPS);
    // After the queue drains the estimate is beta (0.85) × the bottleneck's rate.
    const settled = est.estimate(micros(10_000_000));
    assert.ok(settled > 0.8 * 6 * MBPS && settled < 0.9 * 6 * MBPS, `estimate ${settled}`);
  });

  it('drains a standing queue: the estimate dips below beta × throughput while it does', () => {
    const est = new DelayBasedEstimator({ initial: bitsPerSecond(10 * MBPS), rtt: micros(40_000) });
    const path: Path = { ...clear, capacity: () => 5 * MBPS };
    run(est, path, () => 10 * MBPS, 0, 300_000, 'delay-drain');
    const stats = est.stats(micros(300_000));
    assert.ok(stats.drains >= 1);
    assert.equal(stats.draining, true);
    assert.ok(stats.estimate <= 0.6 * 5 * MBPS, `drain rate ${stats.estimate}`);
    assert.ok(est.estimate(micros(10_000_000)) > 0.8 * 5 * MBPS, 'the drain ends by itself');
  });

  it('holds while the queue drains (underusing)', () => {
    const est = new DelayBasedEstimator({ initial: bitsPerSecond(4 * MBPS) });
    // A packet every 10 ms, each finding the queue 4 ms shorter than the last: the delay falls steadily.
    const held: number[] = [];
    for (let i = 0; i < 60; i++) {
      const arrival = micros(i * 10_000 + 320_000 - i * 4_000);
      est.onPacket(arrival, micros(i * 10_000), PACKET);
      if (est.state === 'underusing') held.push(est.estimate(arrival));
    }
    assert.ok(held.length > 10, 'underuse seen');
    assert.ok(
      held.every((e) => e === held[0]),
      'the estimate holds',
    );
    assert.equal(est.stats(micros(1_000_000)).rateControl, 'hold');
  });

  it('ignores the clock offset between sender and receiver', () => {
    const a = new DelayBasedEstimator({ rtt: micros(40_000) });
    const b = new DelayBasedEstimator({ rtt: micros(40_000) });
    const path: Path = { ...clear, capacity: () => 4 * MBPS };
    run(a, path, () => 6 * MBPS, 0, 2_000_000, 'delay-offset');
    run(b, path, () => 6 * MBPS, 0, 2_000_000, 'delay-offset', -987_654_321_000);
    const { queueDelay: qa, ...sa } = a.stats(micros(2_000_000));
    const { queueDelay: qb, ...sb } = b.stats(micros(2_000_000));
    assert.deepEqual(sa, sb);
    assert.ok(Math.abs(qa - qb) < 0.01, 'equal but for rounding');
    assert.ok(sa.decreases > 0, 'the scenario did react');
  });

  it('takes a longer route as a blip, not as a queue to fight for seconds', () => {
    const est = new DelayBasedEstimator({ initial: bitsPerSecond(3 * MBPS), max: bitsPerSecond(3 * MBPS) });
    // 3 Mbit/s on a 50 Mbit/s path whose one-way delay steps from 15 to 75 ms at 5 s.
    const path: Path = {
      capacity: () => 50 * MBPS,
      delay: (t) => (t < 5_000_000 ? 15_000 : 75_000),
      jitter: 2_000,
    };
    const rate = (t: number): number => Math.min(3 * MBPS, est.estimate(micros(t)));
    run(est, path, rate, 0, 5_000_000, 'delay-route');
    assert.equal(est.stats(micros(5_000_000)).decreases, 0);
    // The delay trend reads the step as congestion for a moment (as GCC does) ...
    run(est, path, rate, 5_000_000, 5_500_000, 'delay-route-2');
    const blip = est.stats(micros(5_500_000));
    assert.ok(blip.decreases >= 1 && blip.decreases <= 3, `${blip.decreases} decreases`);
    // ... but the 60 ms gap is not taken for a lower capacity, and the stale baseline (60 ms of
    // "queue" until the 10 s window lets go of it) triggers nothing more.
    assert.ok(est.estimate(micros(5_500_000)) > 2 * MBPS, `estimate ${est.estimate(micros(5_500_000))}`);
    run(est, path, rate, 5_500_000, 14_000_000, 'delay-route-3');
    const stats = est.stats(micros(14_000_000));
    assert.ok(stats.queueDelay > 50_000, 'the old baseline is still in the window');
    assert.equal(stats.decreases, blip.decreases);
    assert.equal(stats.estimate, 3 * MBPS, 'back at max');
  });

  it('does not inflate the estimate past 1.5 × what arrives', () => {
    const est = new DelayBasedEstimator({ initial: bitsPerSecond(MBPS) });
    run(est, clear, () => MBPS, 0, 20_000_000, 'delay-app-limited');
    const e = est.estimate(micros(20_000_000));
    // 1.5 × 1 Mbit/s + 10 kbit/s, give or take a packet in the 500 ms rate window.
    assert.ok(e < 1.6 * MBPS, `estimate ${e}`);
    assert.ok(e > 1.4 * MBPS);
  });

  it('groups bursts, skips reordered packets and rejects junk without throwing', () => {
    const est = new DelayBasedEstimator();
    // Ten 1 ms apart, then one sent before them all (reordered), then junk.
    for (let i = 0; i < 10; i++) est.onPacket(micros(10_000 + i * 1_000), micros(i * 1_000), PACKET);
    assert.equal(est.stats(micros(20_000)).groups, 0, 'still the first group');
    est.onPacket(micros(21_000), micros(-5_000), PACKET);
    est.onPacket(micros(Number.NaN), micros(0), PACKET);
    est.onPacket(micros(22_000), micros(Number.POSITIVE_INFINITY), PACKET);
    est.onPacket(micros(22_000), micros(0), -1);
    est.onPacket(micros(22_000), micros(0), Number.NaN);
    // A later burst: each completed group gives the trendline one sample.
    for (let g = 1; g <= 5; g++) {
      for (let i = 0; i < 3; i++)
        est.onPacket(micros(10_000 + g * 20_000 + i * 100), micros(g * 20_000 + i * 100), PACKET);
    }
    // Arrival time that goes backwards is taken as the latest one.
    est.onPacket(micros(50_000), micros(120_000), PACKET);
    const stats = est.stats(micros(200_000));
    assert.equal(stats.rejected, 4);
    assert.equal(stats.reordered, 1);
    assert.equal(stats.packets, 10 + 1 + 15 + 1);
    assert.equal(stats.groups, 5);
    assert.equal(stats.state, 'normal');
    est.setRtt(micros(-5));
    est.setRtt(micros(Number.NaN));
    est.setRtt(micros(30_000));
  });

  it('starts over after the sender clock jumps', () => {
    const est = new DelayBasedEstimator();
    const at = (arrival: number, send: number): void => {
      est.onPacket(micros(arrival), micros(send), PACKET);
    };
    for (let g = 0; g < 20; g++) at(1_000_000 + g * 10_000, g * 10_000);
    // The sender's clock steps 10 s forward: not a queue.
    for (let g = 20; g < 40; g++) at(1_000_000 + g * 10_000, 10_000_000 + g * 10_000);
    const stats = est.stats(micros(2_000_000));
    assert.equal(stats.resets, 1);
    assert.equal(stats.state, 'normal');
    assert.equal(stats.decreases, 0);
  });

  it('rejects bad options with a one-line error', () => {
    const bad: [ConstructorParameters<typeof DelayBasedEstimator>[0], string][] = [
      [{ min: bitsPerSecond(0) }, 'min'],
      [{ min: bitsPerSecond(5e6), max: bitsPerSecond(1e6), initial: bitsPerSecond(2e6) }, 'min'],
      [{ initial: bitsPerSecond(1e9) }, 'initial'],
      [{ smoothing: 1 }, 'smoothing'],
      [{ trendlineWindow: 1 }, 'trendlineWindow'],
      [{ beta: 1.2 }, 'beta'],
      [{ rateWindow: micros(100_000), decreaseRateWindow: micros(200_000) }, 'decreaseRateWindow'],
      [{ groupLength: micros(Number.NaN) }, 'groupLength'],
      [{ queueDelayLimit: micros(0) }, 'queueDelayLimit'],
    ];
    for (const [options, field] of bad) {
      assert.throws(
        () => new DelayBasedEstimator(options),
        (err: unknown) =>
          err instanceof BandwidthConfigError && err.field === field && !err.message.includes('\n'),
        field,
      );
    }
  });
});

describe('RateWindow', () => {
  it('measures over the window or a shorter span, and forgets after silence', () => {
    const w = new RateWindow(500_000, 100);
    assert.equal(w.window, 500_000);
    assert.equal(w.rate(0), null, 'nothing yet');
    w.add(0, 1_000);
    assert.equal(w.rate(1_000), null, 'less than a bucket of time');
    for (let t = 1_000; t <= 1_000_000; t += 1_000) w.add(t, 1_000);
    assert.ok(Math.abs((w.rate(1_000_000) ?? 0) - 8 * MBPS) < 0.1 * MBPS);
    assert.ok(Math.abs((w.rate(1_000_000, 50_000) ?? 0) - 8 * MBPS) < 0.2 * MBPS);
    assert.ok((w.rate(1_300_000) ?? 1) < 4 * MBPS, 'half the window is silence');
    assert.equal(w.rate(5_000_000), 0);
    w.add(4_000_000, 1_000);
    assert.throws(() => new RateWindow(0), BandwidthConfigError);
    assert.throws(() => new RateWindow(1_000, 0), BandwidthConfigError);
  });
});
