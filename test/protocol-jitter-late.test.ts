import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type JitterBufferEvent, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { frameId, micros, msToMicros } from '../src/units/index.js';

const FRAME_US = 16_000;
const T0 = 1_000_000;
const TRANSIT_US = 10_000;
const TARGET_US = 12_000;
const capture = (id: number): number => T0 + id * FRAME_US;
const arrival = (id: number): number => capture(id) + TRANSIT_US;

function frame(id: number, ref: number | null): VideoFrame<number> {
  return {
    frameId: frameId(id),
    localCaptureUs: micros(capture(id)),
    keyframe: ref === null,
    refFrameId: ref === null ? null : frameId(ref),
    payload: id,
  };
}

function drain(buf: VideoJitterBuffer<number>, now: number): number[] {
  const out: number[] = [];
  for (let f = buf.pollRelease(micros(now)); f !== null; f = buf.pollRelease(micros(now)))
    out.push(f.payload);
  return out;
}

function events(buf: VideoJitterBuffer<number>): JitterBufferEvent[] {
  const out: JitterBufferEvent[] = [];
  for (let e = buf.pollEvent(); e !== null; e = buf.pollEvent()) out.push(e);
  return out;
}

/** 100 frames on time, so one odd transit does not move the 95th percentile. */
function warmed(maxLatenessUs: number): VideoJitterBuffer<number> {
  const buf = new VideoJitterBuffer<number>({ maxLatenessUs: micros(maxLatenessUs) });
  for (let id = 0; id < 100; id++) {
    buf.insert(micros(arrival(id)), frame(id, id === 0 ? null : id - 1));
    assert.deepEqual(drain(buf, capture(id) + TARGET_US), [id]);
  }
  events(buf);
  return buf;
}

describe('jitter buffer: too-late frames', () => {
  it('drops a frame that completes after its release time plus the maximum lateness', () => {
    const buf = warmed(3_000);
    // Frame 101 does not need 100 (100 is a non-reference frame) and is held on time.
    buf.insert(micros(arrival(101) - FRAME_US - 1), frame(101, 99));
    buf.insert(micros(capture(100) + TARGET_US + 3_001), frame(100, 99));
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
    buf.insert(micros(at), frame(100, 99));
    assert.deepEqual(drain(buf, at), [100]);
    assert.deepEqual(events(buf), [{ kind: 'released', frameId: 100, delayUs: TARGET_US + 3_000 }]);
  });

  it('drops a frame older than the last one released', () => {
    const buf = warmed(msToMicros(50));
    buf.insert(micros(arrival(101)), frame(101, 99));
    assert.deepEqual(drain(buf, capture(101) + TARGET_US + 5_000), [101], 'skipped 100 after the grace');
    buf.insert(micros(capture(101) + TARGET_US + 6_000), frame(100, 99));
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 100 },
      { kind: 'released', frameId: 101, delayUs: TARGET_US + 5_000 },
      { kind: 'late', frameId: 100 },
    ]);
    assert.equal(buf.bufferedFrames, 0);
  });

  it('breaks the chain when the late frame was a reference', () => {
    const buf = warmed(3_000);
    buf.insert(micros(capture(100) + TARGET_US + 10_000), frame(100, 99));
    buf.insert(micros(arrival(101)), frame(101, 100));
    assert.deepEqual(events(buf), [
      { kind: 'late', frameId: 100 },
      { kind: 'undecodable', frameId: 101 },
      { kind: 'keyframe-needed', afterFrameId: 99 },
    ]);
  });
});
