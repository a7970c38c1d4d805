/**
 * What can be wrong with the input to the erasure coder. Local mistakes (encoding, choosing a
 * repair count) throw {@link FecInputError}; decoding, which sees network input, returns the same
 * codes in a failure value instead of throwing.
 */
export type FecProblem =
  /** k is not an integer ≥ 1, or the shard list is shorter than k. */
  | 'invalid-source-count'
  /** m is not an integer ≥ 0, or the output list does not have m entries. */
  | 'invalid-repair-count'
  /** k + m is above the coder's maxShards. */
  | 'too-many-shards'
  /** Shards of one frame differ in length. */
  | 'shard-length-mismatch'
  /** Fewer shards survived than the code needs (in at least one block). */
  | 'insufficient-shards'
  /** A loss rate outside [0, 1] or a target residual outside (0, 1). */
  | 'invalid-probability';

/** Thrown for bad arguments to the local (never network-fed) entry points; message is one line. */
export class FecInputError extends Error {
  override readonly name = 'FecInputError';
  readonly problem: FecProblem;

  constructor(problem: FecProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}
