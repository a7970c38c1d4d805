import { DoorwayError } from '../errors/index.js';

/**
 * A `SecureSession` built with options out of range (a key of the wrong length, a rekey limit at or
 * above the seal message limit, a timer that is not a positive integer). Exit code 2 like any config
 * mistake: these come from the site config, never from the network, which is only ever counted.
 */
export class SessionConfigError extends DoorwayError {
  override readonly name = 'SessionConfigError';
  readonly exitCode = 2;
  readonly field: string;
  readonly reason: string;

  constructor(field: string, reason: string) {
    super(`session: ${field}: ${reason}`);
    this.field = field;
    this.reason = reason;
  }
}
