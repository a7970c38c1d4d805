/**
 * `doorway demo`: two endpoints on loopback, each its own process, with the synthetic camera,
 * x264 and the secure session: `doorway send` → `doorway recv`. Shows a live status line, then
 * writes the last received picture and a latency histogram as PNGs, and ends with a one-paragraph
 * summary. This is what `make demo` runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MediaError } from '../errors/index.js';
import { writeKeyPair } from '../keys/index.js';
import { MARKER_COLOURS, writeLatencyHistogram } from './histogram.js';
import type { ReceiverProgress } from './receiver.js';
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
  };
  const recv = start(options.cli, [
    'recv',
    '--key',
    receiver.privateKeyFile,
    '--peer-key',
    sender.publicKey,
    '--listen',
    '127.0.0.1:0',
    '--duration',
    String(options.durationS + 15),
    '--idle-ms',
    '1500',
    '--deadline-ms',
    String(options.deadlineMs),
    '--fps',
    String(options.fps),
    '--report',
    files.report,
    '--frames-log',
    files.frames,
    '--last-frame',
    files.lastFrame,
    '--progress',
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: recv.child.stderr });
    lines.on('line', (line) => {
      const listening = /^listening on [^ ]+:(\d+)$/.exec(line);
      if (listening !== null) {
        resolve(Number(listening[1]));
        return;
      }
      if (line.startsWith('{"progress"')) {
        const p = (JSON.parse(line) as { progress: ReceiverProgress }).progress;
        options.status(statusLine(p), options.tty);
        return;
      }
      recv.errors.push(line);
    });
    recv.child.once('exit', () => {
      reject(new MediaError(`the receiving endpoint stopped: ${recv.errors.join(' ') || 'no reason given'}`));
    });
  });
  const send = start(options.cli, [
    'send',
    '--key',
    sender.privateKeyFile,
    '--peer-key',
    receiver.publicKey,
    '--to',
    `127.0.0.1:${port}`,
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
  createInterface({ input: send.child.stderr }).on('line', (line) => send.errors.push(line));
  const [sendCode, recvCode] = await Promise.all([exitOf(send.child), exitOf(recv.child)]);
  if (options.tty) options.status('', true);
  if (sendCode !== 0) throw new MediaError(`the sending endpoint failed: ${send.errors.join(' ')}`);
  if (recvCode !== 0) throw new MediaError(`the receiving endpoint failed: ${recv.errors.join(' ')}`);
  const report = JSON.parse(readFileSync(files.report, 'utf8')) as PictureReport;
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
    summary: summarise(report, options, files),
    lastFramePng: files.lastFrame,
    histogramPng: files.histogram,
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
  o: DemoOptions,
  files: { readonly lastFrame: string; readonly histogram: string },
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
    `could not be read. The last picture is ${files.lastFrame}; the latency histogram is ` +
    `${files.histogram} (green p50, orange p99, red the deadline).`
  );
}

interface Endpoint {
  readonly child: ChildProcess & { stderr: NodeJS.ReadableStream };
  readonly errors: string[];
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
