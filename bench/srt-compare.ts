/**
 * doorway side by side with SRT (`srt-live-transmit`, Debian's srt-tools): the same synthetic
 * frames, through the same `doorway netsim` relay (random loss, fixed delay each way), judged
 * against the same deadline. Every piece runs in its own process on loopback, one system at a
 * time, so neither shares an event loop with the relay or with the other.
 *
 *   doorway:  doorway send --no-adapt → netsim relay → doorway recv
 *   SRT:      srt-frames send → srt-live-transmit (udp → srt caller) → netsim relay
 *             → srt-live-transmit (srt listener → udp) → srt-frames recv
 *
 * SRT gets the relay in both directions (its ACKs and NAKs cross the lossy link too, as doorway's
 * NACKs do), its connection is up before the first frame (doorway's handshake is not), and it is
 * run at a latency below its own rule of thumb (4 × RTT) because that is what gives it its best
 * on-time share against a deadline of one-way delay plus two frames.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  percentile,
  type FrameLogLine,
  type ReceiveReport,
  type TransportFigures,
} from '../src/tools/report.js';
import type { LinkStats } from '../src/netsim/index.js';
import type { SourceSummary } from './srt-messages.js';
import {
  forkChild,
  freeUdpPorts,
  spawnChild,
  srtMissing,
  stopAll,
  udpReceiveBufferErrors,
  UdpDropWatch,
  type UdpDrops,
  waitUdpBound,
  type Child,
} from './srt-procs.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DOORWAY = join(HERE, '..', 'bin', 'doorway.js');
const FRAMES = join(HERE, 'srt-frames.js');
const HOST = '127.0.0.1';

/** Start-up of one child (Node on a loaded two-core machine can take seconds). */
const START_MS = 15_000;
/** After the last frame: time for the last retransmissions to land before the receiver reports. */
const SETTLE_MS = 1_000;
/** Misses this early in a run are put down to start-up. */
const STARTUP_S = 0.5;
/** Delta frames this close after a keyframe queue behind its burst. */
const AFTER_KEYFRAME = 3;
/** SRT's UDP input socket buffer (the kernel caps it at net.core.rmem_max). */
const SRT_INPUT_RCVBUF = 4 * 1024 * 1024;

export interface SrtCompareOptions {
  readonly lossRates?: readonly number[];
  readonly oneWayMs?: number;
  readonly bitrateBps?: number;
  readonly fps?: number;
  readonly keyframeInterval?: number;
  readonly deadlineMs?: number;
  /** Seconds of traffic per system, per loss rate, per SRT latency. */
  readonly durationS?: number;
  /** SRT's TSBPD latency; with several, each is run and the best on-time share stands for SRT. */
  readonly srtLatencyMs?: number | readonly number[];
  readonly seed?: number;
  readonly srtBinary?: string;
  /** Progress lines (the CLI sends them to stderr). */
  readonly log?: (line: string) => void;
}

interface Settings {
  readonly lossRates: readonly number[];
  readonly oneWayMs: number;
  readonly bitrateBps: number;
  readonly fps: number;
  readonly keyframeInterval: number;
  readonly deadlineMs: number;
  readonly durationS: number;
  readonly srtLatenciesMs: readonly number[];
  readonly seed: number;
  readonly srtBinary: string;
  readonly log: (line: string) => void;
}

/** Where the frames that missed their deadline were (see `misses`). */
export interface Misses {
  readonly late: number;
  readonly lost: number;
  readonly startup: number;
  readonly keyframes: number;
  readonly afterKeyframe: number;
  readonly other: number;
  /** The most consecutive frames missed. */
  readonly longestRun: number;
  /** Median latency of the late frames, ms (0 when none). */
  readonly lateP50Ms: number;
}

