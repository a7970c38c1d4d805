/**
 * The one typed boundary to `native/video`. Nothing else loads the addon or touches its raw
 * exports; feature-gated calls fail with FeatureUnavailableError when the build lacks them.
 */
import type { BuildManifest, Feature } from '../profiles/index.js';
import type { ProbeResult } from './probe.js';
import { media } from './native-errors.js';
import { loadManifestAddon, needFeature, type AddonShape, type LoadedAddon } from './native-loader.js';

export interface LibavcodecVersion {
  /** libavcodec's own version, e.g. `59.37.100`. */
  readonly version: string;
  /** The FFmpeg release it came with, e.g. `5.1.9-0+deb12u1`. */
  readonly ffmpeg: string;
}

export interface CodecPresence {
  readonly name: string;
  readonly kind: 'encoder' | 'decoder';
  /** Whether this libavcodec was built with the codec (not whether the hardware is there). */
  readonly present: boolean;
}

export interface V4l2Device {
  readonly path: string;
  readonly driver?: string;
  readonly card?: string;
  readonly busInfo?: string;
  readonly capture?: boolean;
  readonly streaming?: boolean;
  readonly error?: string;
}

export interface SdlInfo {
  readonly version: string;
  readonly videoDrivers: readonly string[];
}

export interface DrmDevice {
  readonly path: string;
  readonly driver?: string;
  readonly connectedOutputs?: number;
  readonly error?: string;
}

export interface CudaInfo {
  readonly count: number;
  readonly driverVersion: number;
  readonly runtimeVersion: number;
  readonly firstDevice?: string;
  readonly computeCapability?: string;
  readonly error?: string;
}

export type HwCodec = 'h264' | 'hevc';

/**
 * A picture held in native memory: capture, decoders and sources hand these out; encoders and
 * displays take their own reference. JS never sees the pixels. Release a handle as soon as it
 * has been handed on, so its buffer returns to its pool without waiting for the GC.
 */
export interface VideoFrame {
  readonly width: number;
  readonly height: number;
  /** libavutil's name of the pixel format: `nv12`, `yuv420p`, … */
  readonly format: string;
  /** When the picture was taken (the source's clock, µs); 0 when unknown. */
  readonly captureUs: number;
  /** The frame's number at its source; -1 when unknown. */
  readonly frameNumber: number;
  readonly released: boolean;
  release(): void;
}

/** What the synthetic camera stamped into a picture. */
export interface PixelCode {
  readonly frameNumber: number;
  readonly captureUs: number;
}

/** The synthetic camera: a moving picture with its frame number and capture time in the pixels. */
export interface PatternSource {
  /** A new NV12 frame stamped with `frameNumber` and `captureUs`. */
  capture(frameNumber: number, captureUs: number): VideoFrame;
}

/** One access unit of an Annex B file. */
export interface AccessUnit {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
}

/** An H.264/HEVC Annex B elementary stream split into access units. */
export interface AnnexBReader {
  /** The next access unit, or null at the end of the file. */
  next(): AccessUnit | null;
  rewind(): void;
  close(): void;
}

export type EncoderImplementation = 'x264' | 'nvenc';
export type DecoderImplementation = 'software' | 'nvdec';

export interface EncoderOptions {
  readonly codec: HwCodec;
  readonly implementation: EncoderImplementation;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly bitrateBps: number;
  /** Frames from one keyframe (or intra-refresh wave) to the next. */
  readonly gopFrames: number;
  /** Refresh intra blocks in a wave instead of sending large keyframes. */
  readonly intraRefresh: boolean;
}

export interface EncodedPacket {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** From the input frame. */
  readonly captureUs: number;
  readonly frameNumber: number;
  /** Time spent in the codec for this frame, µs. */
  readonly encodeUs: number;
}

export interface EncoderFailure {
  readonly error: string;
  readonly frameNumber: number;
}

export type EncoderOutput = EncodedPacket | EncoderFailure;

export interface EncoderStats {
  readonly framesIn: number;
  readonly encoded: number;
  readonly dropped: number;
  readonly errors: number;
  readonly lastEncodeUs: number;
}

/** A libavcodec encoder on its own thread (or the caller's, with `encodeSync`). */
export interface Encoder {
  /** Queues `frame` (newest replaces a pending one: false when that happened). */
  encode(frame: VideoFrame, forceKeyframe: boolean): boolean;
  /** Encodes on the calling thread; only for encoders made without an output callback. */
  encodeSync(frame: VideoFrame, forceKeyframe: boolean): EncodedPacket | null;
  setBitrate(bps: number): void;
  stats(): EncoderStats;
  close(): void;
}

