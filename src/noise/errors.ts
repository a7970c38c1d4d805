import { DoorwayError } from '../errors/index.js';

/**
 * A caller mistake, never a network event: a key of the wrong length, a handshake step taken out
 * of turn, an exhausted nonce. Bad bytes from the network are returned as a reason code instead.
 */
export class NoiseUsageError extends DoorwayError {
  override readonly name = 'NoiseUsageError';
  readonly exitCode = 1;

  constructor(reason: string) {
    super(`noise: ${reason}`);
  }
}

/** A key read from config or a key file that is not 32 bytes of canonical base64. */
export class NoiseKeyError extends DoorwayError {
  override readonly name = 'NoiseKeyError';
  readonly exitCode = 2;
  readonly what: string;

  constructor(what: string, reason: string) {
    super(`noise: ${what}: ${reason}`);
    this.what = what;
  }
}

/** A persisted counter file that exists but cannot be read, parsed or written. */
export class NoiseStateFileError extends DoorwayError {
  override readonly name = 'NoiseStateFileError';
  readonly exitCode = 1;
  readonly file: string;

  constructor(file: string, reason: string) {
    super(`noise: ${file}: ${reason}`);
    this.file = file;
  }
}
