/**
 * Test helpers for src/session: a seeded key pair per side, a session pair, a small addressed
 * network on virtual time (the netsim VirtualNetwork has no addresses, and the DoS and roaming
 * tests need them), and a 60 fps media run through the real VirtualNetwork.
 */
import { generateKeyPair, type KeyPair } from '../../src/noise/index.js';
import { millis, Path, VirtualNetwork } from '../../src/netsim/index.js';
import { Rng } from '../../src/rng/index.js';
import {
  NetsimSessionEndpoint,
  rngRandomBytes,
  SecureSession,
  type SecureSessionOptions,
} from '../../src/session/index.js';

export const STREAM = 1;

export function keyPair(seed: string): KeyPair {
  return generateKeyPair(rngRandomBytes(new Rng(seed)));
}

export const connectionOptions = {
  config: {
    streams: [{ id: STREAM, kind: 'video' as const, fps: 60 }],
    initialBitrateBps: 2e6,
    maxBitrateBps: 2e6,
    minBitrateBps: 300_000,
  },
};

export interface Pair {
  readonly a: SecureSession;
  readonly b: SecureSession;
  readonly keysA: KeyPair;
  readonly keysB: KeyPair;
}

/** `a` initiates towards address "b"; `b` responds. */
export function sessionPair(
  seed: string,
  extra: {
    readonly a?: Partial<SecureSessionOptions>;
    readonly b?: Partial<SecureSessionOptions>;
  } = {},
): Pair {
  const keysA = keyPair(`${seed}/a`);
  const keysB = keyPair(`${seed}/b`);
  const a = new SecureSession({
    staticPrivate: keysA.privateKey,
    peerPublic: keysB.publicKey,
    role: 'initiator',
    peerAddress: 'b',
    randomBytes: rngRandomBytes(new Rng(`${seed}/ra`)),
    connection: connectionOptions,
    ...extra.a,
  });
  const b = new SecureSession({
    staticPrivate: keysB.privateKey,
    peerPublic: keysA.publicKey,
    role: 'responder',
    randomBytes: rngRandomBytes(new Rng(`${seed}/rb`)),
    connection: connectionOptions,
    ...extra.b,
  });
  return { a, b, keysA, keysB };
}

export interface Sent {
  readonly at: number;
  readonly from: string;
  readonly to: string | null;
  readonly bytes: Uint8Array;
}

/**
 * Sessions on named addresses with a fixed one-way delay. Packets to an address with no session
 * (an attacker's) are only logged. `inject` puts any bytes on the wire from any address.
 */
export class Wire {
  now = 0;
  readonly delayUs: number;
  readonly log: Sent[] = [];
  readonly #nodes = new Map<string, SecureSession>();
  /** The address each session currently sends from; change it to simulate roaming. */
  readonly source = new Map<SecureSession, string>();
  #queue: { at: number; to: string; from: string; bytes: Uint8Array }[] = [];

  constructor(delayUs: number) {
    this.delayUs = delayUs;
  }

  add(address: string, session: SecureSession): void {
    this.#nodes.set(address, session);
    this.source.set(session, address);
  }

  /** Lets `session` also be reached at `address` (after it roams). */
  alias(address: string, session: SecureSession): void {
    this.#nodes.set(address, session);
  }

  inject(at: number, to: string, from: string, bytes: Uint8Array): void {
    this.#queue.push({ at, to, from, bytes });
  }

