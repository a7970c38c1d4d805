/**
 * Network cuts between two sites (netsim relays with outage windows on every path, both ways):
 * after a 5 s cut media is back within 500 ms of the link returning, with no new handshake (the
 * keys are still valid); after a 60 s cut, within 2 s. During a cut each site says why media stops
 * and keeps feeding its watchdog: the peer is legitimately absent, not stuck.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { micros } from '../src/netsim/index.js';
import type { RoleStatus } from '../src/ops/index.js';
import { startRelay, type Relay } from '../src/tools/relay.js';
import { writeSitePair, type PairSite } from '../src/tools/site-pair.js';
import { builtProfile, flowingSince, freePortPair } from './support/site-pair.js';
import { startSiteInProcess, until } from './support/in-process-site.js';
import { scratch } from './support/tree.js';

function bothFlowingSince(a: RoleStatus, b: RoleStatus): number | null {
  const times = [
    flowingSince(a, 'video'),
    flowingSince(a, 'audio'),
    flowingSince(b, 'video'),
    flowingSince(b, 'audio'),
  ];
  return times.some((t) => t === null) ? null : Math.max(...(times as number[]));
}

test(
  'media returns within 500 ms of a 5 s cut (same keys) and within 2 s of a 60 s cut',
  { timeout: 150_000 },
  async (t) => {
    const tmp = scratch('doorway-cut-');
    const relayPorts = { 'site-a': await freePortPair(), 'site-b': await freePortPair() };
    const pair = await writeSitePair({
      dir: tmp.dir,
      profile: builtProfile(),
      camera: { width: 320, height: 180, fps: 30 },
      peerPortOverride: relayPorts,
    });
    const start = Date.now();
    const cuts = [
      { startMs: start + 8000, durationMs: 5000 },
      { startMs: start + 20_000, durationMs: 60_000 },
    ];
    const outages = cuts.map((c) => ({
      start: micros(c.startMs * 1000),
      duration: micros(c.durationMs * 1000),
    }));
    const relays: Relay[] = [];
    const route = async (from: PairSite, to: PairSite): Promise<void> => {
      for (const offset of [0, 1]) {
        relays.push(
          await startRelay({
            listen: { host: '127.0.0.1', port: relayPorts[from.name] + offset },
            to: { host: to.host, port: to.mediaPort + offset },
            forward: { outages },
            reverse: { outages },
          }),
        );
      }
    };
    await route(pair.a, pair.b);
    await route(pair.b, pair.a);
    const a = await startSiteInProcess(pair.a);
    const b = await startSiteInProcess(pair.b);
    after(async () => {
      await a.service.stop();
      await b.service.stop();
      await Promise.all(relays.map((r) => r.close()));
      tmp.remove();
    });

    const flowingAfter = (at: number): number | null => {
      const since = bothFlowingSince(a.service.status(), b.service.status());
      return since !== null && since > at ? since : null;
    };
    await until('media both ways before the first cut', () => flowingAfter(0), 8000);
    const handshakesBefore = a.service.status().security.handshakes + b.service.status().security.handshakes;

    for (const [i, cut] of cuts.entries()) {
      const endMs = cut.startMs + cut.durationMs;
      // While the link is down: each side explains, and the watchdog is still fed.
      await until(
        'the cut to be noticed',
        () => (Date.now() > cut.startMs + 3000 ? true : null),
        cut.startMs + 4000 - Date.now(),
      );
      const during = a.service.status();
      assert.ok(during.notFlowingBecause !== null, 'site A says why media stopped');
      assert.match(during.notFlowingBecause, /site-b/);
      const fedDuring = a.notifier.count('watchdog', cut.startMs + 2500);
      assert.ok(fedDuring > 0, 'the watchdog is fed while the peer is legitimately absent');

      const since = await until(
        'media both ways after the cut',
        () => flowingAfter(endMs),
        cut.durationMs + 15_000,
      );
      const backMs = since - endMs;
      t.diagnostic(`cut ${cut.durationMs / 1000} s: media both ways ${backMs} ms after the link returned`);
      if (i === 0) {
        assert.ok(backMs <= 500, `back ${backMs} ms after a 5 s cut (limit 500)`);
        const handshakes = a.service.status().security.handshakes + b.service.status().security.handshakes;
        assert.equal(
          handshakes,
          handshakesBefore,
          'no new handshake after a 5 s cut: the keys were still valid',
        );
      } else {
        assert.ok(backMs <= 2000, `back ${backMs} ms after a 60 s cut (limit 2000)`);
      }
    }
  },
);