export interface SystemFigures {
  readonly framesSent: number;
  /** On-time frames over frames sent (frames never seen count as missed). */
  readonly onTimeShare: number;
  /** Over the frames that arrived, as in doorway recv's report. */
  readonly latencyMs: ReceiveReport['latencyMs'];
  readonly frames: ReceiveReport['frames'];
  readonly misses: Misses;
  readonly relay: RelaySummary | null;
  /** Datagrams the kernel dropped at full receive buffers of this run's sockets, per process (null: unknown). */
  readonly udpDrops: UdpDrops | null;
  /** The same over the whole machine, other people's processes included. */
  readonly machineUdpDrops: number | null;
  /** 1-minute load average when the run started, per core. */
  readonly loadPerCore: number;
}

export interface RelaySummary {
  readonly forwardPackets: number;
  readonly forwardLost: number;
  readonly reversePackets: number;
  readonly reverseLost: number;
}

export interface DoorwayFigures extends SystemFigures {
  readonly transport: TransportFigures;
  readonly keyframesSent: number;
  readonly keyframeRequests: number;
}

export interface SrtFigures extends SystemFigures {
  readonly srtLatencyMs: number;
  readonly source: SourceSummary;
  /** From srt-live-transmit's last stats record (printed every few hundred packets). */
  readonly srtStats: SrtStats | null;
}

export interface SrtStats {
  readonly sentRetransmitted: number;
  readonly receivedLost: number;
  readonly receivedDropped: number;
  readonly receivedBelated: number;
  readonly rttMs: number;
}

export interface LossComparison {
  readonly lossRate: number;
  readonly doorway: DoorwayFigures;
  /** SRT at the latency that gave it the best on-time share. */
  readonly srt: SrtFigures;
  readonly srtRuns: readonly SrtFigures[];
  /** doorway on-time share / SRT's, and SRT p99 / doorway p99: above 1 means doorway is ahead. */
  readonly ratios: { readonly onTime: number; readonly p99: number };
  readonly doorwayBeatsSrt: { readonly onTime: boolean; readonly p99: boolean };
}

export interface SrtComparison {
  readonly settings: Omit<Settings, 'log' | 'srtBinary'>;
  readonly results: readonly LossComparison[];
  readonly notes: readonly string[];
}

function settle(options: SrtCompareOptions): Settings {
  // SRT delivers at about latency + one-way delay + 7 ms here, so above ~25 ms it misses a 43 ms
  // deadline; 15 ms gives up on retransmission (RTT 20 ms), 20 ms gives it a chance.
  const latency = options.srtLatencyMs ?? [15, 20];
  return {
    lossRates: options.lossRates ?? [0.02, 0.05],
    oneWayMs: options.oneWayMs ?? 10,
    bitrateBps: options.bitrateBps ?? 8e6,
    fps: options.fps ?? 60,
    keyframeInterval: options.keyframeInterval ?? 60,
    deadlineMs: options.deadlineMs ?? 43,
    durationS: options.durationS ?? 10,
    srtLatenciesMs: typeof latency === 'number' ? [latency] : latency,
    seed: options.seed ?? 1,
    srtBinary: options.srtBinary ?? 'srt-live-transmit',
    log: options.log ?? (() => undefined),
  };
}

/** Runs doorway and SRT at each loss rate, one after the other, and compares them. */
export async function compareWithSrt(options: SrtCompareOptions = {}): Promise<SrtComparison> {
  const s = settle(options);
  if (s.srtLatenciesMs.length === 0) throw new RangeError('srt-compare: give at least one SRT latency');
  const missing = srtMissing(s.srtBinary);
  if (missing !== null) throw new Error(missing);
  const work = mkdtempSync(join(tmpdir(), 'doorway-srt-'));
  // An interrupted run (Ctrl-C exits without unwinding) must not leave the directory behind.
  const removeWork = (): void => {
    rmSync(work, { recursive: true, force: true });
  };
  process.once('exit', removeWork);
  try {
    const results: LossComparison[] = [];
    for (const lossRate of s.lossRates) {
      s.log(`loss ${percent(lossRate)}: doorway`);
      const doorway = await runDoorway(s, lossRate, work);
      const srtRuns: SrtFigures[] = [];
      for (const latencyMs of s.srtLatenciesMs) {
        s.log(`loss ${percent(lossRate)}: SRT latency ${latencyMs} ms`);
        srtRuns.push(await runSrt(s, lossRate, latencyMs, work));
      }
      results.push(compare(lossRate, doorway, srtRuns));
    }
    return { settings: publicSettings(s), results, notes: notes(s, results) };
  } finally {
    process.off('exit', removeWork);
    removeWork();
  }
}

