/**
 * The echo canceller on a synthetic room: far-end speech through a delayed, decaying echo path
 * with a near-end talker. After convergence the echo is at least 30 dB down at every delay the
 * doorway meets, at every layout the site config can choose (speakers one-mix or stereo,
 * microphone mono or stereo), it finds the delay by itself, and double talk keeps the near end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAudio } from './support/audio-addon.js';

const addon = loadAudio();

describe('echo cancellation (webrtc-audio-processing)', () => {
  const layouts = [
    { echoReference: 'mono', echoCapture: 'mono' },
    { echoReference: 'stereo', echoCapture: 'mono' },
    { echoReference: 'mono', echoCapture: 'stereo' },
    { echoReference: 'stereo', echoCapture: 'stereo' },
  ] as const;
  for (const layout of layouts) {
    for (const delayMs of [20, 60, 120]) {
      const name = `${layout.echoReference}/${layout.echoCapture}`;
      it(`${name}: cancels a ${delayMs} ms echo by at least 30 dB and keeps the near end`, async () => {
        const m = await addon.measureEchoCancellation({ delayMs, ...layout });
        assert.equal(m.echoReference, layout.echoReference);
        assert.equal(m.echoCapture, layout.echoCapture);
        // aecOnly: no noise suppression or gain control to flatter the figure.
        assert.ok(m.aecOnly.erleDb >= 30, `ERLE ${m.aecOnly.erleDb} dB`);
        assert.ok(m.erleDb >= 30, `configured chain ERLE ${m.erleDb} dB`);
        assert.ok(m.aecOnly.apmDelayMs !== null && Math.abs(m.aecOnly.apmDelayMs - delayMs) <= 10);
        assert.ok(
          (m.aecOnly.nearEndPreservationDb ?? -99) >= -12,
          `near end ${m.aecOnly.nearEndPreservationDb}`,
        );
        assert.ok((m.aecOnly.nearEndCorrelation ?? 0) >= 0.5);
      });
    }
  }

  it('5 ms blocks: still cancels, and holds the near end one half block (5 ms) longer than 10 ms blocks', async () => {
    const ten = await addon.measureEchoCancellation({ delayMs: 60, blockMs: 10 });
    const five = await addon.measureEchoCancellation({ delayMs: 60, blockMs: 5 });
    assert.equal(five.blockMs, 5);
    assert.ok(five.aecOnly.erleDb >= 30, `ERLE ${five.aecOnly.erleDb} dB`);
    assert.ok(ten.aecOnly.nearEndLagMs !== null && five.aecOnly.nearEndLagMs !== null);
    // APM's own delay is the same either way; pairing 5 ms halves into its 10 ms may add only the
    // wait for the second half.
    const added = five.aecOnly.nearEndLagMs - ten.aecOnly.nearEndLagMs;
    assert.ok(Math.abs(added - 5) < 0.1, `5 ms blocks add ${added} ms`);
  });

  it('refuses a layout that is neither mono nor stereo', async () => {
    const bad = { delayMs: 60, echoCapture: 'quad' } as unknown as Parameters<
      typeof addon.measureEchoCancellation
    >[0];
    await assert.rejects(async () => addon.measureEchoCancellation(bad), /echoCapture/);
  });

  it('refuses an echo delay out of range', async () => {
    await assert.rejects(async () => addon.measureEchoCancellation({ delayMs: 1000 }), /delayMs/);
  });
});
