import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { micros } from '../src/units/index.js';
import { capture, frameWithRef, playOut } from './support/jitter.js';

/** Inserts at the given times, sleeping exactly until `pollTimeout` in between. */
function run(buf: VideoJitterBuffer<number>, arrivals: readonly { at: number; frame: VideoFrame<number> }[]) {
  const { released, events } = playOut(
    buf,
    arrivals.map(({ at, frame }) => ({ at, insert: frame })),
  );
  return { released, log: events };
}

describe('jitter buffer: starting up', () => {
  it('joining mid-stream: drops deltas it cannot decode, asks for a keyframe once, starts at the keyframe', () => {
    const buf = new VideoJitterBuffer<number>();
    const arrivals = [10, 11, 12, 13, 14, 15, 16].map((id) => ({
      at: capture(id) + 10_000,
      frame: frameWithRef(id, id === 15 ? null : id - 1),
    }));
    const { released, log } = run(buf, arrivals);
    assert.deepEqual(released, [
      [15, capture(15) + 12_000],
      [16, capture(16) + 12_000],
    ]);
    const dropped = capture(10) + 12_000 + 50_000;
    assert.deepEqual(
      log.filter(([, e]) => e.kind !== 'released'),
      [
        [dropped, { kind: 'undecodable', frameId: 10 }],
        [dropped, { kind: 'keyframe-needed', afterFrameId: 9 }],
        [dropped, { kind: 'undecodable', frameId: 11 }],
        [dropped, { kind: 'undecodable', frameId: 12 }],
        [dropped, { kind: 'undecodable', frameId: 13 }],
        [capture(14) + 10_000, { kind: 'undecodable', frameId: 14 }],
      ],
    );
    assert.equal(buf.stats.lost, 0, 'frames before the first one seen are nobody’s loss');
  });

  it('does not ask for a keyframe when one is already held', () => {
    const buf = new VideoJitterBuffer<number>();
    const arrivals = [10, 11, 12].map((id) => ({
      at: capture(id) + 10_000,
      frame: frameWithRef(id, id === 12 ? null : id - 1),
    }));
    const { released, log } = run(buf, arrivals);
    assert.deepEqual(released, [[12, capture(12) + 12_000]]);
    assert.ok(log.every(([, e]) => e.kind !== 'keyframe-needed'));
  });

  it('waits for a keyframe that completes after its first delta', () => {
    const buf = new VideoJitterBuffer<number>();
    const { released, log } = run(buf, [
      { at: capture(6) + 5_000, frame: frameWithRef(6, 5) },
      { at: capture(5) + 25_000, frame: frameWithRef(5, null) },
      { at: capture(7) + 5_000, frame: frameWithRef(7, 6) },
    ]);
    assert.deepEqual(
      released.map(([id]) => id),
      [5, 6, 7],
    );
    assert.ok(log.every(([, e]) => e.kind === 'released'));
  });

  it('starts at a frame that decodes alone even when not flagged as a keyframe', () => {
    const buf = new VideoJitterBuffer<number>();
    buf.insert(micros(capture(3) + 10_000), frameWithRef(3, null, false));
    assert.equal(buf.pollRelease(micros(capture(3) + 12_000))?.frameId, 3);
    assert.equal(buf.nextFrameId, 4);
  });
});
