import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VideoJitterBuffer } from '../src/protocol/jitter-buffer.js';
import { frameId, micros } from '../src/units/index.js';
import {
  TARGET_US,
  arrival,
  capture,
  drain,
  events,
  frameWithRef,
  releasedOnTime,
} from './support/jitter.js';

/** Frames 0..2 released on time; events drained. */
const started = (): VideoJitterBuffer<number> => releasedOnTime(3);

describe('jitter buffer: the transport gives a frame up', () => {
  it('unblocks at once: the next frame goes out at its own release time, without the grace', () => {
    const buf = started();
    buf.insert(micros(arrival(4)), frameWithRef(4, null));
    assert.equal(buf.pollTimeout(), capture(4) + TARGET_US + 5_000, 'waiting for frame 3');
    buf.giveUp(micros(arrival(4) + 1_000), frameId(3));
    assert.deepEqual(events(buf), [{ kind: 'lost', frameId: 3 }], 'reported when given up');
    assert.equal(buf.pollTimeout(), capture(4) + TARGET_US);
    assert.deepEqual(drain(buf, capture(4) + TARGET_US), [4]);
  });

  it('drops a held dependent and asks for a keyframe right away', () => {
    const buf = started();
    buf.insert(micros(arrival(4)), frameWithRef(4, 3));
    buf.giveUp(micros(arrival(4) + 1), frameId(3));
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 3 },
      { kind: 'undecodable', frameId: 4 },
      { kind: 'keyframe-needed', afterFrameId: 2 },
    ]);
    assert.equal(buf.pollTimeout(), null);
    assert.equal(buf.bufferedFrames, 0);
  });

  it('remembers a give-up that comes before anything after it', () => {
    const buf = started();
    buf.giveUp(micros(arrival(3) + 50_000), frameId(3));
    assert.deepEqual(events(buf), [], 'nothing to skip to yet');
    buf.insert(micros(arrival(4) + 50_000), frameWithRef(4, 3));
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 3 },
      { kind: 'undecodable', frameId: 4 },
      { kind: 'keyframe-needed', afterFrameId: 2 },
    ]);
  });

  it('waits until every frame of a gap is given up', () => {
    const buf = started();
    buf.insert(micros(arrival(5)), frameWithRef(5, null));
    buf.giveUp(micros(arrival(5)), frameId(3));
    assert.equal(buf.pollTimeout(), capture(5) + TARGET_US + 5_000, 'frame 4 may still come');
    assert.deepEqual(events(buf), []);
    buf.giveUp(micros(arrival(5)), frameId(4));
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 3 },
      { kind: 'lost', frameId: 4 },
    ]);
    assert.equal(buf.pollTimeout(), capture(5) + TARGET_US);
  });

  it('ignores give-ups of frames it holds or already passed', () => {
    const buf = started();
    buf.insert(micros(arrival(3)), frameWithRef(3, 2));
    buf.giveUp(micros(arrival(3)), frameId(3));
    buf.giveUp(micros(arrival(3)), frameId(1));
    assert.deepEqual(drain(buf, capture(3) + TARGET_US), [3]);
    assert.deepEqual(events(buf), [{ kind: 'released', frameId: 3, delayUs: TARGET_US }]);
    assert.equal(buf.stats.lost, 0);
  });

  it('lets a frame given up too early still play if it completes after all', () => {
    const buf = started();
    buf.giveUp(micros(arrival(3) - 1_000), frameId(3));
    buf.insert(micros(arrival(3)), frameWithRef(3, 2));
    buf.insert(micros(arrival(4)), frameWithRef(4, 3));
    assert.deepEqual(drain(buf, capture(4) + TARGET_US), [3, 4]);
    assert.equal(buf.stats.lost, 0);
  });
});
