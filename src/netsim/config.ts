import { NetsimConfigError } from './errors.js';
import type { Micros } from './units.js';

/**
 * Random loss, decided per packet as it enters the link.
 * - `bernoulli`: each packet independently lost with probability `p`.
 * - `gilbert-elliott`: a two-state Markov chain stepped once per packet, starting good. A packet is
 *   lost with `lossGood` or `lossBad` depending on the state it meets; then the state moves
 *   (good→bad with `pGoodToBad`, bad→good with `pBadToGood`). With lossGood 0 and lossBad 1 bursts
 *   last 1/pBadToGood packets on average and the loss rate is pGoodToBad / (pGoodToBad + pBadToGood).
 */
export type LossModel =
  | { readonly kind: 'none' }
  | { readonly kind: 'bernoulli'; readonly p: number }
  | {
      readonly kind: 'gilbert-elliott';
      readonly pGoodToBad: number;
      readonly pBadToGood: number;
      readonly lossGood: number;
      readonly lossBad: number;
    };

/**
 * Extra one-way delay added to `delay` per packet; never negative, so `delay` is the floor (the
 * speed of light does not jitter).
 * - `uniform`: uniform in [0, max).
 * - `normal`: |N(0, stddev)|, the half-normal, clipped at `max` (default 4 × stddev).
 */
export type Jitter =
  | { readonly kind: 'none' }
  | { readonly kind: 'uniform'; readonly max: Micros }
  | { readonly kind: 'normal'; readonly stddev: Micros; readonly max?: Micros };

/** The link is down from `start` for `duration`: see `Link` for exactly what is dropped. */
export interface Outage {
  readonly start: Micros;
  readonly duration: Micros;
}

/** The parameters that may change over time (in `LinkConfig` and in each `schedule` entry). */
export interface LinkParams {
  /** Default `{ kind: 'none' }`. */
  readonly loss?: LossModel;
  /** Base one-way propagation delay. Default 0. */
  readonly delay?: Micros;
  /** Default `{ kind: 'none' }`. */
  readonly jitter?: Jitter;
  /**
   * false (default): a packet never overtakes the one sent before it; jitter only bunches packets
   * up (each is delivered at max(its own time, the previous packet's)). true: each packet keeps its
   * own jittered time, so jitter larger than the packet spacing reorders.
   */
  readonly jitterMayReorder?: boolean;
  /** Probability that a packet is held back by `reorderDelay`, letting later ones overtake it. */
  readonly reorder?: number;
  /** How long a reordered packet is held back. Default 10 ms. */
  readonly reorderDelay?: Micros;
  /** Probability that a packet is delivered twice (the copy takes its own way through the link). */
  readonly duplicate?: number;
  /** Bottleneck capacity; `null` or absent: unlimited (no queue). */
  readonly rateBitsPerSecond?: number | null;
  /** Tail-drop limit of the bottleneck queue in bytes. Default unlimited. */
  readonly queueLimitBytes?: number;
  /** Tail-drop limit of the bottleneck queue in packets. Default 1000 (Linux's txqueuelen). */
  readonly queueLimitPackets?: number;
  /** Bytes added to each datagram for serialization and queue accounting (28 for IPv4 + UDP). Default 0. */
  readonly overheadBytes?: number;
}

/**
 * A change at time `at`. Every parameter but the rate applies to packets sent at or after `at`;
 * a rate change also re-times packets still waiting in the queue at `at`.
 */
export interface LinkChange extends LinkParams {
  readonly at: Micros;
}

export interface LinkConfig extends LinkParams {
  readonly outages?: readonly Outage[];
  readonly schedule?: readonly LinkChange[];
}

/** `Jitter` with its defaults filled in. */
export type ResolvedJitter =
  | { readonly kind: 'none' }
  | { readonly kind: 'uniform'; readonly max: number }
  | { readonly kind: 'normal'; readonly stddev: number; readonly max: number };

export interface ResolvedParams {
  loss: LossModel;
  delay: number;
  jitter: ResolvedJitter;
  jitterMayReorder: boolean;
  reorder: number;
  reorderDelay: number;
  duplicate: number;
  rateBitsPerSecond: number | null;
  queueLimitBytes: number;
  queueLimitPackets: number;
  overheadBytes: number;
}

