/**
 * Peer unreachable at boot: the service still comes up (READY), keeps handshaking, runs its camera
 * but encodes nothing for nobody, feeds the watchdog (the peer is legitimately absent), and its
 * status JSON and status page say why media is not flowing. When the peer appears, media flows with no restart.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { SiteStatus } from '../src/ops/index.js';
import { writeSitePair } from '../src/tools/site-pair.js';
import { builtProfile, flowingSince } from './support/site-pair.js';
import { RecordingNotifier, startSiteInProcess, until } from './support/in-process-site.js';
import { scratch } from './support/tree.js';

test('with the peer away the service is ready, keeps trying, stays fed and says why', async (t) => {
  const tmp = scratch('doorway-absent-');
  const pair = await writeSitePair({
    dir: tmp.dir,
    profile: builtProfile(),
    camera: { width: 320, height: 180, fps: 30 },
  });
  const a = await startSiteInProcess(pair.a, new RecordingNotifier(200), '127.0.0.1');
  let b: Awaited<ReturnType<typeof startSiteInProcess>> | null = null;
  after(async () => {
    await a.service.stop();
    await b?.service.stop();
    tmp.remove();
  });
  assert.equal(a.notifier.count('ready'), 1, 'READY once the media path is up, peer or not');

  await new Promise((resolve) => setTimeout(resolve, 3500));
  const status = a.service.status();
  const video = status.outbound.find((o) => o.stream === 'video');
  assert.ok(video !== undefined);
  assert.equal(video.session, 'handshaking');
  assert.equal(video.producing, true, 'the camera runs with nobody to send to');
  // But nothing is encoded for a peer whose session is not up.
  assert.equal(video.framesPerS, 0, 'frames encoded for nobody');
  assert.equal(video.packetsSent, 0);
  assert.match(
    status.notFlowingBecause ?? '',
    /site-b at 127\.0\.0\.3:\d+ has not answered [2-9] video handshakes/,
  );
  assert.match(status.notFlowingBecause ?? '', /no audio from site-b yet/);
  assert.ok(
    a.notifier.count('watchdog') >= 10,
    `watchdog fed ${a.notifier.count('watchdog')} times in 3.5 s`,
  );
  assert.ok(
    a.notifier.calls.some((c) => c.kind === 'status' && (c.text ?? '').includes('has not answered')),
    'systemd status says why',
  );

  // The status page's data says the same, for the person installing the site.
  const response = await fetch(`http://127.0.0.1:${pair.a.statusPort}/api/site`);
  assert.equal(response.status, 200);
  const site = (await response.json()) as SiteStatus;
  assert.equal(site.site, 'site-a');
  assert.match(site.roles[0]?.notFlowingBecause ?? '', /has not answered/);
  const page = await fetch(`http://127.0.0.1:${pair.a.statusPort}/`);
  assert.match(await page.text(), /<html/i);

  // The peer boots: the next retry (at most ~1.2 s away) connects; media flows both ways.
  const peer = await startSiteInProcess(pair.b);
  b = peer;
  const startedB = Date.now();
  await until(
    'media both ways',
    () => {
      const sa = a.service.status();
      const sb = peer.service.status();
      return flowingSince(sa, 'video') !== null && flowingSince(sb, 'video') !== null ? true : null;
    },
    10_000,
  );
  t.diagnostic(`peer appeared: media both ways after ${Date.now() - startedB} ms`);
  // Within a sample or two, nothing is left to explain.
  await until(
    'site A to have nothing left to explain',
    () => (a.service.status().notFlowingBecause === null ? true : null),
    3000,
  );
});
