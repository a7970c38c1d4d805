/**
 * Scenario: a 300 ms outage loses frames beyond repair. The receiver asks for a keyframe (once
 * per rate-limit interval, not per frame), the sender sends one, and playback resumes.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ConnectionEvent } from '../src/protocol/index.js';
import { micros, millis } from '../src/netsim/index.js';
import { simulateTransport } from '../src/tools/simulate.js';

it('requests a keyframe after unrecoverable loss and resumes playing at it', () => {
  const played: { id: number; at: number }[] = [];
  const r = simulateTransport({
    forward: { delay: millis(10), outages: [{ start: micros(2_000_000), duration: micros(300_000) }] },
    durationS: 5,
    bitrateBps: 8e6,
    deadlineMs: 60,
    keyframeInterval: 100_000, // no periodic keyframes: recovery must come from the request
    seed: 2,
    onReceiverEvent: (e: ConnectionEvent, now: number) => {
      if (e.kind === 'frame') played.push({ id: e.frame.frameId, at: now });
    },
  });
  assert.ok(r.keyframeRequests >= 1, 'the sender saw a keyframe request');
  assert.ok(r.keyframeRequests <= 5, `rate-limited, got ${r.keyframeRequests}`);
  assert.ok(r.keyframes >= 2, 'the first keyframe and at least one on request');
  const after = played.filter((p) => p.at > 2_300_000);
  assert.ok(after.length > 100, `played ${after.length} frames after the outage`);
  const resumed = after[0];
  assert.ok(resumed !== undefined && resumed.at < 2_500_000, `resumed at ${resumed?.at ?? -1} µs`);
  for (let i = 1; i < played.length; i++)
    assert.ok((played[i]?.id ?? 0) > (played[i - 1]?.id ?? 0), 'in order');
});