export interface ResolvedChange {
  readonly at: number;
  readonly params: Partial<ResolvedParams>;
}

/** A validated config: outages sorted and merged into half-open [start, end) windows. */
export interface ResolvedLinkConfig {
  readonly initial: Readonly<ResolvedParams>;
  readonly outages: readonly { readonly start: number; readonly end: number }[];
  readonly schedule: readonly ResolvedChange[];
}

export const DEFAULT_PARAMS: Readonly<ResolvedParams> = {
  loss: { kind: 'none' },
  delay: 0,
  jitter: { kind: 'none' },
  jitterMayReorder: false,
  reorder: 0,
  reorderDelay: 10_000,
  duplicate: 0,
  rateBitsPerSecond: null,
  queueLimitBytes: Number.POSITIVE_INFINITY,
  queueLimitPackets: 1000,
  overheadBytes: 0,
};

const PARAM_KEYS: readonly (keyof LinkParams)[] = [
  'loss',
  'delay',
  'jitter',
  'jitterMayReorder',
  'reorder',
  'reorderDelay',
  'duplicate',
  'rateBitsPerSecond',
  'queueLimitBytes',
  'queueLimitPackets',
  'overheadBytes',
];

// Validation reads everything as `unknown`: configs also come from JavaScript and JSON, where the
// types above promise nothing.

function get(obj: object, key: string): unknown {
  return (obj as Readonly<Record<string, unknown>>)[key];
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(obj: object, path: string, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new NetsimConfigError(join(path, key), `unknown field (known: ${known.join(', ')})`);
    }
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function probability(field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new NetsimConfigError(field, `must be a probability in [0, 1], got ${show(value)}`);
  }
  return value;
}

function duration(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new NetsimConfigError(field, `must be a whole number of microseconds >= 0, got ${show(value)}`);
  }
  return value;
}

function positiveDuration(field: string, value: unknown): number {
  const d = duration(field, value);
  if (d === 0) throw new NetsimConfigError(field, 'must be > 0');
  return d;
}

function limit(field: string, value: unknown): number {
  if (
    typeof value !== 'number' ||
    !(value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 1))
  ) {
    throw new NetsimConfigError(field, `must be a whole number >= 1 or Infinity, got ${show(value)}`);
  }
  return value;
}

function rate(field: string, value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new NetsimConfigError(field, `must be a finite number of bits/s > 0 or null, got ${show(value)}`);
  }
  return value;
}

function lossModel(field: string, value: unknown): LossModel {
  if (!isObject(value))
    throw new NetsimConfigError(field, `must be an object with a kind, got ${show(value)}`);
  const kind = get(value, 'kind');
  switch (kind) {
    case 'none':
      checkKeys(value, field, ['kind']);
      return { kind };
    case 'bernoulli':
      checkKeys(value, field, ['kind', 'p']);
      return { kind, p: probability(join(field, 'p'), get(value, 'p')) };
    case 'gilbert-elliott':
      checkKeys(value, field, ['kind', 'pGoodToBad', 'pBadToGood', 'lossGood', 'lossBad']);
      return {
        kind,
        pGoodToBad: probability(join(field, 'pGoodToBad'), get(value, 'pGoodToBad')),
        pBadToGood: probability(join(field, 'pBadToGood'), get(value, 'pBadToGood')),
        lossGood: probability(join(field, 'lossGood'), get(value, 'lossGood')),
        lossBad: probability(join(field, 'lossBad'), get(value, 'lossBad')),
      };
    default:
      throw new NetsimConfigError(
        join(field, 'kind'),
        `must be 'none', 'bernoulli' or 'gilbert-elliott', got ${show(kind)}`,
      );
  }
}

