/**
 * Per-actor counters. The thread that runs an actor writes them into a `Float64Array` (shared memory for
 * a worker actor, so the supervisor reads them without asking); senders count their own drops in the
 * mailbox's shared `Int32Array`. Handle times go into a log-scale histogram: 4 buckets per octave of
 * microseconds, so a percentile is exact to within 19%.
 */
import { us, type LaneCounts, type Microseconds, type Placement } from './types.js';

/** Slots of the stats array. */
export const STAT_RECEIVED = 0;
export const STAT_DROPPED = 1;
export const STAT_HANDLED = 2;
export const STAT_FAILED = 3;
/** Three slots: high-water mark of each lane. */
export const STAT_HIGH_WATER = 4;
export const STAT_TICKS_SKIPPED = 7;
export const STAT_BUCKETS = 8;
export const HISTOGRAM_BUCKETS = 112;
export const STATS_LENGTH = STAT_BUCKETS + HISTOGRAM_BUCKETS;

/** Slots of the mailbox counters: messages queued or in flight per lane, open/closed, drops by senders. */
export const COUNT_STATE = 3;
export const COUNT_DROPPED = 4;
export const COUNTS_LENGTH = 8;
export const STATE_OPEN = 0;
export const STATE_CLOSED = 1;

export function newStats(shared: boolean): Float64Array {
  const bytes = STATS_LENGTH * Float64Array.BYTES_PER_ELEMENT;
  return new Float64Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}

export function newCounts(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(COUNTS_LENGTH * Int32Array.BYTES_PER_ELEMENT));
}

/** Histogram bucket of a handle time given in milliseconds. */
export function bucketOf(durationMs: number): number {
  const micros = durationMs * 1000;
  if (!(micros >= 1)) return 0;
  const bucket = 1 + Math.floor(4 * Math.log2(micros));
  return bucket >= HISTOGRAM_BUCKETS ? HISTOGRAM_BUCKETS - 1 : bucket;
}

/** Upper bound, in microseconds, of a histogram bucket. */
export function bucketUpperBound(bucket: number): Microseconds {
  return us(bucket === 0 ? 1 : 2 ** (bucket / 4));
}

/** The `fraction` quantile (0.5, 0.99) of the handle-time histogram, as a bucket's upper bound; 0 if empty. */
export function percentile(stats: Float64Array, fraction: number): Microseconds {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) total += stats[STAT_BUCKETS + i] ?? 0;
  if (total === 0) return us(0);
  const rank = Math.max(1, Math.ceil(fraction * total));
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
    seen += stats[STAT_BUCKETS + i] ?? 0;
    if (seen >= rank) return bucketUpperBound(i);
  }
  return bucketUpperBound(HISTOGRAM_BUCKETS - 1);
}

/** Lifecycle state of an actor as the supervisor sees it. */
export type ActorState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

/** A snapshot of one actor's counters, for the metrics endpoint. Counters are totals since spawn. */
export interface ActorStats {
  readonly name: string;
  readonly placement: Placement;
  readonly state: ActorState;
  /** Messages accepted into the mailbox. */
  readonly received: number;
  /** Messages refused because a lane was full, plus those evicted by `sendDropOldest`. */
  readonly droppedOnFull: number;
  /** Messages handled (including those whose handler threw). */
  readonly handled: number;
  /** Hook failures. */
  readonly failures: number;
  readonly restarts: number;
  readonly handleTimeP50Us: Microseconds;
  readonly handleTimeP99Us: Microseconds;
  /** Most messages ever queued at once, per lane. */
  readonly mailboxHighWater: LaneCounts;
  /** Messages queued (or in flight to a worker) right now, per lane. */
  readonly queued: LaneCounts;
  /** Ticks of recurring timers skipped because the previous tick was still queued or late. */
  readonly timerTicksSkipped: number;
}

export function snapshot(
  name: string,
  placement: Placement,
  state: ActorState,
  restarts: number,
  counts: Int32Array,
  stats: Float64Array,
): ActorStats {
  const at = (slot: number): number => stats[slot] ?? 0;
  return {
    name,
    placement,
    state,
    received: at(STAT_RECEIVED),
    droppedOnFull: at(STAT_DROPPED) + (Atomics.load(counts, COUNT_DROPPED) >>> 0),
    handled: at(STAT_HANDLED),
    failures: at(STAT_FAILED),
    restarts,
    handleTimeP50Us: percentile(stats, 0.5),
    handleTimeP99Us: percentile(stats, 0.99),
    mailboxHighWater: {
      control: at(STAT_HIGH_WATER),
      high: at(STAT_HIGH_WATER + 1),
      normal: at(STAT_HIGH_WATER + 2),
    },
    queued: {
      control: Math.max(0, Atomics.load(counts, 0)),
      high: Math.max(0, Atomics.load(counts, 1)),
      normal: Math.max(0, Atomics.load(counts, 2)),
    },
    timerTicksSkipped: at(STAT_TICKS_SKIPPED),
  };
}
