/**
 * The AEAD under the sealer and the opener, behind one small interface with two implementations:
 * OpenSSL's libcrypto in native/fec (the default wherever the build has it) and node:crypto (the
 * fallback for a tree without a native build). Both take the same arguments and write the same
 * bytes; what a packet's nonce and associated data are is decided in packet.ts, not here.
 *
 * Layout of one sealed message: associated data ‖ ciphertext ‖ 16-byte tag; the 12-byte nonce is
 * passed apart.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type CipherChaCha20Poly1305,
  type CipherGCM,
  type DecipherChaCha20Poly1305,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { SealUsageError } from './errors.js';
import { TAG_BYTES, type SealCipher } from './packet.js';

/** One key's sealing side: created once per key, used for every packet, released with the key. */
export interface AeadSealContext {
  /**
   * Writes `aad ‖ ciphertext ‖ tag` at the start of `out`, which holds at least
   * aad + plaintext + 16 bytes and may overlap `plaintext`.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void;
  /** Wipes the key where the implementation can; the context is unusable afterwards. */
  release(): void;
}

/** One key's opening side. */
export interface AeadOpenContext {
  /**
   * Verifies `sealed` (its first `aadLength` bytes are the associated data, its last 16 the tag)
   * and writes the plaintext at the start of `out`, which holds at least the plaintext. False, with
   * `out` untouched, when the tag does not verify; never throws on the bytes of `sealed`.
   */
  open(nonce: Uint8Array, sealed: Uint8Array, aadLength: number, out: Uint8Array): boolean;
  release(): void;
}

export type AeadBackendName = 'openssl' | 'node';

/** Makes the per-key contexts. The key is copied in, so the caller may wipe its buffer afterwards. */
export interface AeadBackend {
  readonly name: AeadBackendName;
  createSealContext(cipher: SealCipher, key: Uint8Array): AeadSealContext;
  createOpenContext(cipher: SealCipher, key: Uint8Array): AeadOpenContext;
}

/*
 * One narrow function per direction so the union of cipher names resolves to the AEAD overloads
 * (the generic `string` overload returns a Cipher without setAAD/getAuthTag).
 */
function newCipher(
  cipher: SealCipher,
  key: KeyObject,
  nonce: Uint8Array,
): CipherGCM | CipherChaCha20Poly1305 {
  return cipher === 'aes-256-gcm'
    ? createCipheriv(cipher, key, nonce, { authTagLength: TAG_BYTES })
    : createCipheriv(cipher, key, nonce, { authTagLength: TAG_BYTES });
}

function newDecipher(
  cipher: SealCipher,
  key: KeyObject,
  nonce: Uint8Array,
): DecipherGCM | DecipherChaCha20Poly1305 {
  return cipher === 'aes-256-gcm'
    ? createDecipheriv(cipher, key, nonce, { authTagLength: TAG_BYTES })
    : createDecipheriv(cipher, key, nonce, { authTagLength: TAG_BYTES });
}

function released(): never {
  throw new SealUsageError('seal: the AEAD context was released');
}

/**
 * node:crypto has no way to reuse a cipher across nonces, so every packet pays for a new cipher
 * object (~2.5 µs of the ~6–10 µs). A KeyObject keeps the key out of reach of the caller's buffer.
 */
class NodeSealContext implements AeadSealContext {
  readonly #cipher: SealCipher;
  #key: KeyObject | null;

  constructor(cipher: SealCipher, key: Uint8Array) {
    this.#cipher = cipher;
    this.#key = createSecretKey(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array): void {
    const cipher = newCipher(this.#cipher, this.#key ?? released(), nonce);
    // plaintextLength matters only to CCM; @types wants it for ChaCha20-Poly1305 too.
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    // `update` returns a new buffer, so `out` is written only after all of `plaintext` was read.
    const body = cipher.update(plaintext);
    cipher.final();
    out.set(aad, 0);
    out.set(body, aad.length);
    out.set(cipher.getAuthTag(), aad.length + body.length);
  }

  /** Drops the reference: node:crypto offers no way to wipe a KeyObject, so the GC frees it. */
  release(): void {
    this.#key = null;
  }
}

class NodeOpenContext implements AeadOpenContext {
  readonly #cipher: SealCipher;
  #key: KeyObject | null;

  constructor(cipher: SealCipher, key: Uint8Array) {
    this.#cipher = cipher;
    this.#key = createSecretKey(key);
  }

  open(nonce: Uint8Array, sealed: Uint8Array, aadLength: number, out: Uint8Array): boolean {
    const key = this.#key ?? released();
    const tagAt = sealed.length - TAG_BYTES;
    if (tagAt < aadLength) return false;
    let body: Buffer;
    try {
      const decipher = newDecipher(this.#cipher, key, nonce);
      decipher.setAAD(sealed.subarray(0, aadLength), { plaintextLength: tagAt - aadLength });
      decipher.setAuthTag(sealed.subarray(tagAt));
      body = decipher.update(sealed.subarray(aadLength, tagAt));
      // Throws when the tag does not verify; `body` is then discarded unread.
      decipher.final();
    } catch {
      return false;
    }
    out.set(body, 0);
    return true;
  }

  release(): void {
    this.#key = null;
  }
}

/** node:crypto, one cipher object per packet: what every build can run. */
export const NODE_AEAD: AeadBackend = {
  name: 'node',
  createSealContext: (cipher, key) => new NodeSealContext(cipher, key),
  createOpenContext: (cipher, key) => new NodeOpenContext(cipher, key),
};
