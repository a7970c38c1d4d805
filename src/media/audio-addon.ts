/**
 * The one typed boundary to `native/audio`. Nothing else loads the addon or touches its raw
 * exports; feature-gated calls fail with FeatureUnavailableError when the build lacks them.
 */
import type { BuildManifest, Feature } from '../profiles/index.js';
import { loadManifestAddon, needFeature, type AddonShape, type LoadedAddon } from './native-loader.js';
import type { ProbeResult } from './probe.js';
import { asMediaError, media } from './native-errors.js';

export interface AudioDevice {
  readonly name: string;
  readonly hostApi: string;
  readonly maxInputChannels: number;
  readonly maxOutputChannels: number;
  readonly defaultSampleRate: number;
  readonly defaultInput: boolean;
  readonly defaultOutput: boolean;
}

export interface PortAudioInfo {
  readonly version: string;
  readonly devices: readonly AudioDevice[];
  /** PortAudio's reason when it could not initialise at all. */
  readonly error?: string;
}

export type OpusInfo = { readonly version: string } & ProbeResult;

/** Where the engine's sound comes from and goes to. */
export type AudioPortOptions =
  /** A sound card through PortAudio (feature `audio-io`); names as PortAudio lists them, or "default". */
  | { readonly port: 'portaudio'; readonly capture?: string; readonly playback?: string }
  /**
   * A synthetic port paced on the realtime clock, for machines without a sound card. `source`:
   * silence | tone | speech | markers | file:PATH (48 kHz WAV); `sink`: null | file:PATH.
   */
  | {
      readonly port: 'clocked';
      readonly source?: string;
      readonly sink?: string;
      /** Output latency the synthetic sink adds, frames at 48 kHz (default 240). */
      readonly sinkLatencyFrames?: number;
      /**
       * A room between sink and source: the microphone also hears what the speaker played this
       * many ms later (0..500), at `roomEchoGainDb` (-60..0, default -10). Leave out for none.
       */
      readonly roomEchoDelayMs?: number;
      readonly roomEchoGainDb?: number;
      /** Report marker bursts captured and played (source `markers`). */
      readonly markers?: boolean;
    };

export type AudioEngineOptions = AudioPortOptions & {
  readonly channels?: 1 | 2;
  /** 480 (10 ms, default) or 240 (5 ms). */
  readonly blockFrames?: 240 | 480;
  /** Opus (feature `opus`, default) or 16-bit PCM. */
  readonly codec?: 'opus' | 'pcm';
  readonly bitrateBps?: number;
  /**
   * `low-delay` (default): CELT only, 2.5 ms of codec delay, no in-band FEC (the transport's
   * audio FEC covers loss). `voip`: SILK/hybrid with in-band FEC, 6.5 ms.
   */
  readonly opusMode?: 'low-delay' | 'voip';
  /** Loss the Opus in-band FEC is sized for, percent. */
  readonly expectedLossPercent?: number;
  /** Echo cancellation with noise suppression and gain control (feature `apm`). */
  readonly echoCancel?: boolean;
  readonly noiseSuppression?: boolean;
  readonly gainControl?: boolean;
  /** Playback queue capacity, blocks. */
  readonly queueBlocks?: number;
  /** Encode the microphone and emit packets (default true); false for a playback-only engine. */
  readonly send?: boolean;
};

/**
 * One 10 ms (or 5 ms) block went by: the encoded microphone block (null when not sending) and how
 * deep the playback queue is. The object is reused for every block: read it inside the listener.
 */
export interface AudioBlockEvent {
  readonly kind: 'block';
  /** Valid only during the listener call: copy it to keep it. */
  packet: Uint8Array | null;
  /** When the block's first sample was taken, µs on the realtime clock. */
  captureUs: number;
  /** Number of the encoded block, from 0. */
  seq: number;
  /** Playback blocks queued now. */
  queued: number;
  /** When the last played block's first sample reached the speaker, µs realtime. */
  dacUs: number;
  /** Blocks the speaker played as silence because nothing was queued, since the start. */
  underruns: number;
}

export type AudioEngineEvent =
  | AudioBlockEvent
  | { readonly kind: 'lost'; readonly detail: string }
  | { readonly kind: 'reacquired'; readonly detail: string }
  /** A marker burst left the synthetic microphone. */
  | { readonly kind: 'marker-captured'; readonly number: number; readonly captureUs: number }
  /** A burst onset reached the synthetic speaker. */
  | { readonly kind: 'marker-played'; readonly dacUs: number };

