/**
 * SdlDisplay's close(): idempotent, joins the display thread and lets the process exit (this file
 * would hang otherwise), keeps the counters readable, and makes present() a one-line error. A
 * window opens again after it (SDL quit and re-initialised). Runs on SDL's offscreen driver.
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
const ignoreEvents = (): undefined => undefined;

async function until(what: string, done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('closing an SDL window', { skip }, () => {
  it('is idempotent, refuses present() afterwards, and a new window opens after it', async () => {
    const options = { title: 'doorway test', width: 320, height: 180, fullscreen: false, vsync: false };
    const source = video.patternSource(320, 180);
    for (const round of [1, 2]) {
      const events: WindowEvent[] = [];
      const window = video.openWindow(options, (event) => events.push(event));
      const frame = source.capture(round, round);
      window.present(frame, round);
      await until('the frame presented', () => events.some((e) => e.kind === 'presented'));
      window.close();
      window.close();
      assert.throws(() => window.present(frame, 9), { message: 'display: closed' });
      assert.throws(() => window.snapshot(), { message: 'display: closed' });
      assert.throws(() => window.info(), { message: 'display: closed' });
      assert.deepEqual(window.stats(), { presented: 1, replaced: 0, eventsDropped: 0, errors: 0 });
      assert.equal(frame.released, false, "present() never takes the caller's handle");
      frame.release();
      await sleep(20);
      assert.deepEqual(
        events.map((e) => e.kind),
        ['presented'],
        'nothing reported after close',
      );
    }
  });

  it('drops a frame still waiting to be shown when it closes', () => {
    const window = video.openWindow(
      { title: 'doorway test', width: 1280, height: 720, fullscreen: false, vsync: false },
      ignoreEvents,
    );
    const source = video.patternSource(1280, 720);
    for (let i = 0; i < 5; i++) {
      const frame = source.capture(i, i);
      window.present(frame, i);
      frame.release();
    }
    window.close();
    const stats = window.stats();
    assert.ok(stats.presented + stats.replaced <= 5);
  });
});
