/**
 * doorway's data-packet sealing: one AEAD key per direction, an explicit 64-bit counter as nonce,
 * the outer header as associated data, and a sliding replay window. Sans-I/O. See README.md.
 *
 * ```ts
 * const sealer = new Sealer({ key: sendKey, receiverIndex: peerIndex });
 * const packet = sealer.seal(datagram, scratch); // null: message limit reached, rekey
 *
 * const opener = new Opener({ key: receiveKey, receiverIndex: ourIndex });
 * const result = opener.open(received);          // never throws
 * if (result.ok) deliver(result.plaintext);
 * ```
 */
export {
  NODE_AEAD,
  type AeadBackend,
  type AeadBackendName,
  type AeadOpenContext,
  type AeadSealContext,
} from './aead.js';
export { SealConfigError, SealUsageError } from './errors.js';
export { Opener, OPEN_FAILURE_REASONS } from './opener.js';
export type {
  OpenerOptions,
  OpenerStats,
  OpenFailure,
  OpenFailureReason,
  OpenResult,
  OpenSuccess,
} from './opener.js';
export { DEFAULT_MESSAGE_LIMIT, INTEGRITY_LIMIT } from './options.js';
export type { DirectionOptions } from './options.js';
export {
  CIPHERS,
  DEFAULT_CIPHER,
  HEADER_BYTES,
  KEY_BYTES,
  OVERHEAD_BYTES,
  SEALED_TYPE,
  TAG_BYTES,
  type SealCipher,
} from './packet.js';
export {
  DEFAULT_WINDOW_SIZE,
  MAX_COUNTER_LIMIT,
  MIN_WINDOW_SIZE,
  ReplayWindow,
  type ReplayWindowOptions,
} from './replay-window.js';
export { Sealer, type SealerOptions } from './sealer.js';
