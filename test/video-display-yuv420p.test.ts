/**
 * SdlDisplay shows planar yuv420p frames (what software decoders give) as well as NV12, and
 * switches between them mid-stream (a new texture each time the format changes).
 * The yuv420p frames are the window's own read-backs (snapshot() gives yuv420p), so the test
 * needs no decoder. Colours are compared as PNGs (pngjs), since the pixel code is luma only.
 * Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import type { VideoFrame, WindowEvent } from '../src/media/index.js';
import { scratch } from './support/tree.js';
import { loadVideo } from './support/video.js';

// SDL reads these when the display thread initialises it. Without the last two SDL would draw
// through Mesa's llvmpipe GL, ~20x slower than its software renderer on two cores.
process.env.SDL_VIDEODRIVER = 'offscreen';
process.env.SDL_RENDER_DRIVER = 'software';
process.env.SDL_FRAMEBUFFER_ACCELERATION = '0';

const video = loadVideo();
const skip = video.features.includes('sdl') ? false : 'this build has no sdl feature';

type Presented = Extract<WindowEvent, { kind: 'presented' }>;

const tmp = scratch('display-yuv420p');
after(tmp.remove);

function rgbOf(frame: VideoFrame, name: string): PNG {
  const file = join(tmp.dir, `${name}.png`);
  video.writeFramePng(frame, file);
  return PNG.sync.read(readFileSync(file));
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

async function until(what: string, done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('an SDL window given yuv420p frames', { skip }, () => {
  it('shows them, and NV12 again after them', async () => {
    const events: WindowEvent[] = [];
    const window = video.openWindow(
      { title: 'doorway test', width: 640, height: 360, fullscreen: false, vsync: false },
      (event) => events.push(event),
    );
    const presented = (): Presented[] => events.filter((e): e is Presented => e.kind === 'presented');
    const show = async (frame: VideoFrame, tag: number): Promise<void> => {
      window.present(frame, tag);
      await until(`frame ${tag} presented`, () => presented().some((e) => e.tag === tag));
    };
    const codeOnScreen = (): number | undefined => {
      const shot = window.snapshot();
      try {
        return video.readPixelCode(shot)?.frameNumber;
      } finally {
        shot.release();
      }
    };
    try {
      const source = video.patternSource(640, 360);
      const nv12 = source.capture(31, 31_000);
      assert.equal(nv12.format, 'nv12');
      await show(nv12, 1);
      nv12.release();

      const planar = window.snapshot();
      assert.equal(planar.format, 'yuv420p');
      assert.equal(planar.frameNumber, 31);
      assert.equal(planar.captureUs, 31_000);
      // A different picture on screen first, so the next read-back can only pass if the
      // yuv420p frame was really shown.
      const other = source.capture(32, 32_000);
      await show(other, 2);
      other.release();
      assert.equal(codeOnScreen(), 32);

      await show(planar, 3);
      const before = rgbOf(planar, 'presented');
      planar.release();
      const shown = window.snapshot();
      try {
        assert.equal(video.readPixelCode(shown)?.frameNumber, 31);
        // The same colours came back (chroma planes read as U and V, not as NV12's UV pairs).
        const difference = meanDifference(before, rgbOf(shown, 'shown'));
        assert.ok(difference < 2, `mean colour difference ${difference.toFixed(2)}`);
      } finally {
        shown.release();
      }
      const event = presented().find((e) => e.tag === 3);
      assert.ok(event !== undefined);
      assert.equal(event.frameNumber, 31);
      assert.equal(event.captureUs, 31_000);

      const again = source.capture(33, 33_000);
      await show(again, 4);
      again.release();
      assert.equal(codeOnScreen(), 33);
      assert.equal(window.stats().errors, 0);
      assert.ok(events.every((e) => e.kind === 'presented'));
    } finally {
      window.close();
    }
  });
});
