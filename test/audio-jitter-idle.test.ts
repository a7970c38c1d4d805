/** A sender that stops: PLC for a while, then idle; playback restarts cleanly when it comes back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { micros } from '../src/units/index.js';
import {
  BLOCK_US,
  T0,
  TRANSIT_US,
  buffer,
  capture,
  count,
  packet,
  run,
  stream,
} from './support/audio-jitter.js';

describe('audio jitter buffer: idle and restart', () => {
  it('goes idle after 200 ms of concealment and restarts from the returning stream', () => {
    const buf = buffer();
    const steps = run(buf, stream(0, 50), T0 + 3_000, capture(100));
    const afterLast = steps.filter((s) => s.at > capture(49) + TRANSIT_US);
    assert.equal(count(afterLast, 'conceal'), 20, '200 ms of PLC');
    assert.equal(afterLast.at(-1)?.kind, 'idle');
    let s = buf.stats;
    assert.deepEqual([s.idles, s.playing, s.lost, s.bufferDelayMs], [1, false, 0, null]);
    // The sender stopped: that concealment is the stream's end, not loss.
    assert.deepEqual([s.concealedMs, s.endConcealedMs], [0, 200]);
    // The sender resumes half a second later with the next ids.
    const back = stream(50, 80).map((a) => ({ ...a, at: a.at + 5e5, captureUs: capture(a.seq) + 5e5 }));
    const again = run(buf, back, capture(100) + 3_000, capture(132));
    const plays = again.filter((x) => x.kind === 'play');
    assert.equal(plays[0]?.seq, 50);
    assert.ok(
      plays.every((x) => x.addedDelayUs === 3_000),
      'the same clean start as the first',
    );
    s = buf.stats;
    assert.deepEqual([s.played, s.lost, s.late, s.playing], [80, 0, 0, true]);
  });

  it('starts after a stall with the packets still worth playing, dropping the stale ones as late', () => {
    const buf = buffer();
    run(buf, stream(0, 300), T0 + 3_000, capture(330));
    assert.equal(buf.playing, false, 'idle after the sender stopped');
    // The sender comes back 400 ms later; packets 300..309 are held up in the network and arrive
    // together, the last 25 ms after its capture: all but 309 (5 ms past the floor) are more than
    // a block past the 2 ms target.
    const shift = 400_000;
    const at = capture(309) + shift + TRANSIT_US + 5_000;
    for (let seq = 300; seq < 310; seq++) buf.insert(micros(at), packet(seq, capture(seq) + shift));
    const d = buf.next(micros(at));
    assert.equal(d.kind === 'play' && d.packet.seq, 309);
    assert.equal(d.kind === 'play' && d.addedDelayUs, 5_000);
    assert.equal(buf.stats.late, 9);
  });

  it('drops a lone stale packet instead of starting deep', () => {
    const buf = buffer();
    run(buf, stream(0, 300), T0 + 3_000, capture(330));
    buf.insert(micros(capture(300) + 100_000), packet(300));
    assert.equal(buf.next(micros(capture(300) + 100_000)).kind, 'idle');
    assert.deepEqual([buf.stats.late, buf.bufferedPackets], [1, 0]);
  });

  it('treats far-off ids as a sender restart, and reset() forgets the stream', () => {
    const buf = buffer();
    run(buf, stream(0, 3000), T0 + 3_000, capture(3000));
    assert.equal(buf.stats.played, 2998);
    // The sender restarted: ids from 0 again, capture times going on.
    const back = stream(0, 20).map((a) => ({
      ...a,
      at: a.at + 30 * 1e6,
      captureUs: capture(a.seq) + 30 * 1e6,
    }));
    const steps = run(buf, back, capture(3000), capture(3000) + 30 * BLOCK_US);
    const seqs = steps.filter((x) => x.kind === 'play').map((x) => x.seq);
    assert.ok(seqs.length >= 18);
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, i) => i),
    );
    assert.equal(buf.stats.restarts, 1);
    buf.reset();
    assert.deepEqual([buf.bufferedPackets, buf.playing, buf.stats.restarts], [0, false, 1]);
    assert.equal(buf.next(micros(capture(4000))).kind, 'idle');
    // After reset any id starts a stream, and it is not a duplicate of the old one.
    buf.insert(micros(capture(4000)), packet(5, capture(4000) - TRANSIT_US));
    assert.equal(buf.next(micros(capture(4000) + 1)).kind, 'play');
    assert.equal(buf.stats.duplicates, 0);
  });
});
