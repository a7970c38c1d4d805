/** Options and arguments out of range are errors that name the field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AudioJitterBuffer,
  AudioJitterBufferConfigError,
  AudioJitterBufferInputError,
  type AudioJitterBufferOptions,
} from '../src/audio/index.js';
import { micros } from '../src/units/index.js';
import { packet } from './support/audio-jitter.js';

const bad: [AudioJitterBufferOptions, string][] = [
  [{ blockUs: micros(7_000) }, 'blockUs'],
  [{ sampleRate: 4_000 }, 'sampleRate'],
  [{ sampleRate: 44_100, blockUs: micros(5_000) }, 'sampleRate'],
  [{ minDelayUs: micros(-1) }, 'minDelayUs'],
  [{ maxDelayUs: micros(1.5) }, 'maxDelayUs'],
  [{ minDelayUs: micros(300_000) }, 'minDelayUs'],
  [{ initialTargetUs: micros(Number.NaN) }, 'initialTargetUs'],
  [{ percentile: 0 }, 'percentile'],
  [{ percentile: 1.5 }, 'percentile'],
  [{ windowPackets: 4 }, 'windowPackets'],
  [{ marginUs: micros(-5) }, 'marginUs'],
  [{ decayHalfLifeUs: micros(0) }, 'decayHalfLifeUs'],
  [{ accelerateAboveUs: micros(-1) }, 'accelerateAboveUs'],
  [{ expandBelowUs: micros(0.5) }, 'expandBelowUs'],
  [{ idleAfterUs: micros(5_000) }, 'idleAfterUs'],
  [{ maxBufferedPackets: 1 }, 'maxBufferedPackets'],
  [{ restartGapPackets: 3 }, 'restartGapPackets'],
];

describe('audio jitter buffer: options', () => {
  for (const [options, field] of bad) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      assert.throws(
        () => new AudioJitterBuffer(options),
        (e: unknown) =>
          e instanceof AudioJitterBufferConfigError &&
          e.field === field &&
          e.message.startsWith(`audio jitter buffer: ${field}: `),
      );
    });
  }

  it('accepts 44.1 kHz with 10 ms blocks and 20 ms blocks', () => {
    assert.equal(new AudioJitterBuffer({ sampleRate: 44_100 }).blockFrames, 441);
    assert.equal(new AudioJitterBuffer({ blockUs: micros(20_000) }).blockFrames, 960);
  });

  it('refuses arguments that are not times, ids or quantiles', () => {
    const buf = new AudioJitterBuffer<number>();
    const input = (e: unknown): boolean => e instanceof AudioJitterBufferInputError;
    assert.throws(() => {
      buf.insert(micros(0), packet(-1));
    }, input);
    assert.throws(() => {
      buf.insert(micros(0), packet(1.5));
    }, input);
    assert.throws(() => {
      buf.insert(micros(0), packet(1, Number.NaN));
    }, input);
    assert.throws(() => {
      buf.insert(micros(Number.POSITIVE_INFINITY), packet(1));
    }, input);
    assert.throws(() => {
      buf.next(micros(Number.NaN));
    }, input);
    assert.throws(() => {
      buf.output(10);
    }, /output must be called once after each next/);
    assert.throws(() => {
      buf.setMinDelayUs(micros(-1));
    }, /minDelayUs must be an integer in 0\.\.200000/);
    assert.throws(() => {
      buf.setMinDelayUs(micros(200_001));
    }, input);
    assert.throws(() => {
      buf.addedDelayPercentile(1.1);
    }, /quantile must be in \[0, 1\]/);
    assert.equal(buf.addedDelayPercentile(0.95), null);
    const s = buf.stats;
    assert.deepEqual(
      [s.transitFloorMs, s.jitterMs, s.addedDelayP95Ms, s.bufferDelayMs],
      [null, null, null, null],
    );
  });
});