export interface DecoderOptions {
  readonly codec: HwCodec;
  readonly implementation: DecoderImplementation;
}

export interface DecodedPicture {
  /** The caller's tag from `decode`. */
  readonly tag: number;
  /** null when the access unit produced no picture (parameter sets only). */
  readonly frame: VideoFrame | null;
  /** When decoding finished (realtime clock, µs). */
  readonly decodedUs: number;
  readonly decodeUs: number;
}

export interface DecoderFailure {
  readonly tag: number;
  readonly error: string;
}

export type DecoderOutput = DecodedPicture | DecoderFailure;

export interface DecoderStats {
  readonly packetsIn: number;
  readonly decoded: number;
  readonly errors: number;
  readonly dropped: number;
}

/** A libavcodec decoder on its own thread; exactly one output per `decode` call. */
export interface Decoder {
  /** Queues one access unit (copied); false when the queue is full. */
  decode(data: Uint8Array, tag: number): boolean;
  decodeSync(data: Uint8Array): VideoFrame | null;
  stats(): DecoderStats;
  close(): void;
}

export type CameraFormat = 'auto' | 'yuyv' | 'nv12' | 'mjpeg';

export interface CameraOptions {
  readonly device: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly format: CameraFormat;
  readonly convert: 'cpu' | 'cuda';
}

export interface CameraMode {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly fps: readonly number[];
}

export type CameraEvent =
  | { readonly kind: 'frame'; readonly frame: VideoFrame }
  | { readonly kind: 'lost'; readonly reason: string }
  | { readonly kind: 'reacquired' };

export interface CameraStats {
  readonly captured: number;
  /** Frames skipped because a newer one was ready, or JS was still busy with the last one. */
  readonly dropped: number;
  /** Buffers the driver marked as damaged. */
  readonly corrupt: number;
  readonly lost: number;
  readonly reacquired: number;
}

/** The mode a camera was opened in, and how its pictures become NV12. */
export interface CameraModeInUse {
  readonly device: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly conversion: 'copy' | 'cpu' | 'cuda' | 'mjpeg';
}

export interface Camera {
  start(): void;
  /** Stops streaming; `start()` resumes. */
  stop(): void;
  /** Stops and releases the device; idempotent. */
  close(): void;
  mode(): CameraModeInUse;
  stats(): CameraStats;
}

export interface WindowOptions {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly fullscreen: boolean;
  readonly vsync: boolean;
}

export type WindowEvent =
  | {
      readonly kind: 'presented';
      readonly tag: number;
      readonly frameNumber: number;
      readonly captureUs: number;
      readonly presentedUs: number;
      /** Upload + draw + SDL_RenderPresent of this frame on the display thread (µs). */
      readonly renderUs: number;
    }
  | { readonly kind: 'closed' }
  /** A frame the display thread could not show (texture creation or upload failed). */
  | { readonly kind: 'error'; readonly tag: number; readonly frameNumber: number; readonly error: string };

export interface WindowStats {
  readonly presented: number;
  readonly replaced: number;
  /** Events not delivered because JS was 16 events behind (or the window was closing). */
  readonly eventsDropped: number;
  /** Frames that failed to show (each also reported as an `error` event when it could be). */
  readonly errors: number;
}

/** What SDL chose for a window. */
export interface WindowInfo {
  /** SDL's video driver: `x11`, `wayland`, `kmsdrm`, `offscreen`, … */
  readonly videoDriver: string;
  /** SDL's renderer: `opengl`, `opengles2`, `software`, … */
  readonly renderer: string;
  readonly width: number;
  readonly height: number;
  readonly fullscreen: boolean;
  readonly vsync: boolean;
}

/** An SDL2 window (or fullscreen on KMS/DRM) that always shows the newest frame. */
export interface VideoWindow {
  /** Shows `frame` next (its own reference); false when it replaced one not yet shown. */
  present(frame: VideoFrame, tag: number): boolean;
  stats(): WindowStats;
  info(): WindowInfo;
  /**
   * What the window shows now, read back as a yuv420p frame carrying the captureUs/frameNumber
   * of the frame on screen (-1 before the first). Blocks briefly; diagnostics and tests only.
   */
  snapshot(): VideoFrame;
  /** Idempotent. Events already queued may still arrive after it returns. */
  close(): void;
}

