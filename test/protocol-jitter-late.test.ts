import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VideoJitterBuffer } from '../src/protocol/jitter-buffer.js';
import { micros, msToMicros } from '../src/units/index.js';
import {
  FRAME_US,
  TARGET_US,
  arrival,
  capture,
  drain,
  events,
  frameWithRef,
  releasedOnTime,
} from './support/jitter.js';

/** 100 frames on time, so one odd transit does not move the 95th percentile. */
const warmed = (maxLatenessUs: number): VideoJitterBuffer<number> =>
  releasedOnTime(100, { maxLatenessUs: micros(maxLatenessUs) });

describe('jitter buffer: too-late frames', () => {
  it('drops a frame that completes after its release time plus the maximum lateness', () => {
    const buf = warmed(3_000);
    // Frame 101 does not need 100 (100 is a non-reference frame) and is held on time.
    buf.insert(micros(arrival(101) - FRAME_US - 1), frameWithRef(101, 99));
    buf.insert(micros(capture(100) + TARGET_US + 3_001), frameWithRef(100, 99));
    assert.deepEqual(events(buf), [{ kind: 'late', frameId: 100 }]);
    assert.equal(buf.targetDelay, TARGET_US, 'one slow frame does not move the percentile');
    // Not waited for any longer: 101 goes out at its own time, not after a grace.
    assert.equal(buf.pollTimeout(), capture(101) + TARGET_US);
    assert.deepEqual(drain(buf, capture(101) + TARGET_US), [101]);
    assert.equal(buf.stats.late, 1);
    assert.equal(buf.stats.lost, 0, 'reported once, as late');
  });

  it('still plays a frame that is late but within the maximum lateness', () => {
    const buf = warmed(3_000);
    const at = capture(100) + TARGET_US + 3_000;
    buf.insert(micros(at), frameWithRef(100, 99));
    assert.deepEqual(drain(buf, at), [100]);
    assert.deepEqual(events(buf), [{ kind: 'released', frameId: 100, delayUs: TARGET_US + 3_000 }]);
  });

  it('drops a frame older than the last one released', () => {
    const buf = warmed(msToMicros(50));
    buf.insert(micros(arrival(101)), frameWithRef(101, 99));
    assert.deepEqual(drain(buf, capture(101) + TARGET_US + 5_000), [101], 'skipped 100 after the grace');
    buf.insert(micros(capture(101) + TARGET_US + 6_000), frameWithRef(100, 99));
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 100 },
      { kind: 'released', frameId: 101, delayUs: TARGET_US + 5_000 },
      { kind: 'late', frameId: 100 },
    ]);
    assert.equal(buf.bufferedFrames, 0);
  });

  it('breaks the chain when the late frame was a reference', () => {
    const buf = warmed(3_000);
    buf.insert(micros(capture(100) + TARGET_US + 10_000), frameWithRef(100, 99));
    buf.insert(micros(arrival(101)), frameWithRef(101, 100));
    assert.deepEqual(events(buf), [
      { kind: 'late', frameId: 100 },
      { kind: 'undecodable', frameId: 101 },
      { kind: 'keyframe-needed', afterFrameId: 99 },
    ]);
  });
});
