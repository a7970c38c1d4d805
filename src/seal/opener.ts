import type { KeyObject } from 'node:crypto';
import { direction, newDecipher, type DirectionOptions } from './options.js';
import {
  COUNTER_OFFSET,
  HEADER_BYTES,
  INDEX_OFFSET,
  NONCE_BYTES,
  OVERHEAD_BYTES,
  SEALED_TYPE,
  TAG_BYTES,
  readCounter,
  readU32,
  type SealCipher,
} from './packet.js';
import { DEFAULT_WINDOW_SIZE, ReplayWindow } from './replay-window.js';

/** Why a datagram was dropped, in the order the checks run (cheap ones first). */
export type OpenFailureReason =
  /** Shorter than header + tag. */
  | 'truncated'
  /** First byte is not 0x13 (sealed data). */
  | 'type'
  /** Receiver index is not the one this opener was assigned. */
  | 'index'
  /** Counter at or above the message limit (or 2^53). */
  | 'counter-limit'
  /** Counter already accepted, or older than the replay window. */
  | 'replay'
  /** The caller's `out` buffer is smaller than this packet's plaintext. */
  | 'too-large'
  /** Decryption or tag verification failed: forged, corrupted, or sealed under another key. */
  | 'auth';

export const OPEN_FAILURE_REASONS: readonly OpenFailureReason[] = [
  'truncated',
  'type',
  'index',
  'counter-limit',
  'replay',
  'too-large',
  'auth',
];

export interface OpenSuccess {
  readonly ok: true;
  readonly plaintext: Uint8Array;
  readonly counter: number;
}

export interface OpenFailure {
  readonly ok: false;
  readonly reason: OpenFailureReason;
}

export type OpenResult = OpenSuccess | OpenFailure;

export interface OpenerStats {
  readonly opened: number;
  readonly rejected: Readonly<Record<OpenFailureReason, number>>;
}

export interface OpenerOptions extends DirectionOptions {
  /** Replay window size, a power of two ≥ 2048; default 8192. */
  readonly windowSize?: number;
}

/** Shared, frozen failure values: a flood of junk allocates nothing. */
const FAILURES = Object.fromEntries(
  OPEN_FAILURE_REASONS.map((reason) => [reason, Object.freeze({ ok: false, reason })]),
) as Readonly<Record<OpenFailureReason, OpenFailure>>;

/**
 * Opens the datagrams of one direction under one key. Runs every check that costs no cryptography
 * first, decrypts only what could be fresh, and marks a counter seen only after its tag verified.
 * Never throws on network input.
 */
export class Opener {
  readonly cipher: SealCipher;
  readonly receiverIndex: number;
  readonly messageLimit: number;
  readonly overheadBytes = OVERHEAD_BYTES;
  readonly #key: KeyObject;
  readonly #window: ReplayWindow;
  /** Reused per packet; the AAD and tag are copied here so no subarray views are made for them. */
  readonly #nonce = new Uint8Array(NONCE_BYTES);
  readonly #header = new Uint8Array(HEADER_BYTES);
  readonly #tag = new Uint8Array(TAG_BYTES);
  #opened = 0;
  readonly #rejected: Record<OpenFailureReason, number> = {
    truncated: 0,
    type: 0,
    index: 0,
    'counter-limit': 0,
    replay: 0,
    'too-large': 0,
    auth: 0,
  };

  constructor(options: OpenerOptions) {
    const d = direction(options);
    this.cipher = d.cipher;
    this.receiverIndex = d.receiverIndex;
    this.messageLimit = d.messageLimit;
    this.#key = d.key;
    this.#window = new ReplayWindow({
      size: options.windowSize ?? DEFAULT_WINDOW_SIZE,
      limit: d.messageLimit,
    });
  }

  /** Replay window size in counters. */
  get windowSize(): number {
    return this.#window.size;
  }

  /** Highest counter accepted so far, or -1. */
  get highestCounter(): number {
    return this.#window.top;
  }

  get stats(): OpenerStats {
    return { opened: this.#opened, rejected: { ...this.#rejected } };
  }

  /**
   * Verifies and decrypts one datagram. The plaintext is written into `out` when given (and returned
   * as a view of its start), else it is a fresh buffer.
   */
  open(datagram: Uint8Array, out?: Uint8Array): OpenResult {
    const length = datagram.length;
    if (length < OVERHEAD_BYTES) return this.#reject('truncated');
    if (datagram[0] !== SEALED_TYPE) return this.#reject('type');
    if (readU32(datagram, INDEX_OFFSET) !== this.receiverIndex) return this.#reject('index');
    const counter = readCounter(datagram, COUNTER_OFFSET);
    if (counter < 0 || counter >= this.messageLimit) return this.#reject('counter-limit');
    if (!this.#window.check(counter)) return this.#reject('replay');
    const bodyLength = length - OVERHEAD_BYTES;
    if (out !== undefined && out.length < bodyLength) return this.#reject('too-large');

    const header = this.#header;
    const nonce = this.#nonce;
    const tag = this.#tag;
    for (let i = 0; i < HEADER_BYTES; i++) header[i] = datagram[i] ?? 0;
    for (let i = 0; i < 8; i++) nonce[NONCE_BYTES - 8 + i] = datagram[COUNTER_OFFSET + i] ?? 0;
    const tagAt = length - TAG_BYTES;
    for (let i = 0; i < TAG_BYTES; i++) tag[i] = datagram[tagAt + i] ?? 0;

    let body: Buffer;
    try {
      const decipher = newDecipher(this.cipher, this.#key, nonce);
      decipher.setAAD(header, { plaintextLength: tagAt - HEADER_BYTES });
      decipher.setAuthTag(tag);
      body = decipher.update(datagram.subarray(HEADER_BYTES, tagAt));
      // Throws when the tag does not verify; `body` is then discarded unread.
      decipher.final();
    } catch {
      return this.#reject('auth');
    }
    this.#window.commit(counter);
    this.#opened++;
    if (out === undefined) return { ok: true, plaintext: body, counter };
    out.set(body, 0);
    return { ok: true, plaintext: out.length === bodyLength ? out : out.subarray(0, bodyLength), counter };
  }

  #reject(reason: OpenFailureReason): OpenFailure {
    this.#rejected[reason]++;
    return FAILURES[reason];
  }
}
