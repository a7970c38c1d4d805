import { DoorwayError } from '../errors/index.js';

/**
 * A simulator config or knob that is out of range or malformed. The message is one line naming the
 * field (`schedule[1].rateBitsPerSecond`) or knob (`loss`) and the reason; exit code 2 like any
 * usage or config mistake, since `doorway netsim` reports it as such.
 */
export class NetsimConfigError extends DoorwayError {
  override readonly name = 'NetsimConfigError';
  readonly exitCode = 2;
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`netsim: ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}

/** A caller that moved time backwards: `now` must never decrease from one call to the next. */
export class NetsimClockError extends DoorwayError {
  override readonly name = 'NetsimClockError';
  readonly exitCode = 1;

  constructor(what: string, now: number, last: number) {
    super(`netsim: ${what}: time went backwards (now ${now} us, previously ${last} us)`);
  }
}

/**
 * An endpoint that keeps asking to run at the same instant (a timeout that never moves forward, or
 * a transmit queue that never empties): the virtual network stops rather than spin forever.
 */
export class NetsimLivelockError extends DoorwayError {
  override readonly name = 'NetsimLivelockError';
  readonly exitCode = 1;

  constructor(now: number, steps: number) {
    super(`netsim: virtual network made no progress: ${steps} steps at ${now} us`);
  }
}