function publicSettings(s: Settings): SrtComparison['settings'] {
  return {
    lossRates: s.lossRates,
    oneWayMs: s.oneWayMs,
    bitrateBps: s.bitrateBps,
    fps: s.fps,
    keyframeInterval: s.keyframeInterval,
    deadlineMs: s.deadlineMs,
    durationS: s.durationS,
    srtLatenciesMs: s.srtLatenciesMs,
    seed: s.seed,
  };
}

function compare(lossRate: number, doorway: DoorwayFigures, srtRuns: readonly SrtFigures[]): LossComparison {
  const srt = best(srtRuns);
  return {
    lossRate,
    doorway,
    srt,
    srtRuns,
    ratios: {
      onTime: ratio(doorway.onTimeShare, srt.onTimeShare),
      p99: ratio(srt.latencyMs.p99, doorway.latencyMs.p99),
    },
    doorwayBeatsSrt: {
      onTime: doorway.onTimeShare >= srt.onTimeShare,
      p99: doorway.latencyMs.p99 <= srt.latencyMs.p99,
    },
  };
}

/** The SRT run with the best on-time share; the lower p99 breaks a tie. */
function best(runs: readonly SrtFigures[]): SrtFigures {
  const sorted = [...runs].sort((a, b) => b.onTimeShare - a.onTimeShare || a.latencyMs.p99 - b.latencyMs.p99);
  const first = sorted[0];
  if (first === undefined) throw new RangeError('srt-compare: no SRT run');
  return first;
}

function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Infinity;
  return Math.round((a / b) * 1000) / 1000;
}

function percent(rate: number): string {
  return `${Number((rate * 100).toFixed(4))}%`;
}

function netsimArgs(s: Settings, lossRate: number, listen: number, to: number): string[] {
  return [
    DOORWAY,
    'netsim',
    '--listen',
    `${HOST}:${listen}`,
    '--to',
    `${HOST}:${to}`,
    '--seed',
    String(s.seed),
    // A backstop only: the relay is stopped as soon as its run is over.
    '--duration',
    String(s.durationS + 60),
    `loss=${percent(lossRate)}`,
    `delay=${s.oneWayMs}ms`,
  ];
}

async function startRelay(s: Settings, lossRate: number, listen: number, to: number): Promise<Child> {
  const relay = spawnChild('doorway netsim', process.execPath, netsimArgs(s, lossRate, listen, to));
  await relay.output(/netsim relaying/, START_MS);
  return relay;
}

/** Stops the relay (SIGTERM makes it print its counters) and reads them. */
async function relaySummary(relay: Child): Promise<RelaySummary | null> {
  await relay.stop();
  const line = relay.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const stats = JSON.parse(line) as { forward: LinkStats; reverse: LinkStats };
    return {
      forwardPackets: stats.forward.sent,
      forwardLost: stats.forward.droppedLoss,
      reversePackets: stats.reverse.sent,
      reverseLost: stats.reverse.droppedLoss,
    };
  } catch {
    return null;
  }
}

interface RunContext {
  readonly loadPerCore: number;
  readonly machineDropsBefore: number | null;
  readonly watch: UdpDropWatch;
}

function beginRun(children: readonly Child[]): RunContext {
  return {
    loadPerCore: Math.round(((loadavg()[0] ?? 0) / cpus().length) * 100) / 100,
    machineDropsBefore: udpReceiveBufferErrors(),
    watch: new UdpDropWatch(() => children),
  };
}

function endRun(run: RunContext): { udpDrops: UdpDrops | null; machineUdpDrops: number | null } {
  const after = udpReceiveBufferErrors();
  return {
    udpDrops: run.watch.stop(),
    machineUdpDrops:
      after === null || run.machineDropsBefore === null ? null : after - run.machineDropsBefore,
  };
}

