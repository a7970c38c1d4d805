/**
 * The handshake framing around the Noise messages (see README.md): fixed sizes, so a length check is
 * the first and cheapest refusal, and WireGuard-style mac1/mac2 so that the responder does no
 * Diffie-Hellman work (and sends nothing) for a packet from someone who does not know its public key.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const INITIATION_TYPE = 0x14;
export const RESPONSE_TYPE = 0x15;
export const COOKIE_REPLY_TYPE = 0x16;

export const MAC_BYTES = 16;
export const COOKIE_BYTES = 16;
export const COOKIE_NONCE_BYTES = 12;
const AEAD_TAG_BYTES = 16;

/** IKpsk2 message 1 with doorway's 12-byte counter payload: e (32) + s (32 + 16) + payload (12 + 16). */
export const NOISE_INITIATION_BYTES = 32 + 48 + 12 + 16;
/** IKpsk2 message 2 with an empty payload: e (32) + tag (16). */
export const NOISE_RESPONSE_BYTES = 32 + 16;

/** type, sender index, Noise message 1, mac1, mac2. */
export const INITIATION_BYTES = 1 + 4 + NOISE_INITIATION_BYTES + 2 * MAC_BYTES;
/** type, sender index, receiver index, Noise message 2, mac1, mac2. */
export const RESPONSE_BYTES = 1 + 4 + 4 + NOISE_RESPONSE_BYTES + 2 * MAC_BYTES;
/** type, receiver index, nonce, encrypted cookie + tag. Smaller than the initiation it answers. */
export const COOKIE_REPLY_BYTES = 1 + 4 + COOKIE_NONCE_BYTES + COOKIE_BYTES + AEAD_TAG_BYTES;

export const INITIATION_NOISE_AT = 5;
export const RESPONSE_NOISE_AT = 9;

const encoder = new TextEncoder();

export function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) |
      ((bytes[at + 1] ?? 0) << 16) |
      ((bytes[at + 2] ?? 0) << 8) |
      (bytes[at + 3] ?? 0)) >>>
    0
  );
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = (value >>> 24) & 0xff;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** BLAKE2s(label ‖ public key): WireGuard's derivation of the mac1 and cookie keys. */
export function labelKey(label: 'mac1----' | 'cookie--', publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('blake2s256').update(encoder.encode(label)).update(publicKey).digest());
}

/**
 * HMAC-BLAKE2s truncated to 16 bytes. WireGuard uses keyed BLAKE2s; node:crypto has no keyed BLAKE2,
 * and HMAC gives the same property (only a key holder can compute it) at two hash calls.
 */
export function mac(key: Uint8Array, bytes: Uint8Array, end: number): Uint8Array {
  return new Uint8Array(createHmac('blake2s256', key).update(bytes.subarray(0, end)).digest()).subarray(
    0,
    MAC_BYTES,
  );
}

/** Constant-time check of the 16 bytes at `at` against the mac of everything before them. */
export function macMatches(key: Uint8Array, packet: Uint8Array, at: number): boolean {
  return timingSafeEqual(mac(key, packet, at), packet.subarray(at, at + MAC_BYTES));
}

/** The cookie reply's body: ChaCha20-Poly1305(cookie key, nonce, AAD = the mac1 it answers). */
export function sealCookie(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  cookie: Uint8Array,
): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: cookie.length });
  const body = cipher.update(cookie);
  cipher.final();
  const out = new Uint8Array(body.length + AEAD_TAG_BYTES);
  out.set(body);
  out.set(cipher.getAuthTag(), body.length);
  return out;
}

/** The cookie, or null when the tag does not verify (a forged or stale reply). */
export function openCookie(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | null {
  const tagAt = sealed.length - AEAD_TAG_BYTES;
  if (tagAt < 0) return null;
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
    decipher.setAAD(aad, { plaintextLength: tagAt });
    decipher.setAuthTag(sealed.subarray(tagAt));
    const body = decipher.update(sealed.subarray(0, tagAt));
    decipher.final();
    return new Uint8Array(body);
  } catch {
    return null;
  }
}

/** The responder's per-address cookie: HMAC-BLAKE2s(rotating secret, address), 16 bytes. */
export function cookieFor(secret: Uint8Array, address: string): Uint8Array {
  return new Uint8Array(createHmac('blake2s256', secret).update(encoder.encode(address)).digest()).subarray(
    0,
    COOKIE_BYTES,
  );
}
