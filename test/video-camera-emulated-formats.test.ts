/**
 * Every input format a camera may give becomes an NV12 frame carrying the same picture: NV12 is
 * copied, YUYV converted, MJPEG decoded (the emulated camera encodes a JPEG per frame). v4l2Formats
 * lists what the device enumerates, and asking a real device for what it lacks names what it has.
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

interface Taken {
  mode: { device: string; format: string; width: number; height: number; fps: number; conversion: string };
  frames: { format: string; width: number; height: number; frameNumber: number; codeNumber: number | null }[];
}

interface Result {
  formats: unknown;
  taken: Taken[];
  refusal: string;
}

describe('camera input formats', { skip }, () => {
  it('NV12, YUYV and MJPEG all arrive as NV12 frames of the same picture', () => {
    if ('skip' in emulator) return;
    const result = runWithEmulatedCamera(
      emulator.preload,
      `
      async function take(options) {
        const frames = [];
        const camera = video.openCamera({ device, convert: 'cpu', ...options }, (event) => {
          if (event.kind !== 'frame') return;
          const code = video.readPixelCode(event.frame);
          frames.push({
            format: event.frame.format, width: event.frame.width, height: event.frame.height,
            frameNumber: event.frame.frameNumber, codeNumber: code === null ? null : code.frameNumber,
          });
          event.frame.release();
        });
        camera.start();
        await until('3 frames of ' + JSON.stringify(options), () => frames.length >= 3, 4000);
        camera.stop();
        return { mode: camera.mode(), frames };
      }
      const formats = video.v4l2Formats(device);
      const taken = [
        await take({ width: 320, height: 240, fps: 30, format: 'auto' }),
        await take({ width: 1280, height: 720, fps: 30, format: 'auto' }),
        await take({ width: 1280, height: 720, fps: 10, format: 'yuyv' }),
      ];
      let refusal = '';
      try {
        video.openCamera({ device, width: 640, height: 480, fps: 30, format: 'nv12', convert: 'cpu' }, () => {});
      } catch (err) {
        refusal = err.name + ': ' + err.message;
      }
      return { formats, taken, refusal };
      `,
    ) as Result;

    assert.deepEqual(result.formats, [
      { format: 'nv12', width: 320, height: 240, fps: [30] },
      { format: 'yuyv', width: 640, height: 480, fps: [60, 30] },
      { format: 'yuyv', width: 1280, height: 720, fps: [10] },
      { format: 'mjpeg', width: 640, height: 480, fps: [30] },
      { format: 'mjpeg', width: 1280, height: 720, fps: [30] },
    ]);
    const [nv12, mjpeg, yuyv] = result.taken;
    const device = EMULATED_CAMERA;
    assert.deepEqual(nv12?.mode, {
      device,
      format: 'nv12',
      width: 320,
      height: 240,
      fps: 30,
      conversion: 'copy',
    });
    // YUYV is offered at 1280x720 only at 10 fps, so 'auto' at 30 fps takes MJPEG.
    assert.deepEqual(mjpeg?.mode, {
      device,
      format: 'mjpeg',
      width: 1280,
      height: 720,
      fps: 30,
      conversion: 'mjpeg',
    });
    assert.deepEqual(yuyv?.mode, {
      device,
      format: 'yuyv',
      width: 1280,
      height: 720,
      fps: 10,
      conversion: 'cpu',
    });
    for (const taken of result.taken) {
      assert.ok(taken.frames.length >= 3);
      for (const frame of taken.frames) {
        assert.deepEqual(
          [frame.format, frame.width, frame.height],
          ['nv12', taken.mode.width, taken.mode.height],
        );
        assert.equal(
          frame.codeNumber,
          frame.frameNumber,
          `${taken.mode.format}: picture of frame ${frame.frameNumber}`,
        );
      }
    }
    assert.equal(
      result.refusal,
      `MediaError: camera ${EMULATED_CAMERA} does not offer NV12 at 640x480 (it offers: NV12 320x240, ` +
        'YUYV 640x480, YUYV 1280x720, MJPEG 640x480, MJPEG 1280x720)',
    );
  });
});
