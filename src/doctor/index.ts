/**
 * `doorway doctor`: the build, its addons and the machine's devices, each with a verdict.
 * With a site config, what the site needs and is missing is a `fail`; without one, only a
 * broken build is. With a site, it also tries a handshake with the peer per stream (peer.ts):
 * a peer that is not up yet is a `warn`, since an appliance is often set up before its peer.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { SiteConfig } from '../config/index.js';
import { DoorwayError } from '../errors/index.js';
import { checkPrivateKeyFile, publicKeyOfFile } from '../keys/index.js';
import { AudioAddon, loadUdpAddon, VideoAddon, type ProbeResult } from '../media/index.js';
import { readManifest, type BuildManifest, type Feature } from '../profiles/index.js';
import { checkPeer } from './peer.js';
import {
  findSharedLibrary,
  listDevNodes,
  nvidiaDriver,
  REAL_ROOTS,
  soundCards,
  type SystemRoots,
} from './system.js';

export { checkPeer, PEER_TIMEOUT_MS, type PeerCheckOptions } from './peer.js';

export type Verdict = 'ok' | 'info' | 'warn' | 'fail';

export interface Check {
  readonly item: string;
  readonly verdict: Verdict;
  readonly detail: string;
}

export interface DoctorOptions {
  readonly appRoot: string;
  readonly hardwareDir: string;
  readonly manifestFile: string;
  readonly site?: SiteConfig;
  readonly roots?: SystemRoots;
  /** Where the dynamic linker finds a library; injectable for tests. */
  readonly findLibrary?: (libname: string) => string | null;
  /** With a site: try a handshake with its peer per stream (default true). */
  readonly peer?: boolean;
  /** How long the peer handshakes may take, both streams together, ms (default `PEER_TIMEOUT_MS`). */
  readonly peerTimeoutMs?: number;
}

export interface DoctorReport {
  readonly checks: readonly Check[];
  readonly ok: boolean;
}

const NVIDIA_FEATURES: readonly Feature[] = ['cuda', 'nvenc', 'nvdec'];

/** Every check: the machine's first, then (with a site) the peer's, which takes up to a timeout. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks = localChecks(options);
  if (options.site !== undefined && options.peer !== false) {
    checks.push(
      ...(await checkPeer(
        options.site,
        options.peerTimeoutMs === undefined ? {} : { timeoutMs: options.peerTimeoutMs },
      )),
    );
  }
  return { checks, ok: checks.every((c) => c.verdict !== 'fail') };
}

/**
 * The batched UDP port the links run on: it loads and opens a socket on loopback, and says which
 * of GSO and GRO this kernel gave it and how big a receive buffer. Without it the links fall back
 * to node:dgram: working, but with a JS object per datagram and no filter before JS.
 */
function udpCheck(manifest: BuildManifest, appRoot: string): Check {
  try {
    const port = loadUdpAddon(manifest, appRoot).createPort(
      { bindHost: '127.0.0.1', bindPort: 0, mode: 'secure', receiveBufferBytes: 4 * 1024 * 1024 },
      () => undefined,
    );
    const stats = port.stats();
    port.close();
    const offload = [stats.gso ? 'GSO' : 'no GSO', port.gro ? 'GRO' : 'no GRO'].join(', ');
    const buffer = Math.round((stats.receiveBufferBytes ?? 0) / 1024);
    return {
      item: 'addon udp',
      verdict: 'ok',
      detail: `batched socket opens; ${offload}; receive buffer ${buffer} KiB`,
    };
  } catch (err) {
    return {
      item: 'addon udp',
      verdict: 'warn',
      detail: `${messageOf(err)}: the links fall back to node:dgram`,
    };
  }
}

