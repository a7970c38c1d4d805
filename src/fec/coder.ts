/**
 * The systematic erasure coder: k equal-length source shards in, m repair shards out; any k of the
 * k + m (per block, see layout.ts) bring the missing sources back.
 */
import { ShardArena } from './arena.js';
import { COEFFICIENTS } from './cauchy.js';
import { FecInputError, type FecProblem } from './errors.js';
import { accumulate, type AccumulateKernel } from './kernels.js';
import { blockCount, MAX_BLOCK_SHARDS, MAX_SHARDS, shardsInBlock, sourcesInBlock } from './layout.js';
import { invertMatrix, MATRIX_STRIDE } from './matrix.js';

export interface ErasureCoderOptions {
  /**
   * Largest k + m accepted (1..65535, default 65535). Decoding refuses bigger frames before doing
   * any work, so a receiver can bound what a forged header costs it.
   */
  readonly maxShards?: number;
  /** Shard length in bytes to size the scratch space for up front; it grows on demand otherwise. */
  readonly shardLength?: number;
  /**
   * The multiply-accumulate inner loop; the JS one by default. A native SIMD kernel with the same
   * contract (e.g. doorway's `native/fec`) can be plugged in: it must give identical bytes.
   */
  readonly kernel?: AccumulateKernel;
}

/** Why a decode failed: the input-shape problems plus not enough surviving shards. */
export type DecodeProblem = Extract<
  FecProblem,
  'invalid-source-count' | 'too-many-shards' | 'shard-length-mismatch' | 'insufficient-shards'
>;

export interface DecodeSuccess {
  readonly ok: true;
  /** Source shards that were missing and are now filled in (0 when none were). */
  readonly recovered: number;
}

export interface DecodeFailure {
  readonly ok: false;
  readonly problem: DecodeProblem;
  /** One line for a log. */
  readonly message: string;
}

/** Outcome of a decode. A failure leaves every shard buffer as it was. */
export type DecodeResult = DecodeSuccess | DecodeFailure;

// Arena slots. Encoding: the source being folded in, then one accumulator per repair of the
// block. Decoding: the shard being folded in, one syndrome per lost source of the block, then the
// lost sources being solved for.
const INPUT_SLOT = 0;
const FIRST_ACCUMULATOR_SLOT = 1;
const FIRST_SYNDROME_SLOT = 1;

export class ErasureCoder {
  /** Largest k + m this coder accepts. */
  readonly maxShards: number;
  readonly #arena = new ShardArena();
  readonly #work = new Uint8Array(MATRIX_STRIDE * MATRIX_STRIDE);
  readonly #inverse = new Uint8Array(MATRIX_STRIDE * MATRIX_STRIDE);
  /** Local indices of the lost sources of the block being decoded. */
  readonly #lost = new Uint8Array(MAX_BLOCK_SHARDS);
  /** Local repair indices (rows of the coefficient table) standing in for them. */
  readonly #rows = new Uint8Array(MAX_BLOCK_SHARDS);
  /** The weights of one input in each output of the pass at hand. */
  readonly #coefficients = new Uint8Array(MAX_BLOCK_SHARDS);
  /** Per shard of the frame being decoded: 1 when it arrived. */
  readonly #present: Uint8Array;
  /** Per block of the frame being decoded: shards that arrived. */
  readonly #arrived = new Uint16Array(blockCount(MAX_SHARDS));
  /** Per block of the frame being decoded: sources that did not. */
  readonly #missing = new Uint16Array(blockCount(MAX_SHARDS));
  readonly #accumulate: AccumulateKernel;

  constructor(options: ErasureCoderOptions = {}) {
    const maxShards = options.maxShards ?? MAX_SHARDS;
    if (!Number.isInteger(maxShards) || maxShards < 1 || maxShards > MAX_SHARDS) {
      throw new FecInputError(
        'too-many-shards',
        `maxShards must be an integer in 1..${MAX_SHARDS}, got ${maxShards}`,
      );
    }
    this.maxShards = maxShards;
    this.#accumulate = options.kernel ?? accumulate;
    this.#present = new Uint8Array(maxShards);
    if (options.shardLength !== undefined) {
      // Enough for any block: 256 accumulators, or 2 × 128 syndromes and outputs.
      this.#arena.prepare(options.shardLength, 1 + MAX_BLOCK_SHARDS);
    }
  }

