import { SealConfigError, SealUsageError } from './errors.js';

/** Counters are 64-bit on the wire; JS numbers are exact up to here, so nothing at or above is accepted. */
export const MAX_COUNTER_LIMIT = 2 ** 53;

/** The smallest window the secure-session issue allows: enough for a 3K keyframe burst reordered on Wi-Fi. */
export const MIN_WINDOW_SIZE = 2048;

export const DEFAULT_WINDOW_SIZE = 8192;

export interface ReplayWindowOptions {
  /**
   * How many counters back from the highest one seen are still accepted (once each): a power of two
   * ≥ 2048. A counter exactly `size` below the highest is rejected, `size - 1` below is accepted.
   */
  readonly size?: number;
  /** Counters at or above this are never accepted (the rekey limit); at most 2^53. */
  readonly limit?: number;
}

/**
 * Sliding anti-replay window over 64-bit packet counters, in the style of RFC 6479 and WireGuard:
 * a ring of 32-bit words where advancing the top clears whole words instead of shifting bits, so
 * both `check` and `commit` are O(1) except for a large jump, which clears at most the whole ring.
 *
 * The ring holds 2 × size bits, not size + 32 as RFC 6479 would, so its word count is a power of two
 * (a mask, not a modulo) and the window edge is exact: the `top - counter < size` test decides, the
 * spare half of the ring only guarantees that no live counter shares a bit with another.
 *
 * `check` never modifies; `commit` is called only after the packet authenticated, so a forged packet
 * with a fresh counter can neither set a bit nor move the window.
 */
export class ReplayWindow {
  readonly size: number;
  readonly limit: number;
  readonly #words: Uint32Array;
  readonly #mask: number;
  /** Highest committed counter; -1 before the first, so counter 0 is new. */
  #top = -1;

  constructor(options: ReplayWindowOptions = {}) {
    const size = options.size ?? DEFAULT_WINDOW_SIZE;
    const limit = options.limit ?? MAX_COUNTER_LIMIT;
    if (!Number.isInteger(size) || size < MIN_WINDOW_SIZE || size > 2 ** 24 || (size & (size - 1)) !== 0) {
      throw new SealConfigError('size', `must be a power of two in [${MIN_WINDOW_SIZE}, 2^24], got ${size}`);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_COUNTER_LIMIT) {
      throw new SealConfigError('limit', `must be an integer in [1, 2^53], got ${limit}`);
    }
    this.size = size;
    this.limit = limit;
    this.#words = new Uint32Array((2 * size) / 32);
    this.#mask = this.#words.length - 1;
  }

  /** The highest counter committed so far, or -1 if none. */
  get top(): number {
    return this.#top;
  }

  /** True when `counter` is below the limit, not yet committed, and not older than the window. */
  check(counter: number): boolean {
    if (!(counter >= 0 && counter < this.limit) || !Number.isInteger(counter)) return false;
    const top = this.#top;
    if (counter > top) return true;
    if (top - counter >= this.size) return false;
    // `& mask` and `& 31` go through ToInt32, which is exact modulo 2^32 for any integer < 2^53.
    const word = this.#words[Math.floor(counter / 32) & this.#mask] ?? 0;
    return (word & (1 << (counter & 31))) === 0;
  }

  /**
   * Marks `counter` as seen, moving the window forward if it is the new highest. Returns false (and
   * changes nothing) when `check` would have refused it. Call only after the packet authenticated.
   */
  commit(counter: number): boolean {
    if (!Number.isInteger(counter) || counter < 0 || counter >= this.limit) {
      throw new SealUsageError(`seal: commit of invalid counter ${counter} (limit ${this.limit})`);
    }
    if (!this.check(counter)) return false;
    const words = this.#words;
    const mask = this.#mask;
    const index = Math.floor(counter / 32);
    if (counter > this.#top) {
      // Clear the words the top moves into: they still hold bits of counters 2 × size older.
      const from = this.#top < 0 ? 0 : Math.floor(this.#top / 32) + 1;
      if (index - from >= words.length) words.fill(0);
      else for (let w = from; w <= index; w++) words[w & mask] = 0;
      this.#top = counter;
    }
    const slot = index & mask;
    words[slot] = (words[slot] ?? 0) | (1 << (counter & 31));
    return true;
  }
}
