/**
 * Scenario: the bottleneck drops from 20 to 5 Mbit/s. The sender follows the estimate down and
 * does not build a standing queue: latency returns close to the path's floor. Frames lost in the
 * drop stall the picture until a keyframe gets through; the receiver keeps asking until one does,
 * so the picture plays on (that keyframe, over the slower path, delays the dozen frames behind it).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { micros, millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('follows a capacity drop without building a queue', () => {
  const r = simulateTransport({
    forward: {
      delay: millis(10),
      rateBitsPerSecond: 20e6,
      schedule: [{ at: micros(3_000_000), rateBitsPerSecond: 5e6 }],
    },
    durationS: 9,
    bitrateBps: 16e6,
    deadlineMs: 150,
    keyframeInterval: 100_000,
    seed: 3,
  });
  const last = r.bitrates.at(-1);
  assert.ok(last !== undefined && last.bps < 5e6, `target ends at ${last?.bps ?? 0} bit/s`);
  const dropped = r.bitrates.find((b) => b.atUs > 3_000_000 && b.bps < 5e6);
  assert.ok(dropped !== undefined && dropped.atUs < 4_500_000, `below capacity at ${dropped?.atUs ?? -1} µs`);
  const settled = r.frames
    .filter((f) => f.captureUs > 5_000_000 && f.completeUs !== null)
    .map((f) => ((f.completeUs ?? 0) - f.captureUs) / 1000)
    .sort((a, b) => a - b);
  assert.ok(settled.length > 200);
  const p90 = settled[Math.floor(settled.length * 0.9)] ?? Infinity;
  assert.ok(p90 < 50, `p90 latency ${p90} ms after settling`);
  // 540 frames were sent; without a second keyframe request the picture froze after the drop.
  assert.ok(r.played > 350, `${r.played} frames played`);
});
