import { NetsimClockError, NetsimLivelockError } from './errors.js';
import type { Link } from './link.js';
import type { Path } from './path.js';
import type { Micros } from './units.js';

/**
 * The sans-I/O shape of a protocol endpoint, as the virtual network drives it. Structural: anything
 * with these four methods fits, and the protocol's own `Micros` fits if it is declared the same way.
 */
export interface Endpoint {
  handleDatagram(now: Micros, datagram: Uint8Array): void;
  handleTimeout(now: Micros): void;
  /** The next datagram to send to the peer, or null/undefined when there is none. */
  pollTransmit(): Uint8Array | null | undefined;
  /** When `handleTimeout` is next due, or null/undefined for never. */
  pollTimeout(): Micros | null | undefined;
}

export interface VirtualNetworkOptions {
  readonly a: Endpoint;
  readonly b: Endpoint;
  /** `aToB` carries what `a` transmits, `bToA` what `b` transmits. */
  readonly path: Path;
  /** Virtual time at the start. Default 0. */
  readonly start?: Micros;
  /** Passes at one instant before it is called a livelock. Default 10,000. */
  readonly maxStepsPerInstant?: number;
  /** Datagrams one endpoint may transmit at one instant before it is called a livelock. Default 1,000,000. */
  readonly maxTransmitsPerInstant?: number;
}

function earliest(x: Micros | null | undefined, y: Micros | null | undefined): Micros | null {
  if (x === null || x === undefined) return y ?? null;
  if (y === null || y === undefined) return x;
  return x < y ? x : y;
}

function timeoutIfDue(endpoint: Endpoint, now: Micros): void {
  const t = endpoint.pollTimeout();
  if (t !== null && t !== undefined && t <= now) endpoint.handleTimeout(now);
}

/**
 * Runs two endpoints against each other through a `Path` on virtual time: it jumps straight to the
 * next event (the earliest endpoint timeout or link delivery), so a minute of traffic takes as long
 * as its computation. At each instant: due deliveries (a→b link first), then due timeouts (a
 * first), then everything the endpoints want to transmit is sent. Deterministic given its inputs.
 */
export class VirtualNetwork {
  readonly #a: Endpoint;
  readonly #b: Endpoint;
  readonly #aToB: Link;
  readonly #bToA: Link;
  readonly #maxSteps: number;
  readonly #maxTransmits: number;
  #now: Micros;

  constructor(options: VirtualNetworkOptions) {
    this.#a = options.a;
    this.#b = options.b;
    this.#aToB = options.path.aToB;
    this.#bToA = options.path.bToA;
    this.#now = options.start ?? (0 as Micros);
    this.#maxSteps = options.maxStepsPerInstant ?? 10_000;
    this.#maxTransmits = options.maxTransmitsPerInstant ?? 1_000_000;
  }

  /** The current virtual time. */
  get now(): Micros {
    return this.#now;
  }

  /**
   * Processes every event up to and including `end`, then leaves the clock at `end`. With `stop`,
   * returns early (clock at the instant just processed) once it returns true; it is checked after
   * each instant's transmits are sent. Returns whether it stopped early.
   */
  runUntil(end: Micros, stop?: () => boolean): boolean {
    if (end < this.#now) throw new NetsimClockError('virtual network runUntil', end, this.#now);
    let steps = 0;
    for (;;) {
      this.#transmit();
      if (stop?.() === true) return true;
      const next = this.#nextEvent();
      if (next === null || next > end) {
        this.#now = end;
        return false;
      }
      if (next > this.#now) {
        this.#now = next;
        steps = 0;
      } else if (++steps > this.#maxSteps) {
        throw new NetsimLivelockError(this.#now, steps);
      }
      this.#fire();
    }
  }

  #nextEvent(): Micros | null {
    const next = earliest(
      earliest(this.#a.pollTimeout(), this.#b.pollTimeout()),
      earliest(this.#aToB.pollTimeout(), this.#bToA.pollTimeout()),
    );
    // A timeout already in the past is due now; time never goes back.
    return next === null ? null : (Math.max(next, this.#now) as Micros);
  }

  #fire(): void {
    const now = this.#now;
    for (let d = this.#aToB.pollDeliver(now); d !== null; d = this.#aToB.pollDeliver(now)) {
      this.#b.handleDatagram(now, d);
    }
    for (let d = this.#bToA.pollDeliver(now); d !== null; d = this.#bToA.pollDeliver(now)) {
      this.#a.handleDatagram(now, d);
    }
    timeoutIfDue(this.#a, now);
    timeoutIfDue(this.#b, now);
  }

  #transmit(): void {
    this.#drain(this.#a, this.#aToB);
    this.#drain(this.#b, this.#bToA);
  }

  #drain(from: Endpoint, link: Link): void {
    let count = 0;
    for (let d = from.pollTransmit(); d !== null && d !== undefined; d = from.pollTransmit()) {
      if (++count > this.#maxTransmits) throw new NetsimLivelockError(this.#now, count);
      link.handleSend(this.#now, d);
    }
  }
}