export interface AudioEngineStats {
  readonly device: string;
  readonly capturedBlocks: number;
  readonly playedBlocks: number;
  /** Output wanted a block and none was queued. */
  readonly underruns: number;
  /** Capture blocks dropped because processing fell behind. */
  readonly overruns: number;
  readonly deviceXruns: number;
  readonly lost: number;
  readonly reacquired: number;
  readonly queuedPlayback: number;
  readonly outputLatencyUs: number;
  readonly inputLatencyUs: number;
  /**
   * What the port's service thread got from the scheduler: realtime (SCHED_FIFO), raised (a
   * negative nice value) or normal (neither was allowed).
   */
  readonly scheduling: 'realtime' | 'raised' | 'normal';
  readonly encodedBlocks: number;
  readonly encodeErrors: number;
  readonly corruptPackets: number;
  readonly eventsDropped: number;
  readonly playbackQueueFull: number;
  /** Decoded frames that found no room in the engine's pending output (never expected). */
  readonly droppedFrames: number;
  readonly processingErrors: number;
  readonly lastError?: string;
  readonly echo?: {
    readonly delayEstimateMs: number;
    readonly erleDb: number;
    readonly captureCostUs: number;
  };
}

export interface EchoMeasurementOptions {
  /** Loudspeaker-to-microphone delay of the synthetic echo path, ms (0..500). */
  readonly delayMs: number;
  readonly rt60Ms?: number;
  readonly echoGainDb?: number;
  /** A near-end talker during part of the run (default true). */
  readonly doubleTalk?: boolean;
  readonly seconds?: number;
  readonly convergeSeconds?: number;
  readonly seed?: number;
  readonly noiseSuppression?: boolean;
  readonly gainControl?: boolean;
  readonly blockMs?: 5 | 10;
}

interface EchoFigures {
  /** Echo power at the microphone over echo power left, far-end-only speech after convergence, dB. */
  readonly erleDb: number;
  readonly erleSeriesDb: readonly (number | null)[];
  /** Near-end speech kept during double talk: 0 dB is untouched. */
  readonly nearEndPreservationDb: number | null;
  readonly nearEndCorrelation: number | null;
  readonly apmErleDb: number | null;
  /** The echo delay the canceller found by itself, ms. */
  readonly apmDelayMs: number | null;
  readonly costUsPerBlock: number;
}

/** The configured chain (noise suppression and gain as asked), and `aecOnly`: no gain at all. */
export type EchoMeasurement = EchoFigures & {
  readonly delayMs: number;
  readonly blockMs: number;
  readonly aecOnly: EchoFigures;
};

