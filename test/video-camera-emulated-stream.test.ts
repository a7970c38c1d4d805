/**
 * A camera streaming YUYV (the emulated V4L2 camera, test/fixtures/v4l2-camera-emulator.c): 'auto' picks YUYV
 * at 640x480/60 (no NV12 at that size), frames arrive as NV12 VideoFrames in order, each frame's
 * number is the V4L2 sequence and its picture is that very buffer (its pixel code says so), and
 * captureUs is the kernel's buffer timestamp moved onto the realtime clock: 20 ms before delivery,
 * as the device stamped it. After stop() nothing more arrives and the process can exit.
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

interface Delivered {
  width: number;
  height: number;
  format: string;
  frameNumber: number;
  captureUs: number;
  receivedUs: number;
  code: { frameNumber: number; captureUs: number } | null;
}

interface Result {
  mode: { device: string; format: string; width: number; height: number; fps: number; conversion: string };
  frames: Delivered[];
  others: unknown[];
  stats: { captured: number; dropped: number; lost: number; reacquired: number };
  afterStop: number;
}

describe('a YUYV camera streaming', { skip }, () => {
  it('delivers its buffers as NV12 frames with their sequence and capture time', () => {
    if ('skip' in emulator) return;
    const result = runWithEmulatedCamera(
      emulator.preload,
      `
      const frames = [];
      const others = [];
      const camera = video.openCamera(
        { device, width: 640, height: 480, fps: 60, format: 'auto', convert: 'cpu' },
        (event) => {
          if (event.kind !== 'frame') return others.push(event);
          const { frame } = event;
          frames.push({
            width: frame.width, height: frame.height, format: frame.format,
            frameNumber: frame.frameNumber, captureUs: frame.captureUs,
            receivedUs: video.nowUs(), code: video.readPixelCode(frame),
          });
          frame.release();
        },
      );
      const mode = camera.mode();
      camera.start();
      await until('20 frames', () => frames.length >= 20);
      camera.stop();
      const stopped = frames.length + others.length;
      await sleep(100);
      return { mode, frames, others, stats: camera.stats(), afterStop: frames.length + others.length - stopped };
      `,
      { EMUCAM_AGE_US: '20000' },
    ) as Result;

    assert.deepEqual(result.mode, {
      device: EMULATED_CAMERA,
      format: 'yuyv',
      width: 640,
      height: 480,
      fps: 60,
      conversion: 'cpu',
    });
    assert.deepEqual(result.others, []);
    assert.ok(result.frames.length >= 20);
    let previous = -1;
    for (const frame of result.frames) {
      assert.deepEqual([frame.format, frame.width, frame.height], ['nv12', 640, 480]);
      assert.ok(frame.frameNumber > previous, `frame ${frame.frameNumber} after ${previous}`);
      previous = frame.frameNumber;
      assert.ok(
        frame.code !== null,
        `frame ${frame.frameNumber} carries its pixel code through YUYV -> NV12`,
      );
      assert.equal(frame.code.frameNumber, frame.frameNumber, 'the picture is the buffer of that sequence');
      // The device stamped realtime-minus-20ms into the picture and monotonic-minus-20ms into the
      // buffer; the mapping between the clocks must agree to within scheduling noise.
      assert.ok(
        Math.abs(frame.captureUs - frame.code.captureUs) < 10000,
        `captureUs ${frame.captureUs} vs stamped ${frame.code.captureUs}`,
      );
      const age = frame.receivedUs - frame.captureUs;
      assert.ok(age >= 20000 && age < 120000, `frame delivered ${age} us after capture`);
    }
    assert.ok(result.stats.captured >= result.frames.length);
    assert.deepEqual([result.stats.lost, result.stats.reacquired], [0, 0]);
    assert.equal(result.afterStop, 0, 'no events after stop() returned');
  });
});
