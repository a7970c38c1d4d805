/**
 * writeFramePng: a frame becomes a PNG file of its size whose pixels are the frame's (checked on
 * the pixel code band, whose levels are known), from NV12 and from a decoder's yuv420p; a path
 * that cannot be written, or a released frame, is a one-line error naming it.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { REPO, scratch } from './support/tree.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The file's PNG signature and IHDR size, read by hand, then its pixels through pngjs. */
function readPng(file: string): PNG {
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], SIGNATURE);
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  const png = PNG.sync.read(bytes);
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [png.width, png.height]);
  return png;
}

/** Red of the pixel at the centre of pixel-code block `index` (8 px blocks, 40 per row). */
function blockRed(png: PNG, top: number, index: number): number {
  const x = (index % 40) * 8 + 4;
  const y = top + Math.floor(index / 40) * 8 + 4;
  return png.data[(y * png.width + x) * 4] ?? -1;
}

describe('writeFramePng', () => {
  it('writes a PNG of the frame, with its pixels', () => {
    const tmp = scratch('png');
    try {
      const file = join(tmp.dir, 'frame.png');
      const frame = video.patternSource(320, 180).capture(1, 2);
      video.writeFramePng(frame, file);
      frame.release();
      const png = readPng(file);
      assert.deepEqual([png.width, png.height], [320, 180]);
      // The code band starts at row 144; its first byte is the sync byte 0xD5 = 1101 0101:
      // white blocks are luma 235 (RGB 255), black ones luma 16 (RGB 0).
      const sync = Array.from({ length: 8 }, (_, i) => blockRed(png, 144, i));
      assert.deepEqual(
        sync.map((red) => (red > 230 ? 1 : red < 25 ? 0 : red)),
        [1, 1, 0, 1, 0, 1, 0, 1],
      );
      // Below the code (rows 176-179): the band's flat grey, luma 128 (RGB 130).
      const grey = png.data[(178 * 320 + 10) * 4] ?? -1;
      assert.ok(Math.abs(grey - 130) <= 2, `grey ${grey}`);
    } finally {
      tmp.remove();
    }
  });

  it('writes decoded yuv420p pictures too', () => {
    const tmp = scratch('png');
    const reader = video.openAnnexB(
      join(REPO, 'test', 'fixtures', 'video', 'testsrc-128x96-10f.h264'),
      'h264',
    );
    const decoder = video.createDecoder({ codec: 'h264', implementation: 'software' });
    try {
      const unit = reader.next();
      assert.ok(unit !== null);
      const picture = decoder.decodeSync(unit.data);
      assert.ok(picture !== null);
      assert.equal(picture.format, 'yuv420p');
      const file = join(tmp.dir, 'decoded.png');
      video.writeFramePng(picture, file);
      picture.release();
      const png = readPng(file);
      assert.deepEqual([png.width, png.height], [128, 96]);
    } finally {
      reader.close();
      decoder.close();
      tmp.remove();
    }
  });

  it('names the path in a one-line error when it cannot write there', () => {
    const tmp = scratch('png');
    const frame = video.patternSource(128, 64).capture(0, 0);
    try {
      const missing = join(tmp.dir, 'no-such-dir', 'frame.png');
      assert.throws(
        () => {
          video.writeFramePng(frame, missing);
        },
        {
          message: `${missing}: No such file or directory`,
        },
      );
      const locked = join(tmp.dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      const denied = join(locked, 'frame.png');
      // root writes anywhere; the directory case covers every user.
      if (process.getuid?.() !== 0) {
        assert.throws(
          () => {
            video.writeFramePng(frame, denied);
          },
          { message: `${denied}: Permission denied` },
        );
      }
      assert.throws(
        () => {
          video.writeFramePng(frame, tmp.dir);
        },
        { message: `${tmp.dir}: Is a directory` },
      );
      assert.equal(existsSync(missing), false);
    } finally {
      frame.release();
      tmp.remove();
    }
    assert.throws(
      () => {
        video.writeFramePng(frame, join(tmp.dir, 'x.png'));
      },
      {
        message: 'writeFramePng: frame was already released',
      },
    );
  });
});
