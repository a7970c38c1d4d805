/**
 * Two doorway sites on one machine, a full pair: each site gets its keys, its site config, its
 * state directory and its own loopback address (127.0.0.2 and 127.0.0.3), and its roles run as
 * separate processes kept alive by a restart loop, as systemd keeps the appliance's services
 * alive. `make demo` runs this pair; the fault-recovery tests and `bench/soak` build on it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { MediaError } from '../errors/index.js';
import type { Spectrogram } from '../media/index.js';
import { writeKeyPair } from '../keys/index.js';
import { fetchRoleStatus, type RoleStatus } from '../ops/index.js';
import { ConcealmentPerSecond, type ConcealmentSummary } from './concealment.js';
import { RestartLoop } from './restart-loop.js';
import { writeSpectrogramPng } from './spectrogram.js';

export type SiteName = 'site-a' | 'site-b';

export interface PairSite {
  readonly name: SiteName;
  readonly file: string;
  readonly host: string;
  readonly stateDir: string;
  readonly mediaPort: number;
  readonly metricsPort: number;
  readonly statusPort: number;
  readonly publicKey: string;
}

export interface SitePairOptions {
  readonly dir: string;
  /** The build's profile (the sites must name a profile whose features this build has). */
  readonly profile: string;
  readonly camera?: { readonly width: number; readonly height: number; readonly fps: number };
  /** Each site's speaker: `null`, or `file:PATH.wav`; default null. */
  readonly playback?: (site: SiteName) => string;
  /** Each site's microphone: `synthetic[:kind]` or `file:PATH.wav`; default `synthetic:speech`. */
  readonly capture?: (site: SiteName) => string;
  /** Each site's audio options beyond its devices: a synthetic room, echo cancellation. */
  readonly audio?: (site: SiteName) => SiteAudioExtras;
  /** Send each site's media here instead of to the other site (a relay in between); by site. */
  readonly peerPortOverride?: Partial<Record<SiteName, number>>;
}

export interface SiteAudioExtras {
  readonly syntheticRoom?: { readonly echoDelayMs: number; readonly echoGainDb: number };
  readonly echoCancel?: boolean;
}

export interface SitePair {
  readonly a: PairSite;
  readonly b: PairSite;
}

/** Writes keys and site configs for two sites that point at each other. */
export async function writeSitePair(given: SitePairOptions): Promise<SitePair> {
  // Key paths in a site file are taken relative to the file: every path written is absolute.
  const options = { ...given, dir: resolve(given.dir) };
  mkdirSync(options.dir, { recursive: true });
  const camera = options.camera ?? { width: 640, height: 360, fps: 30 };
  const hosts: Record<SiteName, string> = { 'site-a': '127.0.0.2', 'site-b': '127.0.0.3' };
  const keys = {
    'site-a': writeKeyPair(join(options.dir, 'site-a', 'keys'), { force: true }),
    'site-b': writeKeyPair(join(options.dir, 'site-b', 'keys'), { force: true }),
  };
  const ports = {
    'site-a': await freePortBlock(hosts['site-a']),
    'site-b': await freePortBlock(hosts['site-b']),
  };
  const site = (name: SiteName, peer: SiteName): PairSite => {
    const dir = join(options.dir, name);
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const file = join(dir, 'site.json');
    const config = {
      site: name,
      profile: options.profile,
      privateKeyPath: keys[name].privateKeyFile,
      peer: {
        site: peer,
        host: options.peerPortOverride?.[name] === undefined ? hosts[peer] : '127.0.0.1',
        port: options.peerPortOverride?.[name] ?? ports[peer],
        publicKey: keys[peer].publicKey,
      },
      ports: { media: ports[name], metrics: ports[name] + 2, status: ports[name] + 4 },
      devices: {
        camera: { source: 'synthetic', ...camera },
        encoder: 'x264',
        decoder: 'software',
        display: { sink: 'headless', fullscreen: false },
        audio: {
          capture: options.capture?.(name) ?? 'synthetic:speech',
          playback: options.playback?.(name) ?? 'null',
          ...options.audio?.(name),
        },
      },
      bitrate: { videoMinKbps: 300, videoMaxKbps: 4000, audioKbps: 96 },
    };
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    return {
      name,
      file,
      host: hosts[name],
      stateDir,
      mediaPort: ports[name],
      metricsPort: ports[name] + 2,
      statusPort: ports[name] + 4,
      publicKey: keys[name].publicKey,
    };
  };
  return { a: site('site-a', 'site-b'), b: site('site-b', 'site-a') };
}

