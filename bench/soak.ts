/**
 * `npm run bench:soak`: the appliance over time, as two sites on loopback with each role its own
 * process under a restart loop that behaves as systemd's Restart=always, RestartSec=1.
 * - Kills: `DOORWAY_SOAK_KILLS` (default 100) times, SIGKILL a media process (alternating sites
 *   and roles) and time until media of that stream flows both ways again (target ≤ 5 s).
 * - Soak: then `DOORWAY_SOAK_MINUTES` (default 60) minutes undisturbed, sampling every role's RSS
 *   and event-loop delay once a second: RSS must stay flat once warmed up (the last fifth of the
 *   run against the second; the first fifth is warm-up: heaps and allocator arenas grow to their
 *   working size in the first minutes) and event-loop delay p99.9 ≤ 5 ms.
 * Prints one JSON object and appends the figures to bench/RESULTS.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RoleStatus } from '../src/ops/index.js';
import type { RestartLoop } from '../src/tools/restart-loop.js';
import { fetchStatus, roleLoop, writeSitePair, type PairSite } from '../src/tools/site-pair.js';
import { CLI, ROOT } from './children.js';
import { publish, target } from './results.js';

const kills = Number(process.env.DOORWAY_SOAK_KILLS ?? 100);
const minutes = Number(process.env.DOORWAY_SOAK_MINUTES ?? 60);
const dir = mkdtempSync(join(tmpdir(), 'doorway-soak-'));
const profile = (
  JSON.parse(readFileSync(join(ROOT, 'build', 'manifest.json'), 'utf8')) as { profile: string }
).profile;
const pair = await writeSitePair({ dir, profile, camera: { width: 640, height: 360, fps: 30 } });
const roles = ['video', 'audio'] as const;
const loops = new Map<string, RestartLoop>();
for (const site of [pair.a, pair.b]) {
  for (const role of roles) {
    const loop = roleLoop(CLI, site, role);
    loop.start();
    loops.set(`${site.name}/${role}`, loop);
  }
}

function since(status: RoleStatus | null, stream: 'video' | 'audio'): number | null {
  return status?.inbound.find((i) => i.stream === stream)?.flowingSinceMs ?? null;
}

/** When media of `stream` has flowed both ways since after `after` (unix ms), or null on timeout. */
async function resumedBothWays(
  stream: 'video' | 'audio',
  after: number,
  timeoutMs: number,
): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [a, b] = await Promise.all([fetchStatus(pair.a, stream), fetchStatus(pair.b, stream)]);
    const sa = since(a, stream);
    const sb = since(b, stream);
    // The killed side's new process starts a fresh clock; the other side's restarts after the gap.
    if (sa !== null && sb !== null && Math.max(sa, sb) > after) return Math.max(sa, sb);
    await sleep(100);
  }
  return null;
}

