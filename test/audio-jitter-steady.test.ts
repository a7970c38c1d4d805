/** A steady stream on a quiet path: in-order playout at the margin, from a clean start. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioJitterBuffer } from '../src/audio/index.js';
import { micros } from '../src/units/index.js';
import { BLOCK_US, T0, TRANSIT_US, buffer, count, kinds, run, stream } from './support/audio-jitter.js';

describe('audio jitter buffer: steady stream', () => {
  it('plays every packet in order, each 3 ms after its transit, with the target at the margin', () => {
    const buf = buffer();
    const steps = run(buf, stream(0, 300), T0 + 3_000, T0 + 3_000 + 302 * BLOCK_US);
    const played = steps.filter((s) => s.kind === 'play');
    assert.deepEqual(
      played.map((s) => s.seq),
      Array.from({ length: 300 }, (_, i) => i),
    );
    // The device's first tick after the first arrival: 3 ms of added delay, kept from then on.
    assert.deepEqual(kinds(steps.slice(0, 3)), ['idle', 'idle', 'play']);
    assert.ok(played.every((s) => s.addedDelayUs === 3_000));
    const s = buf.stats;
    assert.equal(s.targetDelayMs, 2, 'no jitter: the target is the 2 ms margin');
    assert.equal(s.transitFloorMs, TRANSIT_US / 1000);
    assert.equal(s.jitterMs, 0);
    assert.equal(s.playedMs, 3000);
    assert.equal(s.addedDelayP50Ms, 3);
    assert.equal(s.addedDelayP95Ms, 3);
    assert.deepEqual(
      [s.late, s.lost, s.duplicates, s.concealedMs, s.fecMs, s.acceleratedMs, s.expandedMs],
      [0, 0, 0, 0, 0, 0, 0],
    );
    assert.equal(s.played, 300);
    assert.equal(s.inserted, 300);
    assert.equal(steps.length, 302);
  });

  it('waits for the initial target before the jitter is measured, then converges to the margin', () => {
    const buf = new AudioJitterBuffer<number>();
    assert.equal(buf.targetDelay, 20_000, 'default initial target');
    assert.equal(buf.blockFrames, 480);
    const steps = run(buf, stream(0, 300), T0 + 3_000, T0 + 3_000 + 300 * BLOCK_US);
    const first = steps.find((s) => s.kind === 'play');
    assert.equal(first?.addedDelayUs, 23_000, 'starts within half a block of the 20 ms target');
    assert.equal(buf.targetDelay, 2_000, 'the measured target takes over after a quarter window');
    assert.ok(count(steps, 'accelerate') >= 3, 'the excess delay is removed by accelerate');
    assert.equal(count(steps, 'conceal'), 0);
    const last = steps.filter((s) => s.kind === 'play').at(-1);
    // Within a block of the target: shortening stops once the next packet is not yet held.
    assert.ok((last?.addedDelayUs ?? Infinity) <= 2_000 + BLOCK_US, `${last?.addedDelayUs}`);
    assert.ok(buf.stats.acceleratedMs >= 15);
  });

  it('supports 5 ms blocks', () => {
    const buf = buffer({ blockUs: micros(5_000) });
    assert.equal(buf.blockFrames, 240);
    buf.insert(micros(T0 + TRANSIT_US), { seq: 0, captureUs: micros(T0), payload: 0 });
    assert.equal(buf.next(micros(T0 + TRANSIT_US)).kind, 'play');
  });
});
