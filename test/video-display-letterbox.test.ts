/**
 * SdlDisplay keeps the picture's aspect ratio: a 4:3 frame in a 16:9 window gets black bars left
 * and right, a 2.5:1 frame black bars above and below. Checked on the window's read-back,
 * written as PNG and read with pngjs. Runs on SDL's offscreen driver with its software renderer.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import type { WindowEvent } from '../src/media/index.js';
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

async function until(what: string, done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Columns `x` of a PNG with any pixel brighter than near-black, per x. */
function litColumns(png: PNG): boolean[] {
  const lit: boolean[] = new Array<boolean>(png.width).fill(false);
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const at = (y * png.width + x) * 4;
      if ((png.data[at] ?? 0) > 24 || (png.data[at + 1] ?? 0) > 24 || (png.data[at + 2] ?? 0) > 24)
        lit[x] = true;
    }
  }
  return lit;
}

function litRows(png: PNG): boolean[] {
  const lit: boolean[] = new Array<boolean>(png.height).fill(false);
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const at = (y * png.width + x) * 4;
      if ((png.data[at] ?? 0) > 24 || (png.data[at + 1] ?? 0) > 24 || (png.data[at + 2] ?? 0) > 24)
        lit[y] = true;
    }
  }
  return lit;
}

const tmp = scratch('display-letterbox');
after(() => {
  if (process.env.KEEP !== '1') tmp.remove();
});

describe('an SDL window showing a picture of another shape', { skip }, () => {
  it('letterboxes it with black bars and keeps its aspect ratio', async () => {
    const events: WindowEvent[] = [];
    const window = video.openWindow(
      { title: 'doorway test', width: 320, height: 180, fullscreen: false, vsync: false },
      (event) => events.push(event),
    );
    const screen = async (width: number, height: number, tag: number): Promise<PNG> => {
      const frame = video.patternSource(width, height).capture(tag, tag);
      window.present(frame, tag);
      frame.release();
      await until(`frame ${tag} presented`, () =>
        events.some((e): e is Presented => e.kind === 'presented' && e.tag === tag),
      );
      const shot = window.snapshot();
      const file = join(tmp.dir, `${tag}.png`);
      try {
        video.writeFramePng(shot, file);
      } finally {
        shot.release();
      }
      return PNG.sync.read(readFileSync(file));
    };
    try {
      // 192x144 (4:3) scaled to 240x180: black bars of 40 columns each side. The picture's
      // first column is lit by the pixel code's sync bits, its last by the grey ramp's white end.
      const tall = litColumns(await screen(192, 144, 1));
      assert.equal(tall.length, 320);
      assert.ok(Math.abs(tall.indexOf(true) - 40) <= 1, `picture starts at column ${tall.indexOf(true)}`);
      assert.ok(
        Math.abs(tall.lastIndexOf(true) - 279) <= 1,
        `picture ends at column ${tall.lastIndexOf(true)}`,
      );

      // 320x128 (2.5:1) fits the width: black bars of 26 rows above and below (the code on top,
      // the ramp at the bottom).
      const wide = litRows(await screen(320, 128, 2));
      assert.equal(wide.length, 180);
      assert.ok(Math.abs(wide.indexOf(true) - 26) <= 1, `picture starts at row ${wide.indexOf(true)}`);
      assert.ok(Math.abs(wide.lastIndexOf(true) - 153) <= 1, `picture ends at row ${wide.lastIndexOf(true)}`);
    } finally {
      window.close();
    }
  });
});
