/**
 * Noise HandshakeState (spec rev 34, section 5.3) for the two patterns doorway can speak:
 *
 *   IK:      <- s  ...  -> e, es, s, ss   <- e, ee, se
 *   IKpsk2:  <- s  ...  -> e, es, s, ss   <- e, ee, se, psk     (WireGuard's pattern)
 *
 * with X25519, ChaChaPoly and BLAKE2s (default) or BLAKE2b. Sans-I/O: bytes in, bytes out, and the
 * ephemeral key comes from the caller's `randomBytes` or is injected for known-answer tests.
 */
import type { KeyObject } from 'node:crypto';
import type { CipherState } from './cipher-state.js';
import { NoiseUsageError } from './errors.js';
import { generateKeyPair, type RandomBytes } from './keys.js';
import {
  dh,
  HASHES,
  type HashName,
  KEY_LEN,
  MAX_MESSAGE_LEN,
  privateKeyObject,
  rawPublicKey,
  requireKeyLength,
  TAG_LEN,
} from './primitives.js';
import { SymmetricState } from './symmetric-state.js';

export type PatternName = 'IK' | 'IKpsk2';
export type Role = 'initiator' | 'responder';

/** Why a message from the network was refused. Every such failure is a value, never a throw. */
export type HandshakeFailureReason =
  | 'message-too-short'
  | 'message-too-long'
  | 'decrypt-failed'
  | 'bad-public-key'
  | 'bad-payload'
  | 'unknown-static-key'
  | 'replay';

export type ReadResult =
  | { readonly ok: true; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: HandshakeFailureReason };

type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';

const MESSAGES: Readonly<Record<PatternName, readonly (readonly Token[])[]>> = {
  IK: [
    ['e', 'es', 's', 'ss'],
    ['e', 'ee', 'se'],
  ],
  IKpsk2: [
    ['e', 'es', 's', 'ss'],
    ['e', 'ee', 'se', 'psk'],
  ],
};

export interface HandshakeStateOptions {
  readonly role: Role;
  /** Default `IKpsk2`. */
  readonly pattern?: PatternName;
  /** Default `BLAKE2s`. */
  readonly hash?: HashName;
  readonly staticPrivate: Uint8Array;
  /** The responder's static public key; required for the initiator (IK pre-message), ignored otherwise. */
  readonly remoteStatic?: Uint8Array;
  /**
   * IKpsk2 only. Absent means 32 zero bytes, exactly what WireGuard does without a pre-shared key,
   * so one pattern serves sites with and without one.
   */
  readonly psk?: Uint8Array;
  readonly prologue?: Uint8Array;
  /** Draws the ephemeral key. One of this and `ephemeralPrivate` is required. */
  readonly randomBytes?: RandomBytes;
  /** Injects the ephemeral key: test vectors only; reusing one breaks forward secrecy. */
  readonly ephemeralPrivate?: Uint8Array;
}

/** The result of a completed handshake: one CipherState per direction. */
export interface TransportKeys {
  readonly send: CipherState;
  readonly receive: CipherState;
  /** Channel binding: equal on both sides, unique to this handshake. */
  readonly handshakeHash: Uint8Array;
  readonly remoteStatic: Uint8Array;
}

export function protocolName(pattern: PatternName, hashName: HashName): string {
  return `Noise_${pattern}_25519_ChaChaPoly_${hashName}`;
}

export class HandshakeState {
  readonly #role: Role;
  readonly #tokens: readonly (readonly Token[])[];
  readonly #symmetric: SymmetricState;
  readonly #s: KeyObject;
  readonly #sPublic: Uint8Array;
  readonly #psk: Uint8Array;
  readonly #ephemeralSource: RandomBytes | Uint8Array;
  #e: KeyObject | null = null;
  #rs: Uint8Array | null = null;
  #re: Uint8Array | null = null;
  #next = 0;
  #failed = false;
  #split: [CipherState, CipherState] | null = null;

