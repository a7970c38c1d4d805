/**
 * `npm run bench:transport`: the transport's figures in one run.
 * 1. Throughput on loopback (sender and receiver processes), in the clear and encrypted, through
 *    the batched native driver and the node:dgram one side by side; CPU per Mbit/s of each side
 *    at a fixed 80 Mbit/s encrypted.
 * 2. The impairment matrix in the simulator: 720p60 at 8 Mbit/s, RTT 20 ms, loss 0–10 % and a
 *    Gilbert-Elliott burst case, jitter 0 and 10 ms, deadline one-way + 33 ms.
 * 3. Side by side with SRT through the same `doorway netsim` relay (bench/srt-compare.ts).
 * 4. Event-loop delay and JS heap bytes allocated per packet while this process receives
 *    80 Mbit/s encrypted, each driver.
 * 5. Under attack: frames on time while a separate process floods the receiver's port with
 *    forged and random datagrams, each driver, with no flood as the baseline.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCProfiler } from 'node:v8';
import { EventLoopDelay } from '../src/ops/index.js';
import { millis, type LinkConfig } from '../src/netsim/index.js';
import { runReceiver } from '../src/tools/receiver.js';
import type { ReceiveReport } from '../src/tools/report.js';
import { simulateTransport } from '../src/tools/simulate.js';
import { writeKeyPair, type WrittenKeys } from '../src/keys/index.js';
import { chooseAead } from '../src/media/index.js';
import { DEFAULT_CIPHER } from '../src/seal/index.js';
import { publish, target, type Target } from './results.js';
import { benchScript, child, childOutput, exited, freePort, saysOnStderr } from './children.js';
import { compareWithSrt } from './srt-compare.js';

type Driver = 'native' | 'dgram';

/** What `doorway send` prints at the end (the fields the benchmark reads). */
interface SenderLine {
  readonly cpu: { readonly userMs: number; readonly systemMs: number };
  readonly udp: Driver;
}

type ReceiverReport = ReceiveReport & {
  udp: { driver: Driver };
  cpu: { userMs: number; systemMs: number };
};

interface PairRun {
  readonly pps: number;
  readonly mbps: number;
  readonly report: ReceiverReport;
  readonly sender: SenderLine;
  readonly seconds: number;
}

