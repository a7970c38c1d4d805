/**
 * AnnexBReader cuts a recorded H.264 or HEVC elementary stream into access units: one per
 * picture, the last one included (the parser is flushed at the end), keyframes flagged, nothing
 * lost or added between them, the same again after rewind(), and each H.264 unit a whole picture
 * for the decoder. Fixtures: test/fixtures/video/README.md (10 frames of 128x96, a keyframe
 * every 5).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AccessUnit, AnnexBReader, HwCodec } from '../src/media/index.js';
import { REPO } from './support/tree.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const FIXTURES = join(REPO, 'test', 'fixtures', 'video');

function readAll(reader: AnnexBReader): AccessUnit[] {
  const units: AccessUnit[] = [];
  for (let unit = reader.next(); unit !== null; unit = reader.next()) units.push(unit);
  return units;
}

const startsWithStartCode = (data: Uint8Array): boolean =>
  data[0] === 0 && data[1] === 0 && (data[2] === 1 || (data[2] === 0 && data[3] === 1));

const keyframesOf = (units: readonly AccessUnit[]): number[] =>
  units.flatMap((unit, i) => (unit.keyframe ? [i] : []));

describe('AnnexBReader on real streams', () => {
  for (const [codec, file] of [
    ['h264', 'testsrc-128x96-10f.h264'],
    ['hevc', 'testsrc-128x96-10f.h265'],
  ] as [HwCodec, string][]) {
    it(`splits ${codec} into one unit per picture, keyframes at 0 and 5, and rewinds`, () => {
      const path = join(FIXTURES, file);
      const reader = video.openAnnexB(path, codec);
      try {
        const units = readAll(reader);
        assert.equal(units.length, 10);
        assert.deepEqual(keyframesOf(units), [0, 5]);
        assert.ok(
          Buffer.concat(units.map((u) => u.data)).equals(readFileSync(path)),
          'the units are the file',
        );
        for (const unit of units)
          assert.ok(startsWithStartCode(unit.data), 'each unit starts with a start code');
        assert.equal(reader.next(), null, 'stays at the end');

        reader.rewind();
        const again = readAll(reader);
        assert.deepEqual(
          again.map((u) => [u.keyframe, Buffer.from(u.data).toString('base64')]),
          units.map((u) => [u.keyframe, Buffer.from(u.data).toString('base64')]),
        );
      } finally {
        reader.close();
      }
      assert.throws(() => reader.next(), { message: `AnnexBReader ${path}: next() after close()` });
      reader.close();
    });
  }

  it('hands the H.264 decoder one whole picture per unit', () => {
    const reader = video.openAnnexB(join(FIXTURES, 'testsrc-128x96-10f.h264'), 'h264');
    const decoder = video.createDecoder({ codec: 'h264', implementation: 'software' });
    try {
      for (let unit = reader.next(); unit !== null; unit = reader.next()) {
        const picture = decoder.decodeSync(unit.data);
        assert.ok(picture !== null);
        assert.deepEqual([picture.width, picture.height], [128, 96]);
        picture.release();
      }
      assert.deepEqual(decoder.stats(), { packetsIn: 10, decoded: 10, errors: 0, dropped: 0 });
    } finally {
      reader.close();
      decoder.close();
    }
  });
});
