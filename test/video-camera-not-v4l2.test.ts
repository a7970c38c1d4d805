/**
 * Paths that exist but are not cameras: a character device that answers no V4L2 ioctl
 * (/dev/null), a regular file and a directory. Each refusal is one line naming the path and why.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MediaError } from '../src/errors/index.js';
import { loadVideo } from './support/video.js';
import { scratch } from './support/tree.js';

const video = loadVideo();
const skip = video.features.includes('v4l2') ? false : 'this build has no v4l2 feature';

function openError(device: string): string {
  try {
    video.openCamera(
      { device, width: 640, height: 480, fps: 30, format: 'auto', convert: 'cpu' },
      () => undefined,
    );
  } catch (err) {
    assert.ok(err instanceof MediaError, String(err));
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  return assert.fail(`${device} opened as a camera`);
}

describe('paths that are not V4L2 cameras', { skip }, () => {
  const dir = scratch('camera-not-v4l2');
  after(() => {
    dir.remove();
  });

  it('/dev/null: "not a V4L2 device" with the ioctl that said so', () => {
    assert.equal(
      openError('/dev/null'),
      'camera /dev/null: not a V4L2 device (VIDIOC_QUERYCAP: Inappropriate ioctl for device)',
    );
    assert.throws(
      () => video.v4l2Formats('/dev/null'),
      (err: unknown) =>
        err instanceof MediaError && err.message.startsWith('camera /dev/null: not a V4L2 device ('),
    );
  });

  it('a regular file: not a character device', () => {
    const file = join(dir.dir, 'video0');
    writeFileSync(file, 'not a camera');
    assert.equal(openError(file), `camera ${file}: not a V4L2 device (not a character device)`);
  });

  it('a directory', () => {
    assert.equal(openError(dir.dir), `camera ${dir.dir}: not a V4L2 device (it is a directory)`);
  });
});
