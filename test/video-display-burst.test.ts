/**
 * SdlDisplay under a burst: frames presented faster than the window can show them do not queue.
 * The newest frame always wins; each one it replaces is counted (and present() says so), so
 * presented + replaced = frames given, and the last one is what the window shows.
 * Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { codeOnScreen, openTestWindow, skipWithoutSdl, video } from './support/display.js';

describe('an SDL window given a burst of frames', { skip: skipWithoutSdl }, () => {
  it('shows the newest, counts the replaced ones, and never shows an older frame after a newer', async () => {
    const { window, presented, untilPresented } = openTestWindow(640, 360);
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
      await untilPresented(count - 1);
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

      assert.equal(codeOnScreen(window)?.frameNumber, count - 1);
    } finally {
      window.close();
    }
  });
});
