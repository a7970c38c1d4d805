import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import {
  DECODERS,
  DISPLAYS,
  ENCODERS,
  featureFor,
  listProfiles,
  loadProfile,
  profilesWithFeature,
  type CameraSource,
  type DecoderKind,
  type DisplayKind,
  type EncoderKind,
  type Profile,
} from '../profiles/index.js';
import { describeFsError, readJsonWithSchema } from '../schema/index.js';

const Port = z.number().int().min(1).max(65535);
const Kbps = z.number().int().positive();

/** An X25519 public key: 32 bytes as standard base64. */
const PublicKey = z.string().refine((text) => {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) return false;
  return Buffer.from(text, 'base64').length === 32;
}, 'must be a 32-byte key in base64 (44 characters)');

const Capture = {
  width: z.number().int().min(16).max(7680),
  height: z.number().int().min(16).max(4320),
  fps: z.number().int().min(1).max(240),
};

const CameraSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('synthetic'), ...Capture }),
  z.strictObject({
    source: z.literal('v4l2'),
    device: z.string().regex(/^\/dev\/\S+$/, 'must be a device path such as /dev/video0'),
    format: z.enum(['yuyv', 'nv12', 'mjpeg']).optional(),
    /** While the camera is gone: send the synthetic pattern, or nothing (default). */
    whenLost: z.enum(['pattern', 'nothing']).optional(),
    ...Capture,
  }),
]);

export const SiteFileSchema = z.strictObject({
  site: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  profile: z.string().min(1),
  privateKeyPath: z.string().min(1),
  presharedKeyPath: z.string().min(1).optional(),
  peer: z.strictObject({
    site: z.string().min(1),
    host: z.string().min(1),
    port: Port,
    publicKey: PublicKey,
  }),
  ports: z.strictObject({ media: Port, metrics: Port, status: Port }),
  devices: z.strictObject({
    camera: CameraSchema,
    encoder: z.enum(ENCODERS).optional(),
    decoder: z.enum(DECODERS).optional(),
    display: z.strictObject({ sink: z.enum(DISPLAYS).optional(), fullscreen: z.boolean() }),
    audio: z.strictObject({
      capture: z.string().min(1),
      playback: z.string().min(1),
      /**
       * The least output latency to ask of a sound-card speaker, ms. Default: the device's own low
       * latency, right for a card the appliance drives itself; a speaker behind a sound server
       * (ALSA's `pulse` device) needs ~60: at its default 30 ms the server's stream underran every
       * 10 to 40 s on a 2-core machine. Adds to mouth-to-ear one for one.
       */
      playbackLatencyMs: z.number().int().min(0).max(500).optional(),
      /**
       * Echo cancellation with noise suppression and gain control. Default: on for a sound-card
       * microphone or a synthetic room; off for a speakerphone that cancels its own echo.
       */
      echoCancel: z.boolean().optional(),
      /**
       * What the speakers play, which decides the echo canceller's far end. `one-mix` (default):
       * one speaker, or speakers that all carry the same mix, as a doorway has; the canceller is
       * fed the mono mix of what was played. `stereo`: speakers carrying different mixes; the
       * canceller is fed both channels (webrtc-audio-processing 0.3 still cancels against their
       * mix, at the same ERLE and ~2 µs more per 10 ms).
       */
      speakers: z.enum(['one-mix', 'stereo']).optional(),
      /**
       * The microphone. `mono` (default): one capsule (a doorway's), even when the sound card
       * delivers it as two channels; it is cleaned once and sent on both. `stereo`: two capsules
       * whose difference is worth sending; each channel is cleaned on its own, which doubles the
       * canceller's cost (~85 → ~165 µs per 10 ms block) and misses the 100 µs budget.
       */
      microphone: z.enum(['mono', 'stereo']).optional(),
      /**
       * Sites whose microphone and speaker are both synthetic: a room in which what the speaker
       * plays reaches the microphone, so the echo canceller has an echo to remove without hardware.
       */
      syntheticRoom: z
        .strictObject({
          echoDelayMs: z.number().int().min(0).max(500),
          echoGainDb: z.number().int().min(-60).max(0),
        })
        .optional(),
    }),
  }),
  bitrate: z
    .strictObject({ videoMinKbps: Kbps, videoMaxKbps: Kbps, audioKbps: Kbps.max(510) })
    .refine((b) => b.videoMinKbps <= b.videoMaxKbps, {
      message: 'videoMinKbps must not exceed videoMaxKbps',
      path: ['videoMinKbps'],
    }),
});