/** The `doorway run` arguments of one role of a site (no role: the whole site in one process). */
export function runArgs(site: PairSite, role?: 'video' | 'audio'): string[] {
  return [
    'run',
    '--site',
    site.file,
    ...(role === undefined ? [] : ['--role', role]),
    '--state-dir',
    site.stateDir,
    '--listen-host',
    site.host,
  ];
}

/** One role of a site under a restart loop (RestartSec=1 by default). */
export function roleLoop(
  cli: string,
  site: PairSite,
  role: 'video' | 'audio' | undefined,
  more: { restartDelayMs?: number; onStderr?: (line: string) => void } = {},
): RestartLoop {
  return new RestartLoop({
    name: `${site.name}/${role ?? 'all'}`,
    command: process.execPath,
    args: [cli, ...runArgs(site, role)],
    ...(more.restartDelayMs === undefined ? {} : { restartDelayMs: more.restartDelayMs }),
    ...(more.onStderr === undefined ? {} : { onStderr: more.onStderr }),
  });
}

/** A role's status JSON, or null while it cannot be reached (restarting). */
export async function fetchStatus(
  site: PairSite,
  role: 'video' | 'audio' | 'all',
): Promise<RoleStatus | null> {
  const port = site.metricsPort + (role === 'audio' ? 1 : 0);
  const result = await fetchRoleStatus(`http://127.0.0.1:${port}/status.json`, 1000);
  return result.ok ? result.status : null;
}

/**
 * Six consecutive free ports: media (UDP, video and audio) on the site's address, then metrics
 * (TCP, two roles) and the status page (TCP) on loopback. Probed, not reserved: another process
 * could take one in between, which on a test machine is rare enough.
 */
async function freePortBlock(host: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + 6 * Math.floor(Math.random() * 6000);
    const checks = await Promise.all([
      udpFree(host, base),
      udpFree(host, base + 1),
      tcpFree(base + 2),
      tcpFree(base + 3),
      tcpFree(base + 4),
    ]);
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free block of ports for a site');
}

/** Whether a UDP port can be bound on `host` right now. */
export function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => {
      socket.close(() => {
        resolve(true);
      });
    });
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

export interface SitePairRunOptions {
  readonly cli: string;
  readonly dir: string;
  readonly profile: string;
  readonly durationS: number;
  /** A live line about once a second; `replace` is true on a terminal. */
  readonly status: (line: string, replace: boolean) => void;
  readonly tty: boolean;
  /** The audio addon's spectrogram of a WAV; given, each site's heard.wav is drawn to heard.png. */
  readonly spectrogram?: (wavPath: string) => Spectrogram;
}

export interface SitePairResult {
  readonly pair: SitePair;
  /** The last status of each site's roles. */
  readonly statuses: Readonly<Record<SiteName, { video: RoleStatus | null; audio: RoleStatus | null }>>;
  readonly summary: string;
}

/**
 * The demo: both sites, each role a process of its own under a restart loop, for `durationS`;
 * then a graceful stop and a summary of what flowed each way. What `make demo` runs.
 */
