/**
 * A camera path with nothing behind it: opening it and listing its formats both refuse with one
 * line naming the path, before any thread or buffer exists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaError } from '../src/errors/index.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const skip = video.features.includes('v4l2') ? false : 'this build has no v4l2 feature';
const MISSING = '/dev/doorway-test-no-camera';

describe('a camera device that does not exist', { skip }, () => {
  it('cannot be opened: "camera PATH: no such device"', () => {
    let events = 0;
    assert.throws(
      () =>
        video.openCamera(
          { device: MISSING, width: 1280, height: 720, fps: 30, format: 'auto', convert: 'cpu' },
          () => events++,
        ),
      (err: unknown) => {
        assert.ok(err instanceof MediaError, String(err));
        assert.equal(err.message, `camera ${MISSING}: no such device`);
        return true;
      },
    );
    assert.equal(events, 0);
  });

  it('has no formats to list: the same one line', () => {
    assert.throws(
      () => video.v4l2Formats(MISSING),
      (err: unknown) => err instanceof MediaError && err.message === `camera ${MISSING}: no such device`,
    );
  });

  it('refuses options that are not a camera before touching any device', () => {
    const options = { device: MISSING, width: 1280, height: 720, fps: 30, convert: 'cpu' } as const;
    assert.throws(
      () => video.openCamera({ ...options, format: 'rgb' as 'auto' }, () => undefined),
      (err: unknown) =>
        err instanceof TypeError && err.message === "camera.format must be 'auto', 'nv12', 'yuyv' or 'mjpeg'",
    );
    assert.throws(
      () => video.openCamera({ ...options, format: 'auto', width: 0 }, () => undefined),
      (err: unknown) => err instanceof TypeError && err.message === 'camera.width must be a positive integer',
    );
    assert.throws(
      () => video.openCamera({ ...options, format: 'auto', convert: 'gpu' as 'cpu' }, () => undefined),
      (err: unknown) => err instanceof TypeError && err.message === "camera convert must be 'cpu' or 'cuda'",
    );
  });
});
