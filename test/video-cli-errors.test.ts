/**
 * `doorway send` and `recv` refuse what they cannot use in one line naming the flag, file or
 * device, before any traffic, and without a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, scratch } from './support/tree.js';

const tmp = scratch('video-cli');
after(tmp.remove);
const notAStream = join(tmp.dir, 'notes.h264');
writeFileSync(notAStream, 'these are notes, not video\n');

function run(args: string[]): { code: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stderr: result.stderr };
}

const send = ['send', '--insecure', '--to', '127.0.0.1:9', '--duration', '1'];

describe('video flags and sources that cannot be used', () => {
  const cases: [string, string[], number, RegExp][] = [
    [
      'a missing camera',
      [...send, '--source', 'v4l2:/dev/video97'],
      1,
      /camera \/dev\/video97: no such device/,
    ],
    [
      'a device that is not a camera',
      [...send, '--source', 'v4l2:/dev/null'],
      1,
      /camera \/dev\/null: not a V4L2 device/,
    ],
    [
      'a file that is not Annex B',
      [...send, '--source', `file:${notAStream}`],
      1,
      /is not an H\.264 Annex B stream/,
    ],
    [
      'a file that is not there',
      [...send, '--source', 'file:/nonexistent/clip.h264'],
      1,
      /\/nonexistent\/clip\.h264/,
    ],
    ['NVENC without libcuda', [...send, '--encoder', 'nvenc'], 1, /h264_nvenc.*libcuda/],
    ['an unknown source', [...send, '--source', 'webcam'], 2, /--source 'webcam' is not one of/],
    ['an odd size', [...send, '--size', '1279x720'], 2, /--size '1279x720' must be/],
    ['an unknown codec', [...send, '--codec', 'vp8'], 2, /--codec 'vp8' is not h264 or hevc/],
    ['hevc on x264', [...send, '--codec', 'hevc', '--encoder', 'x264'], 1, /hevc/],
    [
      'an unknown sink',
      ['recv', '--insecure', '--listen', '127.0.0.1:0', '--sink', 'tv'],
      2,
      /--sink 'tv' is not headless or window/,
    ],
    [
      'NVDEC without libcuda',
      ['recv', '--insecure', '--listen', '127.0.0.1:0', '--decoder', 'nvdec'],
      1,
      /h264_cuvid decoder: Cannot load lib(nvcuvid|cuda)/,
    ],
  ];
  for (const [what, args, code, message] of cases) {
    it(`${what}: exit ${code}, one line`, () => {
      const result = run(args);
      assert.equal(result.code, code, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', /^doorway: /);
      assert.match(lines[0] ?? '', message);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
    });
  }
});
