import { join } from 'node:path';
import { z } from 'zod';
import { readJsonWithSchema } from '../schema/index.js';

/** Every build-time feature a hardware profile may enable. */
export const FEATURES = [
  'v4l2',
  'cuda',
  'nvenc',
  'nvdec',
  'x264',
  'sdl',
  'kms',
  'audio-io',
  'apm',
  'opus',
] as const;

export type Feature = (typeof FEATURES)[number];

/**
 * Native addons; `fec` and `udp` carry no feature and are built in every profile (the transport
 * needs them).
 */
export const ADDONS = ['fec', 'udp', 'video', 'audio'] as const;
export type AddonName = (typeof ADDONS)[number];

export const FeatureSchema = z.enum(FEATURES);

export function isFeature(name: string): name is Feature {
  return (FEATURES as readonly string[]).includes(name);
}

const PackageGroupSchema = z.strictObject({
  description: z.string(),
  packages: z.array(z.string()),
});

const FeatureSpecSchema = z.strictObject({
  description: z.string(),
  addon: z.enum(ADDONS),
  packages: z.array(z.string()),
  tools: z.array(z.string()).optional(),
});

export const FeatureTableSchema = z.strictObject({
  base: PackageGroupSchema,
  test: PackageGroupSchema,
  /** What `make image` and `make boot-test` need on the building machine. */
  image: PackageGroupSchema,
  features: z.record(FeatureSchema, FeatureSpecSchema),
});

export type FeatureTable = z.output<typeof FeatureTableSchema>;
export type FeatureSpec = z.output<typeof FeatureSpecSchema>;

/** `hardware/features.json`: what each feature is, which addon holds it, what it needs from Debian. */
export function loadFeatureTable(hardwareDir: string): FeatureTable {
  return readJsonWithSchema(FeatureTableSchema, join(hardwareDir, 'features.json'));
}