export interface CostFigures {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export interface AudioDspCost {
  readonly blocks: number;
  readonly apmUsPerBlock: CostFigures | null;
  readonly opusEncodeDecodeUsPerBlock: CostFigures | null;
  readonly opusBytesPerBlock: number | null;
  readonly timeStretchUsPerBlock: CostFigures;
}

export interface TimeStretchMeasurement {
  readonly blocks: number;
  readonly accelerateCalls: number;
  readonly accelerated: number;
  readonly removedFramesMean: number;
  readonly expandCalls: number;
  readonly insertedFramesMean: number;
  /** Largest sample-to-sample step of the input, of the output, and at the seams. */
  readonly inputMaxJump: number;
  readonly outputMaxJump: number;
  readonly seamMaxJump: number;
}

export interface OpusFecMeasurement {
  readonly lostBlocks: number;
  /** A lost block rebuilt from the next packet's FEC, against the loss-free decode, dB. */
  readonly fecSnrDb: number;
  /** The same block from loss concealment alone, dB. */
  readonly plcSnrDb: number;
  readonly silkOrHybridFraction: number;
  readonly bytesPerBlock: number;
}

export interface AudioTestOptions {
  /** A sound card through PortAudio (feature `audio-io`), or the clocked synthetic port. */
  readonly port: 'portaudio' | 'clocked';
  readonly capture?: string;
  readonly playback?: string;
  /** The clocked port's microphone: silence, tone, speech, markers or file:PATH. */
  readonly source?: string;
  readonly seconds: number;
  /** Play this 48 kHz WAV instead of a 1 kHz tone at −12 dBFS. */
  readonly playFile?: string;
  /** Write what the microphone captured here (float WAV). */
  readonly recordFile?: string;
  readonly blockFrames?: 240 | 480;
}

/** What a device test heard and played: levels, block counts, xruns and latencies (JSON). */
export type AudioTestResult = Readonly<Record<string, unknown>> & { readonly describe: string };

interface RawAudioEngine {
  start(): void;
  play(packet: Uint8Array, length: number): number;
  accelerate(packet: Uint8Array, length: number): number;
  conceal(next: Uint8Array | null, length: number): number;
  expand(): number;
  clearPlayback(): void;
  setBitrate(bps: number): void;
  stats(): AudioEngineStats;
  close(): void;
}

type RawEngineListener = (
  kind: string,
  a: unknown,
  b: unknown,
  c: unknown,
  d: unknown,
  e: unknown,
  f: unknown,
) => void;

interface RawAudioAddon {
  AudioEngine: new (options: AudioEngineOptions, onEvent: RawEngineListener) => RawAudioEngine;
  runAudioTest: (options: AudioTestOptions) => Promise<AudioTestResult>;
  measureAudioDsp: (options: { blocks?: number }) => Promise<AudioDspCost>;
  measureTimeStretch: (options: {
    blocks?: number;
    frames?: number;
    pitchHz?: number;
    signal?: 'speech' | 'sine';
  }) => Promise<TimeStretchMeasurement>;
  measureEchoCancellation?: (options: EchoMeasurementOptions) => Promise<EchoMeasurement>;
  measureOpusFec?: (options: {
    blocks?: number;
    lossEvery?: number;
    expectedLossPercent?: number;
    bitrateBps?: number;
  }) => Promise<OpusFecMeasurement>;
  portaudioDevices?: () => PortAudioInfo;
  probeApm?: () => ProbeResult;
  opusInfo?: () => OpusInfo;
}

const SHAPE: AddonShape = {
  always: ['AudioEngine', 'runAudioTest', 'measureAudioDsp', 'measureTimeStretch'],
  byFeature: { 'audio-io': 'portaudioDevices', apm: 'probeApm', opus: 'opusInfo' },
};

export class AudioAddon {
  readonly #raw: RawAudioAddon;
  readonly #features: readonly Feature[];
  readonly #manifest: BuildManifest;
  readonly #hardwareDir: string;

  private constructor(loaded: LoadedAddon, manifest: BuildManifest, hardwareDir: string) {
    // loadManifestAddon checked every export this type names against the build's features.
    this.#raw = loaded.exports as unknown as RawAudioAddon;
    this.#features = loaded.features;
    this.#manifest = manifest;
    this.#hardwareDir = hardwareDir;
  }

  /** Loads the audio addon named by the build manifest. */
  static load(manifest: BuildManifest, appRoot: string, hardwareDir: string): AudioAddon {
    return new AudioAddon(loadManifestAddon('audio', SHAPE, manifest, appRoot), manifest, hardwareDir);
  }

  /** Features compiled into this addon. */
  get features(): readonly Feature[] {
    return this.#features;
  }

  /** PortAudio's host APIs and devices (feature `audio-io`). */
  portaudioDevices(): PortAudioInfo {
    return this.#need('audio-io', this.#raw.portaudioDevices)();
  }

  /** Creates the echo canceller as configured for the doorway and runs one block (feature `apm`). */
  probeApm(): ProbeResult {
    return this.#need('apm', this.#raw.probeApm)();
  }

  /** libopus version, and one low-delay block encoded and decoded (feature `opus`). */
  opusInfo(): OpusInfo {
    return this.#need('opus', this.#raw.opusInfo)();
  }

