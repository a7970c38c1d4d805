/**
 * The send pipeline's gate (`sendGate`, the outbound role's "is the peer's session up"): while it
 * says no, captured frames are released unencoded and counted; once it says yes the pictures
 * start again with a keyframe, so the peer can decode from the first one it gets.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { VideoSendPipeline } from '../src/video/index.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const skip = video.features.includes('x264') ? false : 'this build lacks x264';

it('encodes nothing while the gate is shut and restarts with a keyframe', { skip }, async () => {
  let open = false;
  const units: { keyframe: boolean; at: 'shut' | 'open' }[] = [];
  const pipeline = new VideoSendPipeline({
    addon: video,
    source: { kind: 'pattern' },
    size: { width: 320, height: 240 },
    fps: 60,
    bitrateBps: 500_000,
    codec: 'h264',
    encoder: 'x264',
    clock: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
    sendGate: () => open,
    onEvent: (event) => {
      if (event.kind === 'access-unit')
        units.push({ keyframe: event.unit.keyframe, at: open ? 'open' : 'shut' });
    },
  });
  const until = async (what: string, done: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!done()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify(units)}`);
      await sleep(10);
    }
  };
  pipeline.start();
  try {
    await until('frames captured behind the shut gate', () => pipeline.stats().gated >= 10);
    assert.equal(units.length, 0);
    assert.equal(pipeline.stats().encoded, 0);

    open = true;
    await until('30 pictures', () => units.length >= 30);
    assert.equal(units[0]?.keyframe, true, 'the first picture is a keyframe');
    // Long past the stream's first keyframe: shut again, then open.
    open = false;
    const gatedBefore = pipeline.stats().gated;
    await until('frames captured behind the gate again', () => pipeline.stats().gated >= gatedBefore + 10);
    const shutAt = units.length;
    open = true;
    await until('pictures after the gate opened again', () => units.length >= shutAt + 5);
    // At most one picture already in the encoder comes out while shut; the next is a keyframe.
    const afterShut = units.slice(shutAt);
    assert.ok(afterShut.filter((u) => u.at === 'shut').length <= 1, JSON.stringify(afterShut));
    const reopened = afterShut.filter((u) => u.at === 'open');
    assert.equal(reopened[0]?.keyframe, true, JSON.stringify(afterShut));
    assert.ok(pipeline.stats().keyframesForced >= 2, JSON.stringify(pipeline.stats()));
  } finally {
    pipeline.stop();
  }
});
