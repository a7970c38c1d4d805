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
  | {
      readonly port: 'portaudio';
      readonly capture?: string;
      readonly playback?: string;
      /**
       * The least output latency asked of the playback device, ms (0..500; default: the device's
       * own low latency). A device behind a sound server needs more than that.
       */
      readonly playbackLatencyMs?: number;
    }
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
      /**
       * The service thread wakes this late after every tick (0..block, default 0), as a starved
       * thread on a busy machine does: past the half block, its check for an empty queue comes
       * late too.
       */
      readonly serviceLateUs?: number;
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
  /**
   * The echo canceller's far end: `mono` (the played channels' mix: speakers carrying one mix) or
   * `stereo` (each played channel). Default `mono`.
   */
  readonly echoReference?: 'mono' | 'stereo';
  /** The microphone side: `mono` (the captured channels' mix, cleaned once; default) or `stereo`. */
  readonly echoCapture?: 'mono' | 'stereo';
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
  /**
   * Blocks the port's own thread played from held packets because the queue ran dry before the
   * JS thread fed it (see `setRescue`), and blocks it concealed for want of one.
   */
  readonly rescuedBlocks: number;
  readonly rescueConcealedBlocks: number;
  /** Decisions for held packets that the rescue had already played (skipped). */
  readonly skippedDecisions: number;
  /** Decisions for packets no longer held (overwritten by a far later one): concealed. */
  readonly heldMissing: number;
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
  /** The canceller's layout (as the engine options); default `mono` both, the site default. */
  readonly echoReference?: 'mono' | 'stereo';
  readonly echoCapture?: 'mono' | 'stereo';
}

/** The echo harness's speech proxy, for tests that play it through a real sound server. */
export interface SpeechLikeOptions {
  readonly seconds: number;
  readonly seed?: number;
  /** The voice: about 110 a low one, 210 a high one (default 115, the harness's far end). */
  readonly pitchHz?: number;
  /** The RMS while talking is about a quarter of it (default 0.4, about −20 dBFS). */
  readonly level?: number;
}

interface EchoFigures {
  /** Echo power at the microphone over echo power left, far-end-only speech after convergence, dB. */
  readonly erleDb: number;
  readonly erleSeriesDb: readonly (number | null)[];
  /** Near-end speech kept during double talk: 0 dB is untouched. */
  readonly nearEndPreservationDb: number | null;
  readonly nearEndCorrelation: number | null;
  /** How much later the near end comes out than it went in, ms (null without double talk). */
  readonly nearEndLagMs: number | null;
  readonly apmErleDb: number | null;
  /** The echo delay the canceller found by itself, ms. */
  readonly apmDelayMs: number | null;
  readonly costUsPerBlock: number;
}

/** The configured chain (noise suppression and gain as asked), and `aecOnly`: no gain at all. */
export type EchoMeasurement = EchoFigures & {
  readonly delayMs: number;
  readonly blockMs: number;
  readonly echoReference: 'mono' | 'stereo';
  readonly echoCapture: 'mono' | 'stereo';
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
  /** The layout apmUsPerBlock is for, "reference/capture" (e.g. "mono/mono"); null without apm. */
  readonly apmLayout: string | null;
  /** apmUsPerBlock split into ProcessPlayed (reverse) and ProcessCaptured (capture). */
  readonly apmSplitUsPerBlock: ApmCost | null;
  /** The whole chain at every reference/capture layout (empty without apm). */
  readonly apmLayoutsUsPerBlock: readonly ApmCost[];
  /** Each component alone at the configured layout; `none` is the format and band-split floor. */
  readonly apmComponentsUsPerBlock: readonly ApmCost[];
}

/** One APM configuration's cost per 10 ms block, µs. */
export interface ApmCost {
  readonly name: string;
  readonly reverse: CostFigures;
  readonly capture: CostFigures;
  readonly total: CostFigures;
}

