/**
 * Camera conversion on the GPU is part of the cuda feature: a build without it refuses
 * convert: 'cuda' with FeatureUnavailableError (naming the profiles that have it), before any
 * device is opened, and the same camera with convert: 'cpu' goes on to the device.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeatureUnavailableError, MediaError } from '../src/errors/index.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const skip = !video.features.includes('v4l2')
  ? 'this build has no v4l2 feature'
  : video.features.includes('cuda')
    ? 'this build has the cuda feature, so convert: cuda is allowed here'
    : false;
const DEVICE = '/dev/doorway-test-no-camera';

describe("convert: 'cuda' in a build without cuda", { skip }, () => {
  it('is refused as an unavailable feature, not as a missing device', () => {
    assert.throws(
      () =>
        video.openCamera(
          { device: DEVICE, width: 1280, height: 720, fps: 30, format: 'yuyv', convert: 'cuda' },
          () => undefined,
        ),
      (err: unknown) => {
        assert.ok(err instanceof FeatureUnavailableError, String(err));
        assert.equal(err.feature, 'cuda');
        assert.ok(err.profilesWithFeature.includes('doorway-nvidia'), err.message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      },
    );
  });

  it("while convert: 'cpu' gets as far as the device", () => {
    assert.throws(
      () =>
        video.openCamera(
          { device: DEVICE, width: 1280, height: 720, fps: 30, format: 'yuyv', convert: 'cpu' },
          () => undefined,
        ),
      (err: unknown) => err instanceof MediaError && err.message === `camera ${DEVICE}: no such device`,
    );
  });

  it('and the GPU comparison is not there either', () => {
    assert.throws(() => video.compareCudaConversion(64, 32), FeatureUnavailableError);
  });
});
