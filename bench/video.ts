/**
 * `npm run bench:video`: the picture path's figures in one run.
 * 1. Encoder: fps and per-frame latency at 720p60 and 1080p60 through our addon (x264,
 *    ultrafast/zerolatency, 8 Mbit/s), side by side with the ffmpeg CLI running the same encode
 *    of the very same pictures (the synthetic camera's frames written raw). Ratio ours/ffmpeg.
 * 2. Glass-to-glass on loopback: `doorway send --source pattern` → `doorway recv` as separate
 *    processes, encrypted, capture→decoded read from the pixel code, at 720p60 and 1080p60.
 * 3. Under loss: the same through `doorway netsim` at 2 % loss and RTT 20 ms; share of frames
 *    decoded within one-way + 33 ms.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPair } from '../src/keys/index.js';
import { VideoAddon, type EncodedPacket, type VideoFrame } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import type { PictureReport } from '../src/tools/report.js';
import { percentile } from '../src/tools/report.js';
import { child, exited, freePort, ROOT, saysOnStderr } from './children.js';
import { publish, target, type Target } from './results.js';

const addon = VideoAddon.load(
  readManifest(join(ROOT, 'build', 'manifest.json')),
  ROOT,
  join(ROOT, 'hardware'),
);
const BITRATE = 8_000_000;
const FPS = 60;
const X264_PARAMS = (gop: number): string =>
  `intra-refresh=1:keyint=${gop}:rc-lookahead=0:sync-lookahead=0:bframes=0`;

interface EncoderRun {
  readonly size: string;
  readonly frames: number;
  readonly oursFps: number;
  readonly oursEncodeMs: { readonly p50: number; readonly p99: number };
  readonly ffmpegFps: number;
  readonly ffmpegMeanMs: number;
  readonly ratio: number;
}

/** Our encoder and ffmpeg's on the same `frames` pictures (a set of `distinct` cycled). */
function compareEncoders(width: number, height: number, frames: number, distinct: number): EncoderRun {
  const dir = mkdtempSync(join(tmpdir(), 'doorway-bench-video-'));
  try {
    const pattern = addon.patternSource(width, height);
    const pictures: VideoFrame[] = [];
    const raw = join(dir, 'pictures.nv12');
    for (let i = 0; i < distinct; i++) {
      const frame = pattern.capture(i, i * 16_667);
      addon.writeFrameRaw(frame, raw, i > 0);
      pictures.push(frame);
    }
    const gop = FPS * 2;
    const encoder = addon.createEncoder({
      codec: 'h264',
      implementation: 'x264',
      width,
      height,
      fps: FPS,
      bitrateBps: BITRATE,
      gopFrames: gop,
      intraRefresh: true,
    });
    const encodeMs: number[] = [];
    // Warm-up: the first frames open x264's threads and allocate its buffers.
    const picture = (i: number): VideoFrame => {
      const frame = pictures[i % distinct];
      if (frame === undefined) throw new RangeError(`no picture ${i}`);
      return frame;
    };
    for (let i = 0; i < 10; i++) encoder.encodeSync(picture(i), false);
    const started = process.hrtime.bigint();
    for (let i = 0; i < frames; i++) {
      const packet: EncodedPacket | null = encoder.encodeSync(picture(i), false);
      if (packet !== null) encodeMs.push(packet.encodeUs / 1000);
    }
    const oursS = Number(process.hrtime.bigint() - started) / 1e9;
    encoder.close();
    for (const p of pictures) p.release();

    // ffmpeg on the same raw pictures, looped to the same count; its start-up is measured with a
    // one-frame run and taken off.
    const ffmpeg = (count: number): number => {
      const result = spawnSync(
        'ffmpeg',
        [
          '-hide_banner',
          '-nostats',
          '-benchmark',
          '-stream_loop',
          String(Math.ceil(count / distinct)),
          '-f',
          'rawvideo',
          '-pix_fmt',
          'nv12',
          '-s',
          `${width}x${height}`,
          '-r',
          String(FPS),
          '-i',
          raw,
          '-frames:v',
          String(count),
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-tune',
          'zerolatency',
          '-b:v',
          String(BITRATE),
          '-maxrate',
          String(BITRATE),
          '-bufsize',
          String(Math.round(BITRATE / FPS)),
          '-x264-params',
          X264_PARAMS(gop),
          '-f',
          'null',
          '-',
        ],
        { encoding: 'utf8' },
      );
      const rtime = /rtime=([\d.]+)s/.exec(result.stderr);
      if (result.status !== 0 || rtime === null) {
        throw new Error(
          `ffmpeg failed: ${result.error?.message ?? result.stderr.split('\n').slice(-3).join(' ')}`,
        );
      }
      return Number(rtime[1]);
    };
    const startup = Math.min(ffmpeg(1), ffmpeg(1));
    const ffmpegS = Math.max(1e-3, ffmpeg(frames + 1) - startup);
    encodeMs.sort((a, b) => a - b);
    const oursFps = frames / oursS;
    const ffmpegFps = frames / ffmpegS;
    return {
      size: `${width}x${height}`,
      frames,
      oursFps: round(oursFps),
      oursEncodeMs: { p50: percentile(encodeMs, 0.5), p99: percentile(encodeMs, 0.99) },
      ffmpegFps: round(ffmpegFps),
      ffmpegMeanMs: round((ffmpegS * 1000) / frames),
      ratio: round(oursFps / ffmpegFps, 3),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** send → (netsim) → recv on loopback; the recv report. */
async function glassToGlass(
  size: string,
  seconds: number,
  deadlineMs: number,
  netsim?: string[],
): Promise<PictureReport> {
  const dir = mkdtempSync(join(tmpdir(), 'doorway-bench-g2g-'));
  try {
    const sender = writeKeyPair(join(dir, 'sender'));
    const receiver = writeKeyPair(join(dir, 'receiver'));
    const recvPort = await freePort();
    const file = join(dir, 'report.json');
    const recv = child([
      'recv',
      '--key',
      receiver.privateKeyFile,
      '--peer-key',
      sender.publicKey,
      '--listen',
      `127.0.0.1:${recvPort}`,
      '--duration',
      String(seconds + 15),
      '--idle-ms',
      '1000',
      '--deadline-ms',
      String(deadlineMs),
      '--report',
      file,
    ]);
    await saysOnStderr(recv, 'listening on');
    let to = recvPort;
    let relay: ChildProcess | null = null;
    if (netsim !== undefined) {
      to = await freePort();
      relay = child(['netsim', '--listen', `127.0.0.1:${to}`, '--to', `127.0.0.1:${recvPort}`, ...netsim]);
      await saysOnStderr(relay, 'netsim relaying');
    }
    const send = child([
      'send',
      '--key',
      sender.privateKeyFile,
      '--peer-key',
      receiver.publicKey,
      '--to',
      `127.0.0.1:${to}`,
      '--source',
      'pattern',
      '--size',
      size,
      '--fps',
      String(FPS),
      '--bitrate',
      String(BITRATE),
      '--encoder',
      'x264',
      '--duration',
      String(seconds),
    ]);
    await Promise.all([exited(send), exited(recv)]);
    relay?.kill('SIGTERM');
    if (relay !== null) await exited(relay);
    return JSON.parse(readFileSync(file, 'utf8')) as PictureReport;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

const encoders = [compareEncoders(1280, 720, 600, 60), compareEncoders(1920, 1080, 400, 60)];
const seconds = Number(process.env.DOORWAY_BENCH_SECONDS ?? 10);
const g720 = await glassToGlass('1280x720', seconds, 100);
const g1080 = await glassToGlass('1920x1080', seconds, 100);
// RTT 20 ms: 10 ms each way; the deadline is one-way + two frames (33 ms).
const lossy = await glassToGlass('1280x720', seconds, 43, ['loss=2%', 'delay=10ms']);
const lossyShare = lossy.frames.expected === 0 ? 0 : lossy.frames.onTime / lossy.frames.expected;

const targets: Target[] = [
  ...encoders.map((e) => target(`encoder fps vs ffmpeg, ${e.size}`, e.ratio, 'ratio', '>=', 0.95)),
  target('capture→decoded p50, 720p60 loopback', g720.latencyMs.p50, 'ms', '<=', 8),
  target('capture→decoded p99, 720p60 loopback', g720.latencyMs.p99, 'ms', '<=', 12),
  target('capture→decoded p50, 1080p60 loopback', g1080.latencyMs.p50, 'ms', '<=', 12),
  target('capture→decoded p99, 1080p60 loopback', g1080.latencyMs.p99, 'ms', '<=', 16),
  target(
    'frames decoded within one-way + 33 ms, 2% loss RTT 20 ms',
    round(lossyShare * 100, 2),
    '%',
    '>=',
    99,
  ),
];
const summary = (r: PictureReport): object => ({
  frames: r.frames,
  latencyMs: r.latencyMs,
  video: r.video,
  transport: r.transport,
});
publish(
  'video',
  targets,
  {
    encoders,
    glassToGlass: { '720p60': summary(g720), '1080p60': summary(g1080), lossy720p60: summary(lossy) },
  },
  [
    ...encoders.map(
      (e) =>
        `encoder ${e.size}: ours ${e.oursFps} fps (encode p50 ${e.oursEncodeMs.p50} ms, p99 ${e.oursEncodeMs.p99} ms), ffmpeg ${e.ffmpegFps} fps (${e.ffmpegMeanMs} ms/frame), same pictures, x264 ultrafast/zerolatency with intra refresh at 8 Mbit/s`,
    ),
    `glass-to-glass 720p60: ${g720.video.decoded}/${g720.frames.expected} decoded, p50 ${g720.latencyMs.p50} ms, p95 ${g720.latencyMs.p95} ms, p99 ${g720.latencyMs.p99} ms`,
    `glass-to-glass 1080p60: ${g1080.video.decoded}/${g1080.frames.expected} decoded, p50 ${g1080.latencyMs.p50} ms, p95 ${g1080.latencyMs.p95} ms, p99 ${g1080.latencyMs.p99} ms`,
    `2% loss, RTT 20 ms, 720p60: ${lossy.frames.onTime}/${lossy.frames.expected} within 43 ms, p50 ${lossy.latencyMs.p50} ms, p99 ${lossy.latencyMs.p99} ms, FEC ${lossy.transport.fecRecovered}, resent ${lossy.transport.retransmitted}, keyframe requests ${lossy.transport.keyframeRequests}`,
  ],
);
