/** Scenario: a clean 20 ms RTT path. Every frame arrives on time, with nothing to repair. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('delivers every frame on time over a clean path, without NACKs or keyframe requests', () => {
  const r = simulateTransport({
    forward: { delay: millis(10) },
    durationS: 4,
    bitrateBps: 8e6,
    deadlineMs: 43,
    seed: 1,
  });
  assert.equal(r.report.frames.expected, 240);
  assert.equal(r.report.frames.onTime, 240);
  assert.equal(r.report.frames.corrupt, 0);
  assert.equal(r.report.transport.nacks, 0);
  assert.equal(r.report.transport.keyframeRequests, 0);
  assert.equal(r.played, 240, 'the jitter buffer hands every frame to the decoder');
  // One-way 10 ms plus pacing over a quarter of the frame interval (4.2 ms); keyframes take longer.
  assert.ok(r.report.latencyMs.p50 < 16, `p50 ${r.report.latencyMs.p50} ms`);
  assert.ok(r.report.latencyMs.max < 30, `max ${r.report.latencyMs.max} ms`);
  assert.ok(Math.abs(r.report.transport.rttMs - 20) < 1, `rtt ${r.report.transport.rttMs} ms`);
});
