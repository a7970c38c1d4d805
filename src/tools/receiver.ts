/**
 * `doorway recv`: listens for one sender, reassembles and recovers its frames, decodes and
 * presents them, and writes the receive report: on-time share and latency measured from the
 * pixel code on each decoded picture (capture → decoded, and → presented where a display
 * presents), and the transport and security counters. With `video` absent (`--no-decode`) it
 * measures the transport only: capture → frame complete.
 */
import { createWriteStream } from 'node:fs';
import type { Logger } from '../log/index.js';
import {
  udpPortFactory,
  type DecoderImplementation,
  type HwCodec,
  type UdpDriverChoice,
  type VideoAddon,
} from '../media/index.js';
import { micros } from '../units/index.js';
import { VideoReceivePipeline, type PictureEvent, type SinkKind } from '../video/index.js';
import { transportRepair } from './repair.js';
import { warmUpTransport } from './warm-up.js';
import { Connection, type ConnectionConfig, type ConnectionOptions } from '../protocol/index.js';
import { openSession, securityFigures, type SecurityFigures, type SecurityOptions } from './security.js';
import { verifySyntheticFrame } from '../synthetic/index.js';
import { linkEndpoint } from '../session/index.js';
import { createUdpDriver, nowMicros, type BatchPortDropped, type UdpAddress } from '../udp/index.js';
import { cpuFigures, type CpuFigures } from './cpu.js';
import {
  FrameLedger,
  latencyFigures,
  PictureLedger,
  type LatencyFigures,
  type PictureReport,
  type ReceiveReport,
} from './report.js';
import { AUDIO_STREAM, loadAudioAddon, loadVideoAddon, VIDEO_STREAM } from './sender.js';
import { raiseAudioProcessPriority, type ProcessScheduling } from '../audio/priority.js';
import { AudioReceivePipeline } from '../audio/receive-pipeline.js';
import { LipSync } from '../audio/lip-sync.js';
import type { AudioAddon, AudioEngineStats, AudioPortOptions } from '../media/index.js';

/** Decoding and presenting; absent: transport only (`--no-decode`). */
export interface ReceiverVideoOptions {
  readonly codec: HwCodec;
  readonly decoder: DecoderImplementation;
  readonly sink: SinkKind;
  /** Write the last decoded picture here as a PNG when done. */
  readonly lastPicturePng?: string;
  /** The addon to use; loaded from the build manifest when absent. */
  readonly addon?: VideoAddon;
}

/** Playing the audio stream; absent: audio frames are counted by the transport and dropped. */
export interface ReceiverAudioOptions {
  readonly port: AudioPortOptions;
  readonly codec: 'opus' | 'pcm';
  /** Block length: 240 frames (5 ms) or 480 (10 ms); sender and receiver must agree. */
  readonly blockFrames: 240 | 480;
  /**
   * Raise this process's priority for audio (a process that carries no video, as the appliance's
   * audio service does); default false.
   */
  readonly prioritise?: boolean;
  /** The addon to use; loaded from the build manifest when absent. */
  readonly addon?: AudioAddon;
}

/** What the audio path did, in the receive report. */
export interface AudioReport {
  readonly received: number;
  readonly playedMs: number;
  readonly concealedMs: number;
  /** Concealment after the sender stopped, before the buffer went idle (not loss). */
  readonly endConcealedMs: number;
  /** Rebuilt from the next packet's in-band FEC. */
  readonly fecMs: number;
  readonly acceleratedMs: number;
  readonly expandedMs: number;
  /** Share of played time that was concealment, %. */
  readonly concealedPercent: number;
  readonly addedDelayMs: { readonly p50: number | null; readonly p95: number | null };
  readonly targetDelayMs: number;
  readonly late: number;
  readonly lost: number;
  /** Blocks of silence the speaker played while the stream was playing (audible gaps). */
  readonly gapBlocks: number;
  /**
   * Blocks the sound port's own thread played (from held packets) or concealed because this
   * process was late to feed it, and decisions it made redundant.
   */
  readonly rescue: { readonly played: number; readonly concealed: number; readonly skipped: number };
  readonly transportFecRecovered: number;
  readonly device: string;
  /** When marker onsets reached the speaker, µs realtime (synthetic sinks). */
  readonly markersPlayedUs: readonly number[];
  /** Audio − video capture-to-output latency at the end, ms; null without both. */
  readonly lipSyncSkewMs: number | null;
  /** Extra audio delay lip sync asked for, ms. */
  readonly lipSyncDelayMs: number;
  /** What the scheduler gave the sound port's thread and this process's JS thread. */
  readonly scheduling: { readonly port: AudioEngineStats['scheduling']; readonly process: ProcessScheduling };
}

