/**
 * The picture end to end on loopback: `doorway send --source pattern` (x264) to `doorway recv`
 * (software decode, headless sink) as separate processes over the encrypted session. Latency is
 * read from the pixel code of each decoded picture; the last picture is written as a PNG.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeKeyPair } from '../src/keys/index.js';
import type { PictureLogLine, PictureReport } from '../src/tools/report.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';

const tmp = scratch('video-loopback');
after(tmp.remove);

describe('send pattern → recv decode on loopback', () => {
  it('decodes every frame with its pixel code, measures from the pixels and writes the last picture', async () => {
    const sender = writeKeyPair(join(tmp.dir, 'sender'));
    const receiver = writeKeyPair(join(tmp.dir, 'receiver'));
    const port = await freePort();
    const files = {
      report: join(tmp.dir, 'report.json'),
      frames: join(tmp.dir, 'frames.jsonl'),
      png: join(tmp.dir, 'last.png'),
    };
    const recv = startCli([
      'recv',
      '--key',
      receiver.privateKeyFile,
      '--peer-key',
      sender.publicKeyFile,
      '--listen',
      `127.0.0.1:${port}`,
      '--duration',
      '20',
      '--idle-ms',
      '700',
      '--deadline-ms',
      '200',
      '--report',
      files.report,
      '--frames-log',
      files.frames,
      '--last-frame',
      files.png,
    ]);
    await saysOnStderr(recv, 'listening on');
    const send = startCli([
      'send',
      '--key',
      sender.privateKeyFile,
      '--peer-key',
      receiver.publicKey,
      '--to',
      `127.0.0.1:${port}`,
      '--size',
      '640x360',
      '--fps',
      '30',
      '--bitrate',
      '2M',
      '--encoder',
      'x264',
      '--duration',
      '2',
    ]);
    let sendOut = '';
    send.stdout?.on('data', (chunk: Buffer) => (sendOut += chunk.toString()));
    assert.deepEqual(await Promise.all([exited(send), exited(recv)]), [0, 0]);
    const summary = JSON.parse(sendOut) as { frames: number; keyframes: number; encodeErrors: number };
    assert.ok(summary.frames >= 50, `sent ${summary.frames} frames`);
    assert.equal(summary.encodeErrors, 0);
    assert.ok(summary.keyframes >= 1);

    const report = JSON.parse(readFileSync(files.report, 'utf8')) as PictureReport;
    assert.equal(report.video.decodeErrors, 0);
    assert.equal(report.video.codeReadFailures, 0);
    // Nearly everything sent was decoded (a loaded machine may drop a few frames as too late),
    // and no frame is counted twice among those that were not.
    assert.ok(report.video.decoded >= summary.frames * 0.8, JSON.stringify(report.frames));
    const missing = report.video.notDecoded;
    assert.ok(missing !== undefined);
    assert.ok(
      missing.lost + missing.late + missing.undecodable + missing.refused <=
        report.frames.expected - report.video.decoded,
      JSON.stringify(report.video),
    );
    assert.equal(report.video.presented, report.video.decoded);
    assert.ok(report.latencyMs.p50 > 0 && report.latencyMs.p50 < 200, JSON.stringify(report.latencyMs));

    const lines = readFileSync(files.frames, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as PictureLogLine);
    const decoded = lines.filter((l) => l.decodedUs !== null);
    assert.equal(decoded.length, report.video.decoded);
    for (const line of decoded) {
      assert.equal(line.fromPixels, true);
      // Capture (from the pixels) ≤ complete ≤ decoded ≤ presented.
      assert.ok(line.completeUs !== null && line.captureUs <= line.completeUs, JSON.stringify(line));
      assert.ok(line.decodedUs !== null && line.completeUs <= line.decodedUs, JSON.stringify(line));
      assert.ok(line.presentedUs !== null && line.decodedUs <= line.presentedUs, JSON.stringify(line));
    }
    const png = readFileSync(files.png);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [640, 360]);
  });
});
