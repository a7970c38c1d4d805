/**
 * A repair that comes after the jitter buffer's release time but before the transport's deadline
 * still plays: the buffer waits as long as the transport may still complete the frame, because
 * skipping it would stall every later delta until a keyframe came back from the sender.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../src/protocol/index.js';

const config = {
  streams: [{ id: 1, kind: 'video' as const, fps: 30 }],
  deadlineUs: 150_000,
  maxPlayoutDelayUs: 0,
};

/** The media datagrams of each frame a sender makes, in order. */
function framesFrom(sender: Connection, keyframes: boolean[]): Uint8Array[][] {
  return keyframes.map((keyframe, i) => {
    const now = i * 33_333;
    sender.sendFrame(now, 1, new Uint8Array(3000).fill(i + 1), { captureUs: now, keyframe });
    sender.handleTimeout(now + 20_000);
    const out: Uint8Array[] = [];
    for (let d = sender.pollTransmit(); d !== null; d = sender.pollTransmit()) {
      if (d[0] === 0x10) out.push(d.slice()); // media only: no FEC to rebuild the missing packet
    }
    return out;
  });
}

/** Runs the receiver's clock to `until` as its driver would, returning the frames played. */
function runUntil(receiver: Connection, from: number, until: number, played: number[]): number {
  let now = from;
  while (now < until) {
    now = Math.min(until, Math.max(now + 1, receiver.pollTimeout()));
    receiver.handleTimeout(now);
    while (receiver.pollTransmit() !== null);
    for (let e = receiver.pollEvent(); e !== null; e = receiver.pollEvent()) {
      if (e.kind === 'frame') played.push(e.frame.payload[0] ?? -1);
    }
  }
  return now;
}

describe('a repair arriving 90 ms after capture, within a 150 ms deadline', () => {
  it('plays the frame and the deltas after it, with no keyframe request', () => {
    const sender = new Connection({ config });
    const receiver = new Connection({ config });
    const [f0 = [], f1 = [], f2 = [], f3 = []] = framesFrom(sender, [true, false, false, false]);
    assert.ok(f1.length >= 2, 'frame 1 spans several packets');
    const tail = f1.at(-1) ?? new Uint8Array();
    const played: number[] = [];
    for (const d of f0) receiver.handleDatagram(1_000, d);
    let now = runUntil(receiver, 1_000, 33_333, played);
    for (const d of f1.slice(0, -1)) receiver.handleDatagram(now, d);
    now = runUntil(receiver, now, 66_667, played);
    for (const d of f2) receiver.handleDatagram(now, d);
    now = runUntil(receiver, now, 90_000, played);
    // Well past the 50 ms a frame may be late on its own, still inside the transport deadline.
    receiver.handleDatagram(now, tail);
    now = runUntil(receiver, now, 100_000, played);
    for (const d of f3) receiver.handleDatagram(now, d);
    runUntil(receiver, now, 400_000, played);
    assert.deepEqual(played, [1, 2, 3, 4]);
    assert.equal(receiver.stats().keyframeRequestsSent, 0);
  });
});
