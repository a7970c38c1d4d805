/**
 * Inversion of small square matrices over GF(2^8), row-major with a fixed row stride, in buffers
 * the caller owns. Gauss-Jordan: O(n³) for n ≤ 256, but n is the number of lost sources in one
 * block (tens at realistic loss), small next to the O(n·k·shardLength) shard work that follows.
 */
import { MUL, gfInv } from './gf256.js';

/** Row stride of every matrix handed to {@link invertMatrix}. */
export const MATRIX_STRIDE = 256;

/**
 * Writes the inverse of the n×n matrix in `work` into `inverse`, destroying `work`.
 * Returns false when the matrix is singular (never for a Cauchy submatrix).
 */
export function invertMatrix(work: Uint8Array, inverse: Uint8Array, n: number): boolean {
  for (let r = 0; r < n; r++) {
    const row = r * MATRIX_STRIDE;
    inverse.fill(0, row, row + n);
    inverse[row + r] = 1;
  }
  for (let col = 0; col < n; col++) {
    let pivotRow = col;
    while (pivotRow < n && work[pivotRow * MATRIX_STRIDE + col] === 0) pivotRow++;
    if (pivotRow === n) return false;
    if (pivotRow !== col) {
      swapRows(work, pivotRow, col, n);
      swapRows(inverse, pivotRow, col, n);
    }
    const pivot = col * MATRIX_STRIDE;
    const scale = gfInv(Number(work[pivot + col])) << 8;
    for (let c = 0; c < n; c++) {
      work[pivot + c] = Number(MUL[scale | Number(work[pivot + c])]);
      inverse[pivot + c] = Number(MUL[scale | Number(inverse[pivot + c])]);
    }
    for (let r = 0; r < n; r++) {
      const factor = r === col ? 0 : Number(work[r * MATRIX_STRIDE + col]);
      if (factor === 0) continue;
      const row = r * MATRIX_STRIDE;
      const f = factor << 8;
      for (let c = 0; c < n; c++) {
        work[row + c] = Number(work[row + c]) ^ Number(MUL[f | Number(work[pivot + c])]);
        inverse[row + c] = Number(inverse[row + c]) ^ Number(MUL[f | Number(inverse[pivot + c])]);
      }
    }
  }
  return true;
}

function swapRows(m: Uint8Array, a: number, b: number, n: number): void {
  const ra = a * MATRIX_STRIDE;
  const rb = b * MATRIX_STRIDE;
  for (let c = 0; c < n; c++) {
    const t = Number(m[ra + c]);
    m[ra + c] = Number(m[rb + c]);
    m[rb + c] = t;
  }
}
