/**
 * Devices that are V4L2 but cannot be a doorway camera, each refused in one line naming the device
 * (and its card): no streaming I/O, multi-planar capture only, not a capture device at all, a node
 * this user may not open, and a camera another program is using. Frames the driver marks as errored are skipped and counted.
 */
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { describe, it } from 'node:test';
import { buildFakeCamera, FAKE_DEVICE, runWithFakeCamera } from './support/fake-camera.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const fake = video.features.includes('v4l2') ? buildFakeCamera() : { skip: 'this build has no v4l2 feature' };
const skip = 'skip' in fake ? fake.skip : false;

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
    if ('skip' in fake) return;
    const card = `camera ${FAKE_DEVICE} (doorway fake camera)`;
    assert.equal(
      runWithFakeCamera(fake.library, OPEN, { FAKECAM_CAPS: 'nostreaming' }),
      `MediaError: ${card}: does not support streaming I/O`,
    );
    assert.equal(
      runWithFakeCamera(fake.library, OPEN, { FAKECAM_CAPS: 'mplane' }),
      `MediaError: ${card}: multi-planar capture only, which doorway does not support`,
    );
    assert.equal(
      runWithFakeCamera(fake.library, OPEN, { FAKECAM_CAPS: 'output' }),
      `MediaError: ${card}: not a video capture device`,
    );
    assert.equal(
      runWithFakeCamera(fake.library, OPEN, { FAKECAM_OPEN_ERRNO: String(constants.errno.EACCES) }),
      `MediaError: camera ${FAKE_DEVICE}: permission denied (is this user in the 'video' group?)`,
    );
    assert.equal(
      runWithFakeCamera(fake.library, OPEN, { FAKECAM_BUSY: '1' }),
      `MediaError: camera ${FAKE_DEVICE}: busy (another program is using it)`,
    );
  });

  it('skips and counts frames the driver marks as errored', () => {
    if ('skip' in fake) return;
    const result = runWithFakeCamera(
      fake.library,
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
      { FAKECAM_ERROR_EVERY: '3' },
    ) as { numbers: number[]; stats: { corrupt: number } };
    assert.deepEqual(
      result.numbers.filter((n) => n % 3 === 2),
      [],
    );
    assert.ok(result.stats.corrupt >= 5, `corrupt ${result.stats.corrupt}`);
  });
});
