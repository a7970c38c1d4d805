import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where doorway's own files are: the source tree in development, `/opt/doorway` when installed.
 * `DOORWAY_HOME` overrides the search (the installed units set it).
 */
export function appRoot(): string {
  const fromEnv = process.env.DOORWAY_HOME;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'hardware', 'features.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the doorway tree (hardware/features.json); set DOORWAY_HOME');
    dir = parent;
  }
}

export function hardwareDir(root: string = appRoot()): string {
  return join(root, 'hardware');
}

/** The manifest written by the last `make build`; `DOORWAY_MANIFEST` overrides it. */
export function manifestPath(root: string = appRoot()): string {
  const fromEnv = process.env.DOORWAY_MANIFEST;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(root, 'build', 'manifest.json');
}
