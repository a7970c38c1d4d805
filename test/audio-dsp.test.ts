/**
 * The sample-level parts the jitter buffer leans on: the time stretch shortens and lengthens
 * speech without a step at its seams, and Opus in-band FEC rebuilds a lost block far better than
 * concealment alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAudio } from './support/audio-addon.js';

const addon = loadAudio();

describe('time stretch and Opus FEC', () => {
  it('shortens and lengthens speech with no seam steeper than the speech itself', async () => {
    const m = await addon.measureTimeStretch({ signal: 'speech' });
    assert.ok(m.accelerated / m.accelerateCalls > 0.8, `accelerated ${m.accelerated}/${m.accelerateCalls}`);
    assert.ok(m.removedFramesMean > 100 && m.insertedFramesMean > 100);
    assert.ok(m.seamMaxJump <= m.inputMaxJump * 1.05, `seam ${m.seamMaxJump} vs input ${m.inputMaxJump}`);
  });

  it('rebuilds lost blocks from in-band FEC at least 10 dB better than concealment', async () => {
    const m = await addon.measureOpusFec({ expectedLossPercent: 10 });
    assert.ok(m.lostBlocks >= 50);
    assert.ok(m.fecSnrDb >= 25, `FEC ${m.fecSnrDb} dB`);
    assert.ok(m.fecSnrDb - m.plcSnrDb >= 10, `FEC ${m.fecSnrDb} vs PLC ${m.plcSnrDb} dB`);
  });

  it('measures the cost of each part per block', async () => {
    const m = await addon.measureAudioDsp(300);
    assert.equal(m.blocks, 300);
    assert.ok(m.apmUsPerBlock !== null && m.apmUsPerBlock.p50 > 0);
    assert.ok(m.opusEncodeDecodeUsPerBlock !== null && m.opusEncodeDecodeUsPerBlock.p50 > 0);
    assert.ok(m.timeStretchUsPerBlock.p50 > 0);
  });

  it('measures APM per layout and per component, and at the layout asked for', async () => {
    const m = await addon.measureAudioDsp(100, { echoReference: 'stereo', echoCapture: 'stereo' });
    assert.equal(m.apmLayout, 'stereo/stereo');
    assert.ok(m.apmSplitUsPerBlock !== null);
    assert.ok(m.apmSplitUsPerBlock.reverse.p50 > 0 && m.apmSplitUsPerBlock.capture.p50 > 0);
    assert.deepEqual(
      m.apmLayoutsUsPerBlock.map((c) => c.name),
      ['stereo/stereo', 'stereo/mono', 'mono/stereo', 'mono/mono'],
    );
    assert.deepEqual(
      m.apmComponentsUsPerBlock.map((c) => c.name),
      ['none', 'aec', 'highPass', 'noiseSuppression', 'gainControl'],
    );
    for (const c of [...m.apmLayoutsUsPerBlock, ...m.apmComponentsUsPerBlock]) {
      assert.ok(c.total.p50 > 0 && c.total.p99 >= c.total.p50, `${c.name}: ${JSON.stringify(c.total)}`);
    }
    assert.equal((await addon.measureAudioDsp(20)).apmLayout, 'mono/mono', 'the site default');
  });
});
