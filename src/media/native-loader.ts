/**
 * Loading a compiled addon named by the build manifest, and checking that it exports what the
 * manifest and its feature table promise. The per-addon classes (VideoAddon, AudioAddon) are
 * the typed boundaries; this is the part they share.
 */
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { NativeAddonError } from '../errors/index.js';
import {
  isFeature,
  requireFeature,
  type AddonName,
  type BuildManifest,
  type Feature,
} from '../profiles/index.js';

/** `require`s a compiled addon; a failure becomes a one-line NativeAddonError. */
export function requireNative(addon: string, file: string): unknown {
  const require = createRequire(import.meta.url);
  try {
    return require(file) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new NativeAddonError(addon, `cannot load ${file}: ${reason}`);
  }
}

/** The `features` export every addon carries: what its build compiled in. */
export function addonFeatures(addon: string, exports: unknown): Feature[] {
  if (typeof exports !== 'object' || exports === null)
    throw new NativeAddonError(addon, 'did not export an object');
  const features = (exports as Record<string, unknown>).features;
  if (!Array.isArray(features)) throw new NativeAddonError(addon, "export 'features' is not a list");
  return features.map((feature: unknown) => {
    if (typeof feature !== 'string' || !isFeature(feature)) {
      throw new NativeAddonError(addon, `reports unknown feature '${String(feature)}'`);
    }
    return feature;
  });
}

/** Loads an addon file only to read what it compiled; the build uses this to check itself. */
export function readAddonFeatures(addon: string, file: string): Feature[] {
  return addonFeatures(addon, requireNative(addon, file));
}

export interface AddonShape {
  /** Exports every build of the addon has. */
  readonly always: readonly string[];
  /** The export each feature adds. */
  readonly byFeature: Partial<Record<Feature, string>>;
}

/** A loaded addon: its raw exports (checked against `shape`) and what it compiled. */
export interface LoadedAddon {
  readonly exports: Record<string, unknown>;
  readonly features: readonly Feature[];
}

export function loadManifestAddon(
  addon: AddonName,
  shape: AddonShape,
  manifest: BuildManifest,
  appRoot: string,
): LoadedAddon {
  const entry = manifest.addons[addon];
  if (entry === undefined) throw new NativeAddonError(addon, `not built for profile '${manifest.profile}'`);
  const file = isAbsolute(entry.file) ? entry.file : join(appRoot, entry.file);
  const raw = requireNative(addon, file);
  const features = addonFeatures(addon, raw);
  const exports = raw as Record<string, unknown>;
  const reported = [...features].sort().join(',');
  const expected = [...entry.features].sort().join(',');
  if (reported !== expected) {
    throw new NativeAddonError(
      addon,
      `${file} has features [${reported}] but the manifest says [${expected}]; rebuild`,
    );
  }
  for (const name of shape.always) {
    if (typeof exports[name] !== 'function') throw new NativeAddonError(addon, `export '${name}' is missing`);
  }
  for (const feature of features) {
    const name = shape.byFeature[feature];
    if (name !== undefined && typeof exports[name] !== 'function') {
      throw new NativeAddonError(addon, `reports feature '${feature}' but lacks export '${name}'`);
    }
  }
  return { exports, features };
}

/**
 * Returns `fn` when the build has `feature`; otherwise throws the one-line
 * FeatureUnavailableError naming the profiles that have it.
 */
export function needFeature<F>(
  addon: AddonName,
  manifest: BuildManifest,
  hardwareDir: string,
  feature: Feature,
  fn: F | undefined,
): F {
  requireFeature(manifest, feature, hardwareDir);
  if (fn === undefined)
    throw new NativeAddonError(addon, `feature '${feature}' is in the manifest but not the addon`);
  return fn;
}
