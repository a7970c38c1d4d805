/**
 * The echo canceller on a synthetic room: far-end speech through a delayed, decaying echo path
 * with a near-end talker. After convergence the echo is at least 20 dB down at every delay the
 * doorway meets, it finds the delay by itself, and double talk keeps the near end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAudio } from './support/audio-addon.js';

const addon = loadAudio();

describe('echo cancellation (webrtc-audio-processing)', () => {
  for (const delayMs of [20, 60, 120]) {
    it(`cancels a ${delayMs} ms echo by at least 20 dB and keeps the near end`, async () => {
      const m = await addon.measureEchoCancellation({ delayMs });
      // aecOnly: no noise suppression or gain control to flatter the figure.
      assert.ok(m.aecOnly.erleDb >= 20, `ERLE ${m.aecOnly.erleDb} dB`);
      assert.ok(m.erleDb >= 20, `configured chain ERLE ${m.erleDb} dB`);
      assert.ok(m.aecOnly.apmDelayMs !== null && Math.abs(m.aecOnly.apmDelayMs - delayMs) <= 10);
      assert.ok(
        (m.aecOnly.nearEndPreservationDb ?? -99) >= -12,
        `near end ${m.aecOnly.nearEndPreservationDb}`,
      );
      assert.ok((m.aecOnly.nearEndCorrelation ?? 0) >= 0.5);
    });
  }

  it('refuses an echo delay out of range', async () => {
    await assert.rejects(async () => addon.measureEchoCancellation({ delayMs: 1000 }), /delayMs/);
  });
});
