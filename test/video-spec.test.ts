/** `--source` and `--size` parse to what the video pipeline opens, or to one line naming the flag. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSize, parseSourceSpec, VideoSpecError } from '../src/video/index.js';

describe('video source and size flags', () => {
  it('parses each kind of source', () => {
    assert.deepEqual(parseSourceSpec('pattern'), { kind: 'pattern' });
    assert.deepEqual(parseSourceSpec('frames'), { kind: 'frames' });
    assert.deepEqual(parseSourceSpec('v4l2:/dev/video2'), { kind: 'v4l2', device: '/dev/video2' });
    assert.deepEqual(parseSourceSpec('file:clip.h264'), { kind: 'file', path: 'clip.h264' });
  });

  it('refuses unknown or empty sources in one line that lists the choices', () => {
    for (const bad of ['camera', 'v4l2:', 'file:', '']) {
      assert.throws(
        () => parseSourceSpec(bad),
        (err: unknown) =>
          err instanceof VideoSpecError &&
          err.message === `--source '${bad}' is not one of pattern, v4l2:/dev/videoN, file:PATH.h264, frames`,
      );
    }
  });

  it('parses sizes and refuses odd, tiny, huge or malformed ones', () => {
    assert.deepEqual(parseSize('1280x720'), { width: 1280, height: 720 });
    assert.deepEqual(parseSize('2880x1620'), { width: 2880, height: 1620 });
    for (const bad of ['1281x720', '64x64', '8000x4320', '1280*720', 'x720', '1280x']) {
      assert.throws(
        () => parseSize(bad),
        (err: unknown) => err instanceof VideoSpecError && err.message.startsWith(`--size '${bad}' must be`),
      );
    }
  });
});
