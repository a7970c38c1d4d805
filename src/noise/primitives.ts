/**
 * The three Noise primitives on Node's built-in crypto only: X25519 (DH), ChaCha20-Poly1305
 * (AEAD) and BLAKE2s/BLAKE2b (hash, HMAC, HKDF). Nothing here reads a clock or draws randomness.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
} from 'node:crypto';
import { NoiseUsageError } from './errors.js';

/** X25519 keys, shared secrets and ChaCha20-Poly1305 keys are all 32 bytes. */
export const KEY_LEN = 32;
/** Poly1305 tag. */
export const TAG_LEN = 16;
/** The Noise spec caps every message, handshake or transport, at 65535 bytes. */
export const MAX_MESSAGE_LEN = 65535;

export type HashName = 'BLAKE2s' | 'BLAKE2b';

export interface HashSuite {
  readonly name: HashName;
  /** Output length: 32 for BLAKE2s, 64 for BLAKE2b. */
  readonly hashLen: number;
  readonly nodeName: 'blake2s256' | 'blake2b512';
}

export const HASHES: Readonly<Record<HashName, HashSuite>> = {
  BLAKE2s: { name: 'BLAKE2s', hashLen: 32, nodeName: 'blake2s256' },
  BLAKE2b: { name: 'BLAKE2b', hashLen: 64, nodeName: 'blake2b512' },
};

export function hash(suite: HashSuite, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(suite.nodeName);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/** HMAC per RFC 2104; OpenSSL knows each BLAKE2 block length (64 and 128), as Noise requires. */
function hmac(suite: HashSuite, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac(suite.nodeName, key);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/**
 * Noise's HKDF (spec section 4.3): not RFC 5869 with an info string, but the chaining-key form
 * with 2 or 3 HASHLEN outputs, each the HMAC of the previous output and a counter byte.
 */
export function hkdf(
  suite: HashSuite,
  chainingKey: Uint8Array,
  ikm: Uint8Array,
  outputs: 2,
): [Uint8Array, Uint8Array];
export function hkdf(
  suite: HashSuite,
  chainingKey: Uint8Array,
  ikm: Uint8Array,
  outputs: 3,
): [Uint8Array, Uint8Array, Uint8Array];
export function hkdf(
  suite: HashSuite,
  chainingKey: Uint8Array,
  ikm: Uint8Array,
  outputs: 2 | 3,
): Uint8Array[] {
  const temp = hmac(suite, chainingKey, ikm);
  const out1 = hmac(suite, temp, Uint8Array.of(1));
  const out2 = hmac(suite, temp, out1, Uint8Array.of(2));
  if (outputs === 2) return [out1, out2];
  return [out1, out2, hmac(suite, temp, out2, Uint8Array.of(3))];
}

/** The Noise ChaChaPoly nonce: 32 zero bits, then the 64-bit counter little-endian. */
function nonce12(n: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(n, 4);
  return nonce;
}

export function aeadEncrypt(key: Uint8Array, n: bigint, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce12(n), { authTagLength: TAG_LEN });
  cipher.setAAD(ad, { plaintextLength: plaintext.length });
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** `null` when the tag does not verify or the input is shorter than a tag: network input, no throw. */
export function aeadDecrypt(
  key: Uint8Array,
  n: bigint,
  ad: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array | null {
  if (ciphertext.length < TAG_LEN) return null;
  const bodyLen = ciphertext.length - TAG_LEN;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce12(n), { authTagLength: TAG_LEN });
  decipher.setAAD(ad, { plaintextLength: bodyLen });
  decipher.setAuthTag(ciphertext.subarray(bodyLen));
  try {
    const body = Buffer.concat([decipher.update(ciphertext.subarray(0, bodyLen)), decipher.final()]);
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  } catch {
    return null;
  }
}

// DER wrappers that turn a raw 32-byte X25519 key into what createPrivateKey/createPublicKey take
// (RFC 8410: PKCS#8 and SubjectPublicKeyInfo with OID 1.3.101.110).
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export function requireKeyLength(what: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LEN) {
    throw new NoiseUsageError(`${what} must be ${KEY_LEN} bytes`);
  }
}

export function privateKeyObject(raw: Uint8Array): KeyObject {
  requireKeyLength('private key', raw);
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
  requireKeyLength('public key', raw);
  return createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function rawPublicKey(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - KEY_LEN));
}

/**
 * X25519. `null` where OpenSSL refuses the result: a low-order public key gives an all-zero
 * secret, which a peer could use to force a known key, so it is a failure, not a value.
 */
export function dh(privateKey: KeyObject, publicKey: Uint8Array): Uint8Array | null {
  let secret: Uint8Array;
  try {
    secret = new Uint8Array(diffieHellman({ privateKey, publicKey: publicKeyObject(publicKey) }));
  } catch {
    return null;
  }
  // Belt and braces in case an OpenSSL build returns the zero secret instead of failing.
  return secret.some((b) => b !== 0) ? secret : null;
}
