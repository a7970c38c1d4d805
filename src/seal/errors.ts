import { DoorwayError } from '../errors/index.js';

/**
 * A sealer, opener or replay window built with options out of range: a key that is not 32 bytes,
 * a window size that is not a power of two ≥ 2048, a message limit above 2^53. Exit code 2 like any
 * config mistake, since the session layer builds these from negotiated values and a bad one is a bug
 * or a bad config, never network input.
 */
export class SealConfigError extends DoorwayError {
  override readonly name = 'SealConfigError';
  readonly exitCode = 2;
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`seal: ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/**
 * A local caller that broke a contract on the hot path: an output buffer too small for the packet
 * it asked to seal, or a replay-window commit of a counter that is not a valid counter at all.
 * Network input never raises this; {@link Opener.open} reports it in its result instead.
 */
export class SealUsageError extends DoorwayError {
  override readonly name = 'SealUsageError';
  readonly exitCode = 1;
}
