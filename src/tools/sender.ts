/**
 * `doorway send`: video and audio over a real UDP socket for a fixed time. The picture comes from
 * the synthetic camera, a V4L2 camera or an Annex B file through the video pipeline, or (for
 * transport tests and benchmarks) encoded-frame stand-ins; the sound from a microphone, a
 * synthetic source or a WAV file through the audio engine, on the transport's first lane. Follows the peer's keyframe requests and, unless told
 * not to, its bandwidth estimate (never above the requested bitrate).
 */
import type { Logger } from '../log/index.js';
import {
  AudioAddon,
  udpPortFactory,
  VideoAddon,
  type UdpDriverChoice,
  type AudioPortOptions,
  type EncoderImplementation,
  type HwCodec,
} from '../media/index.js';
import { raiseAudioProcessPriority, type ProcessScheduling } from '../audio/priority.js';
import { AudioSendPipeline, type AudioSendStats } from '../audio/send-pipeline.js';
import { appRoot, hardwareDir, manifestPath } from '../paths/index.js';
import { readManifest } from '../profiles/index.js';
import {
  VideoSendPipeline,
  type FrameSize,
  type SendPipelineEvent,
  type VideoSourceSpec,
} from '../video/index.js';
import { transportRepair } from './repair.js';
import { warmUpTransport } from './warm-up.js';
import { Connection, type ConnectionConfig, type ConnectionOptions } from '../protocol/index.js';
import { openSession, securityFigures, type SecurityFigures, type SecurityOptions } from './security.js';
import { SyntheticFrames } from '../synthetic/index.js';
import { createUdpDriver, formatAddress, nowMicros, type UdpAddress } from '../udp/index.js';
import { cpuFigures, type CpuFigures } from './cpu.js';

/** The picture to send; absent: encoded-frame stand-ins (`--source frames`). */
export interface SenderVideoOptions {
  readonly source: Exclude<VideoSourceSpec, { kind: 'frames' }>;
  readonly size: FrameSize;
  readonly codec: HwCodec;
  readonly encoder: EncoderImplementation;
  /** While a V4L2 camera is gone, send the synthetic pattern (default: nothing). */
  readonly patternWhileCameraLost?: boolean;
  /** The addon to use; loaded from the build manifest when absent. */
  readonly addon?: VideoAddon;
}

/** The microphone to send on the audio stream. */
export interface SenderAudioOptions {
  readonly port: AudioPortOptions;
  readonly codec: 'opus' | 'pcm';
  /** Block length: 240 frames (5 ms) or 480 (10 ms); sender and receiver must agree. */
  readonly blockFrames: 240 | 480;
  readonly bitrateBps: number;
  readonly echoCancel: boolean;
  /**
   * Raise this process's priority for audio (a process that carries no video, as the appliance's
   * audio service does); default false.
   */
  readonly prioritise?: boolean;
  /** The addon to use; loaded from the build manifest when absent. */
  readonly addon?: AudioAddon;
}

export interface SenderOptions {
  readonly to: UdpAddress;
  readonly video?: SenderVideoOptions;
  /** With no `video`: send encoded-frame stand-ins on the video stream (default true). */
  readonly standIns?: boolean;
  readonly audio?: SenderAudioOptions;
  readonly bind?: UdpAddress;
  /** The batched native socket when built (`auto`, the default), or node:dgram's. */
  readonly udp?: UdpDriverChoice;
  readonly bitrateBps: number;
  readonly fps: number;
  readonly durationS: number;
  readonly keyframeInterval: number;
  readonly seed?: number;
  /** Follow the bandwidth estimate (default true). */
  readonly adapt?: boolean;
  /** Extra time after the last frame to serve retransmissions, ms. */
  readonly lingerMs?: number;
  readonly config?: Partial<ConnectionConfig>;
  readonly log?: Logger;
  /** Keys for the secure session; null sends in the clear (`--insecure`, benchmarks only). */
  readonly security: SecurityOptions | null;
}

export interface SenderSummary {
  readonly frames: number;
  readonly keyframes: number;
  readonly keyframeRequests: number;
  readonly bytes: number;
  /** Frames the encoder dropped because the previous one was still being encoded. */
  readonly encoderDropped: number;
  readonly encodeErrors: number;
  readonly finalBitrateBps: number;
  readonly stats: ReturnType<Connection['stats']>;
  readonly security: SecurityFigures;
  readonly audio: AudioSendStats | null;
  /** Whether this process's JS thread runs at raised priority (`audio.prioritise`). */
  readonly processScheduling: ProcessScheduling;
  /** Which UDP driver carried the run. */
  readonly udp: 'native' | 'dgram';
  readonly cpu: CpuFigures;
}

