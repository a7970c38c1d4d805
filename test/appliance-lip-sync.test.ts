/**
 * Lip sync across the two role processes of a site. Site B's video reaches site A through a relay
 * that delays it 60 ms each way while B's audio goes straight through, so at A the pictures lag
 * the sound by about 40 ms. A's audio role reads the pictures' latency from A's video role's
 * status JSON and holds the sound back until the two are within the ±20 ms lip-sync band.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { micros } from '../src/netsim/index.js';
import type { RoleStatus } from '../src/ops/index.js';
import { startRelay, type Relay } from '../src/tools/relay.js';
import { writeSitePair } from '../src/tools/site-pair.js';
import { RecordingNotifier, startSiteInProcess, until } from './support/in-process-site.js';
import { builtProfile, freePortPair } from './support/site-pair.js';
import { scratch } from './support/tree.js';

const VIDEO_DELAY_MS = 60;
const TOLERANCE_MS = 20;

function latencyP50(status: RoleStatus, stream: 'video' | 'audio'): number | null {
  const inbound = status.inbound.find((i) => i.stream === stream);
  return inbound?.flowing === true ? inbound.latencyMs.p50 : null;
}

test(
  'the audio role holds the sound back for the video role’s slower pictures',
  { timeout: 90_000 },
  async (t) => {
    const tmp = scratch('lipsync');
    const relayBase = await freePortPair();
    const pair = await writeSitePair({
      dir: tmp.dir,
      profile: builtProfile(),
      camera: { width: 320, height: 180, fps: 30 },
      peerPortOverride: { 'site-b': relayBase },
    });
    const delay = micros(VIDEO_DELAY_MS * 1000);
    const relays: Relay[] = [
      // Symmetric, so the clock sync's round-trip halving stays right and the lag is all latency.
      await startRelay({
        listen: { host: '127.0.0.1', port: relayBase },
        to: { host: pair.a.host, port: pair.a.mediaPort },
        forward: { delay },
      }),
      await startRelay({
        listen: { host: '127.0.0.1', port: relayBase + 1 },
        to: { host: pair.a.host, port: pair.a.mediaPort + 1 },
        forward: {},
      }),
    ];
    const video = await startSiteInProcess(pair.a, new RecordingNotifier(null), '127.0.0.1', 'video');
    const audio = await startSiteInProcess(pair.a, new RecordingNotifier(null), '127.0.0.1', 'audio');
    const b = await startSiteInProcess(pair.b);
    after(async () => {
      await audio.service.stop();
      await video.service.stop();
      await b.service.stop();
      await Promise.all(relays.map((r) => r.close()));
      tmp.remove();
    });

    // Each sample of the two roles once it has both latencies: [audio, video, lip-sync delay].
    const seen: [number, number, number | null][] = [];
    let lastAt = 0;
    const sample = (): [number, number, number | null] | null => {
      const a = audio.service.status();
      const v = video.service.status();
      const audioMs = latencyP50(a, 'audio');
      const videoMs = latencyP50(v, 'video');
      if (audioMs === null || videoMs === null || a.atMs === lastAt) return null;
      lastAt = a.atMs;
      const added = a.inbound.find((i) => i.stream === 'audio')?.lipSyncDelayMs ?? null;
      seen.push([audioMs, videoMs, added]);
      return [audioMs, videoMs, added];
    };

    await until('both latencies reported at site A', sample, 20_000);
    const [firstAudio, firstVideo] = seen[0] ?? [0, 0];
    // Three samples in a row inside the band, with a delay added: converged, not passing through.
    await until(
      'audio within the lip-sync band for three samples',
      () => {
        sample();
        const last = seen.slice(-3);
        return last.length === 3 &&
          last.every(([a, v, added]) => Math.abs(a - v) <= TOLERANCE_MS && added !== null && added > 0)
          ? true
          : null;
      },
      40_000,
    );
    const [audioMs, videoMs, added] = seen.at(-1) ?? [0, 0, null];
    t.diagnostic(
      `first: audio ${firstAudio} ms, video ${firstVideo} ms; settled after ${seen.length} samples: audio ${audioMs} ms, video ${videoMs} ms, lip sync adds ${added} ms`,
    );
    // The relay really made the pictures lag: without lip sync the sound would lead by far more
    // than the band allows.
    assert.ok(
      videoMs >= VIDEO_DELAY_MS,
      `video capture→decoded ${videoMs} ms through a ${VIDEO_DELAY_MS} ms relay`,
    );
    assert.ok(
      added !== null && videoMs - (audioMs - added) > TOLERANCE_MS,
      `without the ${added} ms lip sync adds, audio would lead video by ${videoMs - (audioMs - (added ?? 0))} ms`,
    );
  },
);