  /**
   * Computes `repairCount` repair shards for `sources` into new buffers.
   * Throws {@link FecInputError} on bad arguments.
   */
  encode(sources: readonly Uint8Array[], repairCount: number): Uint8Array[] {
    this.#checkCounts(sources.length, repairCount);
    const shardLength = sources[0]?.length ?? 0;
    const repair: Uint8Array[] = [];
    for (let j = 0; j < repairCount; j++) repair.push(new Uint8Array(shardLength));
    this.encodeInto(sources, repair);
    return repair;
  }

  /**
   * Computes `repair.length` repair shards for `sources` into the caller's buffers, which must have
   * the sources' length. Allocates nothing once the coder has seen this shard length.
   * Throws {@link FecInputError} on bad arguments.
   */
  encodeInto(sources: readonly Uint8Array[], repair: readonly Uint8Array[]): void {
    const k = sources.length;
    const m = repair.length;
    this.#checkCounts(k, m);
    const shardLength = checkLengths(sources, 'source', -1);
    checkLengths(repair, 'repair', shardLength);
    if (m === 0) return;

    const total = k + m;
    const blocks = blockCount(total);
    const arena = this.#arena;
    arena.prepare(shardLength, FIRST_ACCUMULATOR_SLOT + Math.ceil(total / blocks));
    const words = arena.words;
    const count = arena.slotWords;
    const input = arena.offset(INPUT_SLOT);
    const accumulators = arena.offset(FIRST_ACCUMULATOR_SLOT);
    const coefficients = this.#coefficients;
    for (let b = 0; b < blocks; b++) {
      const kb = sourcesInBlock(k, blocks, b);
      const mb = shardsInBlock(total, blocks, b) - kb;
      if (mb === 0) continue;
      // With no sources (only when m ≫ k) a block's repairs are the empty sum: zero.
      arena.zero(FIRST_ACCUMULATOR_SLOT, mb);
      for (let t = 0; t < kb; t++) {
        arena.load(INPUT_SLOT, shardAt(sources, b + t * blocks));
        for (let j = 0; j < mb; j++) coefficients[j] = Number(COEFFICIENTS[(j << 8) | t]);
        this.#accumulate(words, input, accumulators, coefficients, mb, count);
      }
      for (let j = 0; j < mb; j++) {
        arena.store(FIRST_ACCUMULATOR_SLOT + j, shardAt(repair, b + (kb + j) * blocks - k));
      }
    }
  }

  /**
   * Recovers lost sources from whatever arrived. `shards` has one entry per shard of the frame
   * (k + m, in index order), null or undefined where lost; recovered sources are written into
   * new buffers in place. Never throws: input that cannot be decoded gives a failure result.
   */
  decode(shards: (Uint8Array | null | undefined)[], sourceCount: number): DecodeResult {
    const n = shards.length;
    const early = this.#checkFrame(n, sourceCount);
    if (early !== undefined) return early;
    const present = this.#present;
    let shardLength = -1;
    for (let g = 0; g < n; g++) {
      const shard = shards[g];
      if (shard == null) {
        present[g] = 0;
        continue;
      }
      present[g] = 1;
      if (shardLength < 0) shardLength = shard.length;
      else if (shard.length !== shardLength) return lengthMismatch(g, shard.length, shardLength);
    }
    const problem = this.#plan(n, sourceCount);
    if (problem !== undefined) return problem;
    let recovered = 0;
    for (let g = 0; g < sourceCount; g++) {
      if (present[g] === 0) {
        shards[g] = new Uint8Array(shardLength);
        recovered++;
      }
    }
    if (recovered > 0) this.#recover(shards, n, sourceCount, shardLength);
    return { ok: true, recovered };
  }

