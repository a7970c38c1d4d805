/** Lip sync: audio waits for slower video (bounded), never the other way, without flapping. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LipSync } from '../src/audio/index.js';
import { micros } from '../src/units/index.js';

/**
 * Feeds both sides every 10 ms from `from` to `to` (µs) and updates; returns the min delays set.
 * `audio` is the audio path's latency given the min delay applied (the jitter buffer as a plant).
 */
function drive(
  sync: LipSync,
  from: number,
  to: number,
  audio: (minDelayUs: number) => number,
  video: number,
): number[] {
  const set: number[] = [];
  for (let t = from; t < to; t += 10_000) {
    sync.addAudioLatency(micros(t), micros(audio(sync.minDelayUs)));
    sync.addVideoLatency(micros(t), micros(video));
    const before = sync.minDelayUs;
    const after = sync.update(micros(t));
    if (after !== before) set.push(after);
  }
  return set;
}

const near = (actual: number | undefined, expected: number, within = 1_000): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= within, `${actual} ≈ ${expected}`);
};

describe('lip sync', () => {
  it('has no skew before both sides have samples, and asks for nothing', () => {
    const sync = new LipSync();
    assert.equal(sync.skewUs, null);
    sync.addAudioLatency(micros(0), micros(40_000));
    assert.equal(sync.update(micros(0)), 0);
    assert.deepEqual(sync.stats, {
      audioLatencyUs: 40_000,
      videoLatencyUs: null,
      skewUs: null,
      minDelayUs: 0,
      changes: 0,
    });
  });

  it('delays audio until it is within 20 ms of slower video, topping up what the buffer covered', () => {
    const sync = new LipSync();
    // Audio: 30 ms of path plus the jitter buffer's delay, at least its own 12 ms target.
    const audio = (min: number): number => 30_000 + Math.max(12_000, min);
    const set = drive(sync, 0, 20e6, audio, 100_000);
    // Skew −58 ms: ask 58; the buffer's own 12 covered part of that, so audio is still 12 ms early,
    // past half the tolerance: one more step.
    assert.equal(set.length, 2);
    near(set[0], 58_000);
    near(set[1], 70_000);
    assert.ok(Math.abs(sync.skewUs ?? Infinity) <= 1_000, `${sync.skewUs}`);
    assert.equal(sync.stats.changes, 2);
  });

  it('waits for the skew to persist, and the hold time between changes', () => {
    const sync = new LipSync({ holdUs: micros(5e6) });
    const audio = (min: number): number => 30_000 + Math.max(12_000, min);
    assert.deepEqual(drive(sync, 0, 490_000, audio, 100_000), [], 'not before confirmUs');
    assert.equal(drive(sync, 490_000, 5.49e6, audio, 100_000).length, 1);
    assert.equal(drive(sync, 5.49e6, 5.51e6, audio, 100_000).length, 1, 'the next one after the hold');
  });

  it('never delays video: audio later than video asks for nothing', () => {
    const sync = new LipSync();
    assert.deepEqual(
      drive(sync, 0, 5e6, () => 120_000, 60_000),
      [],
    );
    assert.equal(sync.skewUs, 60_000);
    assert.equal(sync.minDelayUs, 0);
  });

  it('gives back delay when video speeds up, never below zero, and settles within tolerance', () => {
    const sync = new LipSync();
    const audio = (min: number): number => 30_000 + min;
    drive(sync, 0, 5e6, audio, 100_000);
    near(sync.minDelayUs, 70_000);
    const down = drive(sync, 5e6, 15e6, audio, 60_000);
    assert.ok(down.length <= 2, down.join(', '));
    assert.ok(Math.abs(sync.skewUs ?? Infinity) <= 10_000, `${sync.skewUs}`);
    drive(sync, 15e6, 25e6, audio, 10_000);
    assert.equal(sync.minDelayUs, 0);
    assert.ok((sync.skewUs ?? 0) > 10_000, 'audio is now later, and video is not held back');
  });

  it('bounds the extra delay', () => {
    const sync = new LipSync({ maxExtraDelayUs: micros(150_000) });
    drive(sync, 0, 10e6, (min) => 30_000 + min, 400_000);
    assert.equal(sync.minDelayUs, 150_000);
  });

  it('leaves skew within half the tolerance alone', () => {
    const sync = new LipSync();
    assert.deepEqual(
      drive(sync, 0, 5e6, () => 50_000, 59_000),
      [],
    );
  });

  it('drops the extra delay when video stops reporting', () => {
    const sync = new LipSync({ staleAfterUs: micros(1e6) });
    drive(sync, 0, 3e6, (min) => 30_000 + min, 100_000);
    near(sync.minDelayUs, 70_000);
    for (let t = 3e6; t < 4.5e6; t += 10_000) sync.addAudioLatency(micros(t), micros(100_000));
    assert.equal(sync.update(micros(4.5e6)), 0);
    assert.equal(sync.update(micros(4.6e6)), 0);
    assert.equal(sync.stats.changes, 2);
  });
});
