/**
 * The pinned-key handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s (WireGuard's construction) on
 * Node's built-in crypto, sans-I/O. Randomness and time are inputs; every failure on bytes from
 * the network is a `{ ok: false, reason }` value, and only caller mistakes throw.
 */
export {
  acceptInitiation,
  initiatorHandshake,
  PendingInitiator,
  PendingResponder,
  responderHandshake,
  type AcceptOptions,
  type Failure,
  type InitiationResult,
  type InitiatorOptions,
  type ResponderOptions,
  type ResponseResult,
} from './session.js';
export {
  HandshakeState,
  protocolName,
  type HandshakeFailureReason,
  type HandshakeStateOptions,
  type PatternName,
  type ReadResult,
  type Role,
  type TransportKeys,
} from './handshake-state.js';
export { CipherState, MAX_NONCE } from './cipher-state.js';
export {
  COUNTER_LEN,
  decodeCounter,
  encodeCounter,
  MAX_COUNTER,
  ReplayGuard,
  tai64nFromUnixMs,
  wallClockCounter,
} from './counter.js';
export { PersistedCounter, readCounterFile, writeCounterFile } from './persisted-counter.js';
export {
  decodeKey,
  encodeKey,
  generateKeyPair,
  loadKeyFile,
  publicKeyFromPrivate,
  type KeyPair,
  type RandomBytes,
} from './keys.js';
export { KEY_LEN, MAX_MESSAGE_LEN, TAG_LEN, type HashName } from './primitives.js';
export { NoiseKeyError, NoiseStateFileError, NoiseUsageError } from './errors.js';
