/**
 * `doorway demo`: two endpoints on loopback with the secure session. Video (the synthetic camera
 * and x264) and sound (a synthetic talker through Opus) each run in their own pair of processes,
 * `doorway send` → `doorway recv`, as the appliance runs them: a video hiccup never reaches the
 * sound. Shows a live status line, then writes the last received picture and a latency histogram
 * as PNGs and the sound as it reached the speaker as a WAV, and ends with a one-paragraph summary.
 * This is what `make demo` runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MediaError } from '../errors/index.js';
import { writeKeyPair } from '../keys/index.js';
import { MARKER_COLOURS, writeLatencyHistogram } from './histogram.js';
import type { AudioReport, ReceiverProgress } from './receiver.js';
import type { PictureLogLine, PictureReport } from './report.js';

export interface DemoOptions {
  /** The `doorway` script to start the endpoints with. */
  readonly cli: string;
  readonly outDir: string;
  readonly durationS: number;
  readonly size: string;
  readonly fps: number;
  readonly bitrate: string;
  readonly deadlineMs: number;
  /** Live status lines; `replace` is true on a terminal (overwrite the line). */
  readonly status: (line: string, replace: boolean) => void;
  readonly tty: boolean;
}

export interface DemoResult {
  readonly report: PictureReport;
  readonly summary: string;
  readonly lastFramePng: string;
  readonly histogramPng: string;
  readonly audio: AudioReport;
  readonly receivedWav: string;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  mkdirSync(options.outDir, { recursive: true });
  const keys = join(options.outDir, 'keys');
  const sender = writeKeyPair(join(keys, 'sender'), { force: true });
  const receiver = writeKeyPair(join(keys, 'receiver'), { force: true });
  const files = {
    report: join(options.outDir, 'report.json'),
    frames: join(options.outDir, 'frames.jsonl'),
    lastFrame: join(options.outDir, 'last-frame.png'),
    histogram: join(options.outDir, 'latency-histogram.png'),
    audioReport: join(options.outDir, 'audio-report.json'),
    sound: join(options.outDir, 'received.wav'),
  };
  const keyArgs = (own: string, peer: string): string[] => ['--key', own, '--peer-key', peer];
  // Both receivers: this site's key, any free port, and a time limit well past the senders'.
  const receiving = (report: string, more: readonly string[]): Endpoint =>
    start(options.cli, [
      'recv',
      ...keyArgs(receiver.privateKeyFile, sender.publicKey),
      '--listen',
      '127.0.0.1:0',
      '--duration',
      String(options.durationS + 15),
      '--idle-ms',
      '1500',
      '--report',
      report,
      ...more,
    ]);
  const recv = receiving(files.report, [
    '--deadline-ms',
    String(options.deadlineMs),
    '--fps',
    String(options.fps),
    '--frames-log',
    files.frames,
    '--last-frame',
    files.lastFrame,
    '--progress',
  ]);
  const port = listeningPort(recv, (line) => {
    if (!line.startsWith('{"progress"')) return false;
    const p = (JSON.parse(line) as { progress: ReceiverProgress }).progress;
    options.status(statusLine(p), options.tty);
    return true;
  });
  const soundRecv = receiving(files.audioReport, ['--no-decode', '--audio-sink', `file:${files.sound}`]);
  const soundPort = listeningPort(soundRecv, () => false);
  let videoAt: number;
  let soundAt: number;
  try {
    [videoAt, soundAt] = await Promise.all([port, soundPort]);
  } catch (err) {
    recv.child.kill();
    soundRecv.child.kill();
    throw err;
  }
  const send = start(options.cli, [
    'send',
    ...keyArgs(sender.privateKeyFile, receiver.publicKey),
    '--to',
    `127.0.0.1:${videoAt}`,
    '--source',
    'pattern',
    '--size',
    options.size,
    '--fps',
    String(options.fps),
    '--bitrate',
    options.bitrate,
    '--duration',
    String(options.durationS),
  ]);
  const soundSend = start(options.cli, [
    'send',
    ...keyArgs(sender.privateKeyFile, receiver.publicKey),
    '--to',
    `127.0.0.1:${soundAt}`,
    '--source',
    'none',
    '--audio',
    'synthetic:speech',
    '--duration',
    String(options.durationS),
  ]);
  for (const endpoint of [send, soundSend]) {
    createInterface({ input: endpoint.child.stderr }).on('line', (line) => endpoint.errors.push(line));
  }
  const endpoints = [
    { endpoint: send, what: 'the sending video endpoint' },
    { endpoint: soundSend, what: 'the sending sound endpoint' },
    { endpoint: recv, what: 'the receiving video endpoint' },
    { endpoint: soundRecv, what: 'the receiving sound endpoint' },
  ];
  const codes = await Promise.all(endpoints.map((e) => exitOf(e.endpoint.child)));
  if (options.tty) options.status('', true);
  endpoints.forEach(({ endpoint, what }, i) => {
    if (codes[i] !== 0) throw new MediaError(`${what} failed: ${endpoint.errors.join(' ')}`);
  });
  const report = JSON.parse(readFileSync(files.report, 'utf8')) as PictureReport;
  const audio = (JSON.parse(readFileSync(files.audioReport, 'utf8')) as { audio: AudioReport }).audio;
  const lines = readFileSync(files.frames, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as PictureLogLine);
  const latencies = lines.flatMap((l) => (l.decodedUs === null ? [] : [(l.decodedUs - l.captureUs) / 1000]));
  writeLatencyHistogram(files.histogram, latencies, {
    markers: [
      { ms: report.latencyMs.p50, colour: MARKER_COLOURS.p50 },
      { ms: report.latencyMs.p99, colour: MARKER_COLOURS.p99 },
      { ms: report.deadlineMs, colour: MARKER_COLOURS.deadline },
    ],
  });
  return {
    report,
    summary: summarise(report, audio, options, files),
    lastFramePng: files.lastFrame,
    histogramPng: files.histogram,
    audio,
    receivedWav: files.sound,
  };
}

