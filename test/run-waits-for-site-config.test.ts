/**
 * `doorway run` on a machine whose site.json is missing, then invalid, then fixed: the role stays
 * up the whole time, its page gives the one-line reason (file, field) and the site's public key,
 * and it starts the moment the file is right, without being restarted.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, it } from 'node:test';
import { writeKeyPair } from '../src/keys/index.js';
import { exited, freePort, saysOnStderr, startCli } from './support/processes.js';
import { HARDWARE, readJson, scratch, writeJson } from './support/tree.js';

const tmp = scratch('run-waits');
after(tmp.remove);

interface Waiting {
  state: string;
  reason: string;
  publicKey: string | null;
}

async function waitingStatus(port: number, until: (w: Waiting) => boolean): Promise<Waiting> {
  let last: Waiting | null = null;
  for (let i = 0; i < 100; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${String(port)}/status.json`);
      last = (await response.json()) as Waiting;
      if (until(last)) return last;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`the waiting page never said so; last: ${JSON.stringify(last)}`);
}

it('waits out a missing and an invalid site.json, then runs', async () => {
  const etc = join(tmp.dir, 'etc');
  mkdirSync(etc);
  const keys = writeKeyPair(join(etc, 'keys'));
  const peer = writeKeyPair(join(tmp.dir, 'peer')).publicKey;
  writeFileSync(join(etc, 'public.key'), `${keys.publicKey}\n`);
  const siteFile = join(etc, 'site.json');
  const waitingPort = await freePort();
  const [media, metrics, status, peerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const child = startCli([
    'run',
    '--site',
    siteFile,
    '--role',
    'video',
    '--state-dir',
    join(tmp.dir, 'state'),
    '--listen-host',
    '127.0.0.1',
    '--waiting-port',
    String(waitingPort),
  ]);
  try {
    const missing = await waitingStatus(waitingPort, (w) => w.reason.includes('site.json'));
    assert.equal(missing.state, 'waiting-for-site-config');
    assert.match(missing.reason, /site\.json: cannot read: no such file/);
    assert.equal(missing.publicKey, keys.publicKey);
    const page = await (await fetch(`http://127.0.0.1:${String(waitingPort)}/`)).text();
    assert.match(page, /waiting for a site config/);
    assert.ok(
      page.includes(keys.publicKey) && page.includes('<svg'),
      'the page shows the key and its QR code',
    );

    const site = readJson(join(HARDWARE, 'sites', 'example.json'));
    site.profile = 'ci';
    site.privateKeyPath = keys.privateKeyFile;
    site.peer = { site: 'studio-b', host: '127.0.0.1', port: peerPort, publicKey: peer };
    site.ports = { media, metrics, status };
    site.devices = {
      camera: { source: 'synthetic', width: 320, height: 180, fps: 15 },
      display: { sink: 'headless', fullscreen: false },
      audio: { capture: 'synthetic', playback: 'null' },
    };
    writeJson(siteFile, { ...site, bitrate: { videoMinKbps: 900, videoMaxKbps: 500, audioKbps: 64 } });
    const invalid = await waitingStatus(waitingPort, (w) => w.reason.includes('bitrate'));
    assert.match(
      invalid.reason,
      /site\.json: bitrate\.videoMinKbps: videoMinKbps must not exceed videoMaxKbps/,
    );
    assert.equal(child.exitCode, null, 'still up');

    const started = saysOnStderr(child, 'doorway video: studio-a ↔ studio-b');
    writeJson(siteFile, site);
    await started;
    const role = (await (await fetch(`http://127.0.0.1:${String(metrics)}/status.json`)).json()) as {
      role: string;
    };
    assert.equal(role.role, 'video');
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
});
