/**
 * Sound from `doorway send --audio synthetic:markers` to `doorway recv --audio-sink null` over
 * loopback UDP: every block arrives, plays without gaps, and each marker burst reaches the
 * (synthetic) speaker within a few tens of milliseconds of leaving the (synthetic) microphone.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { AudioReport } from '../src/tools/receiver.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';

const tmp = scratch('audio-send-recv');
after(tmp.remove);

describe('send synthetic audio → recv', () => {
  it('plays every block and hears each marker within 60 ms', async () => {
    const port = await freePort();
    const reportFile = join(tmp.dir, 'report.json');
    const recv = startCli([
      'recv',
      '--insecure',
      '--no-decode',
      '--listen',
      `127.0.0.1:${port}`,
      '--audio-sink',
      'null',
      '--duration',
      '20',
      '--idle-ms',
      '700',
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
      'none',
      '--audio',
      'synthetic:markers',
      '--duration',
      '3',
    ]);
    let out = '';
    send.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    assert.deepEqual(await Promise.all([exited(send), exited(recv)]), [0, 0]);
    const summary = JSON.parse(out) as {
      frames: number;
      audio: { packets: number; markersCapturedUs: number[] };
    };
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { audio: AudioReport };
    assert.equal(summary.frames, 0, 'no video with --source none');
    // 5 ms blocks for 3 s.
    assert.ok(summary.audio.packets >= 560, `sent ${summary.audio.packets}`);
    assert.equal(report.audio.received, summary.audio.packets);
    // A gap is a block the speaker played as silence mid-stream: at most 2 % on a shared machine.
    assert.ok(report.audio.gapBlocks <= summary.audio.packets * 0.02, `gaps ${report.audio.gapBlocks}`);
    const captured = summary.audio.markersCapturedUs;
    const played = report.audio.markersPlayedUs;
    assert.ok(
      captured.length >= 5 && played.length >= captured.length - 1,
      `${captured.length} → ${played.length}`,
    );
    for (const heard of played) {
      const source = captured.filter((c) => c < heard).at(-1);
      assert.ok(source !== undefined);
      const latencyMs = (heard - source) / 1000;
      assert.ok(latencyMs > 5 && latencyMs < 60, `mouth to ear ${latencyMs} ms`);
    }
  });
});
