/**
 * 32-bit mixing functions used to turn seeds and labels into generator state. All arithmetic is
 * done with `Math.imul` and `>>> 0`, so results are identical on every JavaScript engine.
 */

/** MurmurHash3's finalizer: a bijection on 32-bit integers with full avalanche. */
export function fmix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** The golden-ratio increment of splitmix32's Weyl sequence. */
export const GOLDEN_GAMMA = 0x9e3779b9;

/** The n-th (0-based) output of splitmix32 started at `key`: a stateless form, so seeding allocates nothing. */
export function splitmix32(key: number, n: number): number {
  return fmix32((key + Math.imul(n + 1, GOLDEN_GAMMA)) >>> 0);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the string's UTF-16 code units, then `fmix32` (FNV alone mixes its last characters
 * poorly). `basis` lets a parent key be folded in, so `fork('a')` of two parents differ.
 */
export function hashString(text: string, basis: number = FNV_OFFSET): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  }
  return fmix32(h);
}
