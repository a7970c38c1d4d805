/**
 * `npm run bench:audio`: the audio path's costs and timing on this machine.
 * - Echo canceller (APM) and Opus encode+decode cost per 10 ms block (native, speech-like blocks).
 * - Mouth-to-ear software latency on loopback: `doorway send --audio synthetic:markers` to
 *   `doorway recv --audio-sink null`; each marker burst's capture time against its onset at the
 *   synthetic speaker, both on the realtime clock.
 * - Audio continuity while a separate video sender is killed (SIGKILL) and restarted: the audio
 *   receiver must play no block of silence mid-stream.
 * - Lip sync across the two processes in that run: the sound's mouth-to-ear p50 against the
 *   picture's capture-to-decoded p50.
 * Prints one JSON object and appends the figures to bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AudioAddon } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import type { AudioReport } from '../src/tools/receiver.js';
import { percentile } from '../src/tools/report.js';
import { CLI, child, exited, freePort, ROOT, saysOnStderr } from './children.js';
import { publish, target, type Target } from './results.js';

const seconds = Number(process.env.DOORWAY_BENCH_SECONDS ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'doorway-bench-audio-'));
const addon = AudioAddon.load(
  readManifest(join(ROOT, 'build', 'manifest.json')),
  ROOT,
  join(ROOT, 'hardware'),
);

interface SendSummary {
  readonly audio: { readonly packets: number; readonly markersCapturedUs: readonly number[] };
}

function withStdout(args: string[]): { proc: ChildProcess; out: Promise<string> } {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { proc, out: exited(proc).then(() => text) };
}

function recvArgs(port: number, report: string, extra: string[], durationS = seconds + 20): string[] {
  return [
    'recv',
    '--insecure',
    '--listen',
    `127.0.0.1:${port}`,
    '--duration',
    String(durationS),
    '--report',
    report,
    ...extra,
  ];
}

/** Marker latencies, ms: each onset heard against the latest burst captured before it. */
function mouthToEar(captured: readonly number[], played: readonly number[]): number[] {
  const out: number[] = [];
  for (const heard of played) {
    const source = captured.filter((c) => c < heard).at(-1);
    if (source !== undefined && heard - source < 400_000) out.push((heard - source) / 1000);
  }
  return out;
}

/** An audio pair for `seconds`; `during` runs while it plays (the continuity run kills video). */
async function audioRun(
  name: string,
  during: () => Promise<void> = () => Promise.resolve(),
): Promise<{ report: AudioReport; sent: SendSummary }> {
  const port = await freePort();
  const reportFile = join(dir, `${name}.json`);
  const recv = child(
    recvArgs(port, reportFile, ['--idle-ms', '1500', '--no-decode', '--audio-sink', 'null']),
  );
  await saysOnStderr(recv, 'listening on');
  const send = withStdout([
    'send',
    '--insecure',
    '--to',
    `127.0.0.1:${port}`,
    '--source',
    'none',
    '--audio',
    'synthetic:markers',
    '--duration',
    String(seconds),
  ]);
  await during();
  const out = await send.out;
  await exited(recv);
  const report = (JSON.parse(readFileSync(reportFile, 'utf8')) as { audio: AudioReport }).audio;
  return { report, sent: JSON.parse(out) as SendSummary };
}

/** A video pair whose sender is killed after a third of the run and restarted a second later. */
async function killVideoMidway(): Promise<void> {
  const port = await freePort();
  // Idle long enough to stay through the restart.
  // It runs past the second sender and then writes its report (lip sync reads it).
  const recv = child(recvArgs(port, join(dir, 'video.json'), ['--idle-ms', '10000'], seconds + 3));
  await saysOnStderr(recv, 'listening on');
  const videoArgs = [
    'send',
    '--insecure',
    '--to',
    `127.0.0.1:${port}`,
    '--size',
    '1280x720',
    '--encoder',
    'x264',
  ];
  const first = child([...videoArgs, '--duration', String(seconds)]);
  await sleep((seconds / 3) * 1000);
  first.kill('SIGKILL');
  await exited(first);
  await sleep(1000);
  const second = child([...videoArgs, '--duration', String(seconds / 3)]);
  await exited(second);
  await exited(recv);
}

