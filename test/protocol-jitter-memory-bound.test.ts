import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer } from '../src/protocol/jitter-buffer.js';
import { micros, msToMicros } from '../src/units/index.js';
import { capture, drain, events, frameChain } from './support/jitter.js';

function balanced(buf: VideoJitterBuffer<number>): void {
  const s = buf.stats;
  assert.equal(s.inserted, s.released + s.late + s.undecodable + s.overflowed + s.bufferedFrames);
}

describe('jitter buffer: memory bound', () => {
  it('never holds more than the maximum: the oldest frames go first', () => {
    // A one-second minimum delay keeps everything held.
    const buf = new VideoJitterBuffer<number>({
      maxBufferedFrames: 4,
      minDelayUs: msToMicros(1_000),
      maxDelayUs: msToMicros(1_000),
    });
    for (let id = 0; id < 10; id++) {
      buf.insert(micros(capture(id) + 5_000), frameChain(id, true));
      assert.ok(buf.bufferedFrames <= 4);
      balanced(buf);
    }
    assert.equal(buf.stats.overflowed, 6);
    assert.deepEqual(
      events(buf).map((e) => (e.kind === 'lost' ? e.frameId : -1)),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(drain(buf, capture(9) + 1_000_000), [6, 7, 8, 9]);
    balanced(buf);
  });

  it('reports frames pushed out mid-stream as lost and skips them without waiting', () => {
    const buf = new VideoJitterBuffer<number>({
      maxBufferedFrames: 3,
      minDelayUs: msToMicros(1_000),
      maxDelayUs: msToMicros(1_000),
    });
    buf.insert(micros(capture(0) + 5_000), frameChain(0, true));
    assert.deepEqual(drain(buf, capture(0) + 1_000_000), [0]);
    events(buf);
    // Keyframes 1..5 while nothing is due: 1 and 2 are pushed out.
    for (let id = 1; id <= 5; id++) buf.insert(micros(capture(id) + 5_000), frameChain(id, true));
    assert.equal(buf.bufferedFrames, 3);
    assert.deepEqual(events(buf), [
      { kind: 'lost', frameId: 1 },
      { kind: 'lost', frameId: 2 },
    ]);
    assert.equal(buf.pollTimeout(), capture(3) + 1_000_000, 'no grace: the gap is known to be gone');
    assert.deepEqual(drain(buf, capture(5) + 1_000_000), [3, 4, 5]);
    assert.equal(buf.stats.lost, 2);
    assert.equal(buf.stats.overflowed, 2);
    balanced(buf);
  });

  it('keeps the event queue bounded when nobody polls it', () => {
    const buf = new VideoJitterBuffer<number>({ maxQueuedEvents: 16 });
    for (let id = 0; id < 40; id++) {
      buf.insert(micros(capture(id) + 10_000), frameChain(id, id === 0));
      drain(buf, capture(id) + 12_000);
    }
    assert.equal(events(buf).length, 16);
    assert.equal(buf.stats.eventsDropped, 24);
  });

  it('emits only the newest lost events for a huge gap', () => {
    const buf = new VideoJitterBuffer<number>({ maxQueuedEvents: 16 });
    buf.insert(micros(capture(0) + 10_000), frameChain(0, true));
    drain(buf, capture(0) + 12_000);
    events(buf);
    const far = 1_000_000;
    buf.insert(micros(capture(far) + 10_000), frameChain(far, true));
    assert.deepEqual(drain(buf, capture(far) + 17_000), [far]);
    const lost = events(buf).filter((e) => e.kind === 'lost');
    assert.equal(buf.stats.lost, far - 1);
    assert.ok(lost.length <= 16);
    assert.equal(lost.at(-1)?.kind === 'lost' ? lost.at(-1)?.frameId : null, far - 1);
  });
});
