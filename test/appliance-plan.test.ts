/** What each role of a site runs: streams, ports and devices, from the site config alone. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { planRole } from '../src/appliance/index.js';
import { loadSiteConfig } from '../src/config/index.js';
import { ConfigError } from '../src/errors/index.js';
import { writeSitePair } from '../src/tools/site-pair.js';
import { builtProfile } from './support/site-pair.js';
import { HARDWARE, readJson, scratch, writeJson } from './support/tree.js';

const tmp = scratch('doorway-plan-');
after(() => {
  tmp.remove();
});
const pair = await writeSitePair({ dir: tmp.dir, profile: builtProfile() });
const site = loadSiteConfig(pair.a.file, { hardwareDir: HARDWARE });

it('the video role sends the camera to the peer and shows the peer, on the base ports', () => {
  const plan = planRole(site, 'video', { listenHost: '127.0.0.2' });
  assert.deepEqual(
    plan.outbound.map((o) => [o.stream, o.to]),
    [['video', { host: '127.0.0.3', port: pair.b.mediaPort }]],
  );
  assert.deepEqual(
    plan.inbound.map((i) => [i.stream, i.listen]),
    [['video', { host: '127.0.0.2', port: pair.a.mediaPort }]],
  );
  assert.equal(plan.opsPort, pair.a.metricsPort);
  assert.equal(plan.statusPagePort, pair.a.statusPort);
  assert.equal(plan.prioritiseAudio, false);
});

it('the audio role uses the ports one up, goes first on the CPU and serves no page', () => {
  const plan = planRole(site, 'audio');
  assert.deepEqual(
    plan.outbound.map((o) => [o.stream, o.to.port]),
    [['audio', pair.b.mediaPort + 1]],
  );
  assert.deepEqual(
    plan.inbound.map((i) => [i.stream, i.listen]),
    [['audio', { host: '0.0.0.0', port: pair.a.mediaPort + 1 }]],
  );
  assert.equal(plan.opsPort, pair.a.metricsPort + 1);
  assert.equal(plan.statusPagePort, null);
  assert.equal(plan.prioritiseAudio, true);
  const out = plan.outbound[0];
  assert.ok(out?.stream === 'audio');
  assert.equal(out.echoCancel, false, 'no echo canceller for a synthetic microphone');
  assert.equal(out.bitrateBps, 96_000);
});

it('no role: both streams both ways in one process', () => {
  const plan = planRole(site, 'all');
  assert.deepEqual(
    plan.outbound.map((o) => o.stream),
    ['video', 'audio'],
  );
  assert.deepEqual(
    plan.inbound.map((i) => i.stream),
    ['video', 'audio'],
  );
});

it('a real microphone gets the echo canceller; a kms display is the SDL window', () => {
  const file = join(tmp.dir, 'device-site.json');
  const config = readJson(pair.a.file);
  writeJson(file, {
    ...config,
    devices: {
      ...(config.devices as object),
      display: { sink: 'kms', fullscreen: true },
      audio: { capture: 'hw:1', playback: 'default' },
    },
    profile: 'ci',
  });
  const plan = planRole(loadSiteConfig(file, { hardwareDir: HARDWARE }), 'all');
  const video = plan.inbound.find((i) => i.stream === 'video');
  assert.ok(video?.stream === 'video');
  assert.equal(video.sink, 'window');
  assert.equal(video.fullscreen, true);
  const audio = plan.outbound.find((o) => o.stream === 'audio');
  assert.ok(audio?.stream === 'audio');
  assert.deepEqual(audio.port, { port: 'portaudio', capture: 'hw:1' });
  assert.equal(audio.echoCancel, true);
});

it('a bad synthetic source is a ConfigError naming the file and field', () => {
  const file = join(tmp.dir, 'bad-site.json');
  const config = readJson(pair.a.file);
  writeJson(file, {
    ...config,
    devices: { ...(config.devices as object), audio: { capture: 'synthetic:opera', playback: 'null' } },
  });
  assert.throws(
    () => planRole(loadSiteConfig(file, { hardwareDir: HARDWARE }), 'audio'),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.includes(file) &&
      err.message.includes('devices.audio.capture'),
  );
});
