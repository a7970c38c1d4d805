/**
 * SdlDisplay holds its own reference to a presented frame: the caller's handle can be released
 * at once, and the pool may hand the other buffers out again, yet the window shows the picture.
 * Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WindowEvent } from '../src/media/index.js';
import { loadVideo } from './support/video.js';

// SDL reads these when the display thread initialises it. Without the last two SDL would draw
// through Mesa's llvmpipe GL, ~20x slower than its software renderer on two cores.
process.env.SDL_VIDEODRIVER = 'offscreen';
process.env.SDL_RENDER_DRIVER = 'software';
process.env.SDL_FRAMEBUFFER_ACCELERATION = '0';

const video = loadVideo();
const skip = video.features.includes('sdl') ? false : 'this build has no sdl feature';

type Presented = Extract<WindowEvent, { kind: 'presented' }>;

async function until(what: string, done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('an SDL window given a frame whose handle is released right after present()', { skip }, () => {
  it('still shows that frame', async () => {
    const events: WindowEvent[] = [];
    const window = video.openWindow(
      { title: 'doorway test', width: 1280, height: 720, fullscreen: false, vsync: false },
      (event) => events.push(event),
    );
    try {
      const source = video.patternSource(1280, 720);
      const frame = source.capture(4242, 123_456_789);
      assert.equal(window.present(frame, 1), true);
      frame.release();
      assert.equal(frame.released, true);
      // Frames taken now come from the same pool; had the display no reference of its own, the
      // released buffer would be stamped over before (or while) it is uploaded.
      const others = Array.from({ length: 4 }, (_, i) => source.capture(i, i));
      await until('the frame presented', () => events.some((e) => e.kind === 'presented'));
      for (const other of others) other.release();

      assert.deepEqual(events, [
        {
          kind: 'presented',
          tag: 1,
          frameNumber: 4242,
          captureUs: 123_456_789,
          presentedUs: (events[0] as Presented).presentedUs,
          renderUs: (events[0] as Presented).renderUs,
        },
      ]);
      const shot = window.snapshot();
      try {
        assert.deepEqual(video.readPixelCode(shot), { frameNumber: 4242, captureUs: 123_456_789 });
      } finally {
        shot.release();
      }
    } finally {
      window.close();
    }
  });
});
