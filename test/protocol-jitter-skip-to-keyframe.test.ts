import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VideoJitterBuffer } from '../src/protocol/jitter-buffer.js';
import { micros, type Micros } from '../src/units/index.js';
import { TARGET_US, TRANSIT_US, capture, drain, frameWithRef, releasedOnTime } from './support/jitter.js';

const GRACE_US = 5_000;

/** Frames 0..2 in order (0 a keyframe), each released on time. */
const started = (options: { gapGraceUs?: Micros } = {}): VideoJitterBuffer<number> =>
  releasedOnTime(3, options);

describe('jitter buffer: a lost frame followed by a decodable one', () => {
  it('skips a lost frame whose successor is a keyframe after the grace, not later', () => {
    const buf = started();
    buf.insert(micros(capture(4) + TRANSIT_US), frameWithRef(4, null));
    const skipAt = capture(4) + TARGET_US + GRACE_US;
    assert.equal(buf.pollTimeout(), skipAt);
    assert.deepEqual(drain(buf, capture(4) + TARGET_US), [], 'frame 3 may still come');
    assert.deepEqual(drain(buf, skipAt - 1), []);
    assert.equal(buf.pollEvent(), null);
    assert.deepEqual(drain(buf, skipAt), [4]);
    assert.deepEqual(buf.pollEvent(), { kind: 'lost', frameId: 3 });
    assert.deepEqual(buf.pollEvent(), { kind: 'released', frameId: 4, delayUs: TARGET_US + GRACE_US });
    assert.equal(buf.pollEvent(), null, 'no keyframe request: the stream recovered by itself');
    // The following frames are back on their schedule.
    buf.insert(micros(capture(5) + TRANSIT_US), frameWithRef(5, 4));
    assert.equal(buf.pollTimeout(), capture(5) + TARGET_US);
    assert.deepEqual(drain(buf, capture(5) + TARGET_US), [5]);
    // Frame 3 turning up now is too late: the buffer is past it.
    buf.insert(micros(capture(5) + TARGET_US + 1), frameWithRef(3, 2));
    assert.deepEqual(buf.pollEvent(), { kind: 'released', frameId: 5, delayUs: TARGET_US });
    assert.deepEqual(buf.pollEvent(), { kind: 'late', frameId: 3 });
    assert.equal(buf.stats.lost, 1);
    assert.equal(buf.stats.late, 1);
  });

  it('also skips to a delta whose reference was released (a lost non-reference frame)', () => {
    const buf = started();
    buf.insert(micros(capture(4) + TRANSIT_US), frameWithRef(4, 2));
    assert.equal(buf.pollTimeout(), capture(4) + TARGET_US + GRACE_US);
    assert.deepEqual(drain(buf, capture(4) + TARGET_US + GRACE_US), [4]);
    assert.deepEqual(buf.pollEvent(), { kind: 'lost', frameId: 3 });
  });

  it('uses the configured grace, down to none', () => {
    const buf = started({ gapGraceUs: micros(0) });
    buf.insert(micros(capture(4) + TRANSIT_US), frameWithRef(4, null));
    assert.equal(buf.pollTimeout(), capture(4) + TARGET_US);
    assert.deepEqual(drain(buf, capture(4) + TARGET_US), [4]);
  });

  it('skips a run of lost frames in one go when a keyframe follows', () => {
    const buf = started();
    buf.insert(micros(capture(7) + TRANSIT_US), frameWithRef(7, null));
    assert.deepEqual(drain(buf, capture(7) + TARGET_US + GRACE_US), [7]);
    const lost: number[] = [];
    for (let e = buf.pollEvent(); e !== null; e = buf.pollEvent())
      if (e.kind === 'lost') lost.push(e.frameId);
    assert.deepEqual(lost, [3, 4, 5, 6]);
    assert.equal(buf.nextFrameId, 8);
  });

  it('drops held frames that depend on the gap and releases the keyframe after them', () => {
    const buf = started();
    buf.insert(micros(capture(4) + TRANSIT_US), frameWithRef(4, 3));
    buf.insert(micros(capture(5) + TRANSIT_US), frameWithRef(5, 4));
    buf.insert(micros(capture(6) + TRANSIT_US), frameWithRef(6, null));
    // The keyframe makes recovery possible: waiting ends at the first held frame's time + grace.
    assert.deepEqual(drain(buf, capture(6) + TRANSIT_US), []);
    assert.deepEqual(drain(buf, capture(6) + TARGET_US), [6]);
    const seen: string[] = [];
    for (let e = buf.pollEvent(); e !== null; e = buf.pollEvent())
      seen.push(`${e.kind} ${'frameId' in e ? e.frameId : ''}`);
    assert.deepEqual(seen, ['lost 3', 'undecodable 4', 'undecodable 5', 'released 6']);
    assert.equal(buf.stats.keyframeNeeded, 0);
  });
});
