/**
 * The pixel code's check: a picture whose code lost one block reads as null, never as a wrong
 * frame, and so does a picture that never had a code. Decoded from fixtures (described in
 * test/fixtures/video/README.md), which also gives the reader yuvj420p (full range) pictures.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PixelCode } from '../src/media/index.js';
import { REPO } from './support/tree.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const FIXTURES = join(REPO, 'test', 'fixtures', 'video');

/** Each access unit of an H.264 fixture, decoded, as [format, code]. */
function readCodes(file: string): [string, PixelCode | null][] {
  const reader = video.openAnnexB(join(FIXTURES, file), 'h264');
  const decoder = video.createDecoder({ codec: 'h264', implementation: 'software' });
  const out: [string, PixelCode | null][] = [];
  try {
    for (let unit = reader.next(); unit !== null; unit = reader.next()) {
      const picture = decoder.decodeSync(unit.data);
      assert.ok(picture !== null);
      out.push([picture.format, video.readPixelCode(picture)]);
      picture.release();
    }
  } finally {
    reader.close();
    decoder.close();
  }
  return out;
}

describe('a damaged or missing pixel code', () => {
  it('reads as null when one payload block or the sync block is flipped', () => {
    // Frame 0 intact; frame 1 with the last bit of its frame number blacked out; frame 2 with the
    // first bit of the sync byte blacked out.
    assert.deepEqual(readCodes('pattern-320x180-damaged.h264'), [
      ['yuvj420p', { frameNumber: 0, captureUs: 1_800_000_000_000_000 }],
      ['yuvj420p', null],
      ['yuvj420p', null],
    ]);
  });

  it('reads as null on pictures that never had one', () => {
    const codes = readCodes('testsrc-128x96-10f.h264');
    assert.deepEqual(
      codes,
      Array.from({ length: 10 }, () => ['yuv420p', null]),
    );
  });
});
