/**
 * SdlDisplay holds its own reference to a presented frame: the caller's handle can be released
 * at once, and the pool may hand the other buffers out again, yet the window shows the picture.
 * Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeOnScreen, openTestWindow, skipWithoutSdl, video, type Presented } from './support/display.js';

describe(
  'an SDL window given a frame whose handle is released right after present()',
  { skip: skipWithoutSdl },
  () => {
    it('still shows that frame', async () => {
      const { window, events, untilPresented } = openTestWindow(1280, 720);
      try {
        const source = video.patternSource(1280, 720);
        const frame = source.capture(4242, 123_456_789);
        assert.equal(window.present(frame, 1), true);
        frame.release();
        assert.equal(frame.released, true);
        // Frames taken now come from the same pool; had the display no reference of its own, the
        // released buffer would be stamped over before (or while) it is uploaded.
        const others = Array.from({ length: 4 }, (_, i) => source.capture(i, i));
        await untilPresented(1);
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
        assert.deepEqual(codeOnScreen(window), { frameNumber: 4242, captureUs: 123_456_789 });
      } finally {
        window.close();
      }
    });
  },
);
