/**
 * Scenario: 2 % and 5 % random loss at 20 ms RTT, the deadline one-way + 33 ms. FEC and
 * deadline-aware retransmission together keep frames on time (targets: ≥ 99.5 % and ≥ 98 %).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

for (const [loss, target] of [
  [0.02, 0.995],
  [0.05, 0.98],
] as const) {
  it(`keeps ≥ ${target * 100} % of frames on time at ${loss * 100} % loss`, () => {
    const r = simulateTransport({
      forward: { delay: millis(10), loss: { kind: 'bernoulli', p: loss } },
      reverse: { delay: millis(10), loss: { kind: 'bernoulli', p: loss } },
      durationS: 6,
      bitrateBps: 8e6,
      deadlineMs: 43,
      seed: 11,
    });
    const f = r.report.frames;
    assert.ok(f.onTime / f.expected >= target, `${f.onTime}/${f.expected} on time`);
    assert.equal(f.corrupt, 0);
    assert.ok(r.report.transport.fecRecovered > 0, 'FEC rebuilt packets');
    assert.ok(r.report.transport.retransmitted > 0, 'retransmissions filled the rest');
    assert.ok(r.links.forward.droppedLoss > 0);
  });
}
