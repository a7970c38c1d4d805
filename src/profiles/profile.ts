import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { readJsonWithSchema } from '../schema/index.js';
import { FeatureSchema, type Feature } from './features.js';

export const CAMERA_SOURCES = ['synthetic', 'v4l2'] as const;
export const ENCODERS = ['x264', 'nvenc'] as const;
export const DECODERS = ['software', 'nvdec'] as const;
export const DISPLAYS = ['sdl', 'kms', 'headless'] as const;

export type CameraSource = (typeof CAMERA_SOURCES)[number];
export type EncoderKind = (typeof ENCODERS)[number];
export type DecoderKind = (typeof DECODERS)[number];
export type DisplayKind = (typeof DISPLAYS)[number];

/** The feature a device choice needs compiled in, or null where it needs none. */
export function featureFor(choice: CameraSource | EncoderKind | DecoderKind | DisplayKind): Feature | null {
  switch (choice) {
    case 'synthetic':
    case 'software':
    case 'headless':
      return null;
    case 'v4l2':
      return 'v4l2';
    case 'x264':
      return 'x264';
    case 'nvenc':
      return 'nvenc';
    case 'nvdec':
      return 'nvdec';
    case 'sdl':
      return 'sdl';
    case 'kms':
      return 'kms';
  }
}

const ProfileSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    description: z.string(),
    features: z.array(FeatureSchema).min(1),
    defaults: z.strictObject({
      camera: z.enum(CAMERA_SOURCES),
      encoder: z.enum(ENCODERS),
      decoder: z.enum(DECODERS),
      display: z.enum(DISPLAYS),
    }),
  })
  .superRefine((profile, ctx) => {
    const seen = new Set<Feature>();
    profile.features.forEach((feature, index) => {
      if (seen.has(feature))
        ctx.addIssue({ code: 'custom', path: ['features', index], message: 'listed twice' });
      seen.add(feature);
    });
    for (const key of ['camera', 'encoder', 'decoder', 'display'] as const) {
      const needs = featureFor(profile.defaults[key]);
      if (needs !== null && !seen.has(needs)) {
        ctx.addIssue({
          code: 'custom',
          path: ['defaults', key],
          message: `'${profile.defaults[key]}' needs feature '${needs}', which the profile does not list`,
        });
      }
    }
  });

export type Profile = z.output<typeof ProfileSchema>;

/** Names of the profiles in `hardware/profiles/`, sorted. */
export function listProfiles(hardwareDir: string): string[] {
  return readdirSync(join(hardwareDir, 'profiles'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

export function loadProfile(hardwareDir: string, name: string): Profile {
  const known = listProfiles(hardwareDir);
  if (!known.includes(name)) {
    throw new ConfigError(
      join(hardwareDir, 'profiles'),
      '',
      `unknown profile '${name}'; known profiles: ${known.join(', ')}`,
    );
  }
  const file = join(hardwareDir, 'profiles', `${name}.json`);
  const profile = readJsonWithSchema(ProfileSchema, file);
  if (profile.name !== name) throw new ConfigError(file, 'name', `must be '${name}', the file's name`);
  return profile;
}

/** Names of the profiles that enable `feature`. */
export function profilesWithFeature(hardwareDir: string, feature: string): string[] {
  return listProfiles(hardwareDir).filter((name) =>
    (loadProfile(hardwareDir, name).features as readonly string[]).includes(feature),
  );
}