/** What this machine and the site's files say, synchronously: nothing here waits on the network. */
function localChecks(options: DoctorOptions): Check[] {
  const checks: Check[] = [];
  const roots = options.roots ?? REAL_ROOTS;
  const site = options.site;

  let manifest: BuildManifest | null = null;
  try {
    manifest = readManifest(options.manifestFile);
    checks.push({
      item: 'build',
      verdict: 'ok',
      detail: `profile ${manifest.profile}, features: ${manifest.builtFeatures.join(' ') || 'none'}`,
    });
    const undone = manifest.declaredFeatures.filter((f) => !manifest?.builtFeatures.includes(f));
    if (undone.length > 0) {
      checks.push({
        item: 'build',
        verdict: 'info',
        detail: `declared by the profile but not implemented by any addon yet: ${undone.join(' ')}`,
      });
    }
  } catch (err) {
    checks.push({ item: 'build', verdict: 'fail', detail: `${messageOf(err)} (run make build)` });
  }

  if (site !== undefined) {
    checks.push({
      item: 'site',
      verdict: 'ok',
      detail: `${site.site} (${site.file}), peer ${site.peer.site} at ${site.peer.host}:${site.peer.port}`,
    });
    if (manifest !== null) checks.push(profileCheck(site, manifest));
    checks.push(keyCheck(site));
  }

  let video: VideoAddon | null = null;
  if (manifest !== null) {
    try {
      video = VideoAddon.load(manifest, options.appRoot, options.hardwareDir);
      const av = video.libavcodec();
      checks.push({
        item: 'addon video',
        verdict: 'ok',
        detail: `loads; libavcodec ${av.version} (FFmpeg ${av.ffmpeg})`,
      });
    } catch (err) {
      checks.push({ item: 'addon video', verdict: 'fail', detail: messageOf(err) });
    }
  }

  if (manifest !== null) checks.push(udpCheck(manifest, options.appRoot));
  if (video !== null) checks.push(...codecChecks(video, site));
  if (video?.features.includes('cuda') === true) checks.push(cudaCheck(video, site));
  checks.push(...cameraChecks(video, roots, site));
  checks.push(...displayChecks(video, site));
  let audio: AudioAddon | null = null;
  if (manifest?.addons.audio !== undefined) {
    try {
      audio = AudioAddon.load(manifest, options.appRoot, options.hardwareDir);
      checks.push({
        item: 'addon audio',
        verdict: 'ok',
        detail: `loads; features: ${audio.features.join(' ')}`,
      });
    } catch (err) {
      checks.push({ item: 'addon audio', verdict: 'fail', detail: messageOf(err) });
    }
  }
  if (audio !== null) checks.push(...audioChecks(audio, site));
  checks.push(soundCheck(roots, site));
  checks.push(...nvidiaChecks(roots, manifest, site, options.findLibrary ?? findSharedLibrary));
  return checks;
}

/**
 * The private key, and the pre-shared key if any, must hold a key and be readable by their owner
 * alone, as the daemon requires.
 */
function keyCheck(site: SiteConfig): Check {
  try {
    const psk = site.presharedKeyPath;
    if (psk !== undefined) checkPrivateKeyFile(psk);
    return {
      item: 'keys',
      verdict: 'ok',
      detail: `${site.privateKeyPath} (0600), public key ${publicKeyOfFile(site.privateKeyPath)}${psk === undefined ? '' : `; pre-shared key ${psk} (0600)`}`,
    };
  } catch (err) {
    return { item: 'keys', verdict: 'fail', detail: messageOf(err) };
  }
}

/** The site's profile against the built one: features the build never asked for are a failure. */
function profileCheck(site: SiteConfig, manifest: BuildManifest): Check {
  if (manifest.profile === site.profile) {
    return { item: 'profile', verdict: 'ok', detail: `site and build both use '${site.profile}'` };
  }
  const missing = site.profileSpec.features.filter((f) => !manifest.declaredFeatures.includes(f));
  return {
    item: 'profile',
    verdict: missing.length > 0 ? 'fail' : 'warn',
    detail: `site wants '${site.profile}', build is '${manifest.profile}'${missing.length > 0 ? `; the build lacks: ${missing.join(' ')}` : ''}`,
  };
}