/** A once-a-second view of the stream, for live status lines. */
export interface ReceiverProgress {
  readonly elapsedS: number;
  readonly fps: number;
  readonly bitrateBps: number;
  /** Capture → decoded (or → complete with `--no-decode`) over the last second, ms. */
  readonly latencyMs: LatencyFigures;
  readonly lost: number;
  readonly fecRecovered: number;
  readonly retransmitted: number;
}

/** Which UDP driver carried the run, and what its native filter dropped before JS. */
export interface UdpFigures {
  readonly driver: 'native' | 'dgram';
  readonly droppedBeforeJs: BatchPortDropped | null;
}

export interface ReceiverOptions {
  readonly listen: UdpAddress;
  /** The batched native socket when built (`auto`, the default), or node:dgram's. */
  readonly udp?: UdpDriverChoice;
  readonly durationS: number;
  readonly deadlineMs: number;
  /** Stop this long after the last datagram once traffic has started, ms (default 2000). */
  readonly idleMs?: number;
  readonly fps?: number;
  readonly framesLog?: string;
  readonly config?: Partial<ConnectionConfig>;
  readonly log?: Logger;
  /** Keys for the secure session; null receives in the clear (`--insecure`, benchmarks only). */
  readonly security: SecurityOptions | null;
  /** Called once the socket is bound (tests use the port). */
  readonly onListening?: (address: UdpAddress) => void;
  readonly video?: ReceiverVideoOptions;
  readonly audio?: ReceiverAudioOptions;
  /** Called about once a second while frames flow. */
  readonly onProgress?: (progress: ReceiverProgress) => void;
}

export async function runReceiver(options: ReceiverOptions): Promise<
  (ReceiveReport | PictureReport) & {
    security: SecurityFigures;
    udp: UdpFigures;
    cpu: CpuFigures;
    audio?: AudioReport;
  }
