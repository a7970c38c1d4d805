/**
 * The picture through `doorway netsim` with 3 % loss and 10 ms each way: FEC and retransmission
 * repair the stream, the decoder sees no errors, and the pictures keep their pixel code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PictureReport } from '../src/tools/report.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';

const tmp = scratch('video-netsim');
after(tmp.remove);

describe('send pattern → netsim (3 % loss) → recv decode', () => {
  it('repairs losses so pictures decode without errors and with their code', async () => {
    const recvPort = await freePort();
    const relayPort = await freePort();
    const reportFile = join(tmp.dir, 'report.json');
    const recv = startCli([
      'recv',
      '--insecure',
      '--listen',
      `127.0.0.1:${recvPort}`,
      '--duration',
      '20',
      '--idle-ms',
      '700',
      '--deadline-ms',
      '150',
      '--report',
      reportFile,
    ]);
    await saysOnStderr(recv, 'listening on');
    const relay = startCli([
      'netsim',
      '--listen',
      `127.0.0.1:${relayPort}`,
      '--to',
      `127.0.0.1:${recvPort}`,
      '--seed',
      '7',
      'loss=3%',
      'delay=10ms',
    ]);
    after(() => relay.kill('SIGKILL'));
    await saysOnStderr(relay, 'netsim relaying');
    const send = startCli([
      'send',
      '--insecure',
      '--to',
      `127.0.0.1:${relayPort}`,
      '--size',
      '640x360',
      '--fps',
      '30',
      '--bitrate',
      '2M',
      '--encoder',
      'x264',
      '--duration',
      '3',
    ]);
    assert.deepEqual(await Promise.all([exited(send), exited(recv)]), [0, 0]);
    relay.kill('SIGTERM');
    await exited(relay);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as PictureReport;
    assert.ok(
      report.transport.fecRecovered + report.transport.retransmitted > 0,
      JSON.stringify(report.transport),
    );
    assert.equal(report.video.decodeErrors, 0);
    assert.equal(report.video.codeReadFailures, 0);
    assert.ok(report.video.decoded >= report.frames.expected * 0.95, JSON.stringify(report.frames));
    // One-way delay is 10 ms: no picture can be decoded sooner.
    assert.ok(report.latencyMs.p50 >= 10, JSON.stringify(report.latencyMs));
  });
});
