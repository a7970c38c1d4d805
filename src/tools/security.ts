/**
 * The secure session the one-direction tools run over: the sender initiates, the receiver
 * answers; keys come from files checked as the daemon checks them. `--insecure` skips this
 * layer entirely (benchmarks only).
 */
import { randomBytes } from 'node:crypto';
import { checkPrivateKeyFile, readPeerKey } from '../keys/index.js';
import { chooseAead } from '../media/index.js';
import { decodeKey, wallClockCounter } from '../noise/index.js';
import type { ConnectionOptions } from '../protocol/index.js';
import { SecureSession, type SessionRole } from '../session/index.js';

export interface SecurityOptions {
  /** This side's private key file (mode 0600). */
  readonly privateKeyFile: string;
  /** The peer's public key: base64 text, or a file holding it. */
  readonly peerKey: string;
}

/** The security figures of the recv report. */
export interface SecurityFigures {
  readonly handshakes: number;
  readonly rekeys: number;
  readonly rejectedAuth: number;
  readonly rejectedReplay: number;
  readonly rejectedMalformed: number;
}

export function openSession(
  role: SessionRole,
  security: SecurityOptions,
  connection: ConnectionOptions,
  peerAddress?: string,
): SecureSession {
  return new SecureSession({
    staticPrivate: checkPrivateKeyFile(security.privateKeyFile),
    peerPublic: decodeKey(readPeerKey(security.peerKey), 'peer key'),
    role,
    ...(peerAddress === undefined ? {} : { peerAddress }),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    // Wall-clock based and strictly increasing, so a receiver that remembers the last one
    // refuses a replayed initiation (the appliance persists it; these tools start fresh).
    nextHandshakeCounter: wallClockCounter(),
    aead: chooseAead().backend,
    connection,
  });
}

export function securityFigures(session: SecureSession | null): SecurityFigures {
  if (session === null)
    return { handshakes: 0, rekeys: 0, rejectedAuth: 0, rejectedReplay: 0, rejectedMalformed: 0 };
  const s = session.stats();
  return {
    handshakes: s.handshakes,
    rekeys: s.rekeys,
    rejectedAuth: s.rejectedAuth,
    rejectedReplay: s.rejectedReplay,
    rejectedMalformed: s.rejectedMalformed,
  };
}
