/**
 * Scenario: the peer's sender process restarts, so its frame ids and sequence numbers start
 * again from 0. The receiver takes the new stream at its first keyframe instead of dropping it
 * as late until the ids catch up.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Connection } from '../src/protocol/index.js';

const streams = [{ id: 1, kind: 'video' as const, fps: 60 }];
const FRAME_US = 16_667;

/** Sends `count` frames from `sender` to `receiver` over a perfect link; returns the played ids. */
function stream(
  sender: Connection,
  receiver: Connection,
  start: number,
  count: number,
): { played: number[]; end: number } {
  const played: number[] = [];
  let now = start;
  for (let i = 0; i < count; i++) {
    sender.sendFrame(now, 1, new Uint8Array(1500).fill(i & 0xff), {
      captureUs: now,
      keyframe: i % 120 === 0,
    });
    for (let step = 0; step < 4; step++) {
      const t = now + step * (FRAME_US / 4);
      sender.handleTimeout(t);
      for (let d = sender.pollTransmit(); d !== null; d = sender.pollTransmit())
        receiver.handleDatagram(t, d);
      for (let d = receiver.pollTransmit(); d !== null; d = receiver.pollTransmit())
        sender.handleDatagram(t, d);
      receiver.handleTimeout(t);
      for (let e = receiver.pollEvent(); e !== null; e = receiver.pollEvent()) {
        if (e.kind === 'frame') {
          played.push(e.frame.frameId);
          receiver.recycle(e.frame);
        }
      }
    }
    now += FRAME_US;
  }
  return { played, end: now };
}

it('takes a restarted sender at its first keyframe', () => {
  const receiver = new Connection({ config: { streams, historyPackets: 4096, fecInitialLoss: 0 } });
  const first = new Connection({ config: { streams, historyPackets: 4096, fecInitialLoss: 0 } });
  const before = stream(first, receiver, 0, 1300);
  assert.ok(before.played.length > 1250, `played ${before.played.length} before the restart`);
  assert.equal(receiver.stats().streamRestarts, 0);

  const second = new Connection({ config: { streams, historyPackets: 4096, fecInitialLoss: 0 } });
  const after = stream(second, receiver, before.end, 120);
  assert.equal(receiver.stats().streamRestarts, 1);
  assert.equal(after.played[0], 0, 'playback resumes at the new keyframe');
  assert.ok(after.played.length > 110, `played ${after.played.length} of the new sender's 120 frames`);
});
