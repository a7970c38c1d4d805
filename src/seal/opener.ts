import type { AeadBackendName, AeadOpenContext } from './aead.js';
import { SealUsageError } from './errors.js';
import { direction, type DirectionOptions } from './options.js';
import {
  COUNTER_OFFSET,
  HEADER_BYTES,
  INDEX_OFFSET,
  NONCE_BYTES,
  OVERHEAD_BYTES,
  SEALED_TYPE,
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
  /** Which AEAD implementation opens: `openssl` (native/fec) or `node` (node:crypto). */
  readonly aead: AeadBackendName;
  readonly overheadBytes = OVERHEAD_BYTES;
  /** Keyed once; null after release(). */
  #context: AeadOpenContext | null;
  readonly #window: ReplayWindow;
  /** Reused per packet: the counter bytes are copied in, so no subarray view is made for it. */
  readonly #nonce = new Uint8Array(NONCE_BYTES);
  #opened = 0;
  #lastCounter = -1;
  #lastFailure: OpenFailureReason = 'truncated';
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
    this.aead = d.aead.name;
    this.#window = new ReplayWindow({
      size: options.windowSize ?? DEFAULT_WINDOW_SIZE,
      limit: d.messageLimit,
    });
    // Last, once every option has been accepted: nothing can throw past a keyed context.
    this.#context = d.aead.createOpenContext(d.cipher, d.key);
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
   * as a view of its start), else it is a fresh buffer. `out` is untouched unless the datagram
   * opens. Never throws on network input; throws {@link SealUsageError} after release().
   */
  open(datagram: Uint8Array, out?: Uint8Array): OpenResult {
    const bodyLength = datagram.length - OVERHEAD_BYTES;
    const plaintext = out ?? Buffer.allocUnsafe(Math.max(0, bodyLength));
    const opened = this.openInto(datagram, plaintext);
    if (opened < 0) return FAILURES[this.#lastFailure];
    return {
      ok: true,
      plaintext: plaintext.length === opened ? plaintext : plaintext.subarray(0, opened),
      counter: this.#lastCounter,
    };
  }

  /**
   * `open` that makes nothing: the plaintext is written at the start of `out` and its length
   * returned, or -1 when the packet is refused (`lastFailure` says why). `lastCounter` is the
   * counter of the packet last opened. For a receive path that opens every datagram into one
   * buffer.
   */
  openInto(datagram: Uint8Array, out: Uint8Array): number {
    const context = this.#context;
    if (context === null) throw new SealUsageError('seal: open on a released opener');
    const length = datagram.length;
    if (length < OVERHEAD_BYTES) return this.#refuse('truncated');
    if (datagram[0] !== SEALED_TYPE) return this.#refuse('type');
    if (readU32(datagram, INDEX_OFFSET) !== this.receiverIndex) return this.#refuse('index');
    const counter = readCounter(datagram, COUNTER_OFFSET);
    if (counter < 0 || counter >= this.messageLimit) return this.#refuse('counter-limit');
    if (!this.#window.check(counter)) return this.#refuse('replay');
    const bodyLength = length - OVERHEAD_BYTES;
    if (out.length < bodyLength) return this.#refuse('too-large');

    const nonce = this.#nonce;
    for (let i = 0; i < 8; i++) nonce[NONCE_BYTES - 8 + i] = datagram[COUNTER_OFFSET + i] ?? 0;
    // The header is the associated data, so the tag covers type, index and counter as well.
    if (!context.open(nonce, datagram, HEADER_BYTES, out)) return this.#refuse('auth');
    this.#window.commit(counter);
    this.#opened++;
    this.#lastCounter = counter;
    return bodyLength;
  }

  /** Why the last refused packet was refused. */
  get lastFailure(): OpenFailureReason {
    return this.#lastFailure;
  }

  /** The counter of the packet last opened (-1 before the first). */
  get lastCounter(): number {
    return this.#lastCounter;
  }

  /**
   * Drops the key: the OpenSSL context is wiped and freed now rather than at garbage collection.
   * Call it when the session retires this key; `open` throws afterwards.
   */
  release(): void {
    this.#context?.release();
    this.#context = null;
  }

  #refuse(reason: OpenFailureReason): -1 {
    this.#rejected[reason]++;
    this.#lastFailure = reason;
    return -1;
  }
}