  constructor(options: HandshakeStateOptions) {
    const pattern = options.pattern ?? 'IKpsk2';
    const hashName = options.hash ?? 'BLAKE2s';
    this.#role = options.role;
    this.#tokens = MESSAGES[pattern];
    this.#s = privateKeyObject(options.staticPrivate);
    this.#sPublic = rawPublicKey(this.#s);
    if (options.psk !== undefined) {
      if (pattern !== 'IKpsk2') throw new NoiseUsageError(`a pre-shared key needs IKpsk2, not ${pattern}`);
      requireKeyLength('pre-shared key', options.psk);
    }
    this.#psk = Uint8Array.from(options.psk ?? new Uint8Array(KEY_LEN));
    if (options.ephemeralPrivate !== undefined) {
      requireKeyLength('ephemeral private key', options.ephemeralPrivate);
      this.#ephemeralSource = Uint8Array.from(options.ephemeralPrivate);
    } else if (options.randomBytes !== undefined) {
      this.#ephemeralSource = options.randomBytes;
    } else {
      throw new NoiseUsageError('randomBytes or ephemeralPrivate is required');
    }

    this.#symmetric = new SymmetricState(HASHES[hashName], protocolName(pattern, hashName));
    this.#symmetric.mixHash(options.prologue ?? new Uint8Array(0));
    // IK pre-message "<- s": both sides hash the responder's static key.
    if (this.#role === 'initiator') {
      if (options.remoteStatic === undefined)
        throw new NoiseUsageError("the initiator needs the responder's static key");
      requireKeyLength('remote static key', options.remoteStatic);
      this.#rs = Uint8Array.from(options.remoteStatic);
      this.#symmetric.mixHash(this.#rs);
    } else {
      this.#symmetric.mixHash(this.#sPublic);
    }
  }

  get role(): Role {
    return this.#role;
  }

  get isComplete(): boolean {
    return this.#split !== null;
  }

  /** Known from the start for the initiator; learned from message 1 by the responder. */
  get remoteStatic(): Uint8Array | null {
    return this.#rs === null ? null : Uint8Array.from(this.#rs);
  }

  get handshakeHash(): Uint8Array {
    return this.#symmetric.handshakeHash;
  }

  #isMyTurnToWrite(): boolean {
    // Message 0 is the initiator's, message 1 the responder's.
    return (this.#next === 0) === (this.#role === 'initiator');
  }

  #checkUsable(writing: boolean): readonly Token[] {
    if (this.#failed) throw new NoiseUsageError('handshake already failed; start a new one');
    const tokens = this.#tokens[this.#next];
    if (tokens === undefined) throw new NoiseUsageError('handshake already complete');
    if (writing !== this.#isMyTurnToWrite()) {
      throw new NoiseUsageError(writing ? 'not our turn to write' : 'not our turn to read');
    }
    return tokens;
  }

  #ephemeral(): Uint8Array {
    const source = this.#ephemeralSource;
    const privateKey = source instanceof Uint8Array ? source : generateKeyPair(source).privateKey;
    this.#e = privateKeyObject(privateKey);
    return rawPublicKey(this.#e);
  }

