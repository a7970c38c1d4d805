import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { FeatureUnavailableError } from '../errors/index.js';
import { readJsonWithSchema } from '../schema/index.js';
import {
  ADDONS,
  FEATURES,
  FeatureSchema,
  type AddonName,
  type Feature,
  type FeatureTable,
} from './features.js';
import { profilesWithFeature, type Profile } from './profile.js';

const AddonEntrySchema = z.strictObject({
  /** Path of the `.node` file, relative to the doorway tree. */
  file: z.string(),
  /** Features the addon itself reported when the build loaded it. */
  features: z.array(FeatureSchema),
});

export const ManifestSchema = z.strictObject({
  formatVersion: z.literal(1),
  profile: z.string(),
  /** What the profile asked for. */
  declaredFeatures: z.array(FeatureSchema),
  /** What the built addons contain: the only features the TS side may use. */
  builtFeatures: z.array(FeatureSchema),
  builtAt: z.string(),
  addons: z.partialRecord(z.enum(ADDONS), AddonEntrySchema),
});

export type BuildManifest = z.output<typeof ManifestSchema>;
export type AddonEntry = z.output<typeof AddonEntrySchema>;

/** CMake cache options for a profile: every feature named, so a later build turns old ones OFF. */
export function cmakeFeatureOptions(profile: Profile): string[] {
  return FEATURES.map((feature) => {
    const option = `DOORWAY_FEATURE_${feature.toUpperCase().replaceAll('-', '_')}`;
    return `${option}=${profile.features.includes(feature) ? 'ON' : 'OFF'}`;
  });
}

/**
 * The addons a profile needs, from the feature table. `fec`, `udp` and `video` are always built:
 * the transport's erasure code and socket, and the codec probe, are needed whatever the hardware.
 */
export function addonsFor(profile: Profile, table: FeatureTable): AddonName[] {
  const wanted = new Set<AddonName>(['fec', 'udp', 'video']);
  for (const feature of profile.features) {
    wanted.add(table.features[feature].addon);
  }
  return ADDONS.filter((addon) => wanted.has(addon));
}

export function manifestFor(
  profile: Profile,
  addons: Partial<Record<AddonName, AddonEntry>>,
  builtAt: Date,
): BuildManifest {
  const built = new Set<Feature>();
  for (const entry of Object.values(addons)) for (const feature of entry.features) built.add(feature);
  return {
    formatVersion: 1,
    profile: profile.name,
    declaredFeatures: [...profile.features],
    builtFeatures: FEATURES.filter((feature) => built.has(feature)),
    builtAt: builtAt.toISOString(),
    addons,
  };
}

export function writeManifest(file: string, manifest: BuildManifest): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function readManifest(file: string): BuildManifest {
  return readJsonWithSchema(ManifestSchema, file);
}

/** Throws the one-line FeatureUnavailableError unless the build contains `feature`. */
export function requireFeature(manifest: BuildManifest, feature: Feature, hardwareDir: string): void {
  if (manifest.builtFeatures.includes(feature)) return;
  if (manifest.declaredFeatures.includes(feature)) {
    throw new FeatureUnavailableError(
      feature,
      manifest.profile,
      [],
      'the profile declares it, but no native addon of this build implements it yet',
    );
  }
  throw new FeatureUnavailableError(feature, manifest.profile, profilesWithFeature(hardwareDir, feature));
}
