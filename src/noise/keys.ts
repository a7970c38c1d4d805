/** X25519 key helpers: raw 32-byte keys in, raw 32-byte keys out, base64 as the text form. */
import { readFileSync } from 'node:fs';
import { NoiseKeyError, NoiseUsageError } from './errors.js';
import { KEY_LEN, privateKeyObject, rawPublicKey, requireKeyLength } from './primitives.js';

/** The source of randomness; pass `crypto.randomBytes` in production, a seeded stub in tests. */
export type RandomBytes = (n: number) => Uint8Array;

export interface KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  return rawPublicKey(privateKeyObject(privateKey));
}

/**
 * A key pair from 32 random bytes. X25519 clamps the scalar when it is used, so any 32 bytes are a
 * valid private key; the raw bytes are kept unclamped, as WireGuard and the Noise vectors do.
 */
export function generateKeyPair(randomBytes: RandomBytes): KeyPair {
  const privateKey = Uint8Array.from(randomBytes(KEY_LEN));
  if (privateKey.length !== KEY_LEN)
    throw new NoiseUsageError(`randomBytes(${KEY_LEN}) returned ${privateKey.length} bytes`);
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey) };
}

export function encodeKey(key: Uint8Array): string {
  requireKeyLength('key', key);
  return Buffer.from(key).toString('base64');
}

const CANONICAL_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * Decodes the 44-character base64 form (what `wg genkey` prints). Anything else, including
 * non-canonical padding bits that Buffer would silently accept, is a NoiseKeyError naming `what`.
 */
export function decodeKey(text: string, what = 'key'): Uint8Array {
  const trimmed = text.trim();
  if (!CANONICAL_KEY.test(trimmed)) {
    throw new NoiseKeyError(what, `expected ${KEY_LEN} bytes as 44 characters of base64`);
  }
  return new Uint8Array(Buffer.from(trimmed, 'base64'));
}

/** Reads a key file holding one base64 key (a trailing newline is fine). */
export function loadKeyFile(path: string, what = path): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new NoiseKeyError(what, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  return decodeKey(text, what);
}
