/**
 * The repair coefficients of one block: a Cauchy matrix over GF(2^8), scaled so that repair row 0
 * and source column 0 are all ones.
 *
 * Entry (j, i) is the weight of local source i in local repair j. The unscaled matrix is
 * 1 / (x_j + y_i) with y_i = i and x_j = 255 - j: sources count up from 0 and repairs down from
 * 255, so for any block with k + m ≤ 256 the points are distinct and every square submatrix is
 * invertible, which is exactly "any k of the k + m shards recover the block" (MDS). Because the
 * points do not depend on k or m, one 64 KiB table serves every block shape, and repair j of a
 * block is the same whatever m is.
 *
 * Scaling a row or a column by a non-zero constant keeps every square submatrix invertible, so
 * the code stays MDS. It is done for speed: repair 0 becomes the plain XOR of the sources and
 * source 0 enters every repair unmultiplied, so those passes are XORs and copies.
 */
import { FIELD_SIZE, gfInv, gfMul } from './gf256.js';

/** COEFFICIENTS[(j << 8) | i]: weight of source i in repair j; defined where i + j ≤ 254. */
export const COEFFICIENTS = new Uint8Array(FIELD_SIZE * FIELD_SIZE);

{
  const raw = (j: number, i: number): number => gfInv((255 - j) ^ i);
  const columnScale = new Uint8Array(FIELD_SIZE - 1);
  for (let i = 0; i < FIELD_SIZE - 1; i++) columnScale[i] = gfInv(raw(0, i));
  const firstColumnScale = Number(columnScale[0]);
  for (let j = 0; j < FIELD_SIZE - 1; j++) {
    const rowScale = gfInv(gfMul(raw(j, 0), firstColumnScale));
    for (let i = 0; i + j < FIELD_SIZE - 1; i++) {
      COEFFICIENTS[(j << 8) | i] = gfMul(gfMul(raw(j, i), Number(columnScale[i])), rowScale);
    }
  }
}
