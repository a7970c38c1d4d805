/**
 * The one typed boundary to `native/video`. Nothing else loads the addon or touches its raw
 * exports; feature-gated calls fail with FeatureUnavailableError when the build lacks them.
 */
import type { BuildManifest, Feature } from '../profiles/index.js';
import type { ProbeResult } from './probe.js';
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
}

const SHAPE: AddonShape = {
  always: ['libavcodec', 'codecs'],
  byFeature: {
    x264: 'probeX264',
    nvenc: 'probeNvenc',
    nvdec: 'probeNvdec',
    v4l2: 'v4l2Devices',
    sdl: 'sdlInfo',
    kms: 'drmDevices',
    cuda: 'cudaDevices',
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

  #need<F>(feature: Feature, fn: F | undefined): F {
    return needFeature('video', this.#manifest, this.#hardwareDir, feature, fn);
  }
}
