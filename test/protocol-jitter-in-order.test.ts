import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type VideoFrame } from '../src/protocol/jitter-buffer.js';
import { micros, msToMicros } from '../src/units/index.js';
import { capture, frameChainWith } from './support/jitter.js';

const frame = (id: number): VideoFrame<string> => frameChainWith(id, `frame ${id}`);

describe('jitter buffer: in-order frames', () => {
  it('releases each frame at capture + target delay, never before', () => {
    // Constant 10 ms transit: the target is the transit floor plus the 2 ms margin.
    const buf = new VideoJitterBuffer<string>({ marginUs: msToMicros(2) });
    for (let id = 0; id < 10; id++) {
      buf.insert(micros(capture(id) + 10_000), frame(id));
      assert.equal(buf.targetDelay, 12_000);
      const due = buf.pollTimeout();
      assert.equal(due, capture(id) + 12_000);
      assert.equal(buf.pollRelease(micros(due - 1)), null, 'not a microsecond early');
      const out = buf.pollRelease(micros(due));
      assert.equal(out?.frameId, id);
      assert.equal(out.payload, `frame ${id}`);
      assert.equal(buf.pollRelease(micros(due)), null);
      assert.deepEqual(buf.pollEvent(), { kind: 'released', frameId: id, delayUs: 12_000 });
      assert.equal(buf.pollEvent(), null);
      assert.equal(buf.pollTimeout(), null, 'nothing held, nothing to wait for');
    }
    assert.equal(buf.transitFloor, 10_000);
    assert.equal(buf.jitter, 0);
    assert.equal(buf.bufferDelay, 2_000, 'each frame waited 2 ms after it was complete');
    assert.equal(buf.nextFrameId, 10);
    const stats = buf.stats;
    assert.equal(stats.inserted, 10);
    assert.equal(stats.released, 10);
    assert.equal(stats.bufferedFrames, 0);
    assert.equal(stats.late + stats.lost + stats.undecodable + stats.duplicates + stats.keyframeNeeded, 0);
  });

  it('holds several frames when the minimum delay exceeds the frame interval and releases them in turn', () => {
    const buf = new VideoJitterBuffer<string>({ minDelayUs: msToMicros(50) });
    for (let id = 0; id < 4; id++) buf.insert(micros(capture(id) + 5_000), frame(id));
    assert.equal(buf.bufferedFrames, 4);
    assert.equal(buf.targetDelay, 50_000);
    const released: number[] = [];
    for (let due = buf.pollTimeout(); due !== null; due = buf.pollTimeout()) {
      assert.equal(due, capture(released.length) + 50_000);
      for (let f = buf.pollRelease(due); f !== null; f = buf.pollRelease(due)) released.push(f.frameId);
    }
    assert.deepEqual(released, [0, 1, 2, 3]);
  });

  it('releases an overdue frame at once when polled late', () => {
    const buf = new VideoJitterBuffer<string>();
    buf.insert(micros(capture(0) + 10_000), frame(0));
    const late = micros(capture(0) + 30_000);
    assert.equal(buf.pollRelease(late)?.frameId, 0);
    assert.deepEqual(buf.pollEvent(), { kind: 'released', frameId: 0, delayUs: 30_000 });
  });
});