function messageOf(err: unknown): string {
  if (err instanceof DoorwayError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

function codecChecks(video: VideoAddon, site: SiteConfig | undefined): Check[] {
  const checks: Check[] = [];
  const present = video
    .codecs()
    .map((c) => `${c.name}${c.present ? '' : ' (absent)'}`)
    .join(', ');
  checks.push({ item: 'codecs', verdict: 'info', detail: `libavcodec has ${present}` });
  const probe = (item: string, needed: boolean, result: () => ProbeResult): void => {
    const r = result();
    if (r.ok) checks.push({ item, verdict: 'ok', detail: 'opens' });
    else checks.push({ item, verdict: needed ? 'fail' : 'warn', detail: `does not open: ${r.error}` });
  };
  const features = video.features;
  if (features.includes('x264'))
    probe('encoder libx264', site?.devices.encoder === 'x264', () => video.probeX264());
  if (features.includes('nvenc')) {
    probe('encoder h264_nvenc', site?.devices.encoder === 'nvenc', () => video.probeNvenc('h264'));
  }
  if (features.includes('nvdec')) {
    probe('decoder h264_cuvid', site?.devices.decoder === 'nvdec', () => video.probeNvdec('h264'));
  }
  return checks;
}

function cudaCheck(video: VideoAddon, site: SiteConfig | undefined): Check {
  const cuda = video.cudaDevices();
  if (cuda.count > 0) {
    return {
      item: 'cuda',
      verdict: 'ok',
      detail: `${cuda.count} device(s), first ${cuda.firstDevice ?? '?'} (sm ${cuda.computeCapability ?? '?'})`,
    };
  }
  // With no driver at all the runtime says "driver version is insufficient", which misleads.
  const reason =
    cuda.driverVersion === 0 ? 'no NVIDIA driver (libcuda.so.1 not loadable)' : (cuda.error ?? 'no device');
  return { item: 'cuda', verdict: site === undefined ? 'warn' : 'fail', detail: `no usable GPU: ${reason}` };
}

function cameraChecks(video: VideoAddon | null, roots: SystemRoots, site: SiteConfig | undefined): Check[] {
  const nodes = listDevNodes(roots, 'video');
  const described =
    video?.features.includes('v4l2') === true && roots === REAL_ROOTS
      ? video
          .v4l2Devices()
          .map((d) =>
            d.error === undefined
              ? `${d.path} (${d.card ?? '?'}, ${d.driver ?? '?'})`
              : `${d.path} (${d.error})`,
          )
      : nodes;
  const found = described.length > 0 ? described.join(', ') : 'none';
  const camera = site?.devices.camera;
  if (camera?.source !== 'v4l2') {
    return [
      {
        item: 'cameras',
        verdict: 'info',
        detail: `found: ${found}${camera ? '; site uses the synthetic camera' : ''}`,
      },
    ];
  }
  const present = existsSync(join(roots.dev, relative('/dev', camera.device)));
  return [
    present
      ? { item: 'camera', verdict: 'ok', detail: `${camera.device} present; found: ${found}` }
      : { item: 'camera', verdict: 'fail', detail: `${camera.device}: no such device; found: ${found}` },
  ];
}

function displayChecks(video: VideoAddon | null, site: SiteConfig | undefined): Check[] {
  const checks: Check[] = [];
  if (video?.features.includes('sdl') === true) {
    const sdl = video.sdlInfo();
    checks.push({
      item: 'display sdl',
      verdict: 'info',
      detail: `SDL ${sdl.version}, drivers: ${sdl.videoDrivers.join(' ')}`,
    });
  }
  if (video?.features.includes('kms') === true) {
    const cards = video.drmDevices();
    const text = cards
      .map((c) => `${c.path} (${c.error ?? `${c.driver ?? '?'}, ${c.connectedOutputs ?? 0} connected`})`)
      .join(', ');
    const needed = site?.devices.display.sink === 'kms';
    const usable = cards.some((c) => c.error === undefined && (c.connectedOutputs ?? 0) > 0);
    checks.push({
      item: 'display kms',
      verdict: usable ? 'ok' : needed ? 'fail' : 'info',
      detail: cards.length > 0 ? text : 'no /dev/dri/card* found',
    });
  }
  return checks;
}

function audioChecks(audio: AudioAddon, site: SiteConfig | undefined): Check[] {
  const checks: Check[] = [];
  const verdictOf = (r: ProbeResult): Verdict => (r.ok ? 'ok' : site === undefined ? 'warn' : 'fail');
  if (audio.features.includes('audio-io')) {
    const pa = audio.portaudioDevices();
    const names = pa.devices.map(
      (d) => `${d.name} (${d.hostApi}, ${d.maxInputChannels} in/${d.maxOutputChannels} out)`,
    );
    checks.push({
      item: 'audio devices',
      verdict: pa.error === undefined ? 'info' : 'warn',
      detail: `${pa.version.split(',')[0] ?? pa.version}: ${pa.error ?? (names.length > 0 ? names.join('; ') : 'no devices')}`,
    });
  }
  if (audio.features.includes('apm')) {
    const apm = audio.probeApm();
    checks.push({
      item: 'echo canceller',
      verdict: verdictOf(apm),
      detail: apm.ok ? 'runs (AEC extended filter, delay-agnostic, NS, HPF, AGC)' : apm.error,
    });
  }
  if (audio.features.includes('opus')) {
    const opus = audio.opusInfo();
    checks.push({
      item: 'opus',
      verdict: verdictOf(opus),
      detail: opus.ok ? `${opus.version}, low-delay block round trip` : opus.error,
    });
  }
  return checks;
}

function soundCheck(roots: SystemRoots, site: SiteConfig | undefined): Check {
  const cards = soundCards(roots);
  const detail = cards.length > 0 ? cards.join('; ') : 'no sound card (/proc/asound/cards lists none)';
  if (site === undefined) return { item: 'sound', verdict: 'info', detail };
  const { capture, playback } = site.devices.audio;
  // Synthetic microphones and file or null speakers run without a card; so does a PulseAudio device.
  const cardless = (name: string): boolean =>
    name.startsWith('pulse') || name === 'none' || name.startsWith('file:');
  const needsCard = !(
    (cardless(capture) || capture.startsWith('synthetic')) &&
    (cardless(playback) || playback === 'null')
  );
  return { item: 'sound', verdict: cards.length > 0 || !needsCard ? 'ok' : 'fail', detail };
}

function nvidiaChecks(
  roots: SystemRoots,
  manifest: BuildManifest | null,
  site: SiteConfig | undefined,
  findLibrary: (libname: string) => string | null,
): Check[] {
  const wanted = site?.profileSpec.features ?? manifest?.builtFeatures ?? [];
  const needsNvidia = wanted.some((f) => NVIDIA_FEATURES.includes(f));
  const missingVerdict: Verdict = site !== undefined && needsNvidia ? 'fail' : needsNvidia ? 'warn' : 'info';
  const driver = nvidiaDriver(roots);
  const libcuda = findLibrary('libcuda.so.1');
  return [
    driver === null
      ? {
          item: 'nvidia driver',
          verdict: missingVerdict,
          detail: 'not loaded (no /proc/driver/nvidia/version)',
        }
      : { item: 'nvidia driver', verdict: 'ok', detail: driver },
    libcuda === null
      ? { item: 'libcuda.so.1', verdict: missingVerdict, detail: 'not found by the dynamic linker' }
      : { item: 'libcuda.so.1', verdict: 'ok', detail: libcuda },
  ];
}

/** The report as aligned text lines, one per check. */
export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.item.length));
  const lines = report.checks.map((c) => `${c.verdict.padEnd(4)}  ${c.item.padEnd(width)}  ${c.detail}`);
  lines.push(report.ok ? 'verdict: ready' : 'verdict: not ready');
  return `${lines.join('\n')}\n`;
}
