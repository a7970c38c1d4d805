import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VideoJitterBuffer, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { Rng } from '../src/rng/index.js';
import { frameId, micros } from '../src/units/index.js';
import { FRAME_US, T0, type JitterAction } from './support/jitter.js';

interface Scenario {
  readonly seed: number;
  readonly frames: number;
  readonly keyInterval: number;
  readonly loss: number;
  readonly giveUpShare: number;
  readonly jitterUs: number;
  readonly slowShare: number;
  readonly duplicates: number;
  readonly nonReference: number;
  readonly maxBufferedFrames: number;
  readonly gapGraceUs: number;
  readonly maxLatenessUs: number;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  frames: fc.integer({ min: 20, max: 300 }),
  keyInterval: fc.integer({ min: 1, max: 120 }),
  loss: fc.double({ min: 0, max: 0.2, noNaN: true }),
  giveUpShare: fc.double({ min: 0, max: 1, noNaN: true }),
  jitterUs: fc.integer({ min: 0, max: 60_000 }),
  slowShare: fc.double({ min: 0, max: 0.1, noNaN: true }),
  duplicates: fc.double({ min: 0, max: 0.1, noNaN: true }),
  nonReference: fc.double({ min: 0, max: 0.3, noNaN: true }),
  maxBufferedFrames: fc.integer({ min: 2, max: 64 }),
  gapGraceUs: fc.integer({ min: 0, max: 10_000 }),
  maxLatenessUs: fc.integer({ min: 0, max: 80_000 }),
});

/** Builds the arrivals: the last frame is a keyframe that always arrives on time. */
function actionsOf(s: Scenario): JitterAction[] {
  const rng = new Rng(s.seed);
  const actions: JitterAction[] = [];
  // Some frames are not referenced by the next one (it references the one before).
  let ref = -1;
  for (let id = 0; id < s.frames; id++) {
    const last = id === s.frames - 1;
    const key = last || id % s.keyInterval === 0;
    const capture = T0 + id * FRAME_US;
    const frame: VideoFrame<number> = {
      frameId: frameId(id),
      localCaptureUs: micros(capture),
      keyframe: key,
      refFrameId: key ? null : frameId(ref),
      payload: id,
    };
    if (key || !rng.chance(s.nonReference)) ref = id;
    if (!last && rng.chance(s.loss)) {
      if (rng.chance(s.giveUpShare))
        actions.push({ at: capture + 10_000 + rng.nextInt(150_000), giveUp: id });
      continue;
    }
    let at = capture + 10_000 + (last ? 0 : rng.nextInt(s.jitterUs + 1));
    if (!last && rng.chance(s.slowShare)) at += 20_000 + rng.nextInt(130_000);
    actions.push({ at, insert: frame });
    if (rng.chance(s.duplicates)) actions.push({ at: at + rng.nextInt(50_000), insert: frame });
  }
  return actions.sort((a, b) => a.at - b.at);
}

function check(s: Scenario): void {
  const buf = new VideoJitterBuffer<number>({
    maxBufferedFrames: s.maxBufferedFrames,
    gapGraceUs: micros(s.gapGraceUs),
    maxLatenessUs: micros(s.maxLatenessUs),
  });
  const actions = actionsOf(s);
  const released: number[] = [];
  const outcome = new Map<number, string>();
  const counts = { released: 0, late: 0, lost: 0, undecodable: 0, keyframeNeeded: 0 };
  let now = 0;
  const poll = (): void => {
    for (let f = buf.pollRelease(micros(now)); f !== null; f = buf.pollRelease(micros(now))) {
      const id = f.frameId;
      assert.ok(released.length === 0 || id > (released.at(-1) ?? -1), 'strictly increasing ids');
      const ref = f.refFrameId;
      assert.ok(f.keyframe || ref === null || released.includes(ref), `frame ${id} is decodable`);
      assert.ok(now >= f.localCaptureUs + buf.targetDelay, `frame ${id} is not early`);
      released.push(id);
    }
    for (let e = buf.pollEvent(); e !== null; e = buf.pollEvent()) {
      switch (e.kind) {
        case 'released':
          counts.released++;
          break;
        case 'late':
          counts.late++;
          break;
        case 'lost':
        case 'undecodable': {
          counts[e.kind]++;
          const before = outcome.get(e.frameId);
          assert.equal(before, undefined, `frame ${e.frameId}: ${e.kind} after ${String(before)}`);
          outcome.set(e.frameId, e.kind);
          break;
        }
        case 'keyframe-needed':
          counts.keyframeNeeded++;
          break;
      }
    }
    const next = buf.pollTimeout();
    assert.ok(next === null || next > now, 'settled: the next timeout lies ahead');
  };
  for (let i = 0, steps = 0; ; steps++) {
    assert.ok(steps < 50_000, 'no livelock');
    const timeout = buf.pollTimeout();
    const action = actions[i];
    if (action === undefined && timeout === null) break;
    if (action !== undefined && action.at <= (timeout ?? Infinity)) {
      now = Math.max(now, action.at);
      if ('insert' in action) buf.insert(micros(now), action.insert);
      else buf.giveUp(micros(now), frameId(action.giveUp));
      i++;
    } else if (timeout !== null) {
      now = Math.max(now, timeout);
    }
    poll();
  }
  for (const id of released) assert.equal(outcome.get(id), undefined, `frame ${id} released and dropped`);
  assert.equal(released.at(-1), s.frames - 1, 'the final keyframe always plays: nothing stalls forever');
  const st = buf.stats;
  assert.equal(st.bufferedFrames, 0);
  assert.equal(st.inserted, st.released + st.late + st.undecodable + st.overflowed);
  assert.deepEqual(counts, {
    released: st.released,
    late: st.late,
    lost: st.lost,
    undecodable: st.undecodable,
    keyframeNeeded: st.keyframeNeeded,
  });
  assert.equal(st.released, released.length);
}

describe('jitter buffer: invariants under random loss, jitter, reordering and duplicates', () => {
  it('releases decodable frames in order, never early, accounts for every frame, and never stalls', () => {
    fc.assert(fc.property(scenario, check), { numRuns: 60, seed: 20250601 });
  });
});
