import { NODE_AEAD, type AeadBackend } from './aead.js';
import { SealConfigError } from './errors.js';
import { CIPHERS, DEFAULT_CIPHER, KEY_BYTES, type SealCipher } from './packet.js';
import { MAX_COUNTER_LIMIT } from './replay-window.js';

/**
 * Default number of packets one key may seal, per cipher: the confidentiality limits of RFC 9001
 * §6.6 (QUIC), which keep an attacker's advantage below 2^-57. AES-GCM's 2^23 is about 5½ minutes at
 * 25,000 pkt/s, so the session must rekey by time well before; ChaCha20-Poly1305 has no practical
 * limit, so it is bounded only by exact JS integers.
 */
export const DEFAULT_MESSAGE_LIMIT: Readonly<Record<SealCipher, number>> = {
  'aes-256-gcm': 2 ** 23,
  'chacha20-poly1305': MAX_COUNTER_LIMIT,
};

/**
 * Failed decryptions one key may see before the session should drop it (RFC 9001 §6.6 integrity
 * limits). The opener only counts them (`stats.rejected.auth`); acting on it is the session's job.
 */
export const INTEGRITY_LIMIT: Readonly<Record<SealCipher, number>> = {
  'aes-256-gcm': 2 ** 52,
  'chacha20-poly1305': 2 ** 36,
};

/** What a sealer and an opener of one direction share. */
export interface DirectionOptions {
  /** This direction's 32-byte key; copied, so the caller may wipe its own buffer afterwards. */
  readonly key: Uint8Array;
  /**
   * The receiver's session index (u32) carried in every packet: the sealer writes the index its
   * peer assigned, the opener accepts only the index it assigned itself.
   */
  readonly receiverIndex: number;
  /** Default `'aes-256-gcm'`; both ends of a direction must agree. */
  readonly cipher?: SealCipher;
  /** Counters 0 … messageLimit−1 are usable under this key; default {@link DEFAULT_MESSAGE_LIMIT}. */
  readonly messageLimit?: number;
  /**
   * The AEAD implementation, handed in (src/media's `chooseAead` picks OpenSSL's from native/fec
   * when the build has it); default node:crypto's. Both write the same bytes, so the two ends need
   * not agree on this.
   */
  readonly aead?: AeadBackend;
}

export interface Direction {
  /** The caller's buffer, not a copy: the sealer or opener copies it into its AEAD context at once. */
  readonly key: Uint8Array;
  readonly receiverIndex: number;
  readonly cipher: SealCipher;
  readonly messageLimit: number;
  readonly aead: AeadBackend;
}

export function direction(options: DirectionOptions): Direction {
  const { key, receiverIndex } = options;
  const cipher = options.cipher ?? DEFAULT_CIPHER;
  if (!CIPHERS.includes(cipher)) {
    throw new SealConfigError('cipher', `must be one of ${CIPHERS.join(', ')}, got ${cipher}`);
  }
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new SealConfigError('key', `must be ${KEY_BYTES} bytes`);
  }
  if (!Number.isInteger(receiverIndex) || receiverIndex < 0 || receiverIndex >= 2 ** 32) {
    throw new SealConfigError('receiverIndex', `must be an integer in [0, 2^32), got ${receiverIndex}`);
  }
  const messageLimit = options.messageLimit ?? DEFAULT_MESSAGE_LIMIT[cipher];
  if (!Number.isInteger(messageLimit) || messageLimit < 1 || messageLimit > MAX_COUNTER_LIMIT) {
    throw new SealConfigError('messageLimit', `must be an integer in [1, 2^53], got ${messageLimit}`);
  }
  return { key, receiverIndex, cipher, messageLimit, aead: options.aead ?? NODE_AEAD };
}
