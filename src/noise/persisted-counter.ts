/**
 * The only file I/O in src/noise: a monotonic counter kept in a small file, so that the
 * initiator's handshake counter never repeats or goes backwards across a reboot, even on an
 * appliance with no battery-backed clock and no network time yet.
 *
 * Why `max(persisted + 1, TAI64N(wall clock))`:
 * - `persisted + 1` alone is monotonic as long as the file survives, but a replaced SD card or a
 *   restored image would restart it below what the peer has already seen, locking us out for good.
 * - The wall clock alone (WireGuard's choice) goes backwards when a box boots at 1970 or with a
 *   stale RTC: every handshake is then rejected until the clock catches up.
 * - The max of the two never decreases while the file survives, and once the clock is right again
 *   it jumps past anything sent while the clock was right before, so losing the file only costs
 *   availability until the clock is correct, never a repeated counter.
 * The value is written (temp file, fsync, rename) *before* it is returned, so a crash right after
 * sending can never lead to the same counter being sent again.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_COUNTER, tai64nFromUnixMs } from './counter.js';
import { NoiseStateFileError } from './errors.js';

const DECIMAL = /^(0|[1-9][0-9]{0,28})\n?$/;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `null` when the file does not exist; a NoiseStateFileError when it exists but is not a counter. */
export function readCounterFile(path: string): bigint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NoiseStateFileError(path, `cannot read: ${message(err)}`);
  }
  if (!DECIMAL.test(text)) throw new NoiseStateFileError(path, 'not a decimal counter');
  const value = BigInt(text.trim());
  if (value > MAX_COUNTER) throw new NoiseStateFileError(path, 'counter out of range');
  return value;
}

/** Atomic replace: write a temp file (mode 0600), fsync it, rename over `path`, fsync the directory. */
export function writeCounterFile(path: string, value: bigint): void {
  if (value < 0n || value > MAX_COUNTER) throw new NoiseStateFileError(path, 'counter out of range');
  const temp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, `${value.toString()}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing to clean up: the temp file was never created or is already renamed.
    }
    throw new NoiseStateFileError(path, `cannot write: ${message(err)}`);
  }
  try {
    // Make the rename itself durable; some filesystems refuse fsync on a directory, which is fine.
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Best effort only.
  }
}

export class PersistedCounter {
  readonly #path: string;
  #last: bigint;

  private constructor(path: string, last: bigint) {
    this.#path = path;
    this.#last = last;
  }

  /** Opens (does not create) the counter file; a missing file starts from 0. */
  static open(path: string): PersistedCounter {
    return new PersistedCounter(path, readCounterFile(path) ?? 0n);
  }

  get path(): string {
    return this.#path;
  }

  /** The last value handed out (or loaded). */
  get last(): bigint {
    return this.#last;
  }

  /** The next handshake counter: persisted before it is returned. `unixMs` is the caller's clock. */
  next(unixMs: number): bigint {
    const floor = tai64nFromUnixMs(unixMs);
    const candidate = this.#last + 1n > floor ? this.#last + 1n : floor;
    writeCounterFile(this.#path, candidate);
    this.#last = candidate;
    return candidate;
  }
}