export type SiteFile = z.output<typeof SiteFileSchema>;

/** A validated site config: paths absolute, device choices filled from the profile. */
export interface SiteConfig extends Omit<SiteFile, 'devices'> {
  readonly file: string;
  readonly profileSpec: Profile;
  readonly devices: SiteFile['devices'] & {
    readonly encoder: EncoderKind;
    readonly decoder: DecoderKind;
    readonly display: { readonly sink: DisplayKind; readonly fullscreen: boolean };
  };
}

export interface LoadSiteOptions {
  /** The `hardware/` folder holding `profiles/`. */
  readonly hardwareDir: string;
  /**
   * Where the private key really is, overriding the file's `privateKeyPath`: a service under
   * systemd reads it from its credentials directory (`LoadCredential=`), not from /etc.
   */
  readonly privateKeyPath?: string;
}

/**
 * Loads and checks a site config. Every problem is a ConfigError naming the file, the field
 * and the reason; nothing is half-loaded.
 */
export function loadSiteConfig(path: string, options: LoadSiteOptions): SiteConfig {
  const file = resolve(path);
  const parsed = readJsonWithSchema(SiteFileSchema, file);

  const known = listProfiles(options.hardwareDir);
  if (!known.includes(parsed.profile)) {
    throw new ConfigError(
      file,
      'profile',
      `unknown profile '${parsed.profile}'; known profiles: ${known.join(', ')}`,
    );
  }
  const profile = loadProfile(options.hardwareDir, parsed.profile);

  const devices = {
    ...parsed.devices,
    encoder: parsed.devices.encoder ?? profile.defaults.encoder,
    decoder: parsed.devices.decoder ?? profile.defaults.decoder,
    display: {
      sink: parsed.devices.display.sink ?? profile.defaults.display,
      fullscreen: parsed.devices.display.fullscreen,
    },
  };
  const choices: [string, CameraSource | EncoderKind | DecoderKind | DisplayKind][] = [
    ['devices.camera.source', devices.camera.source],
    ['devices.encoder', devices.encoder],
    ['devices.decoder', devices.decoder],
    ['devices.display.sink', devices.display.sink],
  ];
  for (const [field, choice] of choices) {
    const needs = featureFor(choice);
    if (needs !== null && !profile.features.includes(needs)) {
      const others = profilesWithFeature(options.hardwareDir, needs);
      throw new ConfigError(
        file,
        field,
        `'${choice}' needs feature '${needs}', which profile '${profile.name}' lacks; profiles that have it: ${others.join(', ') || 'none'}`,
      );
    }
  }

  const base = dirname(file);
  const privateKeyPath = options.privateKeyPath ?? resolve(base, parsed.privateKeyPath);
  checkReadable(file, 'privateKeyPath', privateKeyPath);
  const presharedKeyPath =
    parsed.presharedKeyPath === undefined ? undefined : resolve(base, parsed.presharedKeyPath);
  if (presharedKeyPath !== undefined) checkReadable(file, 'presharedKeyPath', presharedKeyPath);

  return {
    ...parsed,
    ...(presharedKeyPath === undefined ? {} : { presharedKeyPath }),
    privateKeyPath,
    file,
    profileSpec: profile,
    devices,
  };
}

/** Opens and reads one byte: the only check that also holds for root and for odd mounts. */
function checkReadable(file: string, field: string, target: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(target, 'r');
    if (!fstatSync(fd).isFile()) throw new ConfigError(file, field, `${target} is not a regular file`);
    readSync(fd, Buffer.alloc(1), 0, 1, 0);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(file, field, `cannot read ${target}: ${describeFsError(err)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
