/**
 * The 12-byte handshake counter carried at the front of message 1's payload, and the responder's
 * replay check. WireGuard puts a TAI64N timestamp there; doorway puts a 96-bit big-endian counter
 * whose wall-clock floor *is* TAI64N, so it compares the same way but never needs a trusted clock.
 */
import { NoiseUsageError } from './errors.js';

export const COUNTER_LEN = 12;
export const MAX_COUNTER = (1n << 96n) - 1n;

/** TAI64 label of the Unix epoch: 2^62 plus the 10 s TAI-UTC offset of 1970, as WireGuard uses. */
const TAI64_EPOCH = (1n << 62n) + 10n;

export function encodeCounter(counter: bigint): Uint8Array {
  if (counter < 0n || counter > MAX_COUNTER) throw new NoiseUsageError('handshake counter out of range');
  const out = new Uint8Array(COUNTER_LEN);
  let rest = counter;
  for (let i = COUNTER_LEN - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** Reads the first 12 bytes; `null` if there are fewer (a peer's payload: no throw). */
export function decodeCounter(bytes: Uint8Array): bigint | null {
  if (bytes.length < COUNTER_LEN) return null;
  let value = 0n;
  for (let i = 0; i < COUNTER_LEN; i++) value = (value << 8n) | BigInt(bytes[i] ?? 0);
  return value;
}

/**
 * The TAI64N value of a Unix time in milliseconds, as a 96-bit integer (seconds label in the high
 * 64 bits, nanoseconds in the low 32). Used as a floor, never trusted on its own.
 */
export function tai64nFromUnixMs(unixMs: number): bigint {
  if (!Number.isSafeInteger(unixMs) || unixMs < 0) {
    throw new NoiseUsageError('unixMs must be a non-negative integer');
  }
  const seconds = BigInt(Math.floor(unixMs / 1000));
  const nanos = BigInt((unixMs % 1000) * 1_000_000);
  return ((TAI64_EPOCH + seconds) << 32n) | nanos;
}

/**
 * An initiator's handshake counter from the wall clock alone, strictly increasing within the
 * process: for tools and checks that keep no state. It stays at or below what a `PersistedCounter`
 * returns later on the same clock, so a service started afterwards is never refused as a replay.
 */
export function wallClockCounter(now: () => number = Date.now): () => bigint {
  let last = 0n;
  return () => {
    const floor = tai64nFromUnixMs(now());
    last = floor > last ? floor : last + 1n;
    return last;
  };
}

/**
 * The responder's per-peer replay check: a message 1 is accepted only if its counter is strictly
 * greater than the last accepted one. Pure state: the caller loads `lastAccepted` at start-up and
 * persists it after each accept (see `writeCounterFile`), which is what survives a reboot.
 * Only call `accept` for a message 1 that decrypted and came from the pinned key, or a forger
 * could push the mark up and lock the real peer out.
 */
export class ReplayGuard {
  #last: bigint | null;

  constructor(lastAccepted: bigint | null = null) {
    this.#last = lastAccepted;
  }

  get lastAccepted(): bigint | null {
    return this.#last;
  }

  wouldAccept(counter: bigint): boolean {
    return this.#last === null || counter > this.#last;
  }

  /** True and records the counter if it is new; false, changing nothing, if it is a replay. */
  accept(counter: bigint): boolean {
    if (!this.wouldAccept(counter)) return false;
    this.#last = counter;
    return true;
  }
}
