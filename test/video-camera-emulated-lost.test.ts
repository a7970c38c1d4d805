/**
 * A camera unplugged while streaming (the emulated camera answers ENODEV after 10 frames and is back
 * 700 ms later): one 'lost' event naming the device and the failing call, a reopen every 500 ms
 * with the same settings, one 'reacquired' once it is back, and frames again after it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareCameraEmulator, EMULATED_CAMERA, runWithEmulatedCamera } from './support/camera-emulator.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const emulator = video.features.includes('v4l2')
  ? prepareCameraEmulator()
  : { skip: 'this build has no v4l2 feature' };
const skip = 'skip' in emulator ? emulator.skip : false;

interface Seen {
  kind: string;
  atMs: number;
  reason?: string;
  frameNumber?: number;
}

interface Result {
  seen: Seen[];
  stats: { captured: number; dropped: number; lost: number; reacquired: number };
}

describe('a camera that goes away and comes back', { skip }, () => {
  it('reports lost, reopens it with the same settings, reports reacquired, streams again', () => {
    if ('skip' in emulator) return;
    const result = runWithEmulatedCamera(
      emulator.preload,
      `
      const seen = [];
      const start = Date.now();
      const camera = video.openCamera(
        { device, width: 640, height: 480, fps: 60, format: 'yuyv', convert: 'cpu' },
        (event) => {
          const item = { kind: event.kind, atMs: Date.now() - start };
          if (event.kind === 'lost') item.reason = event.reason;
          if (event.kind === 'frame') {
            item.frameNumber = event.frame.frameNumber;
            event.frame.release();
          }
          seen.push(item);
        },
      );
      camera.start();
      const reacquired = () => seen.findIndex((e) => e.kind === 'reacquired');
      await until('reacquired and 5 frames after', () => {
        const at = reacquired();
        return at >= 0 && seen.slice(at).filter((e) => e.kind === 'frame').length >= 5;
      }, 5000);
      camera.stop();
      return { seen, stats: camera.stats() };
      `,
      { EMUCAM_LOSE_AFTER: '10', EMUCAM_BACK_MS: '700' },
      10000,
    ) as Result;

    const kinds = result.seen.map((e) => e.kind).filter((kind, i, all) => kind !== all[i - 1]);
    assert.deepEqual(kinds, ['frame', 'lost', 'reacquired', 'frame']);
    const lost = result.seen.find((e) => e.kind === 'lost');
    const back = result.seen.find((e) => e.kind === 'reacquired');
    assert.ok(lost !== undefined && back !== undefined);
    assert.equal(lost.reason, `camera ${EMULATED_CAMERA}: VIDIOC_DQBUF: No such device`);
    const gap = back.atMs - lost.atMs;
    // Back after 700 ms, and tried every 500 ms: the second or third try gets it.
    assert.ok(gap >= 650 && gap < 1700, `reacquired ${gap} ms after lost`);
    assert.equal(result.seen.filter((e) => e.kind === 'frame').length >= 15, true);
    const after = result.seen.slice(result.seen.indexOf(back)).filter((e) => e.kind === 'frame');
    assert.equal(after[0]?.frameNumber, 0, 'the reopened device counts from 0 again');
    assert.deepEqual([result.stats.lost, result.stats.reacquired], [1, 1]);
  });
});
