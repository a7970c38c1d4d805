/**
 * SdlDisplay's close(): idempotent, joins the display thread and lets the process exit (this file
 * would hang otherwise), keeps the counters readable, and makes present() a one-line error. A
 * window opens again after it (SDL quit and re-initialised). Runs on SDL's offscreen driver.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ignoreEvents, openTestWindow, skipWithoutSdl, video, windowOptions } from './support/display.js';

describe('closing an SDL window', { skip: skipWithoutSdl }, () => {
  it('is idempotent, refuses present() afterwards, and a new window opens after it', async () => {
    const source = video.patternSource(320, 180);
    for (const round of [1, 2]) {
      const { window, events, show } = openTestWindow(320, 180);
      const frame = source.capture(round, round);
      await show(frame, round);
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
    const window = video.openWindow(windowOptions(1280, 720), ignoreEvents);
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
