/**
 * With `dueUs` (when the device needs the decision's audio, from the sound port's schedule) the
 * buffer measures added delay to it, not to its own output timeline; and with
 * `deviceCompletesBlocks` it shortens a block with no later packet held.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AudioJitterBufferInputError } from '../src/audio/index.js';
import { micros } from '../src/units/index.js';
import { BLOCK_FRAMES, BLOCK_US, TRANSIT_US, buffer, capture, packet } from './support/audio-jitter.js';

/** Inserts packet `seq` on the quiet path (arrival = capture + transit) and returns that time. */
function arrive(buf: ReturnType<typeof buffer>, seq: number): number {
  const at = capture(seq) + TRANSIT_US;
  buf.insert(micros(at), packet(seq));
  return at;
}

describe('audio jitter buffer: delay measured to the device due time', () => {
  it('reports each packet’s slack to its due time, whatever the output timeline says', () => {
    const buf = buffer({ expandBelowUs: micros(0), accelerateAboveUs: micros(BLOCK_US) });
    // Target 2 ms (the margin, nothing measured yet): packet 0 is due 4 ms after it arrived.
    const at0 = arrive(buf, 0);
    const first = buf.next(micros(at0), micros(at0 + 4_000));
    assert.equal(first.kind === 'play' && first.addedDelayUs, 4_000);
    buf.output(BLOCK_FRAMES);
    // Packet 1 is due one block later than packet 0: 4 ms of slack again, although the decision
    // is taken at its arrival, long before the output timeline would reach it.
    const at1 = arrive(buf, 1);
    const second = buf.next(micros(at1), micros(at0 + 4_000 + BLOCK_US));
    assert.equal(second.kind === 'play' && second.addedDelayUs, 4_000);
    buf.output(BLOCK_FRAMES);
    assert.equal(buf.stats.bufferDelayMs, 4);
  });

  it('expands when the due time leaves less slack than the target, and starts only with it', () => {
    const buf = buffer({ expandBelowUs: micros(0), accelerateAboveUs: micros(BLOCK_US) });
    const at0 = arrive(buf, 0);
    // Due 1 ms after arrival: less than the 2 ms target, so the start waits for a later tick.
    assert.equal(buf.next(micros(at0), micros(at0 + 1_000)).kind, 'idle');
    assert.equal(buf.next(micros(at0 + 500), micros(at0 + 1_000 + BLOCK_US)).kind, 'play');
    buf.output(BLOCK_FRAMES);
    const at1 = arrive(buf, 1);
    // Then the device's schedule moves 10 ms earlier (a tick lost): 1 ms of slack left, so the
    // buffer stretches rather than let the next packets miss their turn.
    assert.equal(buf.next(micros(at1), micros(at1 + 1_000)).kind, 'expand');
    buf.output(BLOCK_FRAMES + BLOCK_FRAMES / 2);
    assert.equal(buf.next(micros(at1), micros(at1 + 1_000 + BLOCK_US)).kind, 'play');
  });

  it('shortens with one packet held only when the device completes the block', () => {
    for (const deviceCompletesBlocks of [false, true]) {
      const buf = buffer({
        expandBelowUs: micros(0),
        accelerateAboveUs: micros(BLOCK_US),
        deviceCompletesBlocks,
      });
      const at0 = arrive(buf, 0);
      assert.equal(buf.next(micros(at0), micros(at0 + 3_000)).kind, 'play');
      buf.output(BLOCK_FRAMES);
      // Packet 1 is due 13 ms after it arrives: more than the target plus a block. Nothing
      // later is held.
      const at1 = arrive(buf, 1);
      const d = buf.next(micros(at1), micros(at1 + 13_000));
      assert.equal(
        d.kind,
        deviceCompletesBlocks ? 'accelerate' : 'play',
        `deviceCompletesBlocks ${deviceCompletesBlocks}`,
      );
    }
  });

  it('refuses a due time that is not a finite number', () => {
    const buf = buffer();
    const at0 = arrive(buf, 0);
    assert.throws(() => buf.next(micros(at0), micros(Number.NaN)), AudioJitterBufferInputError);
    assert.throws(
      () => buf.next(micros(at0), micros(Number.POSITIVE_INFINITY)),
      /dueUs must be a finite number/,
    );
  });
});