> {
  const startCpu = process.cpuUsage();
  const repair = transportRepair(options.log);
  warmUpTransport(8e6, repair);
  const connectionOptions: ConnectionOptions = {
    repair,
    config: {
      ...options.config,
      streams: [
        { id: AUDIO_STREAM, kind: 'audio', fps: 100 },
        { id: VIDEO_STREAM, kind: 'video', fps: options.fps ?? 60 },
      ],
      deadlineUs: Math.max(options.config?.deadlineUs ?? 0, options.deadlineMs * 1000),
      // Pictures go to the decoder the moment they are complete and in order: the display shows
      // the newest picture, so holding frames for smoothness would only add latency. A missing
      // frame is still waited for (FEC, retransmission) up to the buffer's lateness bound.
      ...(options.video === undefined ? {} : { maxPlayoutDelayUs: options.config?.maxPlayoutDelayUs ?? 0 }),
    },
  };
  const session =
    options.security === null ? null : openSession('responder', options.security, connectionOptions);
  const connection = session?.connection ?? new Connection(connectionOptions);
  const ledger = new FrameLedger(options.deadlineMs);
  const pictures = new PictureLedger(options.deadlineMs);
  // Latencies of the current second, for progress lines.
  const window: number[] = [];
  // Audio waits for slower video so the two play against the same capture clock.
  const lipSync = new LipSync();
  let windowFrames = 0;
  const onPicture = (event: PictureEvent): void => {
    switch (event.kind) {
      case 'decoded': {
        // The pixel code holds the sender's clock; offset it to ours once the clocks are synced.
        const capture =
          event.code === null
            ? null
            : (connection.clock.toLocal(micros(event.code.captureUs)) ?? event.code.captureUs);
        pictures.decoded(event.tag, capture, event.decodedUs);
        if (capture !== null) {
          window.push((event.decodedUs - capture) / 1000);
          lipSync.addVideoLatency(
            micros(Math.round(event.decodedUs)),
            micros(Math.max(0, Math.round(event.decodedUs - capture))),
          );
        }
        windowFrames++;
        break;
      }
      case 'presented':
        pictures.presented(event.tag, event.presentedUs);
        break;
      case 'decode-error':
      case 'present-error':
        options.log?.warn({ frame: event.tag, error: event.error }, event.kind);
        break;
      case 'window-closed':
        options.log?.info('window closed');
        break;
    }
  };
  // Opened before the socket, so a decoder or display this machine lacks is one line up front.
  const video =
    options.video === undefined
      ? null
      : new VideoReceivePipeline({
          addon: options.video.addon ?? loadVideoAddon(),
          codec: options.video.codec,
          decoder: options.video.decoder,
          sink: options.video.sink,
          onEvent: onPicture,
        });
  const processScheduling: ProcessScheduling =
    options.audio?.prioritise === true ? raiseAudioProcessPriority() : 'normal';
  const audio =
    options.audio === undefined
      ? null
      : new AudioReceivePipeline({
          addon: options.audio.addon ?? loadAudioAddon(),
          port: options.audio.port,
          codec: options.audio.codec,
          blockFrames: options.audio.blockFrames,
          clock: nowMicros,
          onDevice: (kind, detail) => {
            if (kind === 'lost') options.log?.warn({ detail }, 'audio device lost');
            else options.log?.info({ detail }, 'audio device back');
          },
        });
  let audioReceived = 0;
  const droppedFrames = { lost: 0, late: 0, undecodable: 0 };
  // Fields of one object rather than closure variables: a number stored in a closure allocates.
  const traffic = { lastDatagramAt: 0, started: false };
  const driver = createUdpDriver({
    endpoint: linkEndpoint(session, connection, (now) => {
      traffic.started = true;
      traffic.lastDatagramAt = now;
    }),
    createPort: udpPortFactory(options.udp ?? 'auto'),
    mode: session === null ? 'clear' : 'secure',
    slotBytes: Math.max(2048, connection.config.maxDatagramBytes),
    bind: options.listen,
    receiveBufferBytes: 8 * 1024 * 1024,
    onActivity: () => {
      for (let e = connection.pollEvent(); e !== null; e = connection.pollEvent()) {
        switch (e.kind) {
          case 'frame-complete':
            if (e.frame.stream === AUDIO_STREAM) {
              audioReceived++;
              audio?.accept(e.frame.frameId, e.frame.localCaptureUs, e.frame.payload);
              break;
            }
            if (e.frame.stream !== VIDEO_STREAM) break;
            if (video !== null) {
              pictures.complete(e.frame.frameId, e.frame.localCaptureUs, e.frame.completedAt);
            } else {
              // Frame ids count frames the connection took; the payload's own index counts every frame made.
              const intact = verifySyntheticFrame(e.frame.payload) !== null;
              ledger.complete(e.frame.frameId, e.frame.localCaptureUs, e.frame.completedAt, intact);
              window.push((e.frame.completedAt - e.frame.localCaptureUs) / 1000);
              windowFrames++;
            }
            break;
          case 'frame':
            // Released by the jitter buffer in decode order; the decoder copies the bytes.
            if (video !== null && e.frame.stream === VIDEO_STREAM)
              video.accept(e.frame.payload, e.frame.frameId);
            connection.recycle(e.frame);
            break;
          case 'frame-dropped':
            options.log?.debug({ stream: e.stream, frame: e.frameId, reason: e.reason }, 'frame dropped');
            if (e.stream === VIDEO_STREAM) droppedFrames[e.reason]++;
            break;
          case 'keyframe-request':
          case 'bandwidth':
            break;
        }
      }
    },
  });
  let bound;
  try {
    bound = await driver.start();
    audio?.start();
  } catch (err) {
    video?.close();
    audio?.close();
    await driver.close().catch(() => undefined);
    throw err;
  }
  options.onListening?.(bound);
  const startedAt = nowMicros();
  const idleUs = (options.idleMs ?? 2000) * 1000;
  let lastProgressAt = startedAt;
  let lastBytes = 0;
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      const now = nowMicros();
      const heard = audio?.latencyUs ?? null;
      if (audio !== null && video !== null && heard !== null) {
        lipSync.addAudioLatency(micros(Math.round(now)), micros(Math.round(heard)));
        audio.setMinDelayUs(lipSync.update(micros(Math.round(now))));
      }
      if (options.onProgress !== undefined && traffic.started && now - lastProgressAt >= 1e6) {
        const stream = connection.stats().streams.find((st) => st.stream === VIDEO_STREAM);
        const bytes = stream?.bytesReceived ?? 0;
        const seconds = (now - lastProgressAt) / 1e6;
        options.onProgress({
          elapsedS: Math.round((now - startedAt) / 1e5) / 10,
          fps: Math.round((windowFrames / seconds) * 10) / 10,
          bitrateBps: Math.round(((bytes - lastBytes) * 8) / seconds),
          latencyMs: latencyFigures(window),
          lost: stream?.lost ?? 0,
          fecRecovered: stream?.fecRecovered ?? 0,
          retransmitted: stream?.retransmittedReceived ?? 0,
        });
        window.length = 0;
        windowFrames = 0;
        lastBytes = bytes;
        lastProgressAt = now;
      }
      if (
        now - startedAt >= options.durationS * 1e6 ||
        (traffic.started && now - traffic.lastDatagramAt >= idleUs)
      ) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  const stats = connection.stats();
  const udp: UdpFigures = { driver: driver.kind, droppedBeforeJs: driver.droppedBeforeJs() };
  await driver.close();
  const cpu = cpuFigures(startCpu);
  const sound =
    audio === null ? undefined : audioReport(audio, audioReceived, stats, lipSync, processScheduling);
  audio?.close();
  // Let the decoder hand back what it holds before the report is made.
  if (video !== null)
    await settle(() => video.stats().accepted <= video.stats().decoded + video.stats().decodeErrors);
  const stream = stats.streams.find((s) => s.stream === VIDEO_STREAM);
  const transport = {
    packets: stream?.packetsReceived ?? 0,
    fecRecovered: stream?.fecRecovered ?? 0,
    retransmitted: stream?.retransmittedReceived ?? 0,
    nacks: stream?.nacksSent ?? 0,
    keyframeRequests: stats.keyframeRequestsSent,
    rttMs: stats.rttUs === null ? 0 : Math.round(stats.rttUs / 10) / 100,
    malformed: stats.malformed,
  };
  const durationS = (nowMicros() - startedAt) / 1e6;
  if (video === null) {
    const report = ledger.report(transport, durationS);
    if (options.framesLog !== undefined) await writeLines(options.framesLog, ledger.lines());
    return {
      ...report,
      security: securityFigures(session),
      udp,
      cpu,
      ...(sound === undefined ? {} : { audio: sound }),
    };
  }
  const figures = video.stats();
  if (options.video?.lastPicturePng !== undefined) video.writeLastPicture(options.video.lastPicturePng);
  video.close();
  const report = pictures.report(
    transport,
    durationS,
    {
      decoded: figures.decoded,
      decodeErrors: figures.decodeErrors,
      codeReadFailures: figures.codeReadFailures,
      presented: figures.presented,
      notDecoded: { ...droppedFrames, refused: figures.refused },
    },
    options.video?.sink === 'window',
  );
  if (options.framesLog !== undefined) await writeLines(options.framesLog, pictures.lines());
  return {
    ...report,
    security: securityFigures(session),
    udp,
    cpu,
    ...(sound === undefined ? {} : { audio: sound }),
  };
}

