/** Paths and scratch folders shared by the tests. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const HARDWARE = join(REPO, 'hardware');
export const CLI = join(REPO, 'dist', 'bin', 'doorway.js');

export function scratch(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `doorway-${prefix}-`));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A copy of `hardware/` that a test may break. */
export function copyHardware(into: string): string {
  const target = join(into, 'hardware');
  cpSync(HARDWARE, target, { recursive: true });
  return target;
}

export function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

export function writeJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2));
}

/**
 * The example site, with its key path pointed at a real file in `dir`, and `edit` applied.
 * Returns the written file's path.
 */
export function writeSite(
  dir: string,
  edit: (site: Record<string, unknown>) => void = () => undefined,
): string {
  const site = readJson(join(HARDWARE, 'sites', 'example.json'));
  const key = join(dir, 'private.key');
  // A real X25519 private key in its text form (any 32 bytes are one), readable by its owner only.
  writeFileSync(key, `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
  site.privateKeyPath = key;
  edit(site);
  const file = join(dir, 'site.json');
  writeJson(file, site);
  return file;
}
