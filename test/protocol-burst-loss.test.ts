/** Scenario: Gilbert-Elliott bursts (about 2 % loss in bursts of ~4 packets). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('recovers bursty loss through interleaved FEC and retransmission', () => {
  const r = simulateTransport({
    forward: {
      delay: millis(10),
      loss: { kind: 'gilbert-elliott', pGoodToBad: 0.005, pBadToGood: 0.25, lossGood: 0, lossBad: 1 },
    },
    durationS: 6,
    bitrateBps: 8e6,
    deadlineMs: 43,
    seed: 21,
  });
  const f = r.report.frames;
  assert.ok(r.links.forward.droppedLoss > 50, 'the link really lost bursts');
  assert.ok(f.onTime / f.expected >= 0.99, `${f.onTime}/${f.expected} on time`);
});