function jitter(field: string, value: unknown): ResolvedJitter {
  if (!isObject(value))
    throw new NetsimConfigError(field, `must be an object with a kind, got ${show(value)}`);
  const kind = get(value, 'kind');
  switch (kind) {
    case 'none':
      checkKeys(value, field, ['kind']);
      return { kind };
    case 'uniform':
      checkKeys(value, field, ['kind', 'max']);
      return { kind, max: duration(join(field, 'max'), get(value, 'max')) };
    case 'normal': {
      checkKeys(value, field, ['kind', 'stddev', 'max']);
      const stddev = duration(join(field, 'stddev'), get(value, 'stddev'));
      const max = get(value, 'max');
      return { kind, stddev, max: max === undefined ? 4 * stddev : duration(join(field, 'max'), max) };
    }
    default:
      throw new NetsimConfigError(
        join(field, 'kind'),
        `must be 'none', 'uniform' or 'normal', got ${show(kind)}`,
      );
  }
}

function boolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new NetsimConfigError(field, `must be true or false, got ${show(value)}`);
  return value;
}

/** Validates the parameter fields present in `obj` (absent or undefined ones are left out). */
function params(obj: object, path: string): Partial<ResolvedParams> {
  const out: Partial<ResolvedParams> = {};
  for (const key of PARAM_KEYS) {
    const value = get(obj, key);
    if (value === undefined) continue;
    const field = join(path, key);
    switch (key) {
      case 'loss':
        out.loss = lossModel(field, value);
        break;
      case 'delay':
        out.delay = duration(field, value);
        break;
      case 'jitter':
        out.jitter = jitter(field, value);
        break;
      case 'jitterMayReorder':
        out.jitterMayReorder = boolean(field, value);
        break;
      case 'reorder':
        out.reorder = probability(field, value);
        break;
      case 'reorderDelay':
        out.reorderDelay = duration(field, value);
        break;
      case 'duplicate':
        out.duplicate = probability(field, value);
        break;
      case 'rateBitsPerSecond':
        out.rateBitsPerSecond = rate(field, value);
        break;
      case 'queueLimitBytes':
        out.queueLimitBytes = limit(field, value);
        break;
      case 'queueLimitPackets':
        out.queueLimitPackets = limit(field, value);
        break;
      case 'overheadBytes':
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 65_535) {
          throw new NetsimConfigError(
            field,
            `must be a whole number of bytes in [0, 65535], got ${show(value)}`,
          );
        }
        out.overheadBytes = value;
        break;
    }
  }
  return out;
}

function list(field: string, value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new NetsimConfigError(field, `must be an array, got ${show(value)}`);
  return value as readonly unknown[];
}

function outages(value: unknown): ResolvedLinkConfig['outages'] {
  const windows = list('outages', value).map((entry, i) => {
    const field = `outages[${i}]`;
    if (!isObject(entry))
      throw new NetsimConfigError(field, `must be { start, duration }, got ${show(entry)}`);
    checkKeys(entry, field, ['start', 'duration']);
    const start = duration(`${field}.start`, get(entry, 'start'));
    return { start, end: start + positiveDuration(`${field}.duration`, get(entry, 'duration')) };
  });
  windows.sort((a, b) => a.start - b.start);
  // Overlapping or touching windows become one, so "is t in an outage" needs only the next window.
  const merged: { start: number; end: number }[] = [];
  for (const w of windows) {
    const last = merged.at(-1);
    if (last !== undefined && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

function schedule(value: unknown): readonly ResolvedChange[] {
  const changes = list('schedule', value).map((entry, i) => {
    const field = `schedule[${i}]`;
    if (!isObject(entry))
      throw new NetsimConfigError(field, `must be an object with 'at', got ${show(entry)}`);
    checkKeys(entry, field, ['at', ...PARAM_KEYS]);
    return { at: duration(`${field}.at`, get(entry, 'at')), params: params(entry, field) };
  });
  // Array.prototype.sort is stable: changes at the same instant apply in the order given.
  return changes.sort((a, b) => a.at - b.at);
}

/** Checks every field and fills in defaults; throws `NetsimConfigError` naming the first bad field. */
export function validateLinkConfig(config: LinkConfig): ResolvedLinkConfig {
  const raw: unknown = config;
  if (!isObject(raw)) throw new NetsimConfigError('config', `must be an object, got ${show(raw)}`);
  checkKeys(raw, '', [...PARAM_KEYS, 'outages', 'schedule']);
  return {
    initial: { ...DEFAULT_PARAMS, ...params(raw, '') },
    outages: outages(get(raw, 'outages')),
    schedule: schedule(get(raw, 'schedule')),
  };
}
