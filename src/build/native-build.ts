/**
 * Builds the native addons for one hardware profile and writes the manifest the TS side reads.
 * Each profile gets its own CMake tree (`build/<profile>/native`), and every feature option is
 * passed explicitly, so switching profiles never keeps a stale ON in the CMake cache.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join, relative } from 'node:path';
import { BuildError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { readAddonFeatures } from '../media/index.js';
import {
  addonsFor,
  cmakeFeatureOptions,
  loadFeatureTable,
  loadProfile,
  manifestFor,
  writeManifest,
  type AddonEntry,
  type AddonName,
  type BuildManifest,
  type FeatureTable,
  type Profile,
} from '../profiles/index.js';

export interface NativeBuildOptions {
  readonly root: string;
  readonly profile: string;
  readonly log: Logger;
  readonly parallel?: number;
}

/** Where a tool lives: PATH first, then the places Debian and NVIDIA install it. */
export function findTool(tool: string, path: string = process.env.PATH ?? ''): string | null {
  const dirs = [...path.split(delimiter).filter((d) => d !== ''), '/usr/local/cuda/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/** Throws a BuildError naming the first tool the profile's features need that is missing. */
export function checkTools(profile: Profile, table: FeatureTable): void {
  for (const feature of profile.features) {
    for (const tool of table.features[feature].tools ?? []) {
      if (findTool(tool) === null) {
        throw new BuildError(
          `profile '${profile.name}': feature '${feature}' needs ${tool}, which is not installed (looked in PATH and /usr/local/cuda/bin)`,
        );
      }
    }
  }
}

export function buildNative(options: NativeBuildOptions): BuildManifest {
  const { root, log } = options;
  const hardwareDir = join(root, 'hardware');
  const profile = loadProfile(hardwareDir, options.profile);
  const table = loadFeatureTable(hardwareDir);
  checkTools(profile, table);

  const out = join(root, 'build', profile.name, 'native');
  const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  const defines = cmakeFeatureOptions(profile).map((option) => `--CD${option}`);
  const common = [
    '-d',
    join(root, 'native'),
    '-O',
    out,
    '--parallel',
    String(options.parallel ?? 2),
    '-l',
    'warn',
  ];
  log.info({ profile: profile.name, features: profile.features, out }, 'building native addons');
  for (const step of ['configure', 'build']) {
    const result = spawnSync(process.execPath, [cmakeJs, step, ...common, ...defines], { stdio: 'inherit' });
    if (result.status !== 0) {
      throw new BuildError(
        `cmake-js ${step} failed for profile '${profile.name}' (exit ${result.status ?? 'signal'})`,
      );
    }
  }

  const addons: Partial<Record<AddonName, AddonEntry>> = {};
  for (const addon of addonsFor(profile, table)) {
    if (!existsSync(join(root, 'native', addon, 'CMakeLists.txt'))) {
      log.warn(
        { addon },
        `profile '${profile.name}' declares features of addon '${addon}', which has no code yet`,
      );
      continue;
    }
    const file = join(out, 'Release', `${addon}.node`);
    const features = readAddonFeatures(addon, file);
    const expected = profile.features.filter((f) => table.features[f].addon === addon);
    if ([...features].sort().join(',') !== [...expected].sort().join(',')) {
      throw new BuildError(
        `${file} reports features [${features.join(', ')}] but profile '${profile.name}' asked for [${expected.join(', ')}]`,
      );
    }
    addons[addon] = { file: relative(root, file), features };
  }

  const manifest = manifestFor(profile, addons, new Date());
  const manifestFile = join(root, 'build', 'manifest.json');
  writeManifest(manifestFile, manifest);
  log.info({ manifest: relative(root, manifestFile), built: manifest.builtFeatures }, 'native build done');
  return manifest;
}
