import type { AeadBackendName, AeadSealContext } from './aead.js';
import { SealUsageError } from './errors.js';
import { direction, type DirectionOptions } from './options.js';
import {
  COUNTER_OFFSET,
  HEADER_BYTES,
  INDEX_OFFSET,
  NONCE_BYTES,
  OVERHEAD_BYTES,
  SEALED_TYPE,
  writeCounter,
  writeU32,
  type SealCipher,
} from './packet.js';

export type SealerOptions = DirectionOptions;

/**
 * Seals the datagrams of one direction under one key. Counters start at 0 and never repeat: once
 * `messageLimit` packets are sealed, `seal` returns null and the session must rekey.
 */
export class Sealer {
  readonly cipher: SealCipher;
  readonly receiverIndex: number;
  readonly messageLimit: number;
  /** Which AEAD implementation seals: `openssl` (native/fec) or `node` (node:crypto). */
  readonly aead: AeadBackendName;
  /** Bytes a sealed packet adds to its plaintext (header + tag). */
  readonly overheadBytes = OVERHEAD_BYTES;
  /** Keyed once; null after release(). */
  #context: AeadSealContext | null;
  /** Reused per packet: both AEADs read them during the call and keep nothing. */
  readonly #nonce = new Uint8Array(NONCE_BYTES);
  readonly #header = new Uint8Array(HEADER_BYTES);
  #counter = 0;

  constructor(options: SealerOptions) {
    const d = direction(options);
    this.cipher = d.cipher;
    this.receiverIndex = d.receiverIndex;
    this.messageLimit = d.messageLimit;
    this.aead = d.aead.name;
    this.#context = d.aead.createSealContext(d.cipher, d.key);
    this.#header[0] = SEALED_TYPE;
    writeU32(this.#header, INDEX_OFFSET, d.receiverIndex);
  }

  /** The counter the next packet will carry, which is also how many packets were sealed. */
  get counter(): number {
    return this.#counter;
  }

  /** How many more packets this key may seal. */
  get remaining(): number {
    return this.messageLimit - this.#counter;
  }

  /**
   * Returns the sealed packet (plaintext.length + overheadBytes long), written into `out` when given
   * (as a view of its start), or null when the message limit is reached and the session must rekey.
   * `out` may overlap `plaintext`: it is written only after the encryption has read all of it.
   * Throws {@link SealUsageError} when `out` is too small or the sealer was released.
   */
  seal(plaintext: Uint8Array, out?: Uint8Array): Uint8Array | null {
    if (this.#context !== null && this.#counter >= this.messageLimit) return null;
    const length = plaintext.length + OVERHEAD_BYTES;
    // One allocation when the caller gave no buffer; Buffer.allocUnsafe takes it from the pool.
    const packet = out ?? Buffer.allocUnsafe(length);
    if (this.sealInto(plaintext, packet) < 0) return null;
    return packet.length === length ? packet : packet.subarray(0, length);
  }

  /**
   * Seals into the start of `out` and returns the packet's length, or -1 at the message limit:
   * `seal` without even a view made, for a driver that seals straight into its send ring.
   */
  sealInto(plaintext: Uint8Array, out: Uint8Array): number {
    const context = this.#context;
    if (context === null) throw new SealUsageError('seal: this sealer was released');
    const counter = this.#counter;
    if (counter >= this.messageLimit) return -1;
    const length = plaintext.length + OVERHEAD_BYTES;
    if (out.length < length) {
      throw new SealUsageError(`seal: output buffer of ${out.length} bytes, packet needs ${length}`);
    }
    // Spend the counter before encrypting, so no failure path can ever reuse a nonce.
    this.#counter = counter + 1;
    writeCounter(this.#header, COUNTER_OFFSET, counter);
    writeCounter(this.#nonce, NONCE_BYTES - 8, counter);
    context.seal(this.#nonce, this.#header, plaintext, out);
    return length;
  }

  /**
   * Drops the key: the OpenSSL context is wiped and freed now rather than at garbage collection.
   * Call it when the session retires this key; `seal` throws afterwards.
   */
  release(): void {
    this.#context?.release();
    this.#context = null;
  }
}
