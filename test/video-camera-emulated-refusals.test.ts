/**
 * Devices that are V4L2 but cannot be a doorway camera, each refused in one line naming the device
 * (and its card): no streaming I/O, multi-planar capture only, not a capture device at all, a node
 * this user may not open, and a camera another program is using. Frames the driver marks as errored are skipped and counted.
 */
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { describe, it } from 'node:test';
import { prepareCameraEmulator, EMULATED_CAMERA, runWithEmulatedCamera } from './support/camera-emulator.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const emulator = video.features.includes('v4l2')
  ? prepareCameraEmulator()
  : { skip: 'this build has no v4l2 feature' };
const skip = 'skip' in emulator ? emulator.skip : false;

const OPEN = `
try {
  video.openCamera({ device, width: 640, height: 480, fps: 30, format: 'yuyv', convert: 'cpu' }, () => {});
  return 'opened';
} catch (err) {
  return err.name + ': ' + err.message;
}
`;

describe('V4L2 devices that cannot be used', { skip }, () => {
  it('are refused in one line each', () => {
    if ('skip' in emulator) return;
    const card = `camera ${EMULATED_CAMERA} (doorway emulated camera)`;
    assert.equal(
      runWithEmulatedCamera(emulator.preload, OPEN, { EMUCAM_CAPS: 'nostreaming' }),
      `MediaError: ${card}: does not support streaming I/O`,
    );
    assert.equal(
      runWithEmulatedCamera(emulator.preload, OPEN, { EMUCAM_CAPS: 'mplane' }),
      `MediaError: ${card}: multi-planar capture only, which doorway does not support`,
    );
    assert.equal(
      runWithEmulatedCamera(emulator.preload, OPEN, { EMUCAM_CAPS: 'output' }),
      `MediaError: ${card}: not a video capture device`,
    );
    assert.equal(
      runWithEmulatedCamera(emulator.preload, OPEN, { EMUCAM_OPEN_ERRNO: String(constants.errno.EACCES) }),
      `MediaError: camera ${EMULATED_CAMERA}: permission denied (is this user in the 'video' group?)`,
    );
    assert.equal(
      runWithEmulatedCamera(emulator.preload, OPEN, { EMUCAM_BUSY: '1' }),
      `MediaError: camera ${EMULATED_CAMERA}: busy (another program is using it)`,
    );
  });

  it('skips and counts frames the driver marks as errored', () => {
    if ('skip' in emulator) return;
    const result = runWithEmulatedCamera(
      emulator.preload,
      `
      const numbers = [];
      const camera = video.openCamera(
        { device, width: 640, height: 480, fps: 60, format: 'yuyv', convert: 'cpu' },
        (event) => {
          if (event.kind !== 'frame') return;
          numbers.push(event.frame.frameNumber);
          event.frame.release();
        },
      );
      camera.start();
      await until('12 frames', () => numbers.length >= 12);
      camera.stop();
      return { numbers, stats: camera.stats() };
      `,
      { EMUCAM_ERROR_EVERY: '3' },
    ) as { numbers: number[]; stats: { corrupt: number } };
    assert.deepEqual(
      result.numbers.filter((n) => n % 3 === 2),
      [],
    );
    assert.ok(result.stats.corrupt >= 5, `corrupt ${result.stats.corrupt}`);
  });
});