  /**
   * Opens the sound port with the codec and, when asked, the echo canceller. Nothing runs until
   * `start`. A missing feature, device or file is a one-line MediaError.
   */
  createEngine(options: AudioEngineOptions, onEvent: (event: AudioEngineEvent) => void): AudioEngine {
    if (options.port === 'portaudio') this.#need('audio-io', true);
    if ((options.codec ?? 'opus') === 'opus') this.#need('opus', true);
    if (options.echoCancel === true) this.#need('apm', true);
    return new AudioEngine(this.#raw.AudioEngine, options, onEvent);
  }

  /**
   * Plays a tone (or a WAV) through a port and records its microphone for `seconds`, on a native
   * thread. A missing device or feature is a one-line MediaError.
   */
  async runAudioTest(options: AudioTestOptions): Promise<AudioTestResult> {
    if (options.port === 'portaudio') this.#need('audio-io', true);
    return mediaPromise(media(() => this.#raw.runAudioTest(options)));
  }

  /** The echo canceller on a synthetic room, on virtual time (feature `apm`). */
  async measureEchoCancellation(options: EchoMeasurementOptions): Promise<EchoMeasurement> {
    const measure = this.#need('apm', this.#raw.measureEchoCancellation);
    return mediaPromise(media(() => measure(options)));
  }

  /** Cost per block of the echo canceller, Opus and the time stretch on this machine. */
  async measureAudioDsp(blocks = 3000): Promise<AudioDspCost> {
    return mediaPromise(media(() => this.#raw.measureAudioDsp({ blocks })));
  }

  /** How cleanly the time stretch shortens and lengthens speech-like or sine blocks. */
  async measureTimeStretch(
    options: Parameters<RawAudioAddon['measureTimeStretch']>[0],
  ): Promise<TimeStretchMeasurement> {
    return mediaPromise(media(() => this.#raw.measureTimeStretch(options)));
  }

  /** Opus in-band FEC against plain concealment on a lossy packet sequence (feature `opus`). */
  async measureOpusFec(
    options: NonNullable<Parameters<NonNullable<RawAudioAddon['measureOpusFec']>>[0]>,
  ): Promise<OpusFecMeasurement> {
    const measure = this.#need('opus', this.#raw.measureOpusFec);
    return mediaPromise(media(() => measure(options)));
  }

  #need<F>(feature: Feature, fn: F | undefined): F {
    return needFeature('audio', this.#manifest, this.#hardwareDir, feature, fn);
  }
}

/**
 * A running sound port with its codec and echo canceller. The microphone side runs on a native
 * thread and reports each encoded block; the speaker side takes packets with what the jitter
 * buffer decided for them. Every playback call returns the frames it queued.
 */
export class AudioEngine {
  readonly #raw: RawAudioEngine;
  #closed = false;

  constructor(
    Native: RawAudioAddon['AudioEngine'],
    options: AudioEngineOptions,
    onEvent: (event: AudioEngineEvent) => void,
  ) {
    const block: AudioBlockEvent = {
      kind: 'block',
      packet: null,
      captureUs: 0,
      seq: 0,
      queued: 0,
      dacUs: 0,
      underruns: 0,
    };
    const listener: RawEngineListener = (kind, a, b, c, d, e, f) => {
      switch (kind) {
        case 'block':
          block.packet = a as Uint8Array | null;
          block.captureUs = b as number;
          block.seq = c as number;
          block.queued = d as number;
          block.dacUs = e as number;
          block.underruns = f as number;
          onEvent(block);
          block.packet = null;
          return;
        case 'lost':
        case 'reacquired':
          onEvent({ kind, detail: a as string });
          return;
        case 'marker-captured':
          onEvent({ kind, number: a as number, captureUs: b as number });
          return;
        case 'marker-played':
          onEvent({ kind, dacUs: a as number });
          return;
      }
    };
    this.#raw = media(() => new Native(options, listener));
  }

  /** Starts capture and playback; a device that cannot open is a one-line MediaError. */
  start(): void {
    media(() => {
      this.#raw.start();
    });
  }

  /** Decodes and queues the packet in the first `length` bytes of `packet`. */
  play(packet: Uint8Array, length = packet.length): number {
    return this.#raw.play(packet, length);
  }

  /** Decodes one packet and queues it shortened by about a pitch period (buffer too deep). */
  accelerate(packet: Uint8Array, length = packet.length): number {
    return this.#raw.accelerate(packet, length);
  }

  /** Queues a block for a missing packet: from the next packet's in-band FEC, or concealment. */
  conceal(next: Uint8Array | null, length = next?.length ?? 0): number {
    return this.#raw.conceal(next, length);
  }

  /** Queues a block of concealment that continues the sound while the buffer fills. */
  expand(): number {
    return this.#raw.expand();
  }

  /** Drops queued playback (the far end started over). */
  clearPlayback(): void {
    this.#raw.clearPlayback();
  }

  setBitrate(bps: number): void {
    this.#raw.setBitrate(bps);
  }

  stats(): AudioEngineStats {
    return this.#raw.stats();
  }

  /** Stops the port and its thread; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#raw.close();
  }
}

/** For native promises: a rejection becomes a one-line MediaError. */
export async function mediaPromise<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw asMediaError(err);
  }
}
