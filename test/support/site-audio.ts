/** Site configs that differ from one site's only in `devices.audio`, for the plan and config tests. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSiteConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { HARDWARE, readJson, writeJson } from './tree.js';

/** A writer of `<dir>/<name>.json`: the site in `baseFile` with `audio` merged into devices.audio. */
export function audioVariants(
  dir: string,
  baseFile: string,
): (name: string, audio: Record<string, unknown>) => string {
  return (name, audio) => {
    const file = join(dir, `${name}.json`);
    const config = readJson(baseFile);
    const devices = config.devices as { audio: object };
    writeJson(file, { ...config, devices: { ...devices, audio: { ...devices.audio, ...audio } } });
    return file;
  };
}

/** Loading `file` fails with a one-line ConfigError that names `file` and `field`. */
export function assertConfigErrorNaming(file: string, field: string): void {
  assert.throws(
    () => loadSiteConfig(file, { hardwareDir: HARDWARE }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.field === field &&
      err.message.includes(file) &&
      !err.message.includes('\n'),
  );
}
