import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type JitterBufferEvent, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { frameId, micros } from '../src/units/index.js';

const FRAME_US = 16_000;
const T0 = 1_000_000;
const capture = (id: number): number => T0 + id * FRAME_US;

function frame(id: number, ref: number | null, keyframe = ref === null): VideoFrame<number> {
  return {
    frameId: frameId(id),
    localCaptureUs: micros(capture(id)),
    keyframe,
    refFrameId: ref === null ? null : frameId(ref),
    payload: id,
  };
}

function events(buf: VideoJitterBuffer<number>): JitterBufferEvent[] {
  const out: JitterBufferEvent[] = [];
  for (let e = buf.pollEvent(); e !== null; e = buf.pollEvent()) out.push(e);
  return out;
}

/** Inserts at the given times, sleeping exactly until `pollTimeout` in between. */
function run(buf: VideoJitterBuffer<number>, arrivals: readonly { at: number; frame: VideoFrame<number> }[]) {
  const todo = [...arrivals].sort((a, b) => a.at - b.at);
  const released: [number, number][] = [];
  const log: [number, JitterBufferEvent][] = [];
  let now = 0;
  for (let i = 0; ;) {
    const timeout = buf.pollTimeout() ?? Infinity;
    const next = todo[i];
    const wake = Math.min(timeout, next?.at ?? Infinity);
    if (wake === Infinity) break;
    now = Math.max(now, wake);
    if (next !== undefined && next.at <= wake) {
      buf.insert(micros(now), next.frame);
      i++;
    }
    for (let f = buf.pollRelease(micros(now)); f !== null; f = buf.pollRelease(micros(now))) {
      released.push([f.payload, now]);
    }
    for (const e of events(buf)) log.push([now, e]);
  }
  return { released, log };
}

describe('jitter buffer: starting up', () => {
  it('joining mid-stream: drops deltas it cannot decode, asks for a keyframe once, starts at the keyframe', () => {
    const buf = new VideoJitterBuffer<number>();
    const arrivals = [10, 11, 12, 13, 14, 15, 16].map((id) => ({
      at: capture(id) + 10_000,
      frame: frame(id, id === 15 ? null : id - 1),
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
      frame: frame(id, id === 12 ? null : id - 1),
    }));
    const { released, log } = run(buf, arrivals);
    assert.deepEqual(released, [[12, capture(12) + 12_000]]);
    assert.ok(log.every(([, e]) => e.kind !== 'keyframe-needed'));
  });

  it('waits for a keyframe that completes after its first delta', () => {
    const buf = new VideoJitterBuffer<number>();
    const { released, log } = run(buf, [
      { at: capture(6) + 5_000, frame: frame(6, 5) },
      { at: capture(5) + 25_000, frame: frame(5, null) },
      { at: capture(7) + 5_000, frame: frame(7, 6) },
    ]);
    assert.deepEqual(
      released.map(([id]) => id),
      [5, 6, 7],
    );
    assert.ok(log.every(([, e]) => e.kind === 'released'));
  });

  it('starts at a frame that decodes alone even when not flagged as a keyframe', () => {
    const buf = new VideoJitterBuffer<number>();
    buf.insert(micros(capture(3) + 10_000), frame(3, null, false));
    assert.equal(buf.pollRelease(micros(capture(3) + 12_000))?.frameId, 3);
    assert.equal(buf.nextFrameId, 4);
  });
});