  /** DH for a two-letter token from this side's point of view; `null` if the peer's key is bad. */
  #dh(token: 'ee' | 'es' | 'se' | 'ss'): Uint8Array | null {
    const initiator = this.#role === 'initiator';
    // The first letter is the initiator's key, the second the responder's.
    const initiatorKeyIsStatic = token.startsWith('s');
    const responderKeyIsStatic = token.endsWith('s');
    const localIsStatic = initiator ? initiatorKeyIsStatic : responderKeyIsStatic;
    const remoteIsStatic = initiator ? responderKeyIsStatic : initiatorKeyIsStatic;
    const local = localIsStatic ? this.#s : this.#e;
    const remote = remoteIsStatic ? this.#rs : this.#re;
    if (local === null || remote === null) throw new NoiseUsageError(`token ${token} before its keys`);
    return dh(local, remote);
  }

  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    const tokens = this.#checkUsable(true);
    const parts: Uint8Array[] = [];
    for (const token of tokens) {
      switch (token) {
        case 'e': {
          const ePublic = this.#ephemeral();
          parts.push(ePublic);
          this.#symmetric.mixHash(ePublic);
          // psk modifier (spec 9.2): with a psk in the pattern, "e" also mixes into the key.
          if (this.#tokens === MESSAGES.IKpsk2) this.#symmetric.mixKey(ePublic);
          break;
        }
        case 's':
          parts.push(this.#symmetric.encryptAndHash(this.#sPublic));
          break;
        case 'psk':
          this.#symmetric.mixKeyAndHash(this.#psk);
          break;
        case 'ee':
        case 'es':
        case 'se':
        case 'ss': {
          const secret = this.#dh(token);
          // Our own keys are valid; only a peer key we accepted earlier could fail, and reading
          // already checked it, so this is unreachable short of a bug.
          if (secret === null) throw new NoiseUsageError(`DH for ${token} failed`);
          this.#symmetric.mixKey(secret);
          break;
        }
      }
    }
    parts.push(this.#symmetric.encryptAndHash(payload));
    const message = Buffer.concat(parts);
    if (message.length > MAX_MESSAGE_LEN)
      throw new NoiseUsageError(`handshake message over ${MAX_MESSAGE_LEN} bytes`);
    this.#advance();
    return new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  }

  readMessage(message: Uint8Array): ReadResult {
    const tokens = this.#checkUsable(false);
    const result = this.#read(tokens, message);
    if (result.ok) this.#advance();
    else this.#failed = true;
    return result;
  }

  #read(tokens: readonly Token[], message: Uint8Array): ReadResult {
    if (message.length > MAX_MESSAGE_LEN) return { ok: false, reason: 'message-too-long' };
    let offset = 0;
    const take = (n: number): Uint8Array | null => {
      if (message.length - offset < n) return null;
      const out = message.subarray(offset, offset + n);
      offset += n;
      return out;
    };
    for (const token of tokens) {
      switch (token) {
        case 'e': {
          const re = take(KEY_LEN);
          if (re === null) return { ok: false, reason: 'message-too-short' };
          this.#re = Uint8Array.from(re);
          this.#symmetric.mixHash(this.#re);
          if (this.#tokens === MESSAGES.IKpsk2) this.#symmetric.mixKey(this.#re);
          break;
        }
        case 's': {
          const sealed = take(this.#symmetric.hasKey() ? KEY_LEN + TAG_LEN : KEY_LEN);
          if (sealed === null) return { ok: false, reason: 'message-too-short' };
          const rs = this.#symmetric.decryptAndHash(sealed);
          if (rs === null) return { ok: false, reason: 'decrypt-failed' };
          this.#rs = rs;
          break;
        }
        case 'psk':
          this.#symmetric.mixKeyAndHash(this.#psk);
          break;
        case 'ee':
        case 'es':
        case 'se':
        case 'ss': {
          const secret = this.#dh(token);
          if (secret === null) return { ok: false, reason: 'bad-public-key' };
          this.#symmetric.mixKey(secret);
          break;
        }
      }
    }
    const rest = message.subarray(offset);
    if (this.#symmetric.hasKey() && rest.length < TAG_LEN) return { ok: false, reason: 'message-too-short' };
    const payload = this.#symmetric.decryptAndHash(rest);
    if (payload === null) return { ok: false, reason: 'decrypt-failed' };
    return { ok: true, payload };
  }

  #advance(): void {
    this.#next += 1;
    if (this.#next === this.#tokens.length) this.#split = this.#symmetric.split();
  }

  /** The transport keys, oriented for this side. Throws if the handshake is not complete. */
  split(): TransportKeys {
    if (this.#split === null || this.#rs === null)
      throw new NoiseUsageError('split before the handshake completed');
    const [initiatorToResponder, responderToInitiator] = this.#split;
    const initiator = this.#role === 'initiator';
    return {
      send: initiator ? initiatorToResponder : responderToInitiator,
      receive: initiator ? responderToInitiator : initiatorToResponder,
      handshakeHash: this.#symmetric.handshakeHash,
      remoteStatic: Uint8Array.from(this.#rs),
    };
  }
}
