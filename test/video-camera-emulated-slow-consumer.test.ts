/**
 * JS that cannot keep up (each frame handler blocks for 50 ms against a 60 fps camera): the
 * capture thread never waits on it. Frames that JS has not taken yet are replaced by newer ones
 * and counted as dropped, so what JS gets stays fresh instead of queueing up seconds behind, and
 * the rest of that thread (timers here) still gets its turns between frames.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepareCameraEmulator, runWithEmulatedCamera } from './support/camera-emulator.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const emulator = video.features.includes('v4l2')
  ? prepareCameraEmulator()
  : { skip: 'this build has no v4l2 feature' };
const skip = 'skip' in emulator ? emulator.skip : false;

interface Result {
  ticks: number;
  ages: number[];
  numbers: number[];
  stats: { captured: number; dropped: number };
}

describe('a camera whose JS side is slow', { skip }, () => {
  it('drops the frames JS could not take, newest wins, and never falls behind', () => {
    if ('skip' in emulator) return;
    const result = runWithEmulatedCamera(
      emulator.preload,
      `
      const ages = [];
      const numbers = [];
      const camera = video.openCamera(
        { device, width: 640, height: 480, fps: 60, format: 'yuyv', convert: 'cpu' },
        (event) => {
          if (event.kind !== 'frame') return;
          ages.push(video.nowUs() - event.frame.captureUs);
          numbers.push(event.frame.frameNumber);
          event.frame.release();
          const until = Date.now() + 50;
          while (Date.now() < until) {}
        },
      );
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 10);
      camera.start();
      await sleep(1200);
      camera.stop();
      clearInterval(ticker);
      return { ticks, ages, numbers, stats: camera.stats() };
      `,
      { EMUCAM_AGE_US: '5000' },
    ) as Result;

    // ~1.2 s at 60 fps is ~70 frames; a 50 ms handler takes at most ~24 of them.
    assert.ok(result.numbers.length >= 10 && result.numbers.length <= 26, `JS got ${result.numbers.length}`);
    assert.ok(result.stats.dropped >= 30, `dropped ${result.stats.dropped}`);
    assert.ok(
      result.numbers.some((n, i) => i > 0 && n - (result.numbers[i - 1] ?? 0) > 1),
      'frames were skipped',
    );
    // Each frame JS sees is the newest, handed over as it is captured (the device stamps it 5 ms
    // old); a queue would have let the age grow by ~33 ms with every frame.
    const oldest = Math.max(...result.ages);
    assert.ok(oldest < 80000, `oldest frame handed to JS was ${oldest} us old`);
    // Node dispatches a thread-safe call that arrives during its callback at once, up to 1000 in
    // a row; scheduling a frame during a slow handler would have starved this 10 ms timer.
    assert.ok(result.ticks >= 10, `a 10 ms timer ran ${result.ticks} times in 1.2 s`);
  });
});
