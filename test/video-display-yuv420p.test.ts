/**
 * SdlDisplay shows planar yuv420p frames (what software decoders give) as well as NV12, and
 * switches between them mid-stream (a new texture each time the format changes).
 * The yuv420p frames are the window's own read-backs (snapshot() gives yuv420p), so the test
 * needs no decoder. Colours are compared as PNGs (pngjs), since the pixel code is luma only.
 * Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PNG } from 'pngjs';
import type { VideoFrame } from '../src/media/index.js';
import {
  codeOnScreen,
  framePng,
  openTestWindow,
  skipWithoutSdl,
  video,
  withSnapshot,
} from './support/display.js';
import { scratch } from './support/tree.js';

const tmp = scratch('display-yuv420p');
after(tmp.remove);

function rgbOf(frame: VideoFrame, name: string): PNG {
  return framePng(frame, join(tmp.dir, `${name}.png`));
}

/** Mean absolute difference of the R, G and B samples of two same-size PNGs. */
function meanDifference(a: PNG, b: PNG): number {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      sum += Math.abs((a.data[i + c] ?? 0) - (b.data[i + c] ?? 0));
      count++;
    }
  }
  return sum / count;
}

describe('an SDL window given yuv420p frames', { skip: skipWithoutSdl }, () => {
  it('shows them, and NV12 again after them', async () => {
    const { window, events, presented, show } = openTestWindow(640, 360);
    try {
      const source = video.patternSource(640, 360);
      /** Shows camera-like (NV12) frame `n` and checks that the window shows it. */
      const showNv12 = async (n: number, tag: number): Promise<void> => {
        const frame = source.capture(n, n * 1000);
        assert.equal(frame.format, 'nv12');
        await show(frame, tag);
        frame.release();
        assert.equal(codeOnScreen(window)?.frameNumber, n);
      };
      await showNv12(31, 1);

      const planar = window.snapshot();
      assert.equal(planar.format, 'yuv420p');
      assert.equal(planar.frameNumber, 31);
      assert.equal(planar.captureUs, 31_000);
      // A different picture on screen first, so the next read-back can only pass if the
      // yuv420p frame was really shown.
      await showNv12(32, 2);

      await show(planar, 3);
      const before = rgbOf(planar, 'presented');
      planar.release();
      withSnapshot(window, (shown) => {
        assert.equal(video.readPixelCode(shown)?.frameNumber, 31);
        // The same colours came back (chroma planes read as U and V, not as NV12's UV pairs).
        const difference = meanDifference(before, rgbOf(shown, 'shown'));
        assert.ok(difference < 2, `mean colour difference ${difference.toFixed(2)}`);
      });
      const event = presented().find((e) => e.tag === 3);
      assert.ok(event !== undefined);
      assert.equal(event.frameNumber, 31);
      assert.equal(event.captureUs, 31_000);

      await showNv12(33, 4);
      assert.equal(window.stats().errors, 0);
      assert.ok(events.every((e) => e.kind === 'presented'));
    } finally {
      window.close();
    }
  });
});
