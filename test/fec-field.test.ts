import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COEFFICIENTS } from '../src/fec/cauchy.js';
import { EXP, gfInv, gfMul, LOG, MUL } from '../src/fec/gf256.js';
import { invertMatrix, MATRIX_STRIDE } from '../src/fec/matrix.js';

/** Multiplication by shift-and-add, independent of the tables. */
function slowMul(a: number, b: number): number {
  let product = 0;
  for (let x = a, y = b; y > 0; y >>= 1) {
    if (y & 1) product ^= x;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return product;
}

function matrix(rows: number[][]): Uint8Array {
  const m = new Uint8Array(MATRIX_STRIDE * MATRIX_STRIDE);
  rows.forEach((row, r) => {
    row.forEach((v, c) => (m[r * MATRIX_STRIDE + c] = v));
  });
  return m;
}

function isIdentityProduct(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum ^= gfMul(a[r * MATRIX_STRIDE + i] ?? 0, b[i * MATRIX_STRIDE + c] ?? 0);
      if (sum !== (r === c ? 1 : 0)) return false;
    }
  }
  return true;
}

describe('GF(2^8) and the coefficient matrix', () => {
  it('the product table agrees with shift-and-add multiplication everywhere', () => {
    for (let a = 0; a < 256; a++)
      for (let b = 0; b < 256; b++) assert.equal(MUL[(a << 8) | b], slowMul(a, b));
  });

  it('log and exp are inverse and every non-zero element has an inverse', () => {
    for (let a = 1; a < 256; a++) {
      assert.equal(EXP[LOG[a] ?? 0], a);
      assert.equal(gfMul(a, gfInv(a)), 1);
    }
  });

  it('the coefficients have ones in repair row 0 and source column 0 and no zero where defined', () => {
    for (let i = 0; i < 255; i++) assert.equal(COEFFICIENTS[i], 1);
    for (let j = 0; j < 255; j++) assert.equal(COEFFICIENTS[j << 8], 1);
    for (let j = 0; j < 255; j++)
      for (let i = 0; i + j < 255; i++) assert.notEqual(COEFFICIENTS[(j << 8) | i], 0);
  });

  it('square submatrices of the coefficients invert (the code is MDS)', () => {
    let x = 12345;
    const next = (n: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (let trial = 0; trial < 40; trial++) {
      const size = 1 + next(40);
      // Distinct rows and columns with row + column ≤ 254, as a block with k + m ≤ 256 uses.
      const rows = [...new Set(Array.from({ length: size * 3 }, () => next(100)))].slice(0, size);
      const cols = [...new Set(Array.from({ length: size * 3 }, () => next(150)))].slice(0, rows.length);
      const n = Math.min(rows.length, cols.length);
      const m = matrix(
        rows.slice(0, n).map((r) => cols.slice(0, n).map((c) => COEFFICIENTS[(r << 8) | c] ?? 0)),
      );
      const copy = Uint8Array.from(m);
      const inverse = new Uint8Array(MATRIX_STRIDE * MATRIX_STRIDE);
      assert.equal(invertMatrix(m, inverse, n), true);
      assert.ok(isIdentityProduct(copy, inverse, n));
    }
  });

  it('inversion pivots past a zero and reports a singular matrix', () => {
    const inverse = new Uint8Array(MATRIX_STRIDE * MATRIX_STRIDE);
    const swapped = [
      [0, 1, 0],
      [5, 0, 0],
      [0, 0, 7],
    ];
    assert.equal(invertMatrix(matrix(swapped), inverse, 3), true);
    assert.ok(isIdentityProduct(matrix(swapped), inverse, 3));
    const singular = [
      [1, 2],
      [2, 4],
    ];
    assert.equal(invertMatrix(matrix(singular), inverse, 2), false);
  });
});
