/**
 * A receiver stalled for want of a keyframe keeps asking until one arrives, backing off from a
 * second: the first request or the keyframe it asked for may be lost, and a stream with
 * intra refresh sends no other IDR. Once a keyframe is released the requests stop.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../src/protocol/index.js';

const config = {
  streams: [{ id: 1, kind: 'video' as const, fps: 60 }],
  deadlineUs: 50_000,
  keyframeRequestIntervalUs: 100_000,
};

/** The media datagrams of each frame a sender makes, in order. */
function framesFrom(sender: Connection, at: number, keyframes: boolean[]): Uint8Array[][] {
  return keyframes.map((keyframe, i) => {
    const now = at + i * 16_667;
    sender.sendFrame(now, 1, new Uint8Array(3000).fill(i), { captureUs: now, keyframe });
    sender.handleTimeout(now + 20_000);
    const out: Uint8Array[] = [];
    for (let d = sender.pollTransmit(); d !== null; d = sender.pollTransmit()) {
      if (d[0] === 0x10) out.push(d.slice()); // media only: no FEC to rebuild the missing frame
    }
    return out;
  });
}

describe('keyframe requests while stalled', () => {
  it('repeats at the request interval until a keyframe is released, then stops', () => {
    const sender = new Connection({ config });
    const receiver = new Connection({ config });
    const [f0, , f2] = framesFrom(sender, 0, [true, false, false]);
    let now = 1_000;
    for (const d of [...(f0 ?? []), ...(f2 ?? [])]) receiver.handleDatagram(now, d);
    // Run the receiver's clock as its driver would, for 450 ms after the missing frame's deadline.
    const requestsAt: number[] = [];
    let seen = 0;
    while (now < 8_000_000) {
      now = Math.max(now + 1, receiver.pollTimeout());
      receiver.handleTimeout(now);
      while (receiver.pollTransmit() !== null);
      const sent = receiver.stats().keyframeRequestsSent;
      if (sent > seen) requestsAt.push(now);
      seen = sent;
    }
    // Stalled from about the deadline of frame 1: a request then, again after 1, 2 and 4 s.
    const gaps = requestsAt.slice(1).map((at, i) => Math.round((at - (requestsAt[i] ?? 0)) / 1000));
    assert.deepEqual(gaps, [1000, 2000, 4000], `requests at ${requestsAt.join(', ')}`);
    // A keyframe arrives: the stall ends and so do the requests.
    const [k] = framesFrom(sender, now, [true]);
    for (const d of k ?? []) receiver.handleDatagram(now, d);
    const before = receiver.stats().keyframeRequestsSent;
    const end = now + 20_000_000;
    while (now < end) {
      now = Math.max(now + 1, receiver.pollTimeout());
      receiver.handleTimeout(now);
      while (receiver.pollTransmit() !== null);
    }
    assert.equal(receiver.stats().keyframeRequestsSent, before);
  });
});
