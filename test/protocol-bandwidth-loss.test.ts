import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BandwidthConfigError, LossBasedController } from '../src/protocol/bandwidth.js';
import { Rng } from '../src/rng/index.js';
import { bitsPerSecond, micros } from '../src/units/index.js';

const MBPS = 1_000_000;
const bps = bitsPerSecond;
const us = micros;

/** Reports every 100 ms from `from` to `to` with the given loss and receiver estimate. */
function reports(
  c: LossBasedController,
  from: number,
  to: number,
  loss: number,
  estimate: number | null,
): void {
  for (let t = from; t < to; t += 100_000) c.onReport(us(t), loss, estimate === null ? null : bps(estimate));
}

const near = (actual: number, expected: number, tolerance: number, what: string): void => {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );
};

describe('LossBasedController', () => {
  it('grows ~8 %/s below 2 % loss, holds at 2–10 %, cuts by (1 − loss/2) above 10 %', () => {
    const c = new LossBasedController({ initial: bps(5 * MBPS), max: bps(100 * MBPS) });
    assert.equal(c.target, 5 * MBPS);
    reports(c, 0, 10_000_100, 0.01, null);
    // 10 s at 8 %/s (plus 1 kbit/s/s): 5 × 1.08^10 ≈ 10.79 Mbit/s.
    near(c.target, 5 * MBPS * 1.08 ** 10 + 10_000, 50_000, 'after 10 s of 1 % loss');
    const grown = c.target;
    reports(c, 10_100_000, 15_000_000, 0.05, null);
    assert.equal(c.target, grown, 'held at 5 % loss');
    c.onReport(us(15_000_000), 0.2, null);
    near(c.target, grown * 0.9, 1, 'cut by 10 % at 20 % loss');
    // One lossy spell is not counted twice: the next cut waits 300 ms + RTT (100 ms).
    c.onReport(us(15_100_000), 0.2, null);
    c.onReport(us(15_300_000), 0.2, null);
    near(c.target, grown * 0.9, 1, 'no second cut within 400 ms');
    c.setRtt(us(50_000));
    c.onReport(us(15_350_000), 0.3, null);
    near(c.target, grown * 0.9 * 0.85, 1, 'cut again after 300 ms + the new RTT');
    assert.equal(c.stats().decreases, 2);
    assert.equal(c.stats().lastLoss, 0.3);
  });

  it('targets min(loss-based, receiver estimate) and lets a receiver dip pass straight through', () => {
    const c = new LossBasedController({ initial: bps(2 * MBPS), min: bps(200_000), max: bps(20 * MBPS) });
    assert.equal(c.receiverEstimate, null);
    reports(c, 0, 30_000_000, 0, 8 * MBPS);
    // The loss-based rate climbed to the receiver's estimate and no further.
    assert.equal(c.lossBased, 8 * MBPS);
    assert.equal(c.target, 8 * MBPS);
    // The receiver drains a queue: its estimate dips for 300 ms, then comes back.
    reports(c, 30_000_000, 30_300_000, 0, 4 * MBPS);
    assert.equal(c.target, 4 * MBPS);
    assert.equal(c.lossBased, 8 * MBPS, 'not pulled down by the dip');
    c.onReport(us(30_300_000), 0, bps(7 * MBPS));
    assert.equal(c.target, 7 * MBPS, 'back at once');
    // A report without an estimate keeps the last one; a junk estimate is ignored.
    c.onReport(us(30_400_000), 0, null);
    c.onReport(us(30_500_000), 0, bps(Number.NaN));
    c.onReport(us(30_600_000), 0, bps(-5));
    assert.equal(c.receiverEstimate, 7 * MBPS);
    assert.equal(c.stats().rejected, 2);
    // Bounds hold whatever the receiver says.
    c.onReport(us(30_700_000), 0, bps(10_000));
    assert.equal(c.target, 200_000);
    c.onReport(us(30_800_000), 0, bps(1e12));
    assert.ok(c.target <= 20 * MBPS);
  });

  it('backs off on a lossy path with no delay signal, and recovers when the loss stops', () => {
    const rng = new Rng('bandwidth-loss-path');
    const c = new LossBasedController({ initial: bps(10 * MBPS), min: bps(300_000), max: bps(20 * MBPS) });
    let rate = c.pollTargetChange() ?? 0;
    // The receiver sees no queue (its estimate sits at max) but 25 % of packets vanish, then none.
    const trace: number[] = [];
    for (let t = 100_000; t <= 40_000_000; t += 100_000) {
      const lossP = t <= 10_000_000 ? 0.25 : 0;
      const packets = Math.max(1, Math.round((rate * 0.1) / (1_200 * 8)));
      let lost = 0;
      for (let i = 0; i < packets; i++) if (rng.chance(lossP)) lost++;
      c.onReport(us(t), lost / packets, bps(20 * MBPS));
      rate = c.pollTargetChange() ?? rate;
      trace.push(c.target);
    }
    const at = (s: number): number => trace[Math.round(s * 10) - 1] ?? Number.NaN;
    // Cuts of ~12.5 % every ~400 ms: 10 Mbit/s falls to the floor within the 10 s of loss.
    assert.ok(at(2) < 0.7 * 10 * MBPS, `at 2 s: ${at(2)}`);
    assert.equal(at(10), 300_000, 'down to min');
    assert.ok(c.stats().decreases >= 15);
    // Then 8 %/s back up: 0.3 × 1.08^30 ≈ 3 Mbit/s after 30 s.
    assert.ok(at(40) > 2.5 * MBPS && at(40) < 4 * MBPS, `at 40 s: ${at(40)}`);
    assert.ok(
      trace.slice(100).every((v, i) => i === 0 || v >= (trace[100 + i - 1] ?? 0)),
      'only up',
    );
  });

  it('reports target changes to the encoder: drops at once, rises at a measured pace', () => {
    const c = new LossBasedController({ initial: bps(10 * MBPS), max: bps(20 * MBPS) });
    assert.equal(c.pollTargetChange(), 10 * MBPS, 'the first target');
    assert.equal(c.pollTargetChange(), null, 'nothing new');
    // A 2 % dip is too small to report...
    c.onReport(us(0), 0, bps(9.8 * MBPS));
    assert.equal(c.pollTargetChange(), null);
    // ... a 10 % drop goes out at once.
    c.onReport(us(10_000), 0, bps(9 * MBPS));
    assert.equal(c.pollTargetChange(), 9 * MBPS);
    // A 10 % rise right after waits for minChangeInterval (200 ms).
    c.onReport(us(50_000), 0, bps(9.9 * MBPS));
    assert.ok(c.target > 9.8 * MBPS);
    assert.equal(c.pollTargetChange(), null);
    c.onReport(us(210_000), 0, bps(9.9 * MBPS));
    assert.equal(c.pollTargetChange(), 9.9 * MBPS);
    // A small move is reported once maxChangeInterval (1 s) has passed.
    c.onReport(us(500_000), 0, bps(10 * MBPS));
    assert.equal(c.pollTargetChange(), null);
    c.onReport(us(1_300_000), 0, bps(10 * MBPS));
    assert.equal(c.pollTargetChange(), 10 * MBPS);
    c.onReport(us(3_000_000), 0, bps(10 * MBPS));
    assert.equal(c.pollTargetChange(), null, 'no move, nothing to say');
  });

  it('falls back when reports stop coming', () => {
    const c = new LossBasedController({ initial: bps(10 * MBPS), feedbackTimeout: us(1_000_000) });
    assert.equal(c.pollTimeout(), null, 'nothing to time out before the first report');
    c.handleTimeout(us(5_000_000));
    assert.equal(c.target, 10 * MBPS);
    c.onReport(us(1_000_000), 0, bps(10 * MBPS));
    assert.equal(c.pollTimeout(), 2_000_000);
    c.handleTimeout(us(1_999_999));
    assert.equal(c.target, 10 * MBPS, 'not yet');
    c.handleTimeout(us(2_000_000));
    assert.equal(c.target, 8 * MBPS);
    assert.equal(c.pollTimeout(), 3_000_000);
    c.handleTimeout(us(3_000_000));
    assert.equal(c.target, 6.4 * MBPS);
    assert.equal(c.pollTargetChange(), 6.4 * MBPS);
    assert.equal(c.stats().timeouts, 2);
    // A report starts the clock again.
    c.onReport(us(3_500_000), 0, bps(10 * MBPS));
    assert.equal(c.pollTimeout(), 4_500_000);
  });

  it('tolerates malformed reports', () => {
    const c = new LossBasedController({ initial: bps(4 * MBPS) });
    c.onReport(us(0), Number.NaN, bps(MBPS));
    c.onReport(us(Number.NaN), 0, bps(MBPS));
    assert.equal(c.stats().rejected, 2);
    assert.equal(c.stats().reports, 0);
    assert.equal(c.target, 4 * MBPS);
    // Out-of-range losses are clamped: 150 % is total loss, a halving.
    c.onReport(us(1_000_000), 1.5, null);
    assert.equal(c.target, 2 * MBPS);
    c.onReport(us(2_000_000), -3, null);
    assert.equal(c.stats().lastLoss, 0);
    // Time that goes backwards grows nothing.
    const before = c.target;
    c.onReport(us(1_500_000), 0, null);
    assert.equal(c.target, before);
    c.setRtt(us(0));
    c.setRtt(us(Number.POSITIVE_INFINITY));
    assert.equal(c.stats().reports, 3);
  });

  it('rejects bad options with a one-line error', () => {
    const bad: [ConstructorParameters<typeof LossBasedController>[0], string][] = [
      [{ max: bps(-1) }, 'max'],
      [{ initial: bps(10), min: bps(100) }, 'initial'],
      [{ lowLoss: 0.2, highLoss: 0.1 }, 'lowLoss'],
      [{ highLoss: 1 }, 'highLoss'],
      [{ changeThreshold: 0 }, 'changeThreshold'],
      [{ minChangeInterval: us(-1) }, 'minChangeInterval'],
      [{ feedbackTimeout: us(0) }, 'feedbackTimeout'],
      [{ rtt: us(Number.NaN) }, 'rtt'],
      [{ increasePerSecond: 0 }, 'increasePerSecond'],
    ];
    for (const [options, field] of bad) {
      assert.throws(
        () => new LossBasedController(options),
        (err: unknown) =>
          err instanceof BandwidthConfigError && err.field === field && !err.message.includes('\n'),
        field,
      );
    }
  });
});
