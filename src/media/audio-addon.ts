/**
 * The one typed boundary to `native/audio`. Nothing else loads the addon or touches its raw
 * exports; feature-gated calls fail with FeatureUnavailableError when the build lacks them.
 */
import type { BuildManifest, Feature } from '../profiles/index.js';
import { loadManifestAddon, needFeature, type AddonShape, type LoadedAddon } from './native-loader.js';
import type { ProbeResult } from './probe.js';

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

interface RawAudioAddon {
  portaudioDevices?: () => PortAudioInfo;
  probeApm?: () => ProbeResult;
  opusInfo?: () => OpusInfo;
}

const SHAPE: AddonShape = {
  always: [],
  byFeature: { 'audio-io': 'portaudioDevices', apm: 'probeApm', opus: 'opusInfo' },
};

export class AudioAddon {
  readonly #raw: RawAudioAddon;
  readonly #features: readonly Feature[];
  readonly #manifest: BuildManifest;
  readonly #hardwareDir: string;

  private constructor(loaded: LoadedAddon, manifest: BuildManifest, hardwareDir: string) {
    // loadManifestAddon checked every export this type names against the build's features.
    this.#raw = loaded.exports;
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

  #need<F>(feature: Feature, fn: F | undefined): F {
    return needFeature('audio', this.#manifest, this.#hardwareDir, feature, fn);
  }
}