const dsp = await addon.measureAudioDsp(3000);
const latency = await audioRun('latency');
const latencies = mouthToEar(latency.sent.audio.markersCapturedUs, latency.report.markersPlayedUs).sort(
  (a, b) => a - b,
);
const continuity = await audioRun('continuity', killVideoMidway);
// Lip sync across the two processes: the sound's mouth-to-ear against the picture's capture to
// decoded, both from the continuity run (same clock, same time).
const videoReport = JSON.parse(readFileSync(join(dir, 'video.json'), 'utf8')) as {
  latencyMs: { p50: number };
};
const continuityLatencies = mouthToEar(
  continuity.sent.audio.markersCapturedUs,
  continuity.report.markersPlayedUs,
).sort((a, b) => a - b);
const skewMs = percentile(continuityLatencies, 0.5) - videoReport.latencyMs.p50;
const echo = await addon.measureEchoCancellation({ delayMs: 60 });
rmSync(dir, { recursive: true, force: true });

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const p50 = round(percentile(latencies, 0.5));
const targets: Target[] = [
  target(
    'APM cost per 10 ms block (stereo, AEC+NS+AGC+HPF), p50',
    round(dsp.apmUsPerBlock?.p50 ?? NaN),
    'µs',
    '<=',
    100,
  ),
  target(
    'Opus encode+decode per 10 ms block, p50',
    round(dsp.opusEncodeDecodeUsPerBlock?.p50 ?? NaN),
    'µs',
    '<=',
    1000,
  ),
  target('mouth-to-ear software latency on loopback, p50', p50, 'ms', '<=', 25),
  target(
    'lip-sync skew, audio mouth-to-ear − video capture-to-decoded (absolute), p50, separate processes',
    round(Math.abs(skewMs)),
    'ms',
    '<=',
    20,
  ),
  target(
    'audio gaps while the video sender is killed and restarted',
    continuity.report.gapBlocks,
    'blocks',
    '<=',
    0,
  ),
];
publish(
  'audio',
  targets,
  {
    dsp,
    mouthToEarMs: {
      p50,
      p95: round(percentile(latencies, 0.95)),
      max: round(Math.max(...latencies)),
      markers: latencies.length,
    },
    latencyRun: { ...latency.report, markersPlayedUs: undefined },
    continuityRun: { ...continuity.report, markersPlayedUs: undefined },
    echo60ms: { erleDb: echo.aecOnly.erleDb, nearEndPreservationDb: echo.aecOnly.nearEndPreservationDb },
  },
  [
    `APM per 10 ms stereo block: p50 ${round(dsp.apmUsPerBlock?.p50 ?? NaN)} µs, p99 ${round(dsp.apmUsPerBlock?.p99 ?? NaN)} µs; Opus enc+dec p50 ${round(dsp.opusEncodeDecodeUsPerBlock?.p50 ?? NaN)} µs`,
    `mouth-to-ear (5 ms blocks, Opus low delay, loopback, synthetic markers): p50 ${p50} ms, p95 ${round(percentile(latencies, 0.95))} ms over ${latencies.length} bursts`,
    `continuity with video killed and restarted: ${continuity.report.gapBlocks} gap blocks (the audio-only latency run: ${latency.report.gapBlocks}), concealed ${continuity.report.concealedMs} ms of ${round(continuity.report.playedMs, 0)} ms played; audio threads ${continuity.report.scheduling.port}, process ${continuity.report.scheduling.process}`,
    `lip sync: audio mouth-to-ear p50 ${round(percentile(continuityLatencies, 0.5))} ms, video capture to decoded p50 ${round(videoReport.latencyMs.p50)} ms (720p x264, not displayed): audio ${skewMs >= 0 ? 'later' : 'earlier'} by ${round(Math.abs(skewMs))} ms`,
    `echo 60 ms: ERLE ${round(echo.aecOnly.erleDb)} dB (AEC only), near end ${round(echo.aecOnly.nearEndPreservationDb ?? NaN)} dB in double talk`,
  ],
);
