import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type JitterBufferEvent, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { micros } from '../src/units/index.js';
import { TARGET_US, TRANSIT_US, capture, frameChain, playOut, type JitterAction } from './support/jitter.js';

const MAX_LATENESS_US = 50_000;

/** Frame `id`: a keyframe when it is in `keyframes`, else a delta on frame `id - 1`. */
const frame = (id: number, keyframes: ReadonlySet<number>): VideoFrame<number> =>
  frameChain(id, keyframes.has(id));

/** Frames 0..count-1 arriving TRANSIT_US after capture, except the lost ones. */
function stream(count: number, keyframes: ReadonlySet<number>, lost: ReadonlySet<number>): JitterAction[] {
  const actions: JitterAction[] = [];
  for (let id = 0; id < count; id++) {
    if (!lost.has(id)) actions.push({ at: capture(id) + TRANSIT_US, insert: frame(id, keyframes) });
  }
  return actions;
}

const ids = (events: [number, JitterBufferEvent][], kind: JitterBufferEvent['kind']): number[] =>
  events.flatMap(([, e]) => (e.kind === kind && 'frameId' in e ? [e.frameId] : []));

describe('jitter buffer: a lost delta frame with dependent deltas', () => {
  it('drops the dependents as undecodable, asks for a keyframe once, and resumes at the next keyframe', () => {
    const buf = new VideoJitterBuffer<number>();
    const { released, events } = playOut(buf, stream(16, new Set([0, 12]), new Set([3])));
    assert.deepEqual(released, [
      [0, capture(0) + TARGET_US],
      [1, capture(1) + TARGET_US],
      [2, capture(2) + TARGET_US],
      [12, capture(12) + TARGET_US],
      [13, capture(13) + TARGET_US],
      [14, capture(14) + TARGET_US],
      [15, capture(15) + TARGET_US],
    ]);
    assert.deepEqual(ids(events, 'lost'), [3]);
    assert.deepEqual(ids(events, 'undecodable'), [4, 5, 6, 7, 8, 9, 10, 11]);
    const requests = events.filter(([, e]) => e.kind === 'keyframe-needed');
    // Nothing after the gap decodes without frame 3, so the buffer waits for it until it could no
    // longer arrive in time: the first held frame's release time plus the maximum lateness.
    const declared = capture(4) + TARGET_US + MAX_LATENESS_US;
    assert.deepEqual(requests, [[declared, { kind: 'keyframe-needed', afterFrameId: 2 }]]);
    const lostAt = events.find(([, e]) => e.kind === 'lost')?.[0];
    assert.equal(lostAt, declared);
    assert.equal(buf.stats.keyframeNeeded, 1);
    assert.equal(buf.keyframeNeeded, false, 'cleared by the keyframe');
  });

  it('asks once per break: again for a later loss after the stream recovered', () => {
    const buf = new VideoJitterBuffer<number>();
    const { released, events } = playOut(buf, stream(30, new Set([0, 12, 24]), new Set([3, 17])));
    assert.deepEqual(
      released.map(([id]) => id),
      [0, 1, 2, 12, 13, 14, 15, 16, 24, 25, 26, 27, 28, 29],
    );
    assert.deepEqual(ids(events, 'lost'), [3, 17]);
    assert.deepEqual(
      events.filter(([, e]) => e.kind === 'keyframe-needed').map(([, e]) => e),
      [
        { kind: 'keyframe-needed', afterFrameId: 2 },
        { kind: 'keyframe-needed', afterFrameId: 16 },
      ],
    );
  });

  it('flags the broken state until a keyframe comes', () => {
    const buf = new VideoJitterBuffer<number>();
    playOut(buf, stream(10, new Set([0]), new Set([3])));
    assert.equal(buf.keyframeNeeded, true);
    assert.equal(buf.bufferedFrames, 0, 'dependents are not hoarded while broken');
    buf.insert(micros(capture(10) + TRANSIT_US), frame(10, new Set()));
    assert.equal(buf.bufferedFrames, 0);
    assert.deepEqual(buf.pollEvent(), { kind: 'undecodable', frameId: 10 });
    assert.equal(buf.pollEvent(), null, 'no second keyframe request for the same break');
    buf.insert(micros(capture(11) + TRANSIT_US), frame(11, new Set([11])));
    assert.equal(buf.pollRelease(micros(capture(11) + TARGET_US))?.frameId, 11);
    assert.equal(buf.keyframeNeeded, false);
  });

  it('stops waiting as soon as the transport gives the frame up', () => {
    const buf = new VideoJitterBuffer<number>();
    const giveUpAt = capture(4) + TRANSIT_US + 1_000;
    const { events } = playOut(buf, [...stream(8, new Set([0]), new Set([3])), { at: giveUpAt, giveUp: 3 }]);
    assert.deepEqual(
      events.filter(([, e]) => e.kind !== 'released'),
      [
        [giveUpAt, { kind: 'lost', frameId: 3 }],
        [giveUpAt, { kind: 'undecodable', frameId: 4 }],
        [giveUpAt, { kind: 'keyframe-needed', afterFrameId: 2 }],
        [capture(5) + TRANSIT_US, { kind: 'undecodable', frameId: 5 }],
        [capture(6) + TRANSIT_US, { kind: 'undecodable', frameId: 6 }],
        [capture(7) + TRANSIT_US, { kind: 'undecodable', frameId: 7 }],
      ],
    );
  });

  it('resumes without a keyframe when the missing frame arrives within the lateness bound', () => {
    const buf = new VideoJitterBuffer<number>();
    const keys = new Set([0]);
    const { released, events } = playOut(buf, [
      ...stream(8, keys, new Set([3])),
      // Retransmitted: complete 40 ms past its release time, before it counts as late.
      { at: capture(3) + TARGET_US + 40_000, insert: frame(3, keys) },
    ]);
    assert.deepEqual(
      released.map(([id]) => id),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.ok(events.every(([, e]) => e.kind === 'released'));
  });
});
