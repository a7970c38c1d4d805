import type { Micros } from '../netsim/index.js';
import type { SecureSession } from './session.js';

/**
 * Fits a `SecureSession` into the netsim `VirtualNetwork`, whose endpoints have one peer and pass
 * bare datagrams: incoming ones are labelled `from` (the address this side sees the peer at, which
 * a test may change to simulate roaming), and outgoing ones lose their address, since the link
 * goes to the one peer anyway.
 */
export class NetsimSessionEndpoint {
  readonly session: SecureSession;
  /** The source address given to every datagram delivered to this side. */
  from: string;
  /** Runs before the session's own timeout handling: the harness's frame source, event drain. */
  readonly #beforeTimeout: ((now: number) => void) | undefined;
  readonly #nextEvent: (() => number) | undefined;

  constructor(
    session: SecureSession,
    from: string,
    hooks: { readonly beforeTimeout?: (now: number) => void; readonly nextEvent?: () => number } = {},
  ) {
    this.session = session;
    this.from = from;
    this.#beforeTimeout = hooks.beforeTimeout;
    this.#nextEvent = hooks.nextEvent;
  }

  handleDatagram(now: Micros, datagram: Uint8Array): void {
    this.session.handleDatagram(now, datagram, this.from);
  }

  handleTimeout(now: Micros): void {
    this.#beforeTimeout?.(now);
    this.session.handleTimeout(now);
  }

  pollTransmit(): Uint8Array | null {
    return this.session.pollTransmit()?.bytes ?? null;
  }

  pollTimeout(): Micros {
    const next = this.#nextEvent?.() ?? Infinity;
    return Math.min(this.session.pollTimeout(), next) as Micros;
  }
}