  runUntil(end: number, stop?: () => boolean): void {
    for (let guard = 0; guard < 10_000_000; guard++) {
      this.#drain();
      if (stop?.() === true) return;
      let next = Infinity;
      for (const q of this.#queue) next = Math.min(next, q.at);
      for (const s of this.#nodes.values()) next = Math.min(next, s.pollTimeout());
      if (next > end) {
        this.now = end;
        return;
      }
      this.now = Math.max(this.now, next);
      const due = this.#queue.filter((q) => q.at <= this.now);
      this.#queue = this.#queue.filter((q) => q.at > this.now);
      for (const q of due) this.#nodes.get(q.to)?.handleDatagram(this.now, q.bytes, q.from);
      for (const s of new Set(this.#nodes.values())) {
        if (s.pollTimeout() <= this.now) s.handleTimeout(this.now);
      }
    }
    throw new Error('wire livelock');
  }

  #drain(): void {
    for (const s of new Set(this.#nodes.values())) {
      const from = this.source.get(s) ?? '?';
      for (let t = s.pollTransmit(); t !== null; t = s.pollTransmit()) {
        this.log.push({ at: this.now, from, to: t.to, bytes: t.bytes });
        if (t.to !== null) this.#queue.push({ at: this.now + this.delayUs, to: t.to, from, bytes: t.bytes });
      }
    }
  }
}

export interface MediaRun {
  readonly sent: number;
  readonly completed: Set<number>;
  readonly intact: number;
  /** Virtual time at which each side first had keys to send under, µs. */
  readonly establishedAt: { a: number | null; b: number | null };
  readonly bytesFromB: number;
}

function payloadFor(index: number): Uint8Array {
  const p = new Uint8Array(2000 + (index % 7) * 100);
  p.fill(index & 0xff);
  p[0] = index >> 8;
  return p;
}

/**
 * Sends `frames` 60 fps video frames from a to b through the netsim VirtualNetwork (10 ms each way),
 * starting at `startUs`, and records which frames completed intact at b.
 */
export function runMedia(pair: Pair, frames: number, startUs = 200_000): MediaRun {
  const { a, b } = pair;
  const completed = new Set<number>();
  let intact = 0;
  let sent = 0;
  let bytesFromB = 0;
  const establishedAt: { a: number | null; b: number | null } = { a: null, b: null };
  const intervalUs = 1e6 / 60;
  const note = (now: number): void => {
    if (establishedAt.a === null && a.established) establishedAt.a = now;
    if (establishedAt.b === null && b.established) establishedAt.b = now;
  };
  const ea = new NetsimSessionEndpoint(a, 'b', {
    beforeTimeout: (now) => {
      note(now);
      for (let e = a.pollEvent(); e !== null; e = a.pollEvent()) {
        if (e.kind === 'frame') a.connection.recycle(e.frame);
      }
      while (sent < frames && startUs + sent * intervalUs <= now) {
        a.sendFrame(now, STREAM, payloadFor(sent), { captureUs: now, keyframe: sent === 0 });
        sent++;
      }
    },
    nextEvent: () => (sent < frames ? startUs + sent * intervalUs : Infinity),
  });
  const eb = new NetsimSessionEndpoint(b, 'a', {
    beforeTimeout: (now) => {
      note(now);
      for (let e = b.pollEvent(); e !== null; e = b.pollEvent()) {
        if (e.kind === 'frame-complete') {
          const i = ((e.frame.payload[0] ?? 0) << 8) | (e.frame.payload[1] ?? 0);
          completed.add(e.frame.frameId);
          if (e.frame.payload.length === payloadFor(i).length) intact++;
        }
        if (e.kind === 'frame') b.connection.recycle(e.frame);
      }
    },
  });
  const noting = (e: NetsimSessionEndpoint): NetsimSessionEndpoint['handleDatagram'] => {
    return (now, d) => {
      e.handleDatagram(now, d);
      note(now);
    };
  };
  const countingA = {
    handleDatagram: noting(ea),
    handleTimeout: ea.handleTimeout.bind(ea),
    pollTimeout: ea.pollTimeout.bind(ea),
    pollTransmit: ea.pollTransmit.bind(ea),
  };
  const countingB = {
    handleDatagram: noting(eb),
    handleTimeout: eb.handleTimeout.bind(eb),
    pollTimeout: eb.pollTimeout.bind(eb),
    pollTransmit: (): Uint8Array | null => {
      const d = eb.pollTransmit();
      if (d !== null) bytesFromB += d.length;
      return d;
    },
  };
  const path = new Path({ aToB: { delay: millis(10) } }, new Rng('path'));
  const network = new VirtualNetwork({ a: countingA, b: countingB, path, maxTransmitsPerInstant: 100_000 });
  const end = startUs + (frames / 60) * 1e6 + 500_000;
  network.runUntil(millis(Math.round(end / 1000)));
  // Drain what arrived at the very end.
  eb.handleTimeout(network.now);
  return { sent, completed, intact, establishedAt, bytesFromB };
}
