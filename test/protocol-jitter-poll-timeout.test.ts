import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { Rng } from '../src/rng/index.js';
import { frameId, micros } from '../src/units/index.js';
import { capture, events, frameChain, type JitterAction } from './support/jitter.js';

describe('jitter buffer: pollTimeout', () => {
  it('is null with nothing held, and the release time of a held frame', () => {
    const buf = new VideoJitterBuffer<number>();
    assert.equal(buf.pollTimeout(), null);
    buf.insert(micros(capture(0) + 10_000), frameChain(0, true));
    assert.equal(buf.pollTimeout(), capture(0) + 12_000);
  });

  it('lies in the past when a frame completes after its release time: poll at once', () => {
    const buf = new VideoJitterBuffer<number>({ maxDelayUs: micros(5_000) });
    const at = capture(0) + 10_000;
    buf.insert(micros(at), frameChain(0, true));
    const due = buf.pollTimeout() ?? Infinity;
    assert.ok(due < at);
    assert.equal(buf.pollRelease(micros(at))?.frameId, 0);
  });

  it('names the exact end of a stall behind a missing reference', () => {
    const buf = new VideoJitterBuffer<number>();
    buf.insert(micros(capture(0) + 10_000), frameChain(0, true));
    assert.equal(buf.pollRelease(micros(capture(0) + 12_000))?.frameId, 0);
    events(buf);
    buf.insert(micros(capture(2) + 10_000), frameChain(2, false));
    // Nothing held decodes without frame 1: wait until it could no longer be on time.
    const end = capture(2) + 12_000 + 50_000;
    assert.equal(buf.pollTimeout(), end);
    assert.equal(buf.pollRelease(micros(end - 1)), null);
    assert.deepEqual(events(buf), []);
    assert.equal(buf.pollRelease(micros(end)), null);
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 1 },
      { kind: 'undecodable', frameId: 2 },
      { kind: 'keyframe-needed', afterFrameId: 0 },
    ]);
    assert.equal(buf.pollTimeout(), null);
  });

  it('is exact under jitter, reordering, loss and give-ups: nothing happens a microsecond early, something at it', () => {
    const rng = new Rng('jitter-poll-timeout');
    const actions: JitterAction[] = [];
    for (let id = 0; id < 900; id++) {
      const f = frameChain(id, id % 30 === 0);
      if (id > 0 && rng.chance(0.02)) {
        if (rng.chance(0.5)) actions.push({ at: capture(id) + 100_000, giveUp: id });
        continue;
      }
      const at = capture(id) + 8_000 + rng.nextInt(30_000);
      actions.push({ at, insert: f });
      if (rng.chance(0.02)) actions.push({ at: at + rng.nextInt(40_000), insert: f });
    }
    actions.sort((a, b) => a.at - b.at);

    const buf = new VideoJitterBuffer<number>();
    let now = 0;
    let timerWakes = 0;
    let released = 0;
    for (let i = 0, steps = 0; ; steps++) {
      assert.ok(steps < 100_000, 'no livelock');
      const timeout = buf.pollTimeout();
      const action = actions[i];
      const actionAt = action?.at ?? Infinity;
      if (timeout === null && action === undefined) break;
      if (action !== undefined && actionAt <= (timeout ?? Infinity)) {
        now = Math.max(now, actionAt);
        if ('insert' in action) buf.insert(micros(now), action.insert);
        else buf.giveUp(micros(now), frameId(action.giveUp));
        i++;
        for (let f = buf.pollRelease(micros(now)); f !== null; f = buf.pollRelease(micros(now))) released++;
        events(buf);
        continue;
      }
      // A timer wake at exactly the time asked for.
      assert.ok(timeout !== null && timeout > now, 'a settled buffer never asks for the past');
      timerWakes++;
      assert.equal(buf.pollRelease(micros(timeout - 1)), null, 'nothing a microsecond early');
      assert.deepEqual(events(buf), []);
      assert.equal(buf.pollTimeout(), timeout);
      now = timeout;
      const out: VideoFrame<number>[] = [];
      for (let f = buf.pollRelease(micros(now)); f !== null; f = buf.pollRelease(micros(now))) out.push(f);
      const happened = events(buf);
      assert.ok(out.length > 0 || happened.length > 0, `something happens at ${now}`);
      released += out.length;
      if (!happened.some((e) => e.kind === 'lost' || e.kind === 'undecodable')) {
        // A plain release: one frame, at exactly capture + target.
        assert.equal(out.length, 1);
        assert.equal(now, (out[0]?.localCaptureUs ?? 0) + buf.targetDelay);
      }
    }
    assert.ok(timerWakes > 600, `most frames went out on a timer wake (${timerWakes})`);
    assert.ok(released > 600, `released ${released}`);
    const s = buf.stats;
    assert.ok(s.lost > 0 && s.undecodable > 0 && s.duplicates > 0, 'the scenario exercised loss');
    assert.equal(buf.bufferedFrames, 0);
  });
});
