/**
 * The synthetic camera: its picture is a pure function of the frame number (a reused pool frame
 * is drawn in full, so it equals a fresh one), it moves from frame to frame, sizes and arguments
 * it cannot take are one-line errors, a 1080p frame costs well under a millisecond, and the clock
 * it is stamped with is the one JS's performance clock follows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { MediaError } from '../src/errors/index.js';
import type { PatternSource } from '../src/media/index.js';
import { scratch } from './support/tree.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const WIDTH = 320;
const HEIGHT = 180;
// Where the pixel code band starts at 320x180 (the last multiple of 16 that leaves it room).
const CODE_TOP = 144;

/** The RGBA pixels of frame `n` of `source`, through writeFramePng. */
function pixels(source: PatternSource, dir: string, n: number): Buffer {
  const frame = source.capture(n, 1_000_000 + n);
  const file = join(dir, `frame-${n}.png`);
  try {
    video.writeFramePng(frame, file);
  } finally {
    frame.release();
  }
  const png = PNG.sync.read(readFileSync(file));
  assert.deepEqual([png.width, png.height], [WIDTH, HEIGHT]);
  return png.data;
}

/** How the TS boundary hands on the constructor's RangeError: a MediaError, same line. */
function refused(make: () => unknown, message: string): void {
  assert.throws(make, (err: unknown) => {
    assert.ok(err instanceof MediaError);
    assert.equal(err.message, message);
    return true;
  });
}

describe('the synthetic camera', () => {
  it('draws each frame number the same way, in full, whatever the pool frame held before', () => {
    const tmp = scratch('pattern');
    try {
      const fresh = pixels(video.patternSource(WIDTH, HEIGHT), tmp.dir, 7);
      const used = video.patternSource(WIDTH, HEIGHT);
      // Frames released back to the pool, each drawn with the box somewhere else.
      for (let n = 100; n < 140; n++) used.capture(n, n).release();
      assert.ok(pixels(used, tmp.dir, 7).equals(fresh), 'a reused pool frame equals a fresh one');
    } finally {
      tmp.remove();
    }
  });

  it('moves between consecutive frames, above the code band', () => {
    const tmp = scratch('pattern');
    try {
      const source = video.patternSource(WIDTH, HEIGHT);
      const a = pixels(source, tmp.dir, 20);
      const b = pixels(source, tmp.dir, 21);
      let changed = 0;
      for (let i = 0; i < CODE_TOP * WIDTH * 4; i++) if (a[i] !== b[i]) changed++;
      // The box moves 6 px across and 4 down and the ramp scrolls: thousands of samples change.
      assert.ok(changed > 2000, `${changed} samples changed`);
    } finally {
      tmp.remove();
    }
  });

  it('refuses sizes it cannot draw, in one line', () => {
    const rule = 'must be even, at least 128x64 and at most 8192x8192';
    for (const [width, height] of [
      [127, 64],
      [128, 63],
      [126, 64],
      [128, 62],
      [641.5, 360],
      [0, 0],
      [-640, 360],
      [8194, 64],
      [Number.NaN, 360],
    ] as const) {
      refused(
        () => video.patternSource(width, height),
        `PatternSource: size ${width}x${height} ${rule}`.replace('NaN', 'nan'),
      );
    }
    assert.throws(() => video.patternSource('640' as never, 360), {
      name: 'TypeError',
      message: 'PatternSource: width and height must be numbers',
    });
  });

  it('refuses frame numbers outside 32 bits and times the code cannot hold', () => {
    const source = video.patternSource(128, 64);
    for (const n of [-1, 2 ** 32, 1.5, Number.NaN]) {
      assert.throws(() => source.capture(n, 0), {
        name: 'RangeError',
        message: 'PatternSource.capture: frameNumber must be an integer from 0 to 4294967295',
      });
    }
    for (const us of [Number.POSITIVE_INFINITY, Number.NaN, 2 ** 55, -(2 ** 55), 1e300]) {
      assert.throws(() => source.capture(0, us), {
        name: 'RangeError',
        message: 'PatternSource.capture: captureUs must be a number within ±2^55',
      });
    }
    const last = source.capture(2 ** 32 - 1, 0);
    assert.equal(last.frameNumber, 2 ** 32 - 1);
    last.release();
  });

  it('costs well under a millisecond per 1080p frame', () => {
    const source = video.patternSource(1920, 1080);
    for (let n = 0; n < 10; n++) source.capture(n, n).release();
    const costs: number[] = [];
    for (let n = 0; n < 60; n++) {
      const start = performance.now();
      source.capture(n, n).release();
      costs.push(performance.now() - start);
    }
    costs.sort((x, y) => x - y);
    const median = costs[costs.length >> 1] ?? Infinity;
    assert.ok(median < 1, `median ${median.toFixed(3)} ms per frame`);
  });

  it('stamps with the clock that performance.timeOrigin + performance.now() follows', () => {
    const js = (performance.timeOrigin + performance.now()) * 1000;
    const native = video.nowUs();
    assert.ok(Number.isSafeInteger(native));
    assert.ok(Math.abs(native - js) < 5000, `nowUs ${native} vs performance ${js.toFixed(0)}`);
  });
});
