/**
 * AnnexBReader's refusals are one line naming the file: a missing file, a directory, a file that
 * does not start with a start code (text, an empty file, an MP4-like header), a codec it does not
 * know; and a reader used after close(). A stream may start with a 3- or a 4-byte start code.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HwCodec } from '../src/media/index.js';
import { REPO, scratch } from './support/tree.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();

describe('AnnexBReader errors', () => {
  it('names a file that is missing or a directory', () => {
    const tmp = scratch('annexb');
    try {
      const missing = join(tmp.dir, 'nothing.h264');
      assert.throws(() => video.openAnnexB(missing, 'h264'), {
        message: `${missing}: No such file or directory`,
      });
      assert.throws(() => video.openAnnexB(tmp.dir, 'hevc'), { message: `${tmp.dir}: Is a directory` });
    } finally {
      tmp.remove();
    }
  });

  it('refuses a file that does not start with a start code', () => {
    const tmp = scratch('annexb');
    try {
      const cases: [string, Buffer][] = [
        ['text.h264', Buffer.from('not video at all\n')],
        ['empty.h264', Buffer.alloc(0)],
        ['short.h264', Buffer.from([0, 0])],
        // An MP4 starts with a box size and 'ftyp', not a start code.
        ['movie.mp4', Buffer.from([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70])],
        // Two zeros and a two: almost, but not, a start code.
        ['almost.h264', Buffer.from([0, 0, 2, 0x67])],
      ];
      for (const [name, bytes] of cases) {
        const path = join(tmp.dir, name);
        writeFileSync(path, bytes);
        assert.throws(() => video.openAnnexB(path, 'h264'), {
          message: `${path} is not an H.264 Annex B stream (no start code)`,
        });
        assert.throws(() => video.openAnnexB(path, 'hevc'), {
          message: `${path} is not an H.265 Annex B stream (no start code)`,
        });
      }
    } finally {
      tmp.remove();
    }
  });

  it('takes a stream behind a 3-byte start code, refuses unknown codecs and use after close', () => {
    const tmp = scratch('annexb');
    try {
      // The fixture starts with 00 00 00 01; without its first byte it starts with 00 00 01.
      const fixture = readFileSync(join(REPO, 'test', 'fixtures', 'video', 'testsrc-128x96-10f.h264'));
      assert.deepEqual([...fixture.subarray(0, 4)], [0, 0, 0, 1]);
      const path = join(tmp.dir, 'short-start.h264');
      writeFileSync(path, fixture.subarray(1));
      const reader = video.openAnnexB(path, 'h264');
      let units = 0;
      for (let unit = reader.next(); unit !== null; unit = reader.next()) {
        assert.equal(unit.keyframe, units === 0 || units === 5);
        units++;
      }
      assert.equal(units, 10);
      reader.close();
      assert.throws(
        () => {
          reader.rewind();
        },
        { message: `AnnexBReader ${path}: rewind() after close()` },
      );
      assert.throws(() => video.openAnnexB(path, 'vp9' as HwCodec), {
        name: 'TypeError',
        message: `AnnexBReader ${path}: codec 'vp9' is not 'h264' or 'hevc'`,
      });
    } finally {
      tmp.remove();
    }
  });
});
