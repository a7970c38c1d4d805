/**
 * Concealment the device made on its own (a sound port's thread at the last moment, with no
 * decision asked for): booked as the buffer's own PLC would be, and the slot charged when the next
 * packet comes: lost if it never does, late if its time has passed, played if still on time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioJitterBufferInputError, type AudioJitterBuffer } from '../src/audio/index.js';
import { micros } from '../src/units/index.js';
import { BLOCK_FRAMES, TRANSIT_US, buffer, capture, packet } from './support/audio-jitter.js';

/** Packets 0..4 on the quiet path, each played as it lands; the device is then at slot 5. */
function playingToSlot5(options: Parameters<typeof buffer>[0] = {}): AudioJitterBuffer<number> {
  const buf = buffer(options);
  for (let seq = 0; seq < 5; seq++) {
    const at = micros(capture(seq) + TRANSIT_US);
    buf.insert(at, packet(seq));
    const d = buf.next(at);
    assert.equal(d.kind, 'play');
    buf.output(BLOCK_FRAMES);
  }
  return buf;
}

/** Inserts `seqs` at `at` and takes the next decision, as kind and seq. */
function arrive(buf: AudioJitterBuffer<number>, at: number, ...seqs: number[]): [string, number | null] {
  for (const seq of seqs) buf.insert(micros(at), packet(seq));
  const d = buf.next(micros(at));
  buf.output(BLOCK_FRAMES);
  return [d.kind, d.kind === 'play' || d.kind === 'accelerate' ? d.packet.seq : null];
}

describe('audio jitter buffer: concealment made by the device', () => {
  it('charges a slot it covered to the missing packet when the one after comes, with no second concealment', () => {
    const buf = playingToSlot5();
    buf.deviceConcealed(BLOCK_FRAMES);
    assert.deepEqual(arrive(buf, capture(6) + TRANSIT_US, 6), ['play', 6]);
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.concealedMs, s.played], [1, 0, 10, 6]);
  });

  it('drops the slot’s packet as late when it comes after its time, and plays the next', () => {
    // The target held at 5 ms (its most), so the late packet cannot raise it past its own delay.
    const buf = playingToSlot5({ maxDelayUs: micros(5_000) });
    buf.deviceConcealed(BLOCK_FRAMES);
    // 15 ms after its transit floor: past the target and half a block.
    assert.deepEqual(arrive(buf, capture(6) + TRANSIT_US + 5_000, 5, 6), ['play', 6]);
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.concealedMs], [0, 1, 10]);
  });

  it('plays the slot’s packet when it is still on time: the concealment only delayed it', () => {
    const buf = playingToSlot5();
    buf.deviceConcealed(BLOCK_FRAMES);
    assert.deepEqual(arrive(buf, capture(5) + TRANSIT_US + 3_000, 5), ['play', 5]);
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.concealedMs], [0, 0, 10]);
    // It plays a block after its capture plus the floor: the made-up block came first.
    assert.equal(s.bufferDelayMs, 10);
  });

  it('goes idle after the idle time of made-up audio, as end-of-stream concealment', () => {
    const buf = playingToSlot5();
    for (let i = 0; i < 20; i++) buf.deviceConcealed(BLOCK_FRAMES);
    const s = buf.stats;
    assert.equal(s.playing, false);
    assert.deepEqual([s.endConcealedMs, s.concealedMs, s.idles], [200, 0, 1]);
  });

  it('ignores what the device made up before a stream plays, and refuses a bad frame count', () => {
    const buf = buffer();
    buf.deviceConcealed(BLOCK_FRAMES);
    assert.deepEqual([buf.stats.concealedMs, buf.stats.endConcealedMs], [0, 0]);
    assert.throws(() => {
      buf.deviceConcealed(-1);
    }, AudioJitterBufferInputError);
    assert.throws(() => {
      buf.deviceConcealed(1.5);
    }, AudioJitterBufferInputError);
  });
});
