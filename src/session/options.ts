import type { ConnectionOptions } from '../protocol/index.js';
import { DEFAULT_CIPHER, DEFAULT_MESSAGE_LIMIT, type AeadBackend, type SealCipher } from '../seal/index.js';
import { SessionConfigError } from './errors.js';

/** n random bytes: `crypto.randomBytes` in production, `rngRandomBytes(rng)` in tests. */
export type RandomBytes = (n: number) => Uint8Array;

/** Timers and limits; every time is in µs of the caller's clock. */
export interface SessionTimings {
  /** Start a new handshake once the current keys are this old (WireGuard: 120 s). */
  readonly rekeyAfterTimeUs: number;
  /** Refuse to send or receive under keys this old (WireGuard: 180 s). */
  readonly rejectAfterTimeUs: number;
  /** Start a new handshake once either direction's counter reaches this; below the seal limit. */
  readonly rekeyAfterMessages: number;
  /** First handshake retry interval; doubles per attempt up to the cap, then stays there forever. */
  readonly handshakeRetryUs: number;
  readonly handshakeRetryCapUs: number;
  /** Each retry interval is scaled by a uniform factor in [1 − jitter, 1 + jitter]. */
  readonly handshakeRetryJitter: number;
  /**
   * The initiator handshakes again when nothing authenticated arrived for this long: the responder
   * may have rebooted and lost its keys. The media protocol pings every 100 ms, so silence is real.
   */
  readonly silenceRehandshakeUs: number;
  /**
   * The responder: a new session confirmed after the peer's data had stopped for this long is a
   * restarted peer, whose media numbering starts over, so the Connection's receive state is reset.
   * A rekey comes while data flows and keeps it.
   */
  readonly peerRestartSilenceUs: number;
  /** Datagrams the Connection produced before keys existed, kept for when they do. */
  readonly holdDatagrams: number;
  /** Initiations per second (after mac1) above which the responder asks for cookies (mac2). */
  readonly loadThresholdPerSecond: number;
  /** Per-source token bucket for initiations that passed mac1. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  readonly rateLimitSources: number;
  /** The cookie secret changes this often, so a cookie is good for at most two periods. */
  readonly cookieSecretUs: number;
  /** How many recent initiations (by mac1) are remembered to drop byte-for-byte replays unread. */
  readonly seenInitiations: number;
}

export const DEFAULT_TIMINGS: SessionTimings = {
  rekeyAfterTimeUs: 120e6,
  rejectAfterTimeUs: 180e6,
  // 3/4 of the AES-256-GCM confidentiality limit (2^23), so the hard stop is never reached.
  rekeyAfterMessages: 6_291_456,
  handshakeRetryUs: 1e6,
  handshakeRetryCapUs: 8e6,
  handshakeRetryJitter: 0.2,
  silenceRehandshakeUs: 10e6,
  peerRestartSilenceUs: 500_000,
  holdDatagrams: 64,
  loadThresholdPerSecond: 32,
  rateLimitPerSecond: 10,
  rateLimitBurst: 5,
  rateLimitSources: 4096,
  cookieSecretUs: 120e6,
  seenInitiations: 1024,
};

export type SessionRole = 'initiator' | 'responder';

export interface SecureSessionOptions {
  readonly staticPrivate: Uint8Array;
  /** The peer's pinned static public key; any other is refused. */
  readonly peerPublic: Uint8Array;
  /** Optional 32-byte pre-shared key (IKpsk2); both sides must agree. */
  readonly psk?: Uint8Array;
  /** Default: the side with the lower public key (byte order) initiates, so both agree unasked. */
  readonly role?: SessionRole;
  /** Where to send initiations; required for the initiator, learnt by the responder. */
  readonly peerAddress?: string;
  readonly randomBytes: RandomBytes;
  /**
   * The initiator's handshake counter: pass `PersistedCounter.next` bound to the clock in
   * production. The default (an in-memory 1, 2, 3 …) restarts at every boot, which a responder
   * that persisted its mark refuses: tests only.
   */
  readonly nextHandshakeCounter?: () => bigint;
  /** The responder's last accepted counter, as read from its state file (`readCounterFile`). */
  readonly lastAcceptedCounter?: bigint | null;
  /** Called with each newly accepted counter before the response leaves: persist it here. */
  readonly onAcceptedCounter?: (counter: bigint) => void;
  readonly prologue?: Uint8Array;
  readonly cipher?: SealCipher;
  /**
   * The AEAD under every sealer and opener of this session; default node:crypto's. The appliance
   * hands it src/media's `chooseAead().backend`: OpenSSL's, about 5× faster per packet.
   */
  readonly aead?: AeadBackend;
  readonly timings?: Partial<SessionTimings>;
  /** The owned media Connection's options; `overheadBytes` is always the seal overhead. */
  readonly connection?: ConnectionOptions;
}

function positiveInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SessionConfigError(field, `must be a positive integer, got ${value}`);
  }
}

export function resolveTimings(cipher: SealCipher | undefined, t?: Partial<SessionTimings>): SessionTimings {
  const r: SessionTimings = { ...DEFAULT_TIMINGS, ...t };
  for (const key of [
    'rekeyAfterTimeUs',
    'rejectAfterTimeUs',
    'rekeyAfterMessages',
    'handshakeRetryUs',
    'handshakeRetryCapUs',
    'silenceRehandshakeUs',
    'peerRestartSilenceUs',
    'holdDatagrams',
    'loadThresholdPerSecond',
    'rateLimitBurst',
    'rateLimitSources',
    'cookieSecretUs',
    'seenInitiations',
  ] as const) {
    positiveInteger(key, r[key]);
  }
  if (!(r.rateLimitPerSecond > 0)) throw new SessionConfigError('rateLimitPerSecond', 'must be > 0');
  if (!(r.handshakeRetryJitter >= 0 && r.handshakeRetryJitter < 1)) {
    throw new SessionConfigError('handshakeRetryJitter', 'must be in [0, 1)');
  }
  if (r.rejectAfterTimeUs <= r.rekeyAfterTimeUs) {
    throw new SessionConfigError('rejectAfterTimeUs', 'must be above rekeyAfterTimeUs');
  }
  const limit = DEFAULT_MESSAGE_LIMIT[cipher ?? DEFAULT_CIPHER];
  if (r.rekeyAfterMessages >= limit) {
    throw new SessionConfigError('rekeyAfterMessages', `must be below the seal message limit ${limit}`);
  }
  return r;
}
