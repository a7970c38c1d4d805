import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer } from '../src/protocol/jitter-buffer.js';
import { micros } from '../src/units/index.js';
import { capture, events, frameChainWith } from './support/jitter.js';

describe('jitter buffer: duplicate frames', () => {
  it('ignores a second insert of a held frame and counts it', () => {
    const buf = new VideoJitterBuffer<string>();
    buf.insert(micros(capture(0) + 10_000), frameChainWith(0, 'first'));
    // A much slower copy: were it measured, the target would jump.
    buf.insert(micros(capture(0) + 40_000), frameChainWith(0, 'second'));
    assert.equal(buf.bufferedFrames, 1);
    assert.equal(buf.targetDelay, 12_000, 'a duplicate is not a transit sample');
    const out = buf.pollRelease(micros(capture(0) + 40_000));
    assert.equal(out?.payload, 'first');
    assert.equal(buf.pollRelease(micros(capture(0) + 40_000)), null);
    assert.deepEqual(events(buf), [{ kind: 'released', frameId: 0, delayUs: 40_000 }]);
    assert.equal(buf.stats.duplicates, 1);
    assert.equal(buf.stats.inserted, 1);
  });

  it('counts a copy of a released frame as a duplicate, not as late', () => {
    const buf = new VideoJitterBuffer<string>();
    for (let id = 0; id < 3; id++) {
      buf.insert(micros(capture(id) + 10_000), frameChainWith(id, 'x'));
      assert.equal(buf.pollRelease(micros(capture(id) + 12_000))?.frameId, id);
    }
    buf.insert(micros(capture(3)), frameChainWith(1, 'again'));
    assert.equal(buf.stats.duplicates, 1);
    assert.equal(buf.stats.late, 0);
    assert.equal(events(buf).filter((e) => e.kind !== 'released').length, 0);
  });

  it('counts a copy of a frame dropped as late as a duplicate', () => {
    // The target is capped at 12 ms, so a frame 12.001 ms after capture is late.
    const buf = new VideoJitterBuffer<string>({ maxLatenessUs: micros(0), maxDelayUs: micros(12_000) });
    buf.insert(micros(capture(0) + 10_000), frameChainWith(0, 'x'));
    assert.equal(buf.pollRelease(micros(capture(0) + 12_000))?.frameId, 0);
    buf.insert(micros(capture(1) + 12_001), frameChainWith(1, 'x'));
    buf.insert(micros(capture(1) + 12_002), frameChainWith(1, 'x'));
    assert.equal(buf.stats.late, 1);
    assert.equal(buf.stats.duplicates, 1);
  });
});
