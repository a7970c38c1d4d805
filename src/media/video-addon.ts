/**
 * The one typed boundary to `native/video`. Nothing else loads the addon or touches its raw
 * exports; feature-gated calls fail with FeatureUnavailableError when the build lacks them.
 */
import { isAbsolute, join } from 'node:path';
import { NativeAddonError } from '../errors/index.js';
import { isFeature, requireFeature, type BuildManifest, type Feature } from '../profiles/index.js';
import { addonFeatures, requireNative } from './native-loader.js';

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

/** Whether a codec actually opened on this machine; `error` is libavcodec's reason when not. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

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
  readonly features: readonly string[];
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

const FEATURE_EXPORTS: Partial<Record<Feature, keyof RawVideoAddon>> = {
  x264: 'probeX264',
  nvenc: 'probeNvenc',
  nvdec: 'probeNvdec',
  v4l2: 'v4l2Devices',
  sdl: 'sdlInfo',
  kms: 'drmDevices',
  cuda: 'cudaDevices',
};

function asRawVideoAddon(value: unknown): RawVideoAddon {
  const features = addonFeatures('video', value);
  const exports = value as Record<string, unknown>;
  for (const name of ['libavcodec', 'codecs']) {
    if (typeof exports[name] !== 'function')
      throw new NativeAddonError('video', `export '${name}' is missing`);
  }
  for (const feature of features) {
    const fn = FEATURE_EXPORTS[feature];
    if (fn !== undefined && typeof exports[fn] !== 'function') {
      throw new NativeAddonError('video', `reports feature '${feature}' but lacks export '${fn}'`);
    }
  }
  return value as RawVideoAddon;
}

export class VideoAddon {
  readonly #raw: RawVideoAddon;
  readonly #manifest: BuildManifest;
  readonly #hardwareDir: string;

  private constructor(raw: RawVideoAddon, manifest: BuildManifest, hardwareDir: string) {
    this.#raw = raw;
    this.#manifest = manifest;
    this.#hardwareDir = hardwareDir;
  }

  /** Loads the video addon named by the build manifest. */
  static load(manifest: BuildManifest, appRoot: string, hardwareDir: string): VideoAddon {
    const entry = manifest.addons.video;
    if (entry === undefined)
      throw new NativeAddonError('video', `not built for profile '${manifest.profile}'`);
    const file = isAbsolute(entry.file) ? entry.file : join(appRoot, entry.file);
    const raw = asRawVideoAddon(requireNative('video', file));
    const reported = [...raw.features].sort().join(',');
    const expected = [...entry.features].sort().join(',');
    if (reported !== expected) {
      throw new NativeAddonError(
        'video',
        `${file} has features [${reported}] but the manifest says [${expected}]; rebuild`,
      );
    }
    return new VideoAddon(raw, manifest, hardwareDir);
  }

  /** Features compiled into this addon. */
  get features(): readonly Feature[] {
    return this.#raw.features.filter(isFeature);
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

  #need<F extends (...args: never[]) => unknown>(feature: Feature, fn: F | undefined): F {
    requireFeature(this.#manifest, feature, this.#hardwareDir);
    if (fn === undefined)
      throw new NativeAddonError('video', `feature '${feature}' is in the manifest but not the addon`);
    return fn;
  }
}