async function runDoorway(s: Settings, lossRate: number, work: string): Promise<DoorwayFigures> {
  const [relayPort, recvPort] = await freeUdpPorts(HOST, 2);
  if (relayPort === undefined || recvPort === undefined) throw new Error('srt-compare: no free UDP ports');
  const reportFile = join(work, `doorway-${lossRate}.json`);
  const framesFile = join(work, `doorway-${lossRate}.frames.jsonl`);
  const children: Child[] = [];
  const run = beginRun(children);
  try {
    const recv = spawnChild('doorway recv', process.execPath, [
      DOORWAY,
      'recv',
      '--no-decode',
      // SRT runs unencrypted here, so doorway does too: the comparison is of transports.
      '--insecure',
      '--listen',
      `${HOST}:${recvPort}`,
      '--duration',
      String(s.durationS + 30),
      '--deadline-ms',
      String(s.deadlineMs),
      '--idle-ms',
      String(SETTLE_MS),
      '--report',
      reportFile,
      '--frames-log',
      framesFile,
    ]);
    children.push(recv);
    await waitUdpBound(recvPort, recv, START_MS);
    const relay = await startRelay(s, lossRate, relayPort, recvPort);
    children.unshift(relay);
    const send = spawnChild('doorway send', process.execPath, [
      DOORWAY,
      'send',
      '--source',
      'frames',
      '--insecure',
      '--to',
      `${HOST}:${relayPort}`,
      '--bitrate',
      String(s.bitrateBps),
      '--fps',
      String(s.fps),
      '--duration',
      String(s.durationS),
      '--keyframe-interval',
      String(s.keyframeInterval),
      '--seed',
      String(s.seed),
      '--no-adapt',
    ]);
    children.unshift(send);
    const sendCode = await send.exit((s.durationS + 30) * 1000);
    if (sendCode !== 0)
      throw new Error(`doorway send exited with ${String(sendCode)}: ${send.stderr.trim()}`);
    const summary = JSON.parse(send.stdout.trim().split('\n').at(-1) ?? '{}') as {
      frames: number;
      keyframes: number;
      keyframeRequests: number;
    };
    const recvCode = await recv.exit(START_MS + 2 * SETTLE_MS);
    if (recvCode !== 0)
      throw new Error(`doorway recv exited with ${String(recvCode)}: ${recv.stderr.trim()}`);
    const drops = endRun(run);
    const relayFigures = await relaySummary(relay);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReceiveReport;
    const lines = readFileSync(framesFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as FrameLogLine);
    return {
      ...figures(s, summary.frames, report, lines, relayFigures, run, drops),
      transport: report.transport,
      keyframesSent: summary.keyframes,
      keyframeRequests: summary.keyframeRequests,
    };
  } finally {
    run.watch.stop();
    await stopAll(children);
  }
}

/** Cumulative stats as JSON every 200 packets, so the last record is close to the end of the run. */
function statsFlags(file: string): string[] {
  return ['-s:200', '-pf:json', '-f', `-statsout:${file}`];
}

function srtUri(target: string, mode: 'caller' | 'listener', latencyMs: number): string {
  return `srt://${target}?mode=${mode}&latency=${latencyMs}`;
}

