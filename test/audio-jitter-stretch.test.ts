/**
 * The playout moves toward the target only by accelerate (deeper than the target) and expand
 * (shallower), and `output(frames)` keeps the timeline exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { micros } from '../src/units/index.js';
import {
  BLOCK_US,
  T0,
  TRANSIT_US,
  after,
  buffer,
  capture,
  count,
  packet,
  run,
  stream,
} from './support/audio-jitter.js';

describe('audio jitter buffer: accelerate, expand and output accounting', () => {
  it('accelerates while deeper than the target and the next packet is held, half a block each time', () => {
    const buf = buffer({ minDelayUs: micros(30_000) });
    const all = stream(0, 60);
    const first = run(buf, all, T0 + 3_000, capture(8));
    assert.equal(first.find((s) => s.kind === 'play')?.addedDelayUs, 33_000);
    buf.setMinDelayUs(micros(0));
    const steps = run(buf, after(all, capture(8)), capture(8), capture(40));
    // 33 ms down in steps of 5 ms while the next packet is already held: that holds down to
    // 8 ms (below a block of excess the next packet is still on its way), 5 steps.
    assert.equal(count(steps, 'accelerate'), 5);
    assert.equal(count(steps, 'expand'), 0);
    assert.equal(count(steps, 'conceal'), 0);
    assert.equal(steps.filter((s) => s.kind === 'play').at(-1)?.addedDelayUs, 8_000);
    assert.equal(buf.stats.acceleratedMs, 25);
  });

  it('expands while shallower than the target, consuming nothing', () => {
    const buf = buffer();
    const all = stream(0, 60);
    run(buf, all, T0 + 3_000, capture(5));
    buf.setMinDelayUs(micros(30_000));
    assert.equal(buf.stats.minDelayMs, 30);
    const steps = run(buf, after(all, capture(5)), capture(5), capture(40));
    // 3 ms + 15 ms per expand (1.5 blocks out, nothing consumed): 2 expands to 33 ms.
    assert.equal(count(steps, 'expand'), 2);
    assert.equal(count(steps, 'accelerate'), 0);
    assert.equal(steps.filter((s) => s.kind === 'play').at(-1)?.addedDelayUs, 33_000);
    const seqs = steps.filter((s) => s.kind === 'play').map((s) => s.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, i) => i + 3),
      'in order, none skipped',
    );
    assert.equal(buf.stats.expandedMs, 30);
  });

  it('starts the next decision where the output of the last one ends', () => {
    const buf = buffer({ minDelayUs: micros(48_000) });
    const start = capture(5) + TRANSIT_US;
    for (let seq = 0; seq < 6; seq++) buf.insert(micros(capture(seq) + TRANSIT_US), packet(seq));
    const a = buf.next(micros(start));
    assert.equal(a.kind === 'play' && a.addedDelayUs, 50_000);
    buf.output(960); // two blocks' worth: the next decision plays 20 ms after this one
    const b = buf.next(micros(start + 10_000));
    assert.equal(b.kind === 'accelerate' && b.addedDelayUs, 60_000);
    buf.output(480); // the time stretch could not shorten this one
    // Called after the timeline ran out (the device ran dry): it restarts at `now`.
    const c = buf.next(micros(start + 60_000));
    assert.equal(c.kind === 'accelerate' && c.addedDelayUs, 90_000);
    buf.output(0);
    const d = buf.next(micros(start + 60_000));
    assert.equal(d.kind === 'accelerate' && d.addedDelayUs, 80_000);
    // No output() for the last decision: it counts as a block.
    const e = buf.next(micros(start + 60_000));
    assert.equal(e.kind === 'accelerate' && e.addedDelayUs, 80_000);
    const s = buf.stats;
    assert.equal(s.playedMs, 20 + 10 + 0 + 10);
    assert.equal(s.acceleratedMs, 10);
    assert.equal(s.bufferDelayMs, 80);
    assert.throws(() => {
      buf.output(100_000);
    }, /frames must be an integer in 0\.\.7680, got 100000/);
    buf.output(480);
    assert.throws(() => {
      buf.output(480);
    }, /output must be called once after each next\(\)/);
    assert.equal(BLOCK_US, 10_000);
  });
});
