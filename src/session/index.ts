/**
 * The secure session under the media transport, sans-I/O: Noise IKpsk2 with pinned keys, sealed
 * data packets, rekeying with overlap, WireGuard's DoS defences and roaming. See README.md.
 *
 * ```ts
 * const s = new SecureSession({ staticPrivate, peerPublic, peerAddress, randomBytes,
 *   nextHandshakeCounter: () => counter.next(Date.now()), connection: { config: { streams } } });
 * s.handleDatagram(now, bytes, fromAddress); s.handleTimeout(now);
 * for (let t = s.pollTransmit(); t; t = s.pollTransmit()) socket.send(t.bytes, t.to);
 * s.sendFrame(now, stream, encoded, { captureUs, keyframe }); s.pollEvent();
 * ```
 */
export { SecureSession, type SessionStats, type Transmit } from './session.js';
export {
  DEFAULT_TIMINGS,
  type RandomBytes,
  type SecureSessionOptions,
  type SessionRole,
  type SessionTimings,
} from './options.js';
export { SessionConfigError } from './errors.js';
export { NetsimSessionEndpoint } from './netsim.js';
export { linkEndpoint } from './link-endpoint.js';
export { rngRandomBytes } from './random.js';
export {
  COOKIE_REPLY_BYTES,
  COOKIE_REPLY_TYPE,
  INITIATION_BYTES,
  INITIATION_TYPE,
  RESPONSE_BYTES,
  RESPONSE_TYPE,
} from './wire.js';