async function runSrt(s: Settings, lossRate: number, latencyMs: number, work: string): Promise<SrtFigures> {
  const [outPort, listenPort, relayPort, inPort] = await freeUdpPorts(HOST, 4);
  if (outPort === undefined || listenPort === undefined || relayPort === undefined || inPort === undefined) {
    throw new Error('srt-compare: no free UDP ports');
  }
  const statsFile = join(work, `srt-${lossRate}-${latencyMs}.listener-stats.json`);
  const callerStatsFile = join(work, `srt-${lossRate}-${latencyMs}.caller-stats.json`);
  const children: Child[] = [];
  const run = beginRun(children);
  try {
    const sink = forkChild('srt-frames recv', FRAMES, [
      'recv',
      '--listen',
      `${HOST}:${outPort}`,
      '--deadline-ms',
      String(s.deadlineMs),
    ]);
    children.push(sink);
    await sink.message('sink-listening', START_MS);
    // -a:no: a dropped connection ends the run instead of hiding behind a reconnect.
    const listener = spawnChild('srt-live-transmit (listener)', s.srtBinary, [
      '-a:no',
      ...statsFlags(statsFile),
      srtUri(`${HOST}:${listenPort}`, 'listener', latencyMs),
      `udp://${HOST}:${outPort}`,
    ]);
    children.unshift(listener);
    await waitUdpBound(listenPort, listener, START_MS);
    const relay = await startRelay(s, lossRate, relayPort, listenPort);
    children.unshift(relay);
    const caller = spawnChild('srt-live-transmit (caller)', s.srtBinary, [
      '-a:no',
      ...statsFlags(callerStatsFile),
      // A large buffer so a keyframe burst is not dropped before SRT reads it.
      `udp://${HOST}:${inPort}?rcvbuf=${SRT_INPUT_RCVBUF}`,
      srtUri(`${HOST}:${relayPort}`, 'caller', latencyMs),
    ]);
    children.unshift(caller);
    await caller.output(/SRT target connected/, START_MS);
    const source = forkChild('srt-frames send', FRAMES, [
      'send',
      '--to',
      `${HOST}:${inPort}`,
      '--bitrate',
      String(s.bitrateBps),
      '--fps',
      String(s.fps),
      '--duration',
      String(s.durationS),
      '--keyframe-interval',
      String(s.keyframeInterval),
      '--seed',
      String(s.seed),
    ]);
    children.unshift(source);
    await source.message('source-ready', START_MS);
    // Probes flow until the sink has seen one: the whole chain is up before the first frame.
    await sink.message('sink-probed', START_MS);
    source.send({ type: 'go' });
    const done = await source.message('source-done', (s.durationS + 30) * 1000);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS + latencyMs));
    sink.send({ type: 'stop' });
    const { report, lines } = await sink.message('sink-report', START_MS);
    const drops = endRun(run);
    await stopAll([caller]);
    const relayFigures = await relaySummary(relay);
    await stopAll([listener]);
    return {
      ...figures(s, done.summary.frames, report, lines, relayFigures, run, drops),
      srtLatencyMs: latencyMs,
      source: done.summary,
      srtStats: srtStats(readStatsRecord(callerStatsFile), readStatsRecord(statsFile)),
    };
  } finally {
    run.watch.stop();
    await stopAll(children);
  }
}

function figures(
  s: Settings,
  framesSent: number,
  report: ReceiveReport,
  lines: readonly FrameLogLine[],
  relay: RelaySummary | null,
  run: RunContext,
  drops: ReturnType<typeof endRun>,
): SystemFigures {
  return {
    framesSent,
    onTimeShare: framesSent === 0 ? 0 : Math.round((report.frames.onTime / framesSent) * 10_000) / 10_000,
    latencyMs: report.latencyMs,
    frames: report.frames,
    misses: misses(lines, framesSent, s),
    relay,
    ...drops,
    loadPerCore: run.loadPerCore,
  };
}

/**
 * Sorts the missed frames (late or lost) by where they fall. Misses in the first half second
 * point at start-up (handshake, clock sync); on keyframes (by index: the keyframe schedule, which
 * a keyframe request shifts on the doorway side) and just after them at burst pacing; a long run
 * of consecutive misses at a stall; the rest, spread evenly, at loss recovery.
 */
export function misses(lines: readonly FrameLogLine[], framesSent: number, s: Settings): Misses {
  const startupFrames = Math.round(s.fps * STARTUP_S);
  let late = 0;
  let lost = 0;
  let startup = 0;
  let keyframes = 0;
  let afterKeyframe = 0;
  let other = 0;
  let run = 0;
  let longestRun = 0;
  const lateMs: number[] = [];
  for (let id = 0; id < Math.max(framesSent, lines.length); id++) {
    // Frames never seen at the end of the run have no line: lost.
    const line = lines[id];
    const status = line?.status ?? 'lost';
    if (status === 'on-time') {
      run = 0;
      continue;
    }
    longestRun = Math.max(longestRun, ++run);
    if (status === 'late') {
      late++;
      lateMs.push(((line?.completeUs ?? 0) - (line?.captureUs ?? 0)) / 1000);
    } else {
      lost++;
    }
    const place = id % s.keyframeInterval;
    if (id < startupFrames) startup++;
    else if (place === 0) keyframes++;
    else if (place <= AFTER_KEYFRAME) afterKeyframe++;
    else other++;
  }
  lateMs.sort((a, b) => a - b);
  return {
    late,
    lost,
    startup,
    keyframes,
    afterKeyframe,
    other,
    longestRun,
    lateP50Ms: percentile(lateMs, 0.5),
  };
}

