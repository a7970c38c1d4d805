import { DoorwayError } from '../errors/index.js';

/** A bandwidth estimator or controller option out of range; the message is one line naming it. */
export class BandwidthConfigError extends DoorwayError {
  override readonly name = 'BandwidthConfigError';
  readonly exitCode = 2;
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`bandwidth: ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A finite number > 0. */
export function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new BandwidthConfigError(field, `must be a finite number > 0, got ${value}`);
  }
  return value;
}

/** A finite number >= 0. */
export function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new BandwidthConfigError(field, `must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** A number in the open interval (lo, hi). */
export function between(field: string, value: number, lo: number, hi: number): number {
  if (!(value > lo && value < hi)) {
    throw new BandwidthConfigError(field, `must be between ${lo} and ${hi} (exclusive), got ${value}`);
  }
  return value;
}

/** A whole number >= `least`. */
export function count(field: string, value: number, least: number): number {
  if (!Number.isSafeInteger(value) || value < least) {
    throw new BandwidthConfigError(field, `must be a whole number >= ${least}, got ${value}`);
  }
  return value;
}

/** Checks 0 < min <= initial <= max, all finite, and returns them as plain numbers. */
export function rateBounds(
  min: number,
  initial: number,
  max: number,
): { readonly min: number; readonly initial: number; readonly max: number } {
  positive('min', min);
  positive('max', max);
  positive('initial', initial);
  if (min > max) throw new BandwidthConfigError('min', `must not exceed max (${max}), got ${min}`);
  if (initial < min || initial > max) {
    throw new BandwidthConfigError(
      'initial',
      `must lie within [min, max] = [${min}, ${max}], got ${initial}`,
    );
  }
  return { min, initial, max };
}
