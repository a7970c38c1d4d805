/**
 * `doorway recv --sink window`: decoded pictures go to an SDL window (SDL's offscreen driver here,
 * so no screen is needed) and the report adds capture → presented, measured from the pixels.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PictureLogLine, PictureReport } from '../src/tools/report.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';
import { loadVideo } from './support/video.js';

const tmp = scratch('video-window');
after(tmp.remove);
const skip = loadVideo().features.includes('sdl') ? false : 'this build has no sdl feature';
const offscreen = {
  ...process.env,
  SDL_VIDEODRIVER: 'offscreen',
  SDL_RENDER_DRIVER: 'software',
  SDL_FRAMEBUFFER_ACCELERATION: '0',
};

describe('recv into a window', { skip }, () => {
  it('presents the pictures and reports capture → presented after capture → decoded', async () => {
    const port = await freePort();
    const files = { report: join(tmp.dir, 'report.json'), frames: join(tmp.dir, 'frames.jsonl') };
    const recv = startCli(
      [
        'recv',
        '--insecure',
        '--listen',
        `127.0.0.1:${port}`,
        '--sink',
        'window',
        '--duration',
        '15',
        '--idle-ms',
        '700',
        '--fps',
        '30',
        '--report',
        files.report,
        '--frames-log',
        files.frames,
      ],
      offscreen,
    );
    await saysOnStderr(recv, 'listening on');
    const send = startCli([
      'send',
      '--insecure',
      '--to',
      `127.0.0.1:${port}`,
      '--size',
      '320x180',
      '--fps',
      '30',
      '--bitrate',
      '1M',
      '--encoder',
      'x264',
      '--duration',
      '1.5',
    ]);
    assert.deepEqual(await Promise.all([exited(send), exited(recv)]), [0, 0]);
    const report = JSON.parse(readFileSync(files.report, 'utf8')) as PictureReport;
    assert.ok(report.video.decoded >= 30, JSON.stringify(report.video));
    // Newest wins: a picture replaced before it was shown is decoded but never presented.
    assert.ok(report.video.presented >= report.video.decoded * 0.8, JSON.stringify(report.video));
    assert.ok(report.video.presented <= report.video.decoded);
    const presented = report.presentedLatencyMs;
    assert.ok(presented !== undefined, 'a window adds capture → presented');
    assert.ok(
      presented.p50 >= report.latencyMs.p50,
      JSON.stringify({ presented, decoded: report.latencyMs }),
    );
    const lines = readFileSync(files.frames, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PictureLogLine);
    for (const line of lines) {
      if (line.presentedUs === null) continue;
      assert.ok(line.decodedUs !== null && line.decodedUs <= line.presentedUs, JSON.stringify(line));
    }
  });
});
