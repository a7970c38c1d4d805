/** Scenario: 3 % of packets reordered by 5 ms and 3 % duplicated. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('absorbs reordering and duplication without losing or repeating frames', () => {
  const r = simulateTransport({
    forward: { delay: millis(10), reorder: 0.03, reorderDelay: millis(5), duplicate: 0.03 },
    durationS: 4,
    bitrateBps: 8e6,
    deadlineMs: 43,
    seed: 8,
  });
  assert.ok(r.links.forward.reordered > 0 && r.links.forward.duplicated > 0);
  assert.equal(r.report.frames.onTime, r.report.frames.expected);
  assert.equal(r.played, r.report.frames.expected, 'each frame played exactly once');
  const video = r.receiver.streams.find((s) => s.kind === 'video');
  assert.ok(video !== undefined && video.duplicates >= r.links.forward.duplicated * 0.9);
});