export interface CudaComparison {
  readonly maxAbsDiff: number;
  readonly samples: number;
}

/** Exports of the compiled addon; the optional ones exist only when their feature was built. */
interface RawVideoAddon {
  libavcodec(): LibavcodecVersion;
  codecs(): CodecPresence[];
  probeX264?: () => ProbeResult;
  probeNvenc?: (codec: HwCodec) => ProbeResult;
  probeNvdec?: (codec: HwCodec) => ProbeResult;
  v4l2Devices?: () => V4l2Device[];
  sdlInfo?: () => SdlInfo;
  drmDevices?: () => DrmDevice[];
  cudaDevices?: () => CudaInfo;
  nowUs(): number;
  VideoFrame: abstract new (...args: never[]) => VideoFrame;
  PatternSource: new (width: number, height: number) => PatternSource;
  readPixelCode(frame: VideoFrame): PixelCode | null;
  writeFramePng(frame: VideoFrame, path: string): void;
  writeFrameRaw(frame: VideoFrame, path: string, append: boolean): void;
  AnnexBReader: new (path: string, codec: HwCodec) => AnnexBReader;
  Encoder: new (options: EncoderOptions, onPacket?: (out: EncoderOutput) => void) => Encoder;
  Decoder: new (options: DecoderOptions, onFrame?: (out: DecoderOutput) => void) => Decoder;
  V4l2Capture?: new (options: CameraOptions, onEvent: (event: CameraEvent) => void) => Camera;
  v4l2Formats?: (device: string) => CameraMode[];
  v4l2ChooseFormat?: (
    offered: readonly CameraMode[],
    want: { format: CameraFormat; width: number; height: number; fps: number },
  ) => { format: string; width: number; height: number; fps: number };
  SdlDisplay?: new (options: WindowOptions, onEvent: (event: WindowEvent) => void) => VideoWindow;
  cudaCompareConversion?: (width: number, height: number) => CudaComparison;
}

const SHAPE: AddonShape = {
  always: [
    'libavcodec',
    'codecs',
    'nowUs',
    'VideoFrame',
    'writeFrameRaw',
    'PatternSource',
    'readPixelCode',
    'writeFramePng',
    'AnnexBReader',
    'Encoder',
    'Decoder',
  ],
  byFeature: {
    x264: 'probeX264',
    nvenc: 'probeNvenc',
    nvdec: 'probeNvdec',
    v4l2: 'V4l2Capture',
    sdl: 'SdlDisplay',
    kms: 'drmDevices',
    cuda: 'cudaCompareConversion',
  },
};

export class VideoAddon {
  readonly #raw: RawVideoAddon;
  readonly #features: readonly Feature[];
  readonly #manifest: BuildManifest;
  readonly #hardwareDir: string;

  private constructor(loaded: LoadedAddon, manifest: BuildManifest, hardwareDir: string) {
    // loadManifestAddon checked every export this type names against the build's features.
    this.#raw = loaded.exports as unknown as RawVideoAddon;
    this.#features = loaded.features;
    this.#manifest = manifest;
    this.#hardwareDir = hardwareDir;
  }

  /** Loads the video addon named by the build manifest. */
  static load(manifest: BuildManifest, appRoot: string, hardwareDir: string): VideoAddon {
    return new VideoAddon(loadManifestAddon('video', SHAPE, manifest, appRoot), manifest, hardwareDir);
  }

  /** Features compiled into this addon. */
  get features(): readonly Feature[] {
    return this.#features;
  }

  libavcodec(): LibavcodecVersion {
    return this.#raw.libavcodec();
  }

  codecs(): CodecPresence[] {
    return this.#raw.codecs();
  }

  probeX264(): ProbeResult {
    return this.#need('x264', this.#raw.probeX264)();
  }

  probeNvenc(codec: HwCodec = 'h264'): ProbeResult {
    return this.#need('nvenc', this.#raw.probeNvenc)(codec);
  }

  probeNvdec(codec: HwCodec = 'h264'): ProbeResult {
    return this.#need('nvdec', this.#raw.probeNvdec)(codec);
  }

  v4l2Devices(): V4l2Device[] {
    return this.#need('v4l2', this.#raw.v4l2Devices)();
  }

