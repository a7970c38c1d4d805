/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), the
 * field of most Reed-Solomon deployments. Addition is XOR; multiplication goes through tables
 * built once at load: log/exp for matrix work, and a full 64 KiB product table for the shard
 * kernels, where one lookup per byte beats log/exp's two lookups, an add and a zero test.
 */

const PRIMITIVE_POLYNOMIAL = 0x11d;

/** Number of elements; also the most points a Cauchy matrix over this field can use. */
export const FIELD_SIZE = 256;

/** EXP[i] = 2^i. Doubled (510 entries) so EXP[LOG[a] + LOG[b]] needs no modulo. */
export const EXP = new Uint8Array(2 * 255);
/** LOG[a] = i with 2^i = a, for a ≠ 0. LOG[0] is meaningless. */
export const LOG = new Uint8Array(FIELD_SIZE);
/** MUL[(a << 8) | b] = a·b. */
export const MUL = new Uint8Array(FIELD_SIZE * FIELD_SIZE);

{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= PRIMITIVE_POLYNOMIAL;
  }
  for (let a = 1; a < FIELD_SIZE; a++) {
    const logA = Number(LOG[a]);
    for (let b = 1; b < FIELD_SIZE; b++) MUL[(a << 8) | b] = Number(EXP[logA + Number(LOG[b])]);
  }
}

/** a·b. */
export function gfMul(a: number, b: number): number {
  return Number(MUL[((a & 0xff) << 8) | (b & 0xff)]);
}

/** The multiplicative inverse of a; a must be non-zero (callers only invert Cauchy entries and pivots). */
export function gfInv(a: number): number {
  return Number(EXP[255 - Number(LOG[a & 0xff])]);
}