export async function runSitePair(options: SitePairRunOptions): Promise<SitePairResult> {
  const pair = await writeSitePair({
    dir: options.dir,
    profile: options.profile,
    playback: (site) => `file:${join(options.dir, site, 'heard.wav')}`,
  });
  const errors: string[] = [];
  const loops: RestartLoop[] = [];
  for (const site of [pair.a, pair.b]) {
    for (const role of ['video', 'audio'] as const) {
      const loop = roleLoop(options.cli, site, role, {
        onStderr: (line) => {
          if (line.startsWith('doorway:')) errors.push(`${site.name}/${role}: ${line}`);
        },
      });
      loop.start();
      loops.push(loop);
    }
  }
  const read = async (): Promise<SitePairResult['statuses']> => ({
    'site-a': { video: await fetchStatus(pair.a, 'video'), audio: await fetchStatus(pair.a, 'audio') },
    'site-b': { video: await fetchStatus(pair.b, 'video'), audio: await fetchStatus(pair.b, 'audio') },
  });
  let statuses = await read();
  const concealment = { 'site-a': new ConcealmentPerSecond(), 'site-b': new ConcealmentPerSecond() };
  const endAt = Date.now() + options.durationS * 1000;
  try {
    while (Date.now() < endAt) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      statuses = await read();
      for (const name of ['site-a', 'site-b'] as const) {
        const audio = statuses[name].audio?.inbound.find((i) => i.stream === 'audio');
        concealment[name].add(audio?.audioMs ?? null);
      }
      options.status(
        liveLine(statuses, Math.round(options.durationS - (endAt - Date.now()) / 1000)),
        options.tty,
      );
    }
  } finally {
    await Promise.all(loops.map((loop) => loop.stop()));
  }
  if (options.tty) options.status('', true);
  const heardLines: string[] = [];
  for (const name of ['site-a', 'site-b'] as const) {
    const wav = join(options.dir, name, 'heard.wav');
    let drawn = '';
    if (options.spectrogram !== undefined) {
      const png = join(options.dir, name, 'heard.png');
      try {
        writeSpectrogramPng(png, options.spectrogram(wav), concealment[name].spans);
        drawn = `; its spectrogram is ${png}`;
      } catch (err) {
        errors.push(`${name}: no spectrogram of ${wav}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    heardLines.push(`${name} heard: ${concealmentLine(concealment[name].summary())}${drawn}.`);
  }
  const restarts = loops.filter((l) => l.starts > 1).map((l) => `${l.name} restarted ${l.starts - 1}×`);
  const summary = [
    `Two sites on loopback (site-a 127.0.0.2, site-b 127.0.0.3), each role its own process, encrypted, ${options.durationS} s.`,
    directionLine('site-a', statuses['site-b']),
    directionLine('site-b', statuses['site-a']),
    ...heardLines,
    `Status pages were on http://127.0.0.1:${pair.a.statusPort}/ and http://127.0.0.1:${pair.b.statusPort}/; what each site heard is in ${join(options.dir, '<site>', 'heard.wav')}.`,
    ...(restarts.length > 0 ? [`Restarts: ${restarts.join(', ')}.`] : []),
    ...(errors.length > 0 ? [`Errors: ${errors.join(' | ')}`] : []),
  ].join('\n');
  const flowing = (['site-a', 'site-b'] as const).every((name) =>
    (['video', 'audio'] as const).every(
      (role) => statuses[name][role]?.inbound.some((i) => i.flowing) === true,
    ),
  );
  // A demo that shows nothing flowing is a failure, whatever it printed.
  if (!flowing)
    throw new MediaError(`the site pair did not carry media both ways: ${summary.replaceAll('\n', ' ')}`);
  return { pair, statuses, summary };
}

/** What `receiver` got from its peer: `from` names the sending site. */
function directionLine(
  from: SiteName,
  receiver: { video: RoleStatus | null; audio: RoleStatus | null },
): string {
  const video = receiver.video?.inbound.find((i) => i.stream === 'video');
  const audio = receiver.audio?.inbound.find((i) => i.stream === 'audio');
  const to = receiver.video?.site ?? receiver.audio?.site ?? '?';
  const v =
    video === undefined
      ? 'no video status'
      : `video ${video.flowing ? 'flowing' : 'NOT flowing'} at ${video.framesPerS} fps, capture→decoded p50 ${video.latencyMs.p50 ?? '–'} ms, ${video.framesLost} frames lost`;
  const a =
    audio === undefined
      ? 'no audio status'
      : `audio ${audio.flowing ? 'flowing' : 'NOT flowing'}, mouth→speaker p50 ${audio.latencyMs.p50 ?? '–'} ms, ${audio.concealedPercent ?? 0}% concealed`;
  return `${from} → ${to}: ${v}; ${a}.`;
}

function concealmentLine(s: ConcealmentSummary): string {
  if (s.seconds === 0) return 'no audio status read';
  const worst =
    s.worstAtMs === null ? '' : `, worst ${s.worstPercent}% at ${Math.round(s.worstAtMs / 1000)} s`;
  return `sound concealed in ${s.secondsConcealed} of ${s.seconds} s${worst}`;
}

function liveLine(statuses: SitePairResult['statuses'], elapsedS: number): string {
  const part = (name: SiteName): string => {
    const s = statuses[name];
    const video = s.video?.inbound[0];
    const audio = s.audio?.inbound[0];
    return `${name} hears video ${video?.framesPerS ?? 0} fps ${video?.latencyMs.p50 ?? '–'} ms, audio ${audio?.latencyMs.p50 ?? '–'} ms`;
  };
  return `${elapsedS} s  ${part('site-a')} | ${part('site-b')}`;
}
