/** Lip sync options and samples out of range are errors that name the field. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LipSync, LipSyncConfigError, LipSyncInputError, type LipSyncOptions } from '../src/audio/index.js';
import { micros } from '../src/units/index.js';

const bad: [LipSyncOptions, string][] = [
  [{ toleranceUs: micros(0) }, 'toleranceUs'],
  [{ smoothingHalfLifeUs: micros(1.5) }, 'smoothingHalfLifeUs'],
  [{ maxExtraDelayUs: micros(-1) }, 'maxExtraDelayUs'],
  [{ holdUs: micros(Number.NaN) }, 'holdUs'],
  [{ staleAfterUs: micros(-5) }, 'staleAfterUs'],
  [{ confirmUs: micros(-1) }, 'confirmUs'],
];

describe('lip sync: options', () => {
  for (const [options, field] of bad) {
    it(`refuses ${field}`, () => {
      assert.throws(
        () => new LipSync(options),
        (e: unknown) => e instanceof LipSyncConfigError && e.field === field,
      );
    });
  }

  it('refuses samples that are not finite', () => {
    const sync = new LipSync();
    const input = (e: unknown): boolean => e instanceof LipSyncInputError;
    assert.throws(() => {
      sync.addAudioLatency(micros(0), micros(Number.NaN));
    }, input);
    assert.throws(() => {
      sync.addVideoLatency(micros(Number.POSITIVE_INFINITY), micros(0));
    }, input);
    assert.throws(() => {
      sync.update(micros(Number.NaN));
    }, /lip sync: nowUs must be a finite number, got NaN/);
  });
});
