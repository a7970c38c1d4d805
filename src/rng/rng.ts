import { RngArgumentError } from './errors.js';
import { fmix32, GOLDEN_GAMMA, hashString, splitmix32 } from './mix.js';

/** A seed: any safe integer, or a string (hashed). `42` and `'42'` are different seeds. */
export type Seed = number | string;

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;
/** Salt folded into a parent's key before a fork label, so `fork(x)` never equals `new Rng(x)`. */
const FORK_SALT = 0x6a09e667;

function seedKey(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isSafeInteger(seed)) {
    throw new RngArgumentError('seed', `must be a safe integer or a string, got ${String(seed)}`);
  }
  // Seeds in [0, 2^32) are used as they are; wider ones fold their high word in.
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) | 0;
  return hi === 0 ? lo : fmix32(lo ^ fmix32(hi ^ GOLDEN_GAMMA));
}

/**
 * A seeded xoshiro128** generator (Blackman and Vigna), its state filled by splitmix32.
 *
 * The state lives in four int32 fields rather than a typed array: they stay small integers in V8,
 * so no call allocates. Every operation is integer arithmetic or IEEE-exact, except `nextGaussian`,
 * which uses `Math.log` and is reproducible on any one Node.js version.
 */
export class Rng {
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  /** The stream's identity: a function of the seed and fork labels only, never of draws made. */
  #key: number;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: Seed) {
    this.#key = seedKey(seed);
    this.#seedState();
  }

  #seedState(): void {
    const k = this.#key;
    this.#s0 = splitmix32(k, 0) | 0;
    this.#s1 = splitmix32(k, 1) | 0;
    this.#s2 = splitmix32(k, 2) | 0;
    this.#s3 = splitmix32(k, 3) | 0;
    // xoshiro's one forbidden state; splitmix32 practically never yields it, but never is better.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = GOLDEN_GAMMA | 0;
    this.#hasSpare = false;
    this.#spare = 0;
  }

  /** The next 32 random bits, as an integer in [0, 2^32). */
  nextU32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    let s2 = this.#s2;
    let s3 = this.#s3;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.#s1 = s1 ^ s2;
    this.#s0 = s0 ^ s3;
    this.#s2 = s2 ^ t;
    this.#s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** A float in [0, 1) with 32 bits of resolution (one draw). */
  nextFloat(): number {
    return this.nextU32() * INV_TWO_POW_32;
  }

  /**
   * An unbiased integer in [0, maxExclusive), `maxExclusive` an integer in [1, 2^32]. Rejection
   * keeps it exact: draws below `2^32 mod max` are retried, so it may take more than one draw.
   */
  nextInt(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_POW_32) {
      throw new RngArgumentError('maxExclusive', `must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    const threshold = TWO_POW_32 % maxExclusive;
    for (;;) {
      const r = this.nextU32();
      if (r >= threshold) return r % maxExclusive;
    }
  }

  /** True with probability `p` (p <= 0: never, p >= 1: always). Always exactly one draw. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /**
   * A standard normal sample (mean 0, standard deviation 1), by Marsaglia's polar method. Samples
   * come in pairs; the second is kept for the next call, and `clone` copies it.
   */
  nextGaussian(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.nextFloat() * 2 - 1;
      v = this.nextFloat() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spare = v * m;
    this.#hasSpare = true;
    return u * m;
  }

  /** A normal sample with the given mean and standard deviation. */
  nextNormal(mean: number, stddev: number): number {
    return mean + stddev * this.nextGaussian();
  }

  /**
   * An independent generator for `label`, derived from this one's seed and fork path only: the
   * same label gives the same stream however many numbers this generator has drawn, so adding a
   * draw in one component never shifts another's randomness.
   */
  fork(label: string): Rng {
    const child = new Rng(0);
    child.#key = hashString(label, fmix32(this.#key ^ FORK_SALT));
    child.#seedState();
    return child;
  }

  /** A copy at this exact position: both then produce the same sequence. */
  clone(): Rng {
    const copy = new Rng(0);
    copy.#key = this.#key;
    copy.#s0 = this.#s0;
    copy.#s1 = this.#s1;
    copy.#s2 = this.#s2;
    copy.#s3 = this.#s3;
    copy.#spare = this.#spare;
    copy.#hasSpare = this.#hasSpare;
    return copy;
  }
}
