/**
 * SdlDisplay under a burst: frames presented faster than the window can show them do not queue.
 * The newest frame always wins; each one it replaces is counted (and present() says so), so
 * presented + replaced = frames given, and the last one is what the window shows.
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

describe('an SDL window given a burst of frames', { skip }, () => {
  it('shows the newest, counts the replaced ones, and never shows an older frame after a newer', async () => {
    const events: WindowEvent[] = [];
    const window = video.openWindow(
      { title: 'doorway test', width: 640, height: 360, fullscreen: false, vsync: false },
      (event) => events.push(event),
    );
    try {
      const source = video.patternSource(640, 360);
      const count = 40;
      // Captured first, so the burst is nothing but present() calls.
      const frames = Array.from({ length: count }, (_, i) => source.capture(i, 1_000_000 + i));
      let refused = 0;
      for (const [i, frame] of frames.entries()) {
        if (!window.present(frame, i)) refused++;
        frame.release();
      }
      const presented = (): Presented[] => events.filter((e): e is Presented => e.kind === 'presented');
      await until('the last frame presented', () => presented().some((e) => e.tag === count - 1));
      await sleep(30);

      const shown = presented();
      const stats = window.stats();
      assert.equal(shown.at(-1)?.tag, count - 1, 'the newest frame is shown last');
      assert.equal(stats.presented, shown.length);
      assert.equal(stats.replaced, refused, 'present() returned false once per replaced frame');
      assert.equal(stats.presented + stats.replaced, count);
      assert.ok(stats.replaced >= count / 2, `only ${stats.replaced} of ${count} replaced: frames queued`);
      const tags = shown.map((e) => e.tag);
      assert.deepEqual(
        tags,
        [...tags].sort((a, b) => a - b),
        'tags in order',
      );
      assert.equal(new Set(tags).size, tags.length, 'no frame shown twice');
      for (const event of shown) assert.equal(event.frameNumber, event.tag);

      const shot = window.snapshot();
      try {
        assert.equal(video.readPixelCode(shot)?.frameNumber, count - 1);
      } finally {
        shot.release();
      }
    } finally {
      window.close();
    }
  });
});
