import { NoiseUsageError } from './errors.js';
import {
  aeadDecrypt,
  aeadEncrypt,
  KEY_LEN,
  MAX_MESSAGE_LEN,
  requireKeyLength,
  TAG_LEN,
} from './primitives.js';

/** 2^64 - 1 is reserved by the spec (it is the Rekey nonce), so a key carries at most this many messages. */
export const MAX_NONCE = 0xffff_ffff_ffff_ffffn;

const EMPTY = new Uint8Array(0);

/**
 * Noise CipherState: a key and a 64-bit nonce. During the handshake it may be empty (no key yet),
 * in which case "encryption" is the identity, exactly as the spec defines it.
 */
export class CipherState {
  #key: Uint8Array | null = null;
  #nonce = 0n;

  constructor(key?: Uint8Array) {
    if (key !== undefined) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array): void {
    requireKeyLength('cipher key', key);
    this.#key = Uint8Array.from(key);
    this.#nonce = 0n;
  }

  hasKey(): boolean {
    return this.#key !== null;
  }

  /** The nonce the next encrypt/decrypt will use. */
  get nonce(): bigint {
    return this.#nonce;
  }

  /**
   * For a datagram transport the receiver takes the nonce from the packet header: set it, then
   * decrypt. The replay window for transport packets belongs to the transport, not here.
   */
  setNonce(nonce: bigint): void {
    if (nonce < 0n || nonce > MAX_NONCE) throw new NoiseUsageError('nonce out of range');
    this.#nonce = nonce;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#key === null) return Uint8Array.from(plaintext);
    if (this.#nonce >= MAX_NONCE) throw new NoiseUsageError('nonce exhausted; rekey or handshake again');
    if (plaintext.length + TAG_LEN > MAX_MESSAGE_LEN) {
      throw new NoiseUsageError(`ciphertext would exceed ${MAX_MESSAGE_LEN} bytes`);
    }
    const out = aeadEncrypt(this.#key, this.#nonce, ad, plaintext);
    this.#nonce += 1n;
    return out;
  }

  /**
   * `null` on an authentication failure or a too-long input. The nonce only advances on success,
   * so a forged packet does not desynchronise the two sides.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array | null {
    if (this.#key === null) return Uint8Array.from(ciphertext);
    if (this.#nonce >= MAX_NONCE || ciphertext.length > MAX_MESSAGE_LEN) return null;
    const out = aeadDecrypt(this.#key, this.#nonce, ad, ciphertext);
    if (out !== null) this.#nonce += 1n;
    return out;
  }

  /** Transport convenience: empty associated data. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    return this.encryptWithAd(EMPTY, plaintext);
  }

  decrypt(ciphertext: Uint8Array): Uint8Array | null {
    return this.decryptWithAd(EMPTY, ciphertext);
  }

  /** Spec section 4.2 REKEY: the first 32 bytes of encrypting 32 zeros under nonce 2^64 - 1. */
  rekey(): void {
    if (this.#key === null) throw new NoiseUsageError('rekey without a key');
    const next = aeadEncrypt(this.#key, MAX_NONCE, EMPTY, new Uint8Array(KEY_LEN)).subarray(0, KEY_LEN);
    this.#key = Uint8Array.from(next);
  }
}
