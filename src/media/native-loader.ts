import { createRequire } from 'node:module';
import { NativeAddonError } from '../errors/index.js';
import { isFeature, type Feature } from '../profiles/index.js';

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
