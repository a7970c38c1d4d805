/**
 * The two ends of the SRT side of the benchmark, run as child processes of bench/srt-compare
 * (forked, so they talk to it over IPC):
 *
 *   srt-frames.js send --to H:P --bitrate B --fps F --duration S --keyframe-interval N --seed X
 *     Sends the same synthetic frames `doorway send` would, cut into SRT-sized UDP datagrams, to
 *     the UDP input of `srt-live-transmit`. Until told `go`, it sends probes so the parent knows
 *     the whole chain (SRT caller, relay, SRT listener, receiver) is up.
 *   srt-frames.js recv --listen H:P --deadline-ms D
 *     Receives what the SRT listener writes out, reassembles frames and keeps the on-time ledger
 *     doorway recv keeps; answers `stop` with its report and frame log.
 *
 * The capture time of frame i is start + i/fps, as in doorway send, so a late timer counts
 * against the system under test the same way on both sides.
 */
import { createSocket, type Socket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { SyntheticFrames, verifySyntheticFrame } from '../src/synthetic/index.js';
import { FrameLedger, percentile } from '../src/tools/report.js';
import { nowMicros, parseAddress, type UdpAddress } from '../src/udp/index.js';
import { chunkFrame, FrameAssembler, PROBE_FRAME, probeDatagram, readChunkHeader } from './srt-chunks.js';
import type { ChildToParent, ParentToChild, SourceSummary } from './srt-messages.js';
import { isParentMessage } from './srt-messages.js';

const PROBE_INTERVAL_MS = 20;

/** Resolves once the message is handed to the IPC channel, so exiting right after loses nothing. */
async function tell(message: ChildToParent): Promise<void> {
  await new Promise<void>((resolve) => {
    if (process.send === undefined) resolve();
    else
      process.send(message, undefined, undefined, () => {
        resolve();
      });
  });
}

function onParent(handler: (message: ParentToChild) => void): void {
  process.on('message', (message: unknown) => {
    if (isParentMessage(message)) handler(message);
  });
  // The parent went away (crashed or killed): nothing left to do.
  process.on('disconnect', () => process.exit(0));
}

async function bind(socket: Socket, at: UdpAddress): Promise<UdpAddress> {
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(at.port, at.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const a = socket.address();
  return { host: a.address, port: a.port };
}

interface SendArgs {
  readonly to: UdpAddress;
  readonly bitrateBps: number;
  readonly fps: number;
  readonly durationS: number;
  readonly keyframeInterval: number;
  readonly seed: number;
}

async function runSource(args: SendArgs): Promise<void> {
  const socket = createSocket('udp4');
  await bind(socket, { host: '127.0.0.1', port: 0 });
  socket.on('error', () => undefined);
  const probes = setInterval(() => {
    socket.send(probeDatagram(nowMicros()), args.to.port, args.to.host);
  }, PROBE_INTERVAL_MS);
  const go = new Promise<void>((resolve) => {
    onParent((m) => {
      if (m.type === 'go') resolve();
    });
  });
  await tell({ type: 'source-ready' });
  await go;
  clearInterval(probes);
  const summary = await sendFrames(socket, args);
  await new Promise<void>((resolve) => {
    socket.close(resolve);
  });
  await tell({ type: 'source-done', summary });
  process.exit(0);
}

/** Sends every frame at its capture time (catching up after a late timer, as doorway send does). */
async function sendFrames(socket: Socket, args: SendArgs): Promise<SourceSummary> {
  const source = new SyntheticFrames({
    bitrateBps: args.bitrateBps,
    fps: args.fps,
    keyframeInterval: args.keyframeInterval,
    seed: args.seed,
  });
  const total = Math.round(args.durationS * args.fps);
  const intervalUs = 1e6 / args.fps;
  const lateness: number[] = [];
  let chunks = 0;
  let bytes = 0;
  let pending = 0;
  let sendErrors = 0;
  const start = nowMicros();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const tick = (): void => {
      const now = nowMicros();
      while (sent < total && start + sent * intervalUs <= now) {
        const captureUs = Math.round(start + sent * intervalUs);
        const frame = source.next();
        for (const datagram of chunkFrame(frame.index, captureUs, frame.payload)) {
          pending++;
          socket.send(datagram, args.to.port, args.to.host, (err) => {
            pending--;
            if (err) sendErrors++;
          });
          chunks++;
        }
        bytes += frame.payload.length;
        lateness.push((now - captureUs) / 1000);
        sent++;
      }
      if (sent >= total) {
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, (start + sent * intervalUs - nowMicros()) / 1000));
    };
    tick();
  });
  // Let the socket hand every queued datagram to the kernel before reporting.
  const drainBy = Date.now() + 2000;
  while (pending > 0 && Date.now() < drainBy) await new Promise((r) => setTimeout(r, 5));
  lateness.sort((a, b) => a - b);
  return {
    frames: total,
    chunks,
    bytes,
    sendErrors,
    sendLatenessMs: {
      p50: percentile(lateness, 0.5),
      p99: percentile(lateness, 0.99),
      max: lateness.at(-1) ?? 0,
    },
  };
}

async function runSink(listen: UdpAddress, deadlineMs: number): Promise<void> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  const ledger = new FrameLedger(deadlineMs);
  const assembler = new FrameAssembler();
  let probed = false;
  let datagrams = 0;
  socket.on('message', (datagram: Buffer) => {
    const now = nowMicros();
    datagrams++;
    const h = readChunkHeader(datagram);
    if (h?.frame === PROBE_FRAME) {
      if (!probed) void tell({ type: 'sink-probed' });
      probed = true;
      return;
    }
    const frame = assembler.add(datagram);
    if (frame === null) return;
    const intact = verifySyntheticFrame(frame.payload) === frame.frame;
    ledger.complete(frame.frame, frame.captureUs, now, intact);
  });
  socket.on('error', () => undefined);
  const bound = await bind(socket, listen);
  const startedAt = nowMicros();
  onParent((m) => {
    if (m.type !== 'stop') return;
    const report = ledger.report(
      {
        packets: datagrams,
        fecRecovered: 0,
        retransmitted: 0,
        nacks: 0,
        keyframeRequests: 0,
        rttMs: 0,
        malformed: 0,
      },
      (nowMicros() - startedAt) / 1e6,
    );
    socket.close();
    void tell({ type: 'sink-report', report, lines: ledger.lines() }).then(() => process.exit(0));
  });
  await tell({ type: 'sink-listening', port: bound.port });
}

function number(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`srt-frames: --${flag} '${String(text)}' must be a positive number`);
  }
  return value;
}

async function main(argv: readonly string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      listen: { type: 'string' },
      bitrate: { type: 'string' },
      fps: { type: 'string' },
      duration: { type: 'string' },
      'keyframe-interval': { type: 'string' },
      seed: { type: 'string' },
      'deadline-ms': { type: 'string' },
    },
  });
  const mode = positionals[0];
  if (mode === 'send') {
    await runSource({
      to: parseAddress(values.to ?? '', '--to'),
      bitrateBps: number('bitrate', values.bitrate),
      fps: number('fps', values.fps),
      durationS: number('duration', values.duration),
      keyframeInterval: number('keyframe-interval', values['keyframe-interval']),
      seed: number('seed', values.seed),
    });
  } else if (mode === 'recv') {
    await runSink(
      parseAddress(values.listen ?? '', '--listen'),
      number('deadline-ms', values['deadline-ms']),
    );
  } else {
    throw new RangeError(`srt-frames: mode '${String(mode)}' is neither send nor recv`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`srt-frames: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