/** The canceller layout measureAudioDsp's apmUsPerBlock is for (default: the site default). */
export interface ApmLayoutOptions {
  readonly echoReference?: 'mono' | 'stereo';
  readonly echoCapture?: 'mono' | 'stereo';
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
  hold(seq: number, packet: Uint8Array, length: number): void;
  playHeld(seq: number, accelerate: boolean): number;
  concealFromHeld(nextSeq: number): number;
  forgetHeld(): void;
  setRescue(on: boolean): void;
  queued(): number;
  playbackDueUs(): number;
  rescueConcealed(): number;
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

/**
 * A WAV's mono mix as levels: one column per `columnMs` (a 1024-point Hann FFT), `rows` bins from
 * `topHz` (row 0) down to 0 Hz. `levels[row * columns + column]`: 0 at -100 dBFS or below, 255 at
 * 0 dBFS.
 */
export interface Spectrogram {
  readonly columns: number;
  readonly rows: number;
  readonly columnMs: number;
  readonly topHz: number;
  readonly levels: Uint8Array;
}

interface RawAudioAddon {
  AudioEngine: new (options: AudioEngineOptions, onEvent: RawEngineListener) => RawAudioEngine;
  runAudioTest: (options: AudioTestOptions) => Promise<AudioTestResult>;
  measureAudioDsp: (options: { blocks?: number } & ApmLayoutOptions) => Promise<AudioDspCost>;
  measureTimeStretch: (options: {
    blocks?: number;
    frames?: number;
    pitchHz?: number;
    signal?: 'speech' | 'sine';
  }) => Promise<TimeStretchMeasurement>;
  measureEchoCancellation?: (options: EchoMeasurementOptions) => Promise<EchoMeasurement>;
  speechLike: (options: SpeechLikeOptions) => Float32Array;
  spectrogram: (path: string) => Spectrogram;
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
  always: [
    'AudioEngine',
    'runAudioTest',
    'measureAudioDsp',
    'measureTimeStretch',
    'speechLike',
    'spectrogram',
  ],
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

  /**
   * Mono 48 kHz samples of the speech proxy the echo harness plays (voiced syllables through
   * formants, fricatives, pauses): deterministic for a seed. Bad options are a one-line error.
   */
  speechLike(options: SpeechLikeOptions): Float32Array {
    return media(() => this.#raw.speechLike(options));
  }

  /**
   * What a 48 kHz WAV holds, as levels for a chart: the samples are read and transformed natively.
   * A missing or unreadable file is a one-line MediaError naming it.
   */
  spectrogram(path: string): Spectrogram {
    return media(() => this.#raw.spectrogram(path));
  }

  /** Cost per block of the echo canceller, Opus and the time stretch on this machine. */
  async measureAudioDsp(blocks = 3000, layout: ApmLayoutOptions = {}): Promise<AudioDspCost> {
    return mediaPromise(media(() => this.#raw.measureAudioDsp({ blocks, ...layout })));
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

  /**
   * Keeps a copy of an arrived packet under its sequence number, for `playHeld` and
   * `concealFromHeld` and for the rescue. At most 4000 bytes (a RangeError beyond).
   */
  hold(seq: number, packet: Uint8Array, length = packet.length): void {
    this.#raw.hold(seq, packet, length);
  }

  /**
   * Decodes the held packet `seq` (shortened when `accelerate`) and returns the frames queued. A
   * packet the rescue already played queues nothing and returns 0 (its block went out while JS was late).
   */
  playHeld(seq: number, accelerate = false): number {
    return this.#raw.playHeld(seq, accelerate);
  }

  /**
   * The packet before `nextSeq` is missing: rebuilds it from the held `nextSeq`'s in-band FEC, or
   * conceals; `null` conceals without giving up a sequence number. Returns the frames queued.
   */
  concealFromHeld(nextSeq: number | null): number {
    return this.#raw.concealFromHeld(nextSeq ?? -1);
  }

  /** Forgets the held packets and the sequence: the sender started a new stream. */
  forgetHeld(): void {
    this.#raw.forgetHeld();
  }

  /**
   * While on, the port's own thread plays the next held packet (or conceals) whenever the queue is
   * still empty 1 ms (at most half a block) before the device takes a block: a late JS turn is
   * not a gap.
   */
  setRescue(on: boolean): void {
    this.#raw.setRescue(on);
  }

  /** Playback blocks queued now. */
  queued(): number {
    return this.#raw.queued();
  }

  /**
   * When the device needs the next block not yet queued, µs realtime: the port's last check of
   * its queue (1 ms, at most half a block, before the tick that plays it). NaN before the port
   * runs. A decision's audio that is queued by then plays on that tick.
   */
  playbackDueUs(): number {
    return this.#raw.playbackDueUs();
  }

  /**
   * Blocks the rescue concealed since the start because nothing was held for the slot: audio the
   * device made up without a decision, which the jitter buffer must book (`deviceConcealed`).
   */
  rescueConcealed(): number {
    return this.#raw.rescueConcealed();
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
