/**
 * Scenario: an RTT longer than the deadline allows. No NACK is sent for a packet whose
 * retransmission could not arrive in time, and FEC alone carries the recovery.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('sends no hopeless NACK when one RTT exceeds what is left before the deadline', () => {
  const r = simulateTransport({
    forward: { delay: millis(60), loss: { kind: 'bernoulli', p: 0.02 } },
    reverse: { delay: millis(60) },
    durationS: 4,
    bitrateBps: 8e6,
    deadlineMs: 100, // one-way 60 ms + 40 ms: a 120 ms round trip never fits
    seed: 5,
  });
  // Only losses before the first RTT sample (pings start at 0, the first pong is back at 120 ms)
  // may be NACKed; once the RTT is known none is.
  assert.ok(r.links.forward.droppedLoss > 30);
  assert.ok(r.report.transport.nacks <= 3, `${r.report.transport.nacks} NACKs`);
  assert.ok(r.report.transport.retransmitted <= 3);
  assert.ok(r.report.transport.fecRecovered > 0);
  const f = r.report.frames;
  assert.ok(f.onTime / f.expected > 0.97, `${f.onTime}/${f.expected} on time on FEC alone`);
});

it('NACKs when the round trip fits before the deadline', () => {
  const r = simulateTransport({
    forward: { delay: millis(10), loss: { kind: 'bernoulli', p: 0.02 } },
    reverse: { delay: millis(10) },
    durationS: 4,
    bitrateBps: 8e6,
    deadlineMs: 100,
    seed: 5,
  });
  assert.ok(r.report.transport.nacks > 0);
  assert.ok(r.report.transport.retransmitted > 0);
});
