/**
 * A camera unplugged mid-stream with `patternWhileCameraLost` (site config `whenLost: "pattern"`,
 * `doorway send --when-camera-lost pattern`): the send pipeline keeps producing pictures from the
 * synthetic camera while the camera is gone, and goes back to the camera, starting with a
 * keyframe, once it returns. Runs against the emulated V4L2 camera in a child process.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { prepareCameraEmulator, runWithEmulatedCamera } from './support/camera-emulator.js';
import { REPO } from './support/tree.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const emulator =
  video.features.includes('v4l2') && video.features.includes('x264')
    ? prepareCameraEmulator()
    : { skip: 'this build lacks v4l2 or x264' };
const skip = 'skip' in emulator ? emulator.skip : false;
const pipelineModule = pathToFileURL(join(REPO, 'dist', 'src', 'video', 'index.js')).href;

interface Result {
  events: { kind: string; atMs: number; keyframe?: boolean }[];
  stats: { captured: number; encoded: number; cameraLost: number };
}

describe('pattern while the camera is lost', { skip }, () => {
  it('sends the pattern during the outage and the camera again after it', () => {
    if ('skip' in emulator) return;
    const result = runWithEmulatedCamera(
      emulator.preload,
      `
      const { VideoSendPipeline } = await import(${JSON.stringify(pipelineModule)});
      const events = [];
      const start = Date.now();
      const pipeline = new VideoSendPipeline({
        addon: video,
        source: { kind: 'v4l2', device },
        size: { width: 640, height: 480 },
        fps: 30,
        bitrateBps: 1000000,
        codec: 'h264',
        encoder: 'x264',
        cameraFormat: 'yuyv',
        patternWhileCameraLost: true,
        clock: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
        onEvent: (event) => {
          const item = { kind: event.kind, atMs: Date.now() - start };
          if (event.kind === 'access-unit') item.keyframe = event.unit.keyframe;
          events.push(item);
        },
      });
      pipeline.start();
      const back = () => events.findIndex((e) => e.kind === 'camera-back');
      await until('camera back and 10 pictures after', () => {
        const at = back();
        return at >= 0 && events.slice(at).filter((e) => e.kind === 'access-unit').length >= 10;
      }, 6000);
      pipeline.stop();
      return { events, stats: pipeline.stats() };
      `,
      { EMUCAM_LOSE_AFTER: '10', EMUCAM_BACK_MS: '800' },
      12000,
    ) as Result;

    const lostAt = result.events.findIndex((e) => e.kind === 'camera-lost');
    const backAt = result.events.findIndex((e) => e.kind === 'camera-back');
    assert.ok(lostAt > 0 && backAt > lostAt, JSON.stringify(result.events.map((e) => e.kind)));
    const during = result.events.slice(lostAt, backAt).filter((e) => e.kind === 'access-unit');
    const outageMs = (result.events[backAt]?.atMs ?? 0) - (result.events[lostAt]?.atMs ?? 0);
    // The pattern runs at 30 fps through the outage (allow for encoder start and scheduling).
    assert.ok(during.length >= (outageMs / 1000) * 30 * 0.6, `${during.length} pictures in ${outageMs} ms`);
    // A pattern picture already in the encoder may come out first; the camera's first is an IDR.
    const after = result.events.slice(backAt).filter((e) => e.kind === 'access-unit');
    assert.ok(
      after.slice(0, 2).some((e) => e.keyframe === true),
      `the camera comes back with a keyframe: ${JSON.stringify(after.slice(0, 3))}`,
    );
    assert.equal(result.stats.cameraLost, 1);
  });
});