  sdlInfo(): SdlInfo {
    return this.#need('sdl', this.#raw.sdlInfo)();
  }

  drmDevices(): DrmDevice[] {
    return this.#need('kms', this.#raw.drmDevices)();
  }

  cudaDevices(): CudaInfo {
    return this.#need('cuda', this.#raw.cudaDevices)();
  }

  /** Microseconds on the realtime clock native threads stamp with (what `nowMicros` follows). */
  nowUs(): number {
    return this.#raw.nowUs();
  }

  /** Whether `value` is a frame handle of this addon. */
  isFrame(value: unknown): value is VideoFrame {
    return value instanceof this.#raw.VideoFrame;
  }

  /** The synthetic camera at `width`×`height` (even, at least 128×64). */
  patternSource(width: number, height: number): PatternSource {
    return media(() => new this.#raw.PatternSource(width, height));
  }

  /** The frame number and capture time stamped by the synthetic camera, or null. */
  readPixelCode(frame: VideoFrame): PixelCode | null {
    return this.#raw.readPixelCode(frame);
  }

  writeFramePng(frame: VideoFrame, path: string): void {
    media(() => {
      this.#raw.writeFramePng(frame, path);
    });
  }

  /** Appends `frame`'s planes, unpadded, to a raw video file (for running a peer on the same pictures). */
  writeFrameRaw(frame: VideoFrame, path: string, append: boolean): void {
    media(() => {
      this.#raw.writeFrameRaw(frame, path, append);
    });
  }

  openAnnexB(path: string, codec: HwCodec): AnnexBReader {
    return media(() => new this.#raw.AnnexBReader(path, codec));
  }

  /** An encoder; with `onPacket` it runs on its own thread, without it only `encodeSync` works. */
  createEncoder(options: EncoderOptions, onPacket?: (out: EncoderOutput) => void): Encoder {
    this.#needImplementation(options.implementation === 'nvenc' ? 'nvenc' : 'x264');
    return media(() =>
      onPacket === undefined ? new this.#raw.Encoder(options) : new this.#raw.Encoder(options, onPacket),
    );
  }

  /** A decoder; with `onFrame` it runs on its own thread, without it only `decodeSync` works. */
  createDecoder(options: DecoderOptions, onFrame?: (out: DecoderOutput) => void): Decoder {
    if (options.implementation === 'nvdec') this.#needImplementation('nvdec');
    return media(() =>
      onFrame === undefined ? new this.#raw.Decoder(options) : new this.#raw.Decoder(options, onFrame),
    );
  }

  /** A V4L2 camera, opened and checked now; frames flow after `start()`. */
  openCamera(options: CameraOptions, onEvent: (event: CameraEvent) => void): Camera {
    const Capture = this.#need('v4l2', this.#raw.V4l2Capture);
    if (options.convert === 'cuda') this.#needImplementation('cuda');
    return media(() => new Capture(options, onEvent));
  }

  /** What a V4L2 camera offers: formats, sizes and frame rates. */
  v4l2Formats(device: string): CameraMode[] {
    const formats = this.#need('v4l2', this.#raw.v4l2Formats);
    return media(() => formats(device));
  }

  /** The mode a camera offering `offered` would be opened in for `want`, or a one-line error. */
  chooseCameraMode(
    offered: readonly CameraMode[],
    want: { format: CameraFormat; width: number; height: number; fps: number },
  ): { format: string; width: number; height: number; fps: number } {
    const choose = this.#need('v4l2', this.#raw.v4l2ChooseFormat);
    return media(() => choose(offered, want));
  }

  /** An SDL2 window (fullscreen on KMS/DRM when there is no window system). */
  openWindow(options: WindowOptions, onEvent: (event: WindowEvent) => void): VideoWindow {
    const Display = this.#need('sdl', this.#raw.SdlDisplay);
    return media(() => new Display(options, onEvent));
  }

  /** Converts a test picture on the GPU and on the CPU and compares them. */
  compareCudaConversion(width: number, height: number): CudaComparison {
    const compare = this.#need('cuda', this.#raw.cudaCompareConversion);
    return media(() => compare(width, height));
  }

  #needImplementation(feature: Feature): void {
    this.#need(feature, true);
  }

  #need<F>(feature: Feature, fn: F | undefined): F {
    return needFeature('video', this.#manifest, this.#hardwareDir, feature, fn);
  }
}
