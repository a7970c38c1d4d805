/**
 * The camera's format choice, driven without a camera through v4l2ChooseFormat (the same code
 * the capture runs on what VIDIOC_ENUM_FMT/FRAMESIZES/FRAMEINTERVALS report): 'auto' prefers NV12,
 * then YUYV, then MJPEG among the formats that have the size and the rate; a named format must
 * match exactly; what is missing is one line listing what the camera does offer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaError } from '../src/errors/index.js';
import type { CameraFormat, CameraMode } from '../src/media/index.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const skip = video.features.includes('v4l2') ? false : 'this build has no v4l2 feature';

const mode = (format: string, width: number, height: number, ...fps: number[]): CameraMode => ({
  format,
  width,
  height,
  fps,
});
const want = (format: CameraFormat, width: number, height: number, fps: number) => ({
  format,
  width,
  height,
  fps,
});

// A typical UVC webcam: raw YUYV is slow at large sizes, MJPEG is not.
const WEBCAM = [
  mode('yuyv', 640, 480, 30, 15),
  mode('yuyv', 1280, 720, 10, 5),
  mode('mjpeg', 640, 480, 30, 15),
  mode('mjpeg', 1280, 720, 30, 15),
  mode('mjpeg', 1920, 1080, 30),
  mode('h264', 1920, 1080, 30),
];

function refusal(offered: readonly CameraMode[], w: ReturnType<typeof want>): string {
  try {
    video.chooseCameraMode(offered, w);
  } catch (err) {
    assert.ok(err instanceof MediaError, String(err));
    return err.message;
  }
  return assert.fail(`chose a mode for ${JSON.stringify(w)}`);
}

describe('choosing the camera format', { skip }, () => {
  it("'auto' prefers NV12, then YUYV, then MJPEG at the wanted size and rate", () => {
    const all = [mode('mjpeg', 1280, 720, 30), mode('yuyv', 1280, 720, 30), mode('nv12', 1280, 720, 30)];
    assert.deepEqual(video.chooseCameraMode(all, want('auto', 1280, 720, 30)), {
      format: 'nv12',
      width: 1280,
      height: 720,
      fps: 30,
    });
    assert.equal(video.chooseCameraMode(all.slice(0, 2), want('auto', 1280, 720, 30)).format, 'yuyv');
    assert.equal(video.chooseCameraMode(all.slice(0, 1), want('auto', 1280, 720, 30)).format, 'mjpeg');
    // NV12 at another size does not count.
    assert.equal(
      video.chooseCameraMode([mode('nv12', 640, 480, 30), ...all.slice(0, 2)], want('auto', 1280, 720, 30))
        .format,
      'yuyv',
    );
  });

  it("'auto' passes over a format that lacks the rate (YUYV 720p at 10 fps) for one that has it", () => {
    assert.deepEqual(video.chooseCameraMode(WEBCAM, want('auto', 1280, 720, 30)), {
      format: 'mjpeg',
      width: 1280,
      height: 720,
      fps: 30,
    });
    assert.equal(video.chooseCameraMode(WEBCAM, want('auto', 1280, 720, 10)).format, 'yuyv');
    assert.equal(video.chooseCameraMode(WEBCAM, want('auto', 640, 480, 15)).format, 'yuyv');
  });

  it('a named format is taken exactly, even when a preferred one is offered', () => {
    const offered = [mode('nv12', 640, 480, 30), mode('yuyv', 640, 480, 30), mode('mjpeg', 640, 480, 30)];
    assert.equal(video.chooseCameraMode(offered, want('yuyv', 640, 480, 30)).format, 'yuyv');
    assert.equal(video.chooseCameraMode(offered, want('mjpeg', 640, 480, 30)).format, 'mjpeg');
  });

  it('a rate within 1% serves (29.97 for 30); 0 takes the highest; an unlisted rate list takes any', () => {
    assert.equal(
      video.chooseCameraMode([mode('yuyv', 1280, 720, 30000 / 1001, 15)], want('yuyv', 1280, 720, 30)).fps,
      30000 / 1001,
    );
    assert.equal(video.chooseCameraMode(WEBCAM, want('mjpeg', 640, 480, 0)).fps, 30);
    assert.equal(video.chooseCameraMode([mode('nv12', 1280, 720)], want('auto', 1280, 720, 50)).fps, 50);
    assert.match(
      refusal([mode('yuyv', 1280, 720, 25)], want('yuyv', 1280, 720, 30)),
      /at 30 fps \(it offers 25 fps\)$/,
    );
  });

  it('a format the camera lacks at that size: one line listing what it offers', () => {
    assert.equal(
      refusal(WEBCAM, want('nv12', 1280, 720, 30)),
      'camera does not offer NV12 at 1280x720 (it offers: YUYV 640x480, YUYV 1280x720, MJPEG 640x480, ' +
        'MJPEG 1280x720, MJPEG 1920x1080, H264 1920x1080)',
    );
    assert.equal(
      refusal(WEBCAM, want('auto', 800, 600, 30)),
      'camera does not offer NV12, YUYV or MJPEG at 800x600 (it offers: YUYV 640x480, YUYV 1280x720, ' +
        'MJPEG 640x480, MJPEG 1280x720, MJPEG 1920x1080, H264 1920x1080)',
    );
    assert.equal(refusal([], want('auto', 640, 480, 30)), 'camera offers no capture formats');
  });

  it('a rate the camera lacks: one line with the rates it has at that size', () => {
    assert.equal(
      refusal(WEBCAM, want('yuyv', 1280, 720, 60)),
      'camera does not offer YUYV 1280x720 at 60 fps (it offers 10, 5 fps)',
    );
    assert.equal(
      refusal(WEBCAM, want('auto', 1280, 720, 60)),
      'camera does not offer 1280x720 at 60 fps (it offers YUYV at 10, 5 fps; MJPEG at 30, 15 fps)',
    );
  });

  it('keeps a long list to one readable line', () => {
    const many = Array.from({ length: 30 }, (_, i) => mode('yuyv', 160 + 16 * i, 120, 30));
    const message = refusal(many, want('nv12', 640, 480, 30));
    assert.match(message, /, and 14 more\)$/);
    assert.doesNotMatch(message, /\n/);
  });
});