  /**
   * Like {@link decode}, but every shard, lost or not, has a buffer of the same length in
   * `shards`, and `received[i]` says which arrived (truthy). Lost sources are overwritten in
   * place; lost repairs are left alone. Allocates nothing once warm. Never throws.
   */
  decodeInto(
    shards: readonly Uint8Array[],
    received: ArrayLike<boolean | number>,
    sourceCount: number,
  ): DecodeResult {
    const n = shards.length;
    const early = this.#checkFrame(n, sourceCount);
    if (early !== undefined) return early;
    const present = this.#present;
    const shardLength = shards[0]?.length ?? 0;
    let recovered = 0;
    for (let g = 0; g < n; g++) {
      const length = shards[g]?.length ?? -1;
      if (length !== shardLength) return lengthMismatch(g, length, shardLength);
      present[g] = received[g] ? 1 : 0;
      if (g < sourceCount && present[g] === 0) recovered++;
    }
    const problem = this.#plan(n, sourceCount);
    if (problem !== undefined) return problem;
    if (recovered > 0) this.#recover(shards, n, sourceCount, shardLength);
    return { ok: true, recovered };
  }

  #checkCounts(k: number, m: number): void {
    if (k < 1) {
      throw new FecInputError('invalid-source-count', 'erasure coder: need at least one source shard');
    }
    if (!Number.isInteger(m) || m < 0) {
      throw new FecInputError(
        'invalid-repair-count',
        `erasure coder: repair count must be an integer ≥ 0, got ${m}`,
      );
    }
    if (k + m > this.maxShards) {
      throw new FecInputError(
        'too-many-shards',
        `erasure coder: ${k} source + ${m} repair shards is more than maxShards ${this.maxShards}`,
      );
    }
  }

  #checkFrame(n: number, k: number): DecodeResult | undefined {
    if (!Number.isInteger(k) || k < 1 || k > n) {
      return failure(
        'invalid-source-count',
        `erasure decode: source count ${k} is not in 1..${n} (shards given)`,
      );
    }
    if (n > this.maxShards) {
      return failure(
        'too-many-shards',
        `erasure decode: ${n} shards is more than maxShards ${this.maxShards}`,
      );
    }
    return undefined;
  }

  /** Checks from `#present` that every block can be decoded, before anything is written. */
  #plan(n: number, k: number): DecodeResult | undefined {
    const blocks = blockCount(n);
    const arrived = this.#arrived;
    const missing = this.#missing;
    arrived.fill(0, 0, blocks);
    missing.fill(0, 0, blocks);
    const present = this.#present;
    for (let g = 0, b = 0; g < n; g++) {
      if (present[g] === 1) arrived[b] = Number(arrived[b]) + 1;
      else if (g < k) missing[b] = Number(missing[b]) + 1;
      if (++b === blocks) b = 0;
    }
    for (let b = 0; b < blocks; b++) {
      const need = sourcesInBlock(k, blocks, b);
      if (Number(arrived[b]) < need) {
        const size = shardsInBlock(n, blocks, b);
        const lost = size - Number(arrived[b]);
        return failure(
          'insufficient-shards',
          `erasure decode: block ${b} of ${blocks} lost ${lost} of its ${size} shards ` +
            `but has only ${size - need} repair`,
        );
      }
    }
    return undefined;
  }

  /** Fills the lost sources of every block; `#plan` has established that each block can be solved. */
  #recover(
    shards: readonly (Uint8Array | null | undefined)[],
    n: number,
    k: number,
    shardLength: number,
  ): void {
    const blocks = blockCount(n);
    const arena = this.#arena;
    let mostMissing = 0;
    for (let b = 0; b < blocks; b++) mostMissing = Math.max(mostMissing, Number(this.#missing[b]));
    arena.prepare(shardLength, FIRST_SYNDROME_SLOT + 2 * mostMissing);
    for (let b = 0; b < blocks; b++) {
      if (this.#missing[b] !== 0) this.#recoverBlock(shards, k, blocks, b);
    }
  }

  /**
   * One block: with e sources lost, take the first e repairs that arrived, strip the known sources
   * out of them (syndromes), and multiply by the inverse of the e×e Cauchy submatrix that links
   * the lost sources to those repairs. Shard work is e·k_b multiply-adds: (k_b − e)·e for the
   * syndromes and e·e for the solve.
   */
  #recoverBlock(
    shards: readonly (Uint8Array | null | undefined)[],
    k: number,
    blocks: number,
    b: number,
  ): void {
    const present = this.#present;
    const lost = this.#lost;
    const rows = this.#rows;
    const kb = sourcesInBlock(k, blocks, b);
    let e = 0;
    for (let t = 0; t < kb; t++) if (present[b + t * blocks] === 0) lost[e++] = t;
    // #plan saw at least kb shards of this block arrive, so at least e of its repairs did.
    for (let t = kb, r = 0; r < e; t++) if (present[b + t * blocks] === 1) rows[r++] = t - kb;

    const work = this.#work;
    for (let r = 0; r < e; r++) {
      const row = Number(rows[r]) << 8;
      for (let c = 0; c < e; c++) work[r * MATRIX_STRIDE + c] = Number(COEFFICIENTS[row | Number(lost[c])]);
    }
    const inverse = this.#inverse;
    invertMatrix(work, inverse, e);

    const arena = this.#arena;
    const words = arena.words;
    const count = arena.slotWords;
    const input = arena.offset(INPUT_SLOT);
    const syndromes = arena.offset(FIRST_SYNDROME_SLOT);
    const firstOutputSlot = FIRST_SYNDROME_SLOT + e;
    const outputs = arena.offset(firstOutputSlot);
    const coefficients = this.#coefficients;
    for (let r = 0; r < e; r++) {
      arena.load(FIRST_SYNDROME_SLOT + r, shardAt(shards, b + (kb + Number(rows[r])) * blocks));
    }
    for (let t = 0; t < kb; t++) {
      const g = b + t * blocks;
      if (present[g] === 0) continue;
      arena.load(INPUT_SLOT, shardAt(shards, g));
      for (let r = 0; r < e; r++) coefficients[r] = Number(COEFFICIENTS[(Number(rows[r]) << 8) | t]);
      this.#accumulate(words, input, syndromes, coefficients, e, count);
    }
    arena.zero(firstOutputSlot, e);
    for (let r = 0; r < e; r++) {
      for (let c = 0; c < e; c++) coefficients[c] = Number(inverse[c * MATRIX_STRIDE + r]);
      this.#accumulate(words, syndromes + r * count, outputs, coefficients, e, count);
    }
    for (let c = 0; c < e; c++) {
      arena.store(firstOutputSlot + c, shardAt(shards, b + Number(lost[c]) * blocks));
    }
  }
}

function failure(problem: DecodeProblem, message: string): DecodeFailure {
  return { ok: false, problem, message };
}

function lengthMismatch(index: number, length: number, expected: number): DecodeResult {
  return failure(
    'shard-length-mismatch',
    `erasure decode: shard ${index} is ${length < 0 ? 'absent' : `${length} bytes`}, expected ${expected}`,
  );
}

/** Returns the common length of `shards`, or throws naming the first one that differs. */
function checkLengths(shards: readonly Uint8Array[], kind: string, expected: number): number {
  let length = expected;
  for (let i = 0; i < shards.length; i++) {
    const actual = shards[i]?.length ?? -1;
    if (length < 0) length = actual;
    else if (actual !== length) {
      const what = actual < 0 ? 'absent' : `${actual} bytes`;
      throw new FecInputError(
        'shard-length-mismatch',
        `erasure coder: ${kind} shard ${i} is ${what}, expected ${length}`,
      );
    }
  }
  return length;
}

/** A shard validation has already shown to be there; the throw marks a bug in this file, not bad input. */
function shardAt(shards: readonly (Uint8Array | null | undefined)[], index: number): Uint8Array {
  const shard = shards[index];
  if (shard == null) {
    throw new Error(`erasure coder: internal error, shard ${index} vanished after validation`);
  }
  return shard;
}
