/**
 * `doorway demo` (what `make demo` runs): both ends on loopback with the synthetic camera and a
 * synthetic talker, a status line while it runs, and at the end the report, the last picture,
 * the latency histogram, the sound that reached the speaker and a one-paragraph summary.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AudioReport } from '../src/tools/receiver.js';
import type { PictureReport } from '../src/tools/report.js';
import { exited, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';

const tmp = scratch('demo');
after(tmp.remove);

describe('doorway demo', () => {
  it('runs a loopback pair, shows status lines and writes the PNGs and a summary', async () => {
    const out = join(tmp.dir, 'out');
    const demo = startCli([
      'demo',
      '--out',
      out,
      '--duration',
      '3',
      '--size',
      '480x272',
      '--fps',
      '30',
      '--bitrate',
      '1M',
    ]);
    let stdout = '';
    let stderr = '';
    demo.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    assert.equal(await exited(demo), 0, stderr);
    // Not a terminal: one status line per second, each with the live figures.
    const status = stderr.split('\n').filter((l) => l.includes(' fps '));
    assert.ok(status.length >= 2, stderr);
    assert.match(
      status[0] ?? '',
      /fps .*Mbit\/s .*latency p50 [\d.]+ ms p99 [\d.]+ ms .*lost \d+ .*FEC \d+ .*resent \d+/,
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as PictureReport;
    assert.ok(report.video.decoded >= 60, JSON.stringify(report.frames));
    assert.equal(report.video.codeReadFailures, 0);
    // The sound ran in its own pair of processes and reached the (file) speaker.
    const audio = (JSON.parse(readFileSync(join(out, 'audio-report.json'), 'utf8')) as { audio: AudioReport })
      .audio;
    assert.ok(audio.received >= 500, `${audio.received} audio packets`);
    assert.ok(audio.playedMs >= 2000, `${audio.playedMs} ms played`);
    assert.equal(audio.scheduling.process, 'raised');
    const wav = readFileSync(join(out, 'received.wav'));
    assert.equal(wav.subarray(0, 4).toString(), 'RIFF');
    assert.ok(wav.length > 48_000 * 2 * 4 * 2, `${wav.length} bytes: at least 2 s of stereo float`);
    for (const png of ['last-frame.png', 'latency-histogram.png']) {
      const file = join(out, png);
      assert.ok(existsSync(file), png);
      assert.equal(readFileSync(file).subarray(1, 4).toString(), 'PNG');
    }
    const summary = stdout.trim();
    assert.equal(summary.split('\n').length, 1, 'one paragraph');
    assert.match(
      summary,
      new RegExp(`${report.video.decoded} of ${report.frames.expected} frames were decoded`),
    );
    assert.match(summary, new RegExp(`p50 ${report.latencyMs.p50} ms`));
    assert.match(summary, new RegExp(`talker's ${audio.received} Opus packets played as`));
  });
});