try {
  for (const site of [pair.a, pair.b]) for (const role of roles) await waitFlowing(site, role);
  const recoveries: number[] = [];
  let failures = 0;
  for (let i = 0; i < kills; i++) {
    const site = i % 2 === 0 ? pair.a : pair.b;
    const role = roles[Math.floor(i / 2) % 2] ?? 'video';
    const loop = loops.get(`${site.name}/${role}`);
    const killedAt = Date.now();
    loop?.kill('SIGKILL');
    const back = await resumedBothWays(role, killedAt, 15_000);
    if (back === null) failures++;
    else recoveries.push(back - killedAt);
    process.stderr.write(
      `kill ${i + 1}/${kills} ${site.name}/${role}: ${back === null ? 'not back in 15 s' : `${back - killedAt} ms`}\n`,
    );
    await sleep(1500);
  }
  recoveries.sort((x, y) => x - y);

  const samples: { atMs: number; role: string; rss: number; loopP99: number; loopMax: number }[] = [];
  const soakEnd = Date.now() + minutes * 60_000;
  while (Date.now() < soakEnd) {
    for (const site of [pair.a, pair.b]) {
      for (const role of roles) {
        const s = await fetchStatus(site, role);
        if (s !== null) {
          samples.push({
            atMs: s.atMs,
            role: `${site.name}/${role}`,
            rss: s.process.rssBytes,
            loopP99: s.process.eventLoopDelayMs.p99,
            loopMax: s.process.eventLoopDelayMs.max,
          });
        }
      }
    }
    await sleep(1000);
  }
  const p999Of = (values: number[]): number => {
    const sorted = [...values].sort((x, y) => x - y);
    return sorted[Math.min(sorted.length - 1, Math.floor(0.999 * sorted.length))] ?? 0;
  };
  const p999 = p999Of(samples.map((s) => s.loopP99));
  // Per role: the audio processes, raised above video, are the ones whose loop must stay quick.
  const loopByRole = [...loops.keys()].map((name) => ({
    role: name,
    p999Ms: p999Of(samples.filter((s) => s.role === name).map((s) => s.loopP99)),
  }));
  // RSS growth per role after warm-up: the mean of the last fifth against the second, in MiB.
  const growth = [...loops.keys()].map((name) => {
    const rss = samples.filter((s) => s.role === name).map((s) => s.rss);
    const fifth = Math.max(1, Math.floor(rss.length / 5));
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return { role: name, growthMiB: (mean(rss.slice(-fifth)) - mean(rss.slice(fifth, 2 * fifth))) / 2 ** 20 };
  });
  const worst = Math.max(...growth.map((g) => g.growthMiB));
  // Over time: each role's mean RSS and worst per-second p99 loop delay in twelve equal spans, so a
  // slow leak shows as a rising line and warm-up as one that levels off.
  const spans = 12;
  const startMs = samples[0]?.atMs ?? 0;
  const spanMs = Math.max(1, ((samples.at(-1)?.atMs ?? startMs) - startMs) / spans + 1);
  const overTime = [...loops.keys()].map((name) => {
    const mine = samples.filter((s) => s.role === name);
    const rssMiB: number[] = [];
    const loopP99Ms: number[] = [];
    for (let i = 0; i < spans; i++) {
      const part = mine.filter((s) => Math.floor((s.atMs - startMs) / spanMs) === i);
      const mean = part.reduce((a, s) => a + s.rss, 0) / Math.max(1, part.length) / 2 ** 20;
      rssMiB.push(Math.round(mean * 10) / 10);
      loopP99Ms.push(Math.max(0, ...part.map((s) => s.loopP99)));
    }
    return { role: name, spanS: Math.round(spanMs / 1000), rssMiB, loopP99Ms };
  });
  const restarts = [...loops.entries()].map(([name, loop]) => ({ role: name, starts: loop.starts }));
  publish(
    'soak',
    [
      target(
        'recovery after kill -9, p50',
        recoveries[Math.floor(recoveries.length / 2)] ?? -1,
        'ms',
        '<=',
        5000,
      ),
      target('recovery after kill -9, worst', recoveries.at(-1) ?? -1, 'ms', '<=', 5000),
      target('kills not recovered within 15 s', failures, 'kills', '<=', 0),
      target('event-loop delay p99.9 of per-second p99s', p999, 'ms', '<=', 5),
      target(
        'RSS growth after warm-up, worst role (last fifth − second fifth)',
        Math.round(worst * 10) / 10,
        'MiB',
        '<=',
        16,
      ),
    ],
    { kills, minutes, growth, loopByRole, overTime, restarts, samples: samples.length },
    [
      `${kills} SIGKILLs alternating site and role, each under a 1 s restart loop; then ${minutes} min undisturbed, 4 role processes sampled each second.`,
      `Per-role RSS growth (MiB): ${growth.map((g) => `${g.role} ${g.growthMiB.toFixed(1)}`).join(', ')}.`,
      `Per-role event-loop p99.9 (ms): ${loopByRole.map((l) => `${l.role} ${l.p999Ms.toFixed(1)}`).join(', ')}.`,
      ...overTime.map(
        (o) =>
          `${o.role} over time (${o.spanS} s spans): RSS MiB ${o.rssMiB.join(' ')}; worst loop p99 ms ${o.loopP99Ms.join(' ')}.`,
      ),
    ],
  );
} finally {
  await Promise.all([...loops.values()].map((loop) => loop.stop()));
  rmSync(dir, { recursive: true, force: true });
}

async function waitFlowing(site: PairSite, role: 'video' | 'audio'): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const s = await fetchStatus(site, role);
    if (s?.inbound.some((x) => x.flowing) === true) return;
    await sleep(100);
  }
  throw new Error(`${site.name}/${role} never received media`);
}