interface SrtStatsRecord {
  readonly link?: { readonly rtt?: number };
  readonly send?: { readonly packetsRetransmitted?: number };
  readonly recv?: {
    readonly packetsLost?: number;
    readonly packetsDropped?: number;
    readonly packetsBelated?: number;
  };
}

/** The last cumulative stats record srt-live-transmit wrote; null when none. */
function readStatsRecord(file: string): SrtStatsRecord | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const last = text
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (last === undefined) return null;
  try {
    return JSON.parse(last) as SrtStatsRecord;
  } catch {
    return null;
  }
}

/** Retransmissions are the caller's (sending) figures; losses and drops the listener's. */
function srtStats(caller: SrtStatsRecord | null, listener: SrtStatsRecord | null): SrtStats | null {
  if (caller === null && listener === null) return null;
  return {
    sentRetransmitted: caller?.send?.packetsRetransmitted ?? 0,
    receivedLost: listener?.recv?.packetsLost ?? 0,
    receivedDropped: listener?.recv?.packetsDropped ?? 0,
    receivedBelated: listener?.recv?.packetsBelated ?? 0,
    rttMs: listener?.link?.rtt ?? caller?.link?.rtt ?? 0,
  };
}

/** What a reader of the figures should know about how much to trust them. */
function notes(s: Settings, results: readonly LossComparison[]): string[] {
  const out: string[] = [
    `SRT ran at latency ${s.srtLatenciesMs.join(' and ')} ms (its rule of thumb, 4 × RTT = ${8 * s.oneWayMs} ms, would miss a ${s.deadlineMs} ms deadline outright); the best on-time share stands for SRT.`,
    'p50/p99 are over frames that arrived (as in doorway recv); SRT drops packets too late for its latency, so its p99 is capped by that latency while its losses show in the on-time share.',
  ];
  const runs = results.flatMap((r) => [r.doorway, ...r.srtRuns]);
  const maxLoad = Math.max(...runs.map((r) => r.loadPerCore));
  if (maxLoad > 1) {
    out.push(
      `The machine was busy (load up to ${maxLoad} per core over ${cpus().length} cores when a run started): timer and scheduling delays land in both systems' latencies, so figures are noisy.`,
    );
  }
  for (const r of results) {
    const behind = [
      ...(r.doorwayBeatsSrt.onTime ? [] : ['on-time share']),
      ...(r.doorwayBeatsSrt.p99 ? [] : ['p99']),
    ];
    if (behind.length === 0) continue;
    const m = r.doorway.misses;
    out.push(
      `At ${percent(r.lossRate)} loss doorway is behind SRT on ${behind.join(' and ')}; its misses: ${m.startup} at start-up, ${m.keyframes} keyframes, ${m.afterKeyframe} just after one, ${m.other} others, longest run ${m.longestRun}.`,
    );
  }
  for (const r of results) {
    for (const [system, f] of [
      ['doorway', r.doorway],
      ...r.srtRuns.map((x) => [`SRT ${x.srtLatencyMs} ms`, x] as const),
    ] as const) {
      if (f.udpDrops === null || f.udpDrops.total === 0) continue;
      const where = Object.entries(f.udpDrops.by)
        .map(([name, n]) => `${n} at ${name}`)
        .join(', ');
      out.push(
        `At ${percent(r.lossRate)} loss the kernel dropped ${f.udpDrops.total} datagrams of the ${system} run at full socket buffers (${where}): a process fell behind, on top of the simulated loss.`,
      );
    }
  }
  return out;
}