function statusLine(p: ReceiverProgress): string {
  return (
    `${p.elapsedS.toFixed(1).padStart(5)} s  ${p.fps.toFixed(1).padStart(5)} fps  ` +
    `${(p.bitrateBps / 1e6).toFixed(2)} Mbit/s  latency p50 ${p.latencyMs.p50.toFixed(1)} ms ` +
    `p99 ${p.latencyMs.p99.toFixed(1)} ms  lost ${p.lost}  FEC ${p.fecRecovered}  resent ${p.retransmitted}`
  );
}

function summarise(
  r: PictureReport,
  a: AudioReport,
  o: DemoOptions,
  files: { readonly lastFrame: string; readonly histogram: string; readonly sound: string },
): string {
  const share = r.frames.expected === 0 ? 0 : (100 * r.frames.onTime) / r.frames.expected;
  return (
    `Two doorway endpoints on loopback sent ${o.size} at ${o.fps} fps and ${o.bitrate}bit/s from the ` +
    `synthetic camera through x264, the encrypted doorway transport and the software decoder for ` +
    `${r.durationS.toFixed(1)} s. ${r.video.decoded} of ${r.frames.expected} frames were decoded ` +
    `(${share.toFixed(1)} % within ${r.deadlineMs} ms of capture, ${r.frames.lost} lost, ` +
    `${r.video.decodeErrors} decode errors); capture to decoded, read from the pixel code on each ` +
    `picture, was p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms and p99 ${r.latencyMs.p99} ms ` +
    `(max ${r.latencyMs.max} ms), with ${r.transport.fecRecovered} packets rebuilt by FEC, ` +
    `${r.transport.retransmitted} retransmitted and ${r.video.codeReadFailures} pictures whose code ` +
    `could not be read. In their own processes, the synthetic talker's ${a.received} Opus packets ` +
    `played as ${(a.playedMs / 1000).toFixed(1)} s of sound (${a.concealedMs} ms concealed, ` +
    `${a.gapBlocks} gaps, jitter buffer delay p95 ${a.addedDelayMs.p95 ?? 0} ms). The last picture ` +
    `is ${files.lastFrame}; the latency histogram is ${files.histogram} (green p50, orange p99, red ` +
    `the deadline); the sound as it reached the speaker is ${files.sound}.`
  );
}

interface Endpoint {
  readonly child: ChildProcess & { stderr: NodeJS.ReadableStream };
  readonly errors: string[];
}

/**
 * The port an endpoint listens on, from its "listening on" line; other stderr lines go to
 * `onLine` (true: handled) or are kept as its errors. Rejects if it exits first.
 */
function listeningPort(endpoint: Endpoint, onLine: (line: string) => boolean): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    createInterface({ input: endpoint.child.stderr }).on('line', (line) => {
      const listening = /^listening on [^ ]+:(\d+)$/.exec(line);
      if (listening !== null) resolve(Number(listening[1]));
      else if (!onLine(line)) endpoint.errors.push(line);
    });
    endpoint.child.once('exit', () => {
      reject(
        new MediaError(`a receiving endpoint stopped: ${endpoint.errors.join(' ') || 'no reason given'}`),
      );
    });
  });
}

function start(cli: string, args: readonly string[]): Endpoint {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { child: child, errors: [] };
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else
      child.once('exit', (code) => {
        resolve(code ?? 1);
      });
  });
}
