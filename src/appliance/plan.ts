/**
 * What one role of a site runs: which streams go out and come in, on which UDP ports, from which
 * devices. Pure: a site config and a role in, a plan out, so the mapping is tested without sockets.
 *
 * Ports: every stream has its own UDP port, so each role is a process of its own with its own
 * sockets. This site listens for the peer's video on `ports.media` and for its audio on
 * `ports.media + 1`; it sends to the peer's `peer.port` and `peer.port + 1` likewise. Each role's
 * metrics and status JSON are on `ports.metrics` (+1 for audio); the status page is on `ports.status`.
 */
import type { SiteConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { AudioPortOptions, DecoderImplementation, EncoderImplementation } from '../media/index.js';
import type { RoleName } from '../ops/index.js';
import type { FrameSize, SinkKind, VideoSourceSpec } from '../video/index.js';
import { parseAudioSink, parseAudioSource } from '../audio/index.js';
import type { UdpAddress } from '../udp/index.js';

export type StreamName = 'video' | 'audio';

/** Offsets from the base ports, per stream. */
export const STREAM_PORT_OFFSET: Readonly<Record<StreamName, number>> = { video: 0, audio: 1 };

export interface VideoOutPlan {
  readonly stream: 'video';
  readonly to: UdpAddress;
  readonly source: Exclude<VideoSourceSpec, { kind: 'frames' | 'file' }>;
  readonly size: FrameSize;
  readonly fps: number;
  readonly encoder: EncoderImplementation;
  readonly patternWhileCameraLost: boolean;
  readonly minBitrateBps: number;
  readonly maxBitrateBps: number;
}

export interface VideoInPlan {
  readonly stream: 'video';
  readonly listen: UdpAddress;
  readonly fps: number;
  readonly decoder: DecoderImplementation;
  readonly sink: SinkKind;
  readonly fullscreen: boolean;
}

export interface AudioOutPlan {
  readonly stream: 'audio';
  readonly to: UdpAddress;
  readonly port: AudioPortOptions;
  readonly bitrateBps: number;
  /** Echo cancellation: the site's choice, else on for a real microphone or a synthetic room. */
  readonly echoCancel: boolean;
  /** The echo canceller's layout, from the site's speakers and microphone. */
  readonly echoLayout: EchoLayout;
}

/** The engine options (`echoReference`, `echoCapture`) the site's speakers and microphone need. */
export interface EchoLayout {
  /** `mono`: the speakers carry one mix; `stereo`: they carry different ones. */
  readonly echoReference: 'mono' | 'stereo';
  /** `mono`: one microphone, cleaned once; `stereo`: each channel cleaned on its own. */
  readonly echoCapture: 'mono' | 'stereo';
}

export interface AudioInPlan {
  readonly stream: 'audio';
  readonly listen: UdpAddress;
  readonly port: AudioPortOptions;
}

export interface RolePlan {
  readonly role: RoleName;
  readonly site: string;
  readonly peerSite: string;
  readonly outbound: readonly (VideoOutPlan | AudioOutPlan)[];
  readonly inbound: readonly (VideoInPlan | AudioInPlan)[];
  /** Where this role's /metrics and /status.json are served. */
  readonly opsPort: number;
  /** Where this process serves the status page (`all` and the video role); null: none. */
  readonly statusPagePort: number | null;
  /** This process carries only audio: raise every thread for it. */
  readonly prioritiseAudio: boolean;
  /**
   * The one sound port both audio legs share when the microphone and the speaker can be opened
   * together (both sound-card devices, or both synthetic): the speaker's blocks are then the echo
   * canceller's far end. Null: no audio here, or the two cannot share a port.
   */
  readonly duplexAudio: DuplexAudioPlan | null;
}

export interface DuplexAudioPlan {
  readonly port: AudioPortOptions;
  readonly bitrateBps: number;
  readonly echoCancel: boolean;
  readonly echoLayout: EchoLayout;
}

export interface PlanOptions {
  /** Address to listen on (default: every IPv4 address). */
  readonly listenHost?: string;
}

export function planRole(site: SiteConfig, role: RoleName, options: PlanOptions = {}): RolePlan {
  const listenHost = options.listenHost ?? '0.0.0.0';
  const video = role === 'video' || role === 'all';
  const audio = role === 'audio' || role === 'all';
  const outbound: (VideoOutPlan | AudioOutPlan)[] = [];
  const inbound: (VideoInPlan | AudioInPlan)[] = [];
  const to = (stream: StreamName): UdpAddress => ({
    host: site.peer.host,
    port: site.peer.port + STREAM_PORT_OFFSET[stream],
  });
  const listen = (stream: StreamName): UdpAddress => ({
    host: listenHost,
    port: site.ports.media + STREAM_PORT_OFFSET[stream],
  });
  if (video) {
    const camera = site.devices.camera;
    outbound.push({
      stream: 'video',
      to: to('video'),
      source: camera.source === 'v4l2' ? { kind: 'v4l2', device: camera.device } : { kind: 'pattern' },
      size: { width: camera.width, height: camera.height },
      fps: camera.fps,
      encoder: site.devices.encoder,
      patternWhileCameraLost: camera.source === 'v4l2' && camera.whenLost === 'pattern',
      minBitrateBps: site.bitrate.videoMinKbps * 1000,
      maxBitrateBps: site.bitrate.videoMaxKbps * 1000,
    });
    inbound.push({
      stream: 'video',
      listen: listen('video'),
      fps: camera.fps,
      decoder: site.devices.decoder,
      sink: sinkOf(site),
      fullscreen: site.devices.display.fullscreen,
    });
  }
  let duplexAudio: DuplexAudioPlan | null = null;
  if (audio) {
    const capture = captureOf(site);
    const playback = playbackOf(site);
    const room = site.devices.audio.syntheticRoom;
    const shared = sharedPort(site, capture, playback);
    // A real microphone hears the room; a synthetic one only when the site gives it a room.
    const echoCancel = site.devices.audio.echoCancel ?? (capture.port === 'portaudio' || room !== undefined);
    const bitrateBps = site.bitrate.audioKbps * 1000;
    const echoLayout = echoLayoutOf(site);
    outbound.push({ stream: 'audio', to: to('audio'), port: capture, bitrateBps, echoCancel, echoLayout });
    inbound.push({ stream: 'audio', listen: listen('audio'), port: playback });
    if (shared !== null) duplexAudio = { port: shared, bitrateBps, echoCancel, echoLayout };
  }
  return {
    role,
    site: site.site,
    peerSite: site.peer.site,
    outbound,
    inbound,
    opsPort: site.ports.metrics + (role === 'audio' ? STREAM_PORT_OFFSET.audio : 0),
    statusPagePort: role === 'audio' ? null : site.ports.status,
    prioritiseAudio: role === 'audio',
    duplexAudio,
  };
}

/** Defaults: a doorway's one speaker mix and one microphone. */
function echoLayoutOf(site: SiteConfig): EchoLayout {
  const { speakers = 'one-mix', microphone = 'mono' } = site.devices.audio;
  return { echoReference: speakers === 'one-mix' ? 'mono' : 'stereo', echoCapture: microphone };
}

/**
 * The microphone and speaker as one port, when they can be one: two sound-card devices, or a
 * synthetic source and sink (with the site's synthetic room between them). A sound-card
 * microphone with a file speaker, or the other way round, cannot.
 */
function sharedPort(
  site: SiteConfig,
  capture: AudioPortOptions,
  playback: AudioPortOptions,
): AudioPortOptions | null {
  const room = site.devices.audio.syntheticRoom;
  if (capture.port === 'clocked' && playback.port === 'clocked') {
    return {
      port: 'clocked',
      ...(capture.source === undefined ? {} : { source: capture.source }),
      ...(playback.sink === undefined ? {} : { sink: playback.sink }),
      markers: capture.markers === true || playback.markers === true,
      ...(room === undefined ? {} : { roomEchoDelayMs: room.echoDelayMs, roomEchoGainDb: room.echoGainDb }),
    };
  }
  if (room !== undefined) {
    throw new ConfigError(
      site.file,
      'devices.audio.syntheticRoom',
      'a synthetic room needs a synthetic capture and a null or file: playback',
    );
  }
  if (capture.port === 'portaudio' && playback.port === 'portaudio') {
    return {
      port: 'portaudio',
      ...(capture.capture === undefined ? {} : { capture: capture.capture }),
      ...(playback.playback === undefined ? {} : { playback: playback.playback }),
      ...(playback.playbackLatencyMs === undefined ? {} : { playbackLatencyMs: playback.playbackLatencyMs }),
    };
  }
  return null;
}

/**
 * `kms` is the SDL window on SDL's KMSDRM video driver: full-screen scan-out with no window system,
 * as an appliance boots (the run command selects the driver).
 */
function sinkOf(site: SiteConfig): SinkKind {
  switch (site.devices.display.sink) {
    case 'sdl':
    case 'kms':
      return 'window';
    case 'headless':
      return 'headless';
  }
}

/**
 * `devices.audio.capture`: a PortAudio device name (`default`, or a name `doorway audio-test`
 * lists), or a generator (`synthetic[:kind]`, `file:PATH.wav`) for sites without a microphone.
 */
function captureOf(site: SiteConfig): AudioPortOptions {
  const text = site.devices.audio.capture;
  try {
    if (text.startsWith('synthetic') || text.startsWith('file:')) return parseAudioSource(text);
  } catch (err) {
    throw new ConfigError(site.file, 'devices.audio.capture', messageOf(err));
  }
  return { port: 'portaudio', capture: text };
}

/** `devices.audio.playback`: a PortAudio device name, `null`, or `file:PATH.wav`. */
function playbackOf(site: SiteConfig): AudioPortOptions {
  const text = site.devices.audio.playback;
  try {
    if (text === 'null' || text.startsWith('file:')) return parseAudioSink(text);
  } catch (err) {
    throw new ConfigError(site.file, 'devices.audio.playback', messageOf(err));
  }
  const latency = site.devices.audio.playbackLatencyMs;
  return {
    port: 'portaudio',
    playback: text,
    ...(latency === undefined ? {} : { playbackLatencyMs: latency }),
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
