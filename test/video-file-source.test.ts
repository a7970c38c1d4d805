/**
 * `doorway send --source file:PATH.h264` sends an Annex B file as it is, paced at --fps and
 * looped, and `doorway recv` decodes it. The file carries no pixel code, so every picture counts
 * as a code-read failure and latency falls back to the transport's capture time.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PictureReport } from '../src/tools/report.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { REPO, scratch } from './support/tree.js';

const tmp = scratch('video-file');
after(tmp.remove);
const FIXTURE = join(REPO, 'test', 'fixtures', 'video', 'testsrc-128x96-10f.h264');

describe('send an Annex B file → recv decode', () => {
  it('loops the file at the frame rate and decodes every access unit', async () => {
    const port = await freePort();
    const reportFile = join(tmp.dir, 'report.json');
    const recv = startCli([
      'recv',
      '--insecure',
      '--listen',
      `127.0.0.1:${port}`,
      '--duration',
      '15',
      '--idle-ms',
      '700',
      '--fps',
      '30',
      '--report',
      reportFile,
    ]);
    await saysOnStderr(recv, 'listening on');
    const send = startCli([
      'send',
      '--insecure',
      '--to',
      `127.0.0.1:${port}`,
      '--source',
      `file:${FIXTURE}`,
      '--fps',
      '30',
      '--duration',
      '1.5',
    ]);
    let out = '';
    send.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    assert.deepEqual(await Promise.all([exited(send), exited(recv)]), [0, 0]);
    const summary = JSON.parse(out) as { frames: number; keyframes: number };
    // 1.5 s at 30 fps from a 10-frame file with a keyframe every 5: looped four or five times.
    assert.ok(summary.frames >= 40 && summary.frames <= 46, out);
    assert.ok(summary.keyframes >= 8, out);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as PictureReport;
    assert.ok(report.video.decoded >= summary.frames - 2, JSON.stringify(report.video));
    assert.equal(report.video.decodeErrors, 0);
    assert.equal(report.video.codeReadFailures, report.video.decoded);
  });
});