export const AUDIO_STREAM = 0;
export const VIDEO_STREAM = 1;

export async function runSender(options: SenderOptions): Promise<SenderSummary> {
  const startCpu = process.cpuUsage();
  const repair = transportRepair(options.log);
  warmUpTransport(options.bitrateBps, repair);
  const connectionOptions: ConnectionOptions = {
    repair,
    config: {
      // A real encoded stream predicts each picture from the last: one unrepaired frame costs
      // every frame until the keyframe it forces, so FEC aims ten times lower than for stand-ins.
      // Its pictures are mostly a few packets: spreading them over a quarter of the frame
      // interval would add ~4 ms to every frame, so they go within a tenth (pacingGain still
      // caps the rate of a large keyframe).
      ...(options.video === undefined ? {} : { fecTargetResidual: 0.001, pacingFraction: 0.1 }),
      ...options.config,
      streams: [
        { id: AUDIO_STREAM, kind: 'audio', fps: 100 },
        { id: VIDEO_STREAM, kind: 'video', fps: options.fps },
      ],
      maxBitrateBps: options.bitrateBps,
      initialBitrateBps: options.bitrateBps,
      // Without adaptation the bitrate is pinned: rate control cannot slow the pacing below it.
      minBitrateBps: options.adapt === false ? options.bitrateBps : Math.min(options.bitrateBps, 300_000),
    },
  };
  const session =
    options.security === null
      ? null
      : openSession('initiator', options.security, connectionOptions, formatAddress(options.to));
  const connection = session?.connection ?? new Connection(connectionOptions);
  const source = new SyntheticFrames({
    bitrateBps: options.bitrateBps,
    fps: options.fps,
    keyframeInterval: options.keyframeInterval,
    seed: options.seed ?? 1,
  });
  let forceKeyframe = false;
  let keyframes = 0;
  let keyframeRequests = 0;
  let bytes = 0;
  let produced = 0;
  let bitrateBps = options.bitrateBps;
  const adapt = options.adapt ?? true;
  // Opened before the socket, so a missing camera or a bad file is reported before any traffic.
  const pipeline =
    options.video === undefined
      ? null
      : new VideoSendPipeline({
          addon: options.video.addon ?? loadVideoAddon(),
          source: options.video.source,
          size: options.video.size,
          fps: options.fps,
          bitrateBps: options.bitrateBps,
          codec: options.video.codec,
          encoder: options.video.encoder,
          gopFrames: options.keyframeInterval,
          patternWhileCameraLost: options.video.patternWhileCameraLost ?? false,
          clock: nowMicros,
          sendGate: () => session === null || session.established,
          onEvent: (event) => {
            onPictureEvent(event);
          },
        });
  const processScheduling: ProcessScheduling =
    options.audio?.prioritise === true ? raiseAudioProcessPriority() : 'normal';
  const audio =
    options.audio === undefined
      ? null
      : new AudioSendPipeline({
          addon: options.audio.addon ?? loadAudioAddon(),
          port: options.audio.port,
          codec: options.audio.codec,
          blockFrames: options.audio.blockFrames,
          bitrateBps: options.audio.bitrateBps,
          echoCancel: options.audio.echoCancel,
          onPacket: (packet, captureUs) => {
            // Each block decodes on its own: every audio frame is a keyframe.
            connection.sendFrame(nowMicros(), AUDIO_STREAM, packet, { captureUs, keyframe: true });
            driver.kick();
          },
          onDevice: (kind, detail) => {
            if (kind === 'lost') options.log?.warn({ detail }, 'audio device lost');
            else options.log?.info({ detail }, 'audio device back');
          },
        });
  const onPictureEvent = (event: SendPipelineEvent): void => {
    switch (event.kind) {
      case 'access-unit': {
        const unit = event.unit;
        if (unit.keyframe) keyframes++;
        bytes += unit.data.length;
        produced++;
        connection.sendFrame(nowMicros(), VIDEO_STREAM, unit.data, {
          captureUs: unit.captureUs,
          keyframe: unit.keyframe,
        });
        driver.kick();
        break;
      }
      case 'camera-lost':
        options.log?.warn({ reason: event.reason }, 'camera lost');
        break;
      case 'camera-back':
        options.log?.info('camera back');
        break;
      case 'encode-error':
        options.log?.warn({ error: event.error, frame: event.frameNumber }, 'encode error');
        break;
    }
  };
  const driver = createUdpDriver({
    endpoint: session ?? connection,
    createPort: udpPortFactory(options.udp ?? 'auto'),
    mode: session === null ? 'clear' : 'secure',
    slotBytes: Math.max(2048, connection.config.maxDatagramBytes),
    bind: options.bind ?? { host: options.to.host.includes(':') ? '::' : '0.0.0.0', port: 0 },
    peer: options.to,
    onActivity: () => {
      for (let e = connection.pollEvent(); e !== null; e = connection.pollEvent()) {
        switch (e.kind) {
          case 'keyframe-request':
            keyframeRequests++;
            forceKeyframe = true;
            pipeline?.requestKeyframe();
            break;
          case 'bandwidth':
            if (adapt) {
              bitrateBps = Math.min(options.bitrateBps, e.bps);
              source.setBitrate(bitrateBps);
              pipeline?.setBitrate(bitrateBps);
            }
            options.log?.debug({ bps: e.bps }, 'bandwidth estimate');
            break;
          case 'frame':
            connection.recycle(e.frame);
            break;
          case 'frame-complete':
          case 'frame-dropped':
            break;
        }
      }
    },
  });
  try {
    await driver.start();
  } catch (err) {
    pipeline?.stop();
    audio?.stop();
    throw err;
  }
  const total = Math.round(options.durationS * options.fps);
  try {
    audio?.start();
  } catch (err) {
    pipeline?.stop();
    audio?.stop();
    await driver.close();
    throw err;
  }
  if (pipeline !== null) {
    pipeline.start();
    await new Promise((resolve) => setTimeout(resolve, options.durationS * 1000));
    pipeline.stop();
  } else if (options.standIns ?? true) {
    await sendStandIns();
  } else {
    await new Promise((resolve) => setTimeout(resolve, options.durationS * 1000));
  }
  const sound = audio?.stats() ?? null;
  audio?.stop();
  await new Promise((resolve) => setTimeout(resolve, options.lingerMs ?? 500));
  const stats = connection.stats();
  await driver.close();
  const pictures = pipeline?.stats();
  return {
    udp: driver.kind,
    cpu: cpuFigures(startCpu),
    audio: sound,
    processScheduling,
    frames: pipeline !== null ? produced : (options.standIns ?? true) ? total : 0,
    keyframes,
    keyframeRequests,
    bytes,
    encoderDropped: pictures?.encoderDropped ?? 0,
    encodeErrors: pictures?.encodeErrors ?? 0,
    finalBitrateBps: bitrateBps,
    stats,
    security: securityFigures(session),
  };

  /** Encoded-frame stand-ins at the frame rate, one capture time each. */
  async function sendStandIns(): Promise<void> {
    const intervalUs = 1e6 / options.fps;
    const start = nowMicros();
    await new Promise<void>((resolve) => {
      let sent = 0;
      const tick = (): void => {
        const now = nowMicros();
        // Catch up on frames whose capture time has passed (a late timer), one capture time each.
        while (sent < total && start + sent * intervalUs <= now) {
          const frame = source.next(forceKeyframe);
          forceKeyframe = false;
          if (frame.keyframe) keyframes++;
          bytes += frame.payload.length;
          connection.sendFrame(now, VIDEO_STREAM, frame.payload, {
            captureUs: Math.round(start + sent * intervalUs),
            keyframe: frame.keyframe,
          });
          sent++;
        }
        driver.kick();
        if (sent >= total) {
          resolve();
          return;
        }
        setTimeout(tick, Math.max(0, (start + sent * intervalUs - nowMicros()) / 1000));
      };
      tick();
    });
  }
}

/** The audio addon of this installation's build. */
export function loadAudioAddon(): AudioAddon {
  const root = appRoot();
  return AudioAddon.load(readManifest(manifestPath(root)), root, hardwareDir(root));
}

/** The video addon of this installation's build. */
export function loadVideoAddon(): VideoAddon {
  const root = appRoot();
  return VideoAddon.load(readManifest(manifestPath(root)), root, hardwareDir(root));
}
