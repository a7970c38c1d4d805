/**
 * doorway's handshake on top of the generic HandshakeState: IKpsk2 with BLAKE2s by default, the
 * first 12 bytes of message 1's payload are the initiator's monotonic counter, and the responder
 * pins the initiator's static key and refuses replays.
 */
import { timingSafeEqual } from 'node:crypto';
import { COUNTER_LEN, decodeCounter, encodeCounter, type ReplayGuard } from './counter.js';
import type { RandomBytes } from './keys.js';
import {
  HandshakeState,
  type HandshakeFailureReason,
  type PatternName,
  type TransportKeys,
} from './handshake-state.js';
import type { HashName } from './primitives.js';
import { requireKeyLength } from './primitives.js';

export interface Failure {
  readonly ok: false;
  readonly reason: HandshakeFailureReason;
}

interface CommonOptions {
  readonly staticPrivate: Uint8Array;
  readonly psk?: Uint8Array;
  readonly prologue?: Uint8Array;
  readonly randomBytes?: RandomBytes;
  readonly ephemeralPrivate?: Uint8Array;
  readonly pattern?: PatternName;
  readonly hash?: HashName;
}

export interface InitiatorOptions extends CommonOptions {
  /** The responder's pinned static public key. */
  readonly remoteStatic: Uint8Array;
  /** From `PersistedCounter.next`: strictly greater than any counter sent before. */
  readonly counter: bigint;
  readonly payload?: Uint8Array;
}

export interface ResponderOptions extends CommonOptions {
  readonly message: Uint8Array;
}

export interface AcceptOptions extends ResponderOptions {
  /** The initiator's static public key from the site config; any other key is refused. */
  readonly pinnedInitiator: Uint8Array;
  readonly replayGuard: ReplayGuard;
}

export type ResponseResult =
  { readonly ok: true; readonly payload: Uint8Array; readonly session: TransportKeys } | Failure;

/** The initiator after sending message 1, waiting for message 2. */
export class PendingInitiator {
  readonly #state: HandshakeState;

  constructor(state: HandshakeState) {
    this.#state = state;
  }

  readResponse(message: Uint8Array): ResponseResult {
    const read = this.#state.readMessage(message);
    if (!read.ok) return read;
    return { ok: true, payload: read.payload, session: this.#state.split() };
  }
}

/** The responder after reading message 1, ready to send message 2. */
export class PendingResponder {
  readonly #state: HandshakeState;

  constructor(state: HandshakeState) {
    this.#state = state;
  }

  writeResponse(payload: Uint8Array = new Uint8Array(0)): {
    readonly message: Uint8Array;
    readonly session: TransportKeys;
  } {
    const message = this.#state.writeMessage(payload);
    return { message, session: this.#state.split() };
  }
}

export type InitiationResult =
  | {
      readonly ok: true;
      /** Check this against the pinned key (or use `acceptInitiation`, which does). */
      readonly initiatorStatic: Uint8Array;
      readonly counter: bigint;
      readonly payload: Uint8Array;
      readonly pending: PendingResponder;
    }
  | Failure;

export function initiatorHandshake(options: InitiatorOptions): {
  readonly message: Uint8Array;
  readonly pending: PendingInitiator;
} {
  const state = new HandshakeState({ ...options, role: 'initiator' });
  const app = options.payload ?? new Uint8Array(0);
  const payload = new Uint8Array(COUNTER_LEN + app.length);
  payload.set(encodeCounter(options.counter));
  payload.set(app, COUNTER_LEN);
  const message = state.writeMessage(payload);
  return { message, pending: new PendingInitiator(state) };
}

/**
 * Reads message 1 without deciding whether to trust it: returns who claims to be calling (the
 * static key, authenticated by the ss DH) and their counter. Prefer `acceptInitiation`.
 */
export function responderHandshake(options: ResponderOptions): InitiationResult {
  const { message, ...rest } = options;
  const state = new HandshakeState({ ...rest, role: 'responder' });
  const read = state.readMessage(message);
  if (!read.ok) return read;
  const counter = decodeCounter(read.payload);
  const initiatorStatic = state.remoteStatic;
  if (counter === null || initiatorStatic === null) return { ok: false, reason: 'bad-payload' };
  return {
    ok: true,
    initiatorStatic,
    counter,
    payload: read.payload.subarray(COUNTER_LEN),
    pending: new PendingResponder(state),
  };
}

/**
 * `responderHandshake` plus the two checks that make it safe: the static key must equal the pinned
 * one (`unknown-static-key`), and the counter must beat the last accepted one (`replay`). The guard
 * only moves once both pass; the caller persists `replayGuard.lastAccepted` afterwards.
 */
export function acceptInitiation(options: AcceptOptions): InitiationResult {
  requireKeyLength('pinned initiator key', options.pinnedInitiator);
  const { pinnedInitiator, replayGuard, ...rest } = options;
  const result = responderHandshake(rest);
  if (!result.ok) return result;
  if (!timingSafeEqual(result.initiatorStatic, pinnedInitiator))
    return { ok: false, reason: 'unknown-static-key' };
  if (!replayGuard.accept(result.counter)) return { ok: false, reason: 'replay' };
  return result;
}
