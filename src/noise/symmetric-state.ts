import { CipherState } from './cipher-state.js';
import { hash, type HashSuite, hkdf, KEY_LEN } from './primitives.js';

/** Noise SymmetricState (spec section 5.2): chaining key, handshake hash and the CipherState. */
export class SymmetricState {
  readonly #suite: HashSuite;
  readonly #cipher = new CipherState();
  #ck: Uint8Array;
  #h: Uint8Array;

  constructor(suite: HashSuite, protocolName: string) {
    this.#suite = suite;
    const name = new TextEncoder().encode(protocolName);
    // InitializeSymmetric: a name that fits is zero-padded to HASHLEN, a longer one is hashed.
    if (name.length <= suite.hashLen) {
      this.#h = new Uint8Array(suite.hashLen);
      this.#h.set(name);
    } else {
      this.#h = hash(suite, name);
    }
    this.#ck = Uint8Array.from(this.#h);
  }

  // A 64-byte BLAKE2b output is cut to the 32-byte cipher key, as the spec says for HASHLEN 64.
  #truncate(key: Uint8Array): Uint8Array {
    return key.subarray(0, KEY_LEN);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, tempK] = hkdf(this.#suite, this.#ck, ikm, 2);
    this.#ck = ck;
    this.#cipher.initializeKey(this.#truncate(tempK));
  }

  mixHash(data: Uint8Array): void {
    this.#h = hash(this.#suite, this.#h, data);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, tempH, tempK] = hkdf(this.#suite, this.#ck, ikm, 3);
    this.#ck = ck;
    this.mixHash(tempH);
    this.#cipher.initializeKey(this.#truncate(tempK));
  }

  get handshakeHash(): Uint8Array {
    return Uint8Array.from(this.#h);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.#cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** `null` when authentication fails; the hash is then left as it was (the handshake is dead anyway). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array | null {
    const plaintext = this.#cipher.decryptWithAd(this.#h, ciphertext);
    if (plaintext === null) return null;
    this.mixHash(ciphertext);
    return plaintext;
  }

  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  /** Returns (initiator-to-responder, responder-to-initiator) CipherStates. */
  split(): [CipherState, CipherState] {
    const [k1, k2] = hkdf(this.#suite, this.#ck, new Uint8Array(0), 2);
    return [new CipherState(this.#truncate(k1)), new CipherState(this.#truncate(k2))];
  }
}
