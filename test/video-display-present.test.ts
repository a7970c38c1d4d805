/**
 * SdlDisplay shows frames presented one at a time: one `presented` event per frame, in order,
 * with the frame's tag, number and capture time, stamped after present() was called, and the
 * window really shows the last one (read back and its pixel code decoded).
 * Runs on SDL's offscreen driver with its software renderer, so no screen or X server is needed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openTestWindow, skipWithoutSdl, video, withSnapshot } from './support/display.js';

describe('an SDL window shown frames one at a time', { skip: skipWithoutSdl }, () => {
  it('reports every frame presented, in order, after its present() call', async () => {
    const { window, events, presented, untilPresented } = openTestWindow(320, 180);
    try {
      assert.equal(window.info().videoDriver, 'offscreen');
      const source = video.patternSource(320, 180);
      const count = 12;
      const calledUs: number[] = [];
      const captureUs: number[] = [];
      for (let i = 0; i < count; i++) {
        captureUs.push(video.nowUs() - 5000);
        const frame = source.capture(100 + i, captureUs[i] ?? 0);
        calledUs.push(video.nowUs());
        assert.equal(window.present(frame, 7000 + i), true, `frame ${i} replaced nothing`);
        frame.release();
        await untilPresented(7000 + i);
        await sleep(5);
      }

      const shown = presented();
      assert.equal(shown.length, count);
      let previousUs = 0;
      shown.forEach((event, i) => {
        assert.equal(event.tag, 7000 + i);
        assert.equal(event.frameNumber, 100 + i);
        assert.equal(event.captureUs, captureUs[i]);
        assert.ok(event.presentedUs >= (calledUs[i] ?? Infinity), `frame ${i} presented before present()`);
        assert.ok(event.presentedUs >= previousUs, `frame ${i} presented out of order`);
        assert.ok(event.renderUs > 0 && event.renderUs <= event.presentedUs - (calledUs[i] ?? 0));
        previousUs = event.presentedUs;
      });
      assert.equal(events.length, count, 'only presented events');
      assert.deepEqual(window.stats(), { presented: count, replaced: 0, eventsDropped: 0, errors: 0 });

      withSnapshot(window, (shot) => {
        assert.equal(shot.format, 'yuv420p');
        assert.deepEqual([shot.width, shot.height], [320, 180]);
        assert.equal(shot.frameNumber, 100 + count - 1);
        assert.deepEqual(video.readPixelCode(shot), {
          frameNumber: 100 + count - 1,
          captureUs: captureUs[count - 1],
        });
      });
    } finally {
      window.close();
    }
  });
});
