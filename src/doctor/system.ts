/**
 * What the machine has, read from the kernel's files rather than the addon, so doctor still
 * answers when the addon does not load. Roots are parameters so tests can point them elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SystemRoots {
  readonly dev: string;
  readonly proc: string;
}

export const REAL_ROOTS: SystemRoots = { dev: '/dev', proc: '/proc' };

export function listDevNodes(roots: SystemRoots, prefix: string): string[] {
  try {
    return readdirSync(roots.dev)
      .filter((name) => name.startsWith(prefix) && /\d$/.test(name))
      .sort()
      .map((name) => join(roots.dev, name));
  } catch {
    return [];
  }
}

/** `/proc/asound/cards` as `N [id]: description` lines; none when ALSA has no card. */
export function soundCards(roots: SystemRoots): string[] {
  let text: string;
  try {
    text = readFileSync(join(roots.proc, 'asound', 'cards'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => /^\s*\d+\s+\[/.test(line))
    .map((line) => line.trim().replace(/\s+/g, ' '));
}

/** The kernel driver's version line, or null where the NVIDIA driver is not loaded. */
export function nvidiaDriver(roots: SystemRoots): string | null {
  try {
    const first = readFileSync(join(roots.proc, 'driver', 'nvidia', 'version'), 'utf8').split('\n')[0];
    return first === undefined || first === '' ? null : first.trim();
  } catch {
    return null;
  }
}

/** Where the dynamic linker would find `libname`, or null. */
export function findSharedLibrary(libname: string): string | null {
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const result = spawnSync(ldconfig, ['-p'], { encoding: 'utf8' });
    if (result.status !== 0) continue;
    for (const line of result.stdout.split('\n')) {
      const match = /^\s*(\S+) \(([^)]*)\) => (\S+)$/.exec(line);
      if (match?.[1] === libname && match[2]?.includes('x86-64') !== false) return match[3] ?? null;
    }
    return null;
  }
  return null;
}
