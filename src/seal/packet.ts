/**
 * Wire layout of a sealed data packet (see README.md). All integers big-endian, like the media
 * protocol it wraps.
 *
 * ```
 * 0      1              5                           13                 n-16        n
 * | 0x13 | receiver idx | counter (u64)             | ciphertext ...   | tag (16)  |
 * |<------------- associated data (13) ------------>|
 * ```
 */

/** First byte: version 1 in the high nibble, type 3 ("sealed data") in the low one. */
export const SEALED_TYPE = 0x13;
export const INDEX_OFFSET = 1;
export const COUNTER_OFFSET = 5;
export const HEADER_BYTES = 13;
export const TAG_BYTES = 16;
/** Bytes a sealed packet adds to its plaintext: the transport shrinks its payload by this much. */
export const OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;

export type SealCipher = 'aes-256-gcm' | 'chacha20-poly1305';

export const CIPHERS: readonly SealCipher[] = ['aes-256-gcm', 'chacha20-poly1305'];

/** The default cipher; see README.md for the measurement behind the choice. */
export const DEFAULT_CIPHER: SealCipher = 'aes-256-gcm';

const TWO_32 = 2 ** 32;

/** Writes `value` (an integer in [0, 2^32)) big-endian at `at`. */
export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

/** Reads a big-endian u32 at `at`; the caller has checked the length. */
export function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] ?? 0) * 0x1000000 +
    (((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0))
  );
}

/** Writes a counter (an integer in [0, 2^53)) as a big-endian u64 at `at`. */
export function writeCounter(bytes: Uint8Array, at: number, counter: number): void {
  writeU32(bytes, at, Math.floor(counter / TWO_32));
  writeU32(bytes, at + 4, counter >>> 0);
}

/**
 * Reads the u64 counter at `at`, or returns -1 when it is 2^53 or above and so cannot be a number
 * exactly (every such counter is beyond any rekey limit anyway).
 */
export function readCounter(bytes: Uint8Array, at: number): number {
  const high = readU32(bytes, at);
  if (high >= 2 ** 21) return -1;
  return high * TWO_32 + readU32(bytes, at + 4);
}