function audioReport(
  audio: AudioReceivePipeline,
  received: number,
  stats: ReturnType<Connection['stats']>,
  lipSync: LipSync,
  processScheduling: ProcessScheduling,
): AudioReport {
  const { jitter, engine, markersPlayedUs, gapBlocks } = audio.stats();
  const stream = stats.streams.find((s) => s.stream === AUDIO_STREAM);
  const total = jitter.playedMs + jitter.concealedMs + jitter.expandedMs;
  return {
    received,
    playedMs: jitter.playedMs,
    concealedMs: jitter.concealedMs,
    endConcealedMs: jitter.endConcealedMs,
    fecMs: jitter.fecMs,
    acceleratedMs: jitter.acceleratedMs,
    expandedMs: jitter.expandedMs,
    concealedPercent: total > 0 ? Math.round((jitter.concealedMs / total) * 10000) / 100 : 0,
    addedDelayMs: { p50: jitter.addedDelayP50Ms, p95: jitter.addedDelayP95Ms },
    targetDelayMs: jitter.targetDelayMs,
    late: jitter.late,
    lost: jitter.lost,
    gapBlocks,
    rescue: {
      played: engine.rescuedBlocks,
      concealed: engine.rescueConcealedBlocks,
      skipped: engine.skippedDecisions,
    },
    transportFecRecovered: stream?.fecRecovered ?? 0,
    device: engine.device,
    markersPlayedUs,
    lipSyncSkewMs: lipSync.skewUs === null ? null : Math.round(lipSync.skewUs / 100) / 10,
    lipSyncDelayMs: Math.round(lipSync.minDelayUs / 100) / 10,
    scheduling: { port: engine.scheduling, process: processScheduling },
  };
}

/** Waits until `done()` or half a second, whichever comes first. */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function writeLines(file: string, lines: readonly object[]): Promise<void> {
  const out = createWriteStream(file);
  for (const line of lines) out.write(`${JSON.stringify(line)}\n`);
  await new Promise<void>((resolve, reject) => {
    out.end((err?: Error | null) => {
      if (err) reject(err);
      else resolve();
    });
  });
}
