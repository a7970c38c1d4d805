import { DoorwayError } from '../errors/index.js';

/**
 * The ops endpoints asked to listen beyond this machine. They carry no authentication (the
 * status page names the peer's address, the metrics the traffic), so only a loopback address is
 * accepted unless the caller says `allowRemote`. Exit code 2: it is a config mistake.
 */
export class OpsHostError extends DoorwayError {
  override readonly name = 'OpsHostError';
  readonly exitCode = 2;
  readonly host: string;

  constructor(host: string) {
    super(
      `ops: refusing to listen on '${host}': not a loopback address (the ops endpoints have no authentication; allowRemote exposes them)`,
    );
    this.host = host;
  }
}

/** The ops server could not bind its address: the port is taken, or the address is not ours. */
export class OpsListenError extends DoorwayError {
  override readonly name = 'OpsListenError';
  readonly exitCode = 1;
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, reason: string) {
    super(`ops: cannot listen on ${host}:${port}: ${reason}`);
    this.host = host;
    this.port = port;
  }
}
