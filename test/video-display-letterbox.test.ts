/**
 * SdlDisplay keeps the picture's aspect ratio: a 4:3 frame in a 16:9 window gets black bars left
 * and right, a 2.5:1 frame black bars above and below. Checked on the window's read-back,
 * written as PNG and read with pngjs. Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PNG } from 'pngjs';
import { framePng, openTestWindow, skipWithoutSdl, video, withSnapshot } from './support/display.js';
import { scratch } from './support/tree.js';

/** For each column (`x`) or row (`y`) of a PNG, whether any pixel in it is brighter than near-black. */
function litLines(png: PNG, axis: 'x' | 'y'): boolean[] {
  const lit: boolean[] = new Array<boolean>(axis === 'x' ? png.width : png.height).fill(false);
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const at = (y * png.width + x) * 4;
      if ((png.data[at] ?? 0) > 24 || (png.data[at + 1] ?? 0) > 24 || (png.data[at + 2] ?? 0) > 24)
        lit[axis === 'x' ? x : y] = true;
    }
  }
  return lit;
}

const tmp = scratch('display-letterbox');
after(() => {
  if (process.env.KEEP !== '1') tmp.remove();
});

describe('an SDL window showing a picture of another shape', { skip: skipWithoutSdl }, () => {
  it('letterboxes it with black bars and keeps its aspect ratio', async () => {
    const { window, show } = openTestWindow(320, 180);
    const screen = async (width: number, height: number, tag: number): Promise<PNG> => {
      const frame = video.patternSource(width, height).capture(tag, tag);
      await show(frame, tag);
      frame.release();
      return withSnapshot(window, (shot) => framePng(shot, join(tmp.dir, `${tag}.png`)));
    };
    try {
      // 192x144 (4:3) scaled to 240x180: black bars of 40 columns each side. The picture's
      // first column is lit by the pixel code's sync bits, its last by the grey ramp's white end.
      const tall = litLines(await screen(192, 144, 1), 'x');
      assert.equal(tall.length, 320);
      assert.ok(Math.abs(tall.indexOf(true) - 40) <= 1, `picture starts at column ${tall.indexOf(true)}`);
      assert.ok(
        Math.abs(tall.lastIndexOf(true) - 279) <= 1,
        `picture ends at column ${tall.lastIndexOf(true)}`,
      );

      // 320x128 (2.5:1) fits the width: black bars of 26 rows above and below (the code on top,
      // the ramp at the bottom).
      const wide = litLines(await screen(320, 128, 2), 'y');
      assert.equal(wide.length, 180);
      assert.ok(Math.abs(wide.indexOf(true) - 26) <= 1, `picture starts at row ${wide.indexOf(true)}`);
      assert.ok(Math.abs(wide.lastIndexOf(true) - 153) <= 1, `picture ends at row ${wide.lastIndexOf(true)}`);
    } finally {
      window.close();
    }
  });
});