/** Sender and receiver as separate processes on loopback at a fixed bitrate, one driver. */
async function throughput(
  bitrate: string,
  seconds: number,
  encrypted: boolean,
  udp: Driver,
): Promise<PairRun> {
  const dir = mkdtempSync(join(tmpdir(), 'doorway-bench-'));
  try {
    const port = await freePort();
    const file = join(dir, 'report.json');
    // Each side's own key and the other's public key, made fresh for the run.
    const sender = encrypted ? writeKeyPair(join(dir, 'sender')) : null;
    const receiver = encrypted ? writeKeyPair(join(dir, 'receiver')) : null;
    const keys = (own: WrittenKeys | null, peer: WrittenKeys | null): string[] =>
      own === null || peer === null
        ? ['--insecure']
        : ['--key', own.privateKeyFile, '--peer-key', peer.publicKey];
    const recv = child([
      'recv',
      '--no-decode',
      '--udp',
      udp,
      ...keys(receiver, sender),
      '--listen',
      `127.0.0.1:${port}`,
      '--duration',
      String(seconds + 10),
      '--deadline-ms',
      '200',
      '--idle-ms',
      '700',
      '--report',
      file,
    ]);
    await saysOnStderr(recv, 'listening on');
    const send = childOutput([
      'send',
      '--source',
      'frames',
      '--udp',
      udp,
      ...keys(sender, receiver),
      '--to',
      `127.0.0.1:${port}`,
      '--bitrate',
      bitrate,
      '--fps',
      '60',
      '--duration',
      String(seconds),
      '--no-adapt',
      '--keyframe-interval',
      '600',
    ]);
    const [out] = await Promise.all([send.stdout, exited(recv)]);
    const report = JSON.parse(readFileSync(file, 'utf8')) as ReceiverReport;
    const line = out.trim().split('\n').at(-1) ?? '{}';
    const pps = report.transport.packets / seconds;
    return { pps, mbps: (pps * 1200 * 8) / 1e6, report, sender: JSON.parse(line) as SenderLine, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface MatrixRow {
  readonly case: string;
  readonly jitterMs: number;
  readonly onTime: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly fecOverhead: number;
  readonly retransmitOverhead: number;
}

function matrix(durationS: number): MatrixRow[] {
  const cases: [string, LinkConfig['loss']][] = [
    ['loss 0%', { kind: 'none' }],
    ['loss 1%', { kind: 'bernoulli', p: 0.01 }],
    ['loss 2%', { kind: 'bernoulli', p: 0.02 }],
    ['loss 5%', { kind: 'bernoulli', p: 0.05 }],
    ['loss 10%', { kind: 'bernoulli', p: 0.1 }],
    [
      'burst (GE 2%, mean burst 4)',
      { kind: 'gilbert-elliott', pGoodToBad: 0.005, pBadToGood: 0.25, lossGood: 0, lossBad: 1 },
    ],
  ];
  const rows: MatrixRow[] = [];
  for (const jitterMs of [0, 10]) {
    for (const [name, loss] of cases) {
      const link: LinkConfig = {
        delay: millis(10),
        ...(loss === undefined ? {} : { loss }),
        ...(jitterMs > 0 ? { jitter: { kind: 'uniform', max: millis(jitterMs) } } : {}),
      };
      const r = simulateTransport({
        forward: link,
        reverse: link,
        durationS,
        bitrateBps: 8e6,
        deadlineMs: 43,
        seed: 42,
      });
      const video = r.sender.streams.find((s) => s.kind === 'video');
      const media = (video?.packetsSent ?? 0) - (video?.repairPacketsSent ?? 0);
      rows.push({
        case: name,
        jitterMs,
        onTime: r.report.frames.onTime / r.report.frames.expected,
        p50Ms: r.report.latencyMs.p50,
        p99Ms: r.report.latencyMs.p99,
        fecOverhead: media > 0 ? (video?.repairPacketsSent ?? 0) / media : 0,
        retransmitOverhead: media > 0 ? (video?.retransmitted ?? 0) / media : 0,
      });
    }
  }
  return rows;
}

/** JS heap bytes allocated between two points, from the GC profiler's before/after figures. */
class HeapAllocations {
  readonly #profiler = new GCProfiler();
  #startUsed = 0;

  start(): void {
    this.#startUsed = process.memoryUsage().heapUsed;
    this.#profiler.start();
  }

  /** Bytes allocated since start(): what each collection found, plus what is live now. */
  stop(): number {
    const endUsed = process.memoryUsage().heapUsed;
    const result = this.#profiler.stop();
    let allocated = 0;
    let after = this.#startUsed;
    for (const gc of result.statistics) {
      allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - after);
      after = gc.afterGC.heapStatistics.usedHeapSize;
    }
    return allocated + Math.max(0, endUsed - after);
  }
}

interface InProcessRun {
  readonly loopP999Ms: number;
  readonly heapBytesPerPacket: number;
  readonly packets: number;
  readonly report: Awaited<ReturnType<typeof runReceiver>>;
  readonly flood: { offered: number; sent: number; answered: number } | null;
}

/**
 * This process receives `bitrate` encrypted from a sender process, through `udp`: the event-loop
 * p99.9 and the JS heap bytes per packet over the steady state (the first second left out), and
 * optionally a flood of forged datagrams from a third process at `floodPps`.
 */
async function receiveInProcess(
  udp: Driver,
  bitrate: string,
  seconds: number,
  deadlineMs: number,
  floodPps: number,
): Promise<InProcessRun> {
  const dir = mkdtempSync(join(tmpdir(), 'doorway-bench-'));
  try {
    const port = await freePort();
    const sender = writeKeyPair(join(dir, 'sender'));
    const receiver = writeKeyPair(join(dir, 'receiver'));
    const histogram = new EventLoopDelay(1);
    const heap = new HeapAllocations();
    let sent: Promise<unknown> = Promise.resolve(null);
    let flood: Promise<string> = Promise.resolve('null');
    const args = [
      'send',
      '--source',
      'frames',
      '--udp',
      udp,
      '--key',
      sender.privateKeyFile,
      '--peer-key',
      receiver.publicKey,
      '--to',
      `127.0.0.1:${port}`,
      '--bitrate',
      bitrate,
      '--fps',
      '60',
      '--duration',
      String(seconds + 1),
      '--no-adapt',
    ];
    let heapBytes = 0;
    const windowS = seconds - 0.5;
    const report = await runReceiver({
      security: { privateKeyFile: receiver.privateKeyFile, peerKey: sender.publicKey },
      udp,
      listen: { host: '127.0.0.1', port },
      durationS: seconds + 11,
      deadlineMs,
      idleMs: 700,
      onListening: () => {
        sent = exited(child(args));
        if (floodPps > 0) {
          flood = benchScript('flood-main', [
            '--to',
            `127.0.0.1:${port}`,
            '--pps',
            String(floodPps),
            '--seconds',
            String(seconds + 1),
          ]);
        }
        // Measured in the steady state: the sender's start-up second is left out.
        setTimeout(() => {
          histogram.enable();
          heap.start();
        }, 1000);
        setTimeout(
          () => {
            heapBytes = heap.stop();
            histogram.disable();
          },
          1000 + windowS * 1000,
        );
      },
    });
    await sent;
    const floodLine = (await flood).trim();
    // The sender runs at a fixed rate (--no-adapt), so the window's share of its packets is its
    // share of the sending time.
    const packetsMeasured = (report.transport.packets * windowS) / (seconds + 1);
    return {
      loopP999Ms: histogram.percentileMs(99.9),
      heapBytesPerPacket: packetsMeasured > 0 ? heapBytes / packetsMeasured : NaN,
      packets: packetsMeasured,
      report,
      flood: floodLine === 'null' ? null : (JSON.parse(floodLine) as InProcessRun['flood']),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** p99.9 of the event-loop delay of this process doing nothing: what the machine itself adds. */
async function idleEventLoop(seconds: number): Promise<number> {
  const histogram = new EventLoopDelay(1);
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  histogram.disable();
  return histogram.percentileMs(99.9);
}

const quick = process.argv.includes('--quick');
const median = (runs: PairRun[]): PairRun => {
  const sorted = [...runs].sort((x, y) => x.pps - y.pps);
  const m = sorted[Math.floor(sorted.length / 2)];
  if (m === undefined) throw new Error('no throughput round ran');
  return m;
};
// Three rounds of each driver in the clear and encrypted, the median: one round on a shared
// 2-core machine varies by up to 2×. Interleaved, so load drift hits all four alike. 1.5 Gbit/s
// offered: more than either driver carries, so each runs at its ceiling.
const combos: [Driver, boolean][] = [
  ['dgram', false],
  ['dgram', true],
  ['native', false],
  ['native', true],
];
const runs = new Map<string, PairRun[]>(combos.map(([d, e]) => [`${d}/${e}`, []]));
for (let i = 0; i < 3; i++) {
  for (const [driver, encrypted] of combos) {
    runs.get(`${driver}/${encrypted}`)?.push(await throughput('1500M', quick ? 2 : 3, encrypted, driver));
  }
}
const ceiling = (driver: Driver, encrypted: boolean): PairRun =>
  median(runs.get(`${driver}/${encrypted}`) ?? []);
const nativeClear = ceiling('native', false);
const nativeSealed = ceiling('native', true);
const dgramClear = ceiling('dgram', false);
const dgramSealed = ceiling('dgram', true);

/** CPU share of one core per Mbit/s carried, of each side, at a fixed 80 Mbit/s encrypted. */
interface CpuRun {
  readonly receiverPctPerMbps: number;
  readonly senderPctPerMbps: number;
  readonly mbps: number;
}
async function cpuAt80(driver: Driver): Promise<CpuRun> {
  const seconds = quick ? 3 : 5;
  const r = await throughput('80M', seconds, true, driver);
  const mbps = (r.report.transport.packets * 1200 * 8) / r.report.durationS / 1e6;
  const pct = (cpu: { userMs: number; systemMs: number }, overS: number): number =>
    ((cpu.userMs + cpu.systemMs) / (overS * 1000)) * 100;
  return {
    receiverPctPerMbps: pct(r.report.cpu, r.report.durationS) / mbps,
    // The sender's process runs its duration plus a 0.5 s linger and the warm-up.
    senderPctPerMbps: pct(r.sender.cpu, seconds + 0.5) / mbps,
    mbps,
  };
}
const cpuDgram = await cpuAt80('dgram');
const cpuNative = await cpuAt80('native');

const rows = matrix(quick ? 5 : 20);
const srt = await compareWithSrt({
  lossRates: [0.02, 0.05],
  durationS: quick ? 5 : 10,
  log: (line: string) => process.stderr.write(`${line}\n`),
});
const idleP999Ms = await idleEventLoop(quick ? 3 : 6);
const loopSeconds = quick ? 3 : 8;
const loopDgram = await receiveInProcess('dgram', '80M', loopSeconds, 100, 0);
const loopNative = await receiveInProcess('native', '80M', loopSeconds, 100, 0);

// Under attack: 20 Mbit/s of media (about 2 500 datagrams/s with its repair) and a flood of
// 25 000 forged datagrams/s, ten times the media's rate. The deadline is the interactive one.
const floodSeconds = quick ? 3 : 6;
const FLOOD_PPS = 25_000;
const floodCase = (driver: Driver, pps: number): Promise<InProcessRun> =>
  receiveInProcess(driver, '20M', floodSeconds, 50, pps);
const calmDgram = await floodCase('dgram', 0);
const floodDgram = await floodCase('dgram', FLOOD_PPS);
const calmNative = await floodCase('native', 0);
const floodNative = await floodCase('native', FLOOD_PPS);
const onTime = (r: InProcessRun): number =>
  r.report.frames.expected > 0 ? r.report.frames.onTime / r.report.frames.expected : 0;

const row = (name: string, jitter: number): MatrixRow | undefined =>
  rows.find((r) => r.case === name && r.jitterMs === jitter);
const targets: Target[] = [
  target(
    'UDP loopback throughput, one direction (native driver)',
    Math.round(nativeClear.pps),
    'pkt/s',
    '>=',
    40_000,
  ),
  target(
    'encrypted UDP loopback throughput, one direction (native driver)',
    Math.round(nativeSealed.pps),
    'pkt/s',
    '>=',
    25_000,
  ),
  target(
    'encrypted / in the clear throughput (native driver)',
    nativeSealed.pps / nativeClear.pps,
    'ratio',
    '>=',
    0.9,
  ),
  target(
    'encrypted throughput, native driver / node:dgram driver',
    nativeSealed.pps / dgramSealed.pps,
    'ratio',
    '>=',
    3,
  ),
  target(
    'receiver CPU per Mbit/s at 80 Mbit/s encrypted, native / node:dgram',
    cpuNative.receiverPctPerMbps / cpuDgram.receiverPctPerMbps,
    'ratio',
    '<=',
    1,
  ),
  target(
    'sender CPU per Mbit/s at 80 Mbit/s encrypted, native / node:dgram',
    cpuNative.senderPctPerMbps / cpuDgram.senderPctPerMbps,
    'ratio',
    '<=',
    1,
  ),
  target('on time at 2% loss, RTT 20 ms, jitter 0', row('loss 2%', 0)?.onTime ?? 0, 'share', '>=', 0.995),
  target('on time at 5% loss, RTT 20 ms, jitter 0', row('loss 5%', 0)?.onTime ?? 0, 'share', '>=', 0.98),
  target('on time at 2% loss, jitter 10 ms', row('loss 2%', 10)?.onTime ?? 0, 'share', '>=', 0.995),
  target('on time at 5% loss, jitter 10 ms', row('loss 5%', 10)?.onTime ?? 0, 'share', '>=', 0.98),
];
for (const c of srt.results) {
  const pct = `${Math.round(c.lossRate * 100)}%`;
  targets.push(
    target(
      `on time through netsim at ${pct}, doorway`,
      c.doorway.onTimeShare,
      'share',
      '>=',
      c.srt.onTimeShare,
    ),
  );
  targets.push(target(`on time vs SRT at ${pct} (doorway / SRT)`, c.ratios.onTime, 'ratio', '>=', 1));
  targets.push(target(`p99 latency vs SRT at ${pct} (SRT / doorway)`, c.ratios.p99, 'ratio', '>=', 1));
}
targets.push(
  target(
    'event-loop delay p99.9 while receiving 80 Mbit/s encrypted (native driver)',
    loopNative.loopP999Ms,
    'ms',
    '<=',
    2,
  ),
  target(
    'JS heap bytes allocated per received packet at 80 Mbit/s encrypted (native driver)',
    Math.round(loopNative.heapBytesPerPacket),
    'bytes',
    '<=',
    64,
  ),
  target(
    `frames on time under a ${FLOOD_PPS} datagram/s forged flood (native driver)`,
    onTime(floodNative),
    'share',
    '>=',
    0.99,
  ),
  target(
    'datagrams answered to the flood (native driver)',
    floodNative.flood?.answered ?? -1,
    'datagrams',
    '<=',
    0,
  ),
);

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
// The send and recv children resolve the seal AEAD from the same tree as this process does.
const aead = chooseAead();
const sealedWith =
  aead.fallbackReason === null
    ? `${DEFAULT_CIPHER} on OpenSSL (native/fec, one context per key)`
    : `${DEFAULT_CIPHER} on node:crypto (native/fec not loaded: ${aead.fallbackReason})`;
const rounds = (driver: Driver, encrypted: boolean): string =>
  (runs.get(`${driver}/${encrypted}`) ?? []).map((r) => Math.round(r.pps)).join(', ');
const ceilingFigures = (r: PairRun): { pps: number; mbps: number; frames: ReceiveReport['frames'] } => ({
  pps: Math.round(r.pps),
  mbps: Math.round(r.mbps),
  frames: r.report.frames,
});
const inProcessFigures = (r: InProcessRun): Record<string, unknown> => ({
  loopP999Ms: r.loopP999Ms,
  heapBytesPerPacket: Math.round(r.heapBytesPerPacket),
  packetsInWindow: Math.round(r.packets),
  frames: r.report.frames,
  onTime: onTime(r),
  droppedBeforeJs: r.report.udp.droppedBeforeJs,
  security: r.report.security,
  flood: r.flood,
});
const notes = [
  `throughput ceilings at 1.5 Gbit/s offered, separate sender and receiver processes, median of 3: native driver ${Math.round(nativeClear.pps)} pkt/s clear (rounds ${rounds('native', false)}), ${Math.round(nativeSealed.pps)} encrypted (${rounds('native', true)}); node:dgram ${Math.round(dgramClear.pps)} clear (${rounds('dgram', false)}), ${Math.round(dgramSealed.pps)} encrypted (${rounds('dgram', true)}); sealed with ${sealedWith}`,
  `CPU of one core per Mbit/s at 80 Mbit/s encrypted: receiver ${cpuNative.receiverPctPerMbps.toFixed(3)} % native vs ${cpuDgram.receiverPctPerMbps.toFixed(3)} % node:dgram; sender ${cpuNative.senderPctPerMbps.toFixed(3)} % vs ${cpuDgram.senderPctPerMbps.toFixed(3)} %`,
  ...rows.map(
    (r) =>
      `simulator, ${r.case}, jitter ${r.jitterMs} ms: ${pct(r.onTime)} on time, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, FEC +${pct(r.fecOverhead)}, retransmissions +${pct(r.retransmitOverhead)}`,
  ),
  ...srt.results.map(
    (c) =>
      `through doorway netsim at ${pct(c.lossRate)} loss, RTT 20 ms, deadline 43 ms: doorway ${pct(c.doorway.onTimeShare)} on time, p99 ${c.doorway.latencyMs.p99} ms; SRT (latency ${c.srt.srtLatencyMs} ms) ${pct(c.srt.onTimeShare)}, p99 ${c.srt.latencyMs.p99} ms`,
  ),
  `receiving 80 Mbit/s encrypted in this process: event loop p99.9 ${loopNative.loopP999Ms.toFixed(2)} ms native, ${loopDgram.loopP999Ms.toFixed(2)} ms node:dgram (idle: ${idleP999Ms.toFixed(2)} ms); JS heap allocated per packet ${Math.round(loopNative.heapBytesPerPacket)} B native, ${Math.round(loopDgram.heapBytesPerPacket)} B node:dgram`,
  `20 Mbit/s with a ${FLOOD_PPS}/s forged flood, deadline 50 ms: native ${pct(onTime(floodNative))} on time (no flood ${pct(onTime(calmNative))}), node:dgram ${pct(onTime(floodDgram))} (no flood ${pct(onTime(calmDgram))}); answered to the flood: native ${floodNative.flood?.answered ?? '?'}, node:dgram ${floodDgram.flood?.answered ?? '?'}`,
];
publish(
  'transport',
  targets,
  {
    throughput: {
      native: { clear: ceilingFigures(nativeClear), encrypted: ceilingFigures(nativeSealed) },
      dgram: { clear: ceilingFigures(dgramClear), encrypted: ceilingFigures(dgramSealed) },
      cipher: DEFAULT_CIPHER,
      aead: aead.backend.name,
    },
    cpuAt80Mbps: { native: cpuNative, dgram: cpuDgram },
    matrix: rows,
    srt: srt.results.map((c) => ({
      lossRate: c.lossRate,
      doorway: { onTime: c.doorway.onTimeShare, latencyMs: c.doorway.latencyMs },
      srt: { latencySettingMs: c.srt.srtLatencyMs, onTime: c.srt.onTimeShare, latencyMs: c.srt.latencyMs },
      ratios: c.ratios,
    })),
    srtNotes: srt.notes,
    receiving80Mbps: { idleP999Ms, native: inProcessFigures(loopNative), dgram: inProcessFigures(loopDgram) },
    flood: {
      pps: FLOOD_PPS,
      native: { calm: inProcessFigures(calmNative), flooded: inProcessFigures(floodNative) },
      dgram: { calm: inProcessFigures(calmDgram), flooded: inProcessFigures(floodDgram) },
    },
  },
  notes,
);
