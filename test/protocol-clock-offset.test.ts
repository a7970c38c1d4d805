/**
 * Scenario: the receiver's clock is 5 s ahead of the sender's. Capture times are turned into
 * the receiver's clock through the measured offset, so deadlines and latency stay right.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('measures latency across clocks 5 s apart, within the reported accuracy', () => {
  const r = simulateTransport({
    forward: { delay: millis(12) },
    reverse: { delay: millis(8) },
    durationS: 3,
    bitrateBps: 4e6,
    deadlineMs: 50,
    clockOffsetUs: 5_000_000,
    seed: 4,
  });
  const offset = r.receiver.clockOffsetUs;
  const accuracy = r.receiver.clockAccuracyUs;
  assert.ok(offset !== null && accuracy !== null);
  // The receiver sees the sender's clock 5 s behind; asymmetry (12 vs 8 ms) is within the bound.
  assert.ok(Math.abs(offset + 5_000_000) <= accuracy, `offset ${offset} ± ${accuracy}`);
  assert.ok(accuracy <= 10_000);
  const f = r.report.frames;
  assert.ok(f.onTime / f.expected > 0.98, `${f.onTime}/${f.expected} on time`);
  assert.ok(r.report.latencyMs.p50 > 10 && r.report.latencyMs.p50 < 25, `p50 ${r.report.latencyMs.p50}`);
});
