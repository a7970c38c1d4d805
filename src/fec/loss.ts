/**
 * Choosing the repair count from the measured loss: the smallest m for which the chance that a
 * frame cannot be recovered stays below a target, under independent (Bernoulli) packet loss.
 *
 * A block of n_b shards with m_b repairs fails when more than m_b of its shards are lost, i.e.
 * P(Binomial(n_b, p) > m_b). A frame fails when any of its blocks does, so its failure
 * probability is 1 − Π(1 − P_b). Bursts are the layout's job (interleaving spreads them across
 * blocks); this model prices the random loss that remains.
 */
import { FecInputError } from './errors.js';
import { blockCount, MAX_SHARDS, shardsInBlock, sourcesInBlock } from './layout.js';

/** Terms below this fraction of the running sum no longer change a double. */
const NEGLIGIBLE = 1e-17;

/** ln(i!) for i < lnFactorials.length, grown on demand. */
let lnFactorials = new Float64Array([0, 0]);

function lnFactorial(n: number): number {
  if (n >= lnFactorials.length) {
    const grown = new Float64Array(Math.max(n + 1, lnFactorials.length * 2));
    grown.set(lnFactorials);
    for (let i = lnFactorials.length; i < grown.length; i++) grown[i] = Number(grown[i - 1]) + Math.log(i);
    lnFactorials = grown;
  }
  return Number(lnFactorials[n]);
}

/**
 * P(X > threshold) for X ~ Binomial(trials, p): the chance that more than `threshold` of `trials`
 * packets are lost. Summed outward from the largest term so nothing underflows before it counts.
 */
export function binomialTail(trials: number, p: number, threshold: number): number {
  if (threshold >= trials || p <= 0) return 0;
  if (threshold < 0 || p >= 1) return 1;
  const first = threshold + 1;
  const start = Math.max(first, Math.min(trials, Math.floor((trials + 1) * p)));
  const peak = Math.exp(
    lnFactorial(trials) -
      lnFactorial(start) -
      lnFactorial(trials - start) +
      start * Math.log(p) +
      (trials - start) * Math.log1p(-p),
  );
  const odds = p / (1 - p);
  let sum = peak;
  // Upward from the mode (or from `first` when that lies above it) the terms only shrink.
  for (let j = start, term = peak; j < trials; j++) {
    term *= ((trials - j) / (j + 1)) * odds;
    sum += term;
    if (term < sum * NEGLIGIBLE) break;
  }
  // Downward from the mode to `first`, likewise.
  for (let j = start, term = peak; j > first; j--) {
    term *= j / (trials - j + 1) / odds;
    sum += term;
    if (term < sum * NEGLIGIBLE) break;
  }
  return Math.min(1, sum);
}

/**
 * Probability that a frame of k sources and m repairs, laid out in blocks as the coder does, loses
 * more shards in some block than that block's repairs, with each packet lost independently with
 * probability `lossRate`. Throws {@link FecInputError} on arguments out of range.
 */
export function frameFailureProbability(sourceCount: number, repairCount: number, lossRate: number): number {
  checkShape(sourceCount, repairCount);
  checkProbability('loss rate', lossRate, true);
  return blockedFailure(sourceCount, repairCount, lossRate);
}

export interface RepairCountOptions {
  /** Never return more than this many repairs (default: as many as fit in 65535 shards). */
  readonly maxRepair?: number;
}

/**
 * The smallest repair count m for k sources such that {@link frameFailureProbability}(k, m, lossRate)
 * ≤ targetResidual — how "overhead follows the measured loss". Non-decreasing in lossRate. When no
 * m up to the cap reaches the target (loss near 1), returns the cap. Throws {@link FecInputError}
 * on arguments out of range (loss rate outside [0, 1], target outside (0, 1)).
 */
export function repairCountFor(
  sourceCount: number,
  lossRate: number,
  targetResidual: number,
  options: RepairCountOptions = {},
): number {
  checkShape(sourceCount, 0);
  checkProbability('loss rate', lossRate, true);
  checkProbability('target residual', targetResidual, false);
  const fit = MAX_SHARDS - sourceCount;
  const cap = Math.min(options.maxRepair ?? fit, fit);
  if (!Number.isInteger(cap) || cap < 0) {
    throw new FecInputError(
      'invalid-repair-count',
      `maxRepair must be an integer ≥ 0, got ${options.maxRepair}`,
    );
  }
  if (lossRate === 0) return 0;
  // One MDS code over the whole frame recovers every pattern the blocked code does, so its
  // failure probability P(Binomial(k + m, p) > m) is a lower bound, and it falls monotonically in
  // m (one more packet, one more allowed loss). Bisect it for where to start the exact search.
  if (binomialTail(sourceCount + cap, lossRate, cap) > targetResidual) return cap;
  let low = 0;
  let high = cap;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (binomialTail(sourceCount + mid, lossRate, mid) <= targetResidual) high = mid;
    else low = mid + 1;
  }
  for (let m = low; m < cap; m++) {
    if (blockedFailure(sourceCount, m, lossRate) <= targetResidual) return m;
  }
  return cap;
}

function blockedFailure(k: number, m: number, p: number): number {
  const total = k + m;
  const blocks = blockCount(total);
  let lnSurvive = 0;
  // Blocks come in at most four shapes, consecutive ones usually equal: reuse the last tail.
  let lastShards = -1;
  let lastSources = -1;
  let tail = 0;
  for (let b = 0; b < blocks; b++) {
    const shards = shardsInBlock(total, blocks, b);
    const sources = sourcesInBlock(k, blocks, b);
    if (shards !== lastShards || sources !== lastSources) {
      tail = binomialTail(shards, p, shards - sources);
      lastShards = shards;
      lastSources = sources;
    }
    if (tail >= 1) return 1;
    lnSurvive += Math.log1p(-tail);
  }
  return 0 - Math.expm1(lnSurvive); // 0 - …: no -0 when nothing can fail
}

function checkShape(k: number, m: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new FecInputError('invalid-source-count', `source count must be an integer ≥ 1, got ${k}`);
  }
  if (!Number.isInteger(m) || m < 0) {
    throw new FecInputError('invalid-repair-count', `repair count must be an integer ≥ 0, got ${m}`);
  }
  if (k + m > MAX_SHARDS) {
    throw new FecInputError('too-many-shards', `${k} source + ${m} repair shards is more than ${MAX_SHARDS}`);
  }
}

function checkProbability(what: string, value: number, closed: boolean): void {
  const ok = closed ? value >= 0 && value <= 1 : value > 0 && value < 1;
  if (!ok) {
    throw new FecInputError(
      'invalid-probability',
      `${what} must be in ${closed ? '[0, 1]' : '(0, 1)'}, got ${value}`,
    );
  }
}
