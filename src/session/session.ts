/**
 * The secure session under the media transport, sans-I/O: the Noise IKpsk2 handshake with
 * WireGuard's DoS defences (mac1, per-source rate limit, cookie under load), sealed data packets,
 * rekeying with overlap, and roaming. It owns a media `Connection` and presents the same endpoint
 * shape to the network. Time (µs) and randomness are inputs; network input is counted, never thrown.
 */
import {
  acceptInitiation,
  CipherState,
  initiatorHandshake,
  KEY_LEN,
  publicKeyFromPrivate,
  ReplayGuard,
  type PendingInitiator,
} from '../noise/index.js';
import { Connection, Lane, type ConnectionEvent, type FrameInput } from '../protocol/index.js';
import {
  DEFAULT_CIPHER,
  Opener,
  OVERHEAD_BYTES,
  SEALED_TYPE,
  Sealer,
  type AeadBackend,
  type SealCipher,
} from '../seal/index.js';
import { SessionConfigError } from './errors.js';
import {
  resolveTimings,
  type RandomBytes,
  type SecureSessionOptions,
  type SessionRole,
  type SessionTimings,
} from './options.js';
import { RateLimiter } from './rate-limit.js';
import {
  COOKIE_NONCE_BYTES,
  COOKIE_REPLY_BYTES,
  cookieFor,
  INITIATION_BYTES,
  INITIATION_NOISE_AT,
  INITIATION_TYPE,
  labelKey,
  mac,
  MAC_BYTES,
  macMatches,
  NOISE_INITIATION_BYTES,
  NOISE_RESPONSE_BYTES,
  openCookie,
  readU32,
  RESPONSE_BYTES,
  RESPONSE_NOISE_AT,
  RESPONSE_TYPE,
  sealCookie,
  COOKIE_REPLY_TYPE,
  writeU32,
} from './wire.js';

export interface SessionStats {
  /** Completed handshakes (the initiator counts on the response, the responder on confirmation). */
  readonly handshakes: number;
  /** Completed handshakes after the first. */
  readonly rekeys: number;
  /** Bad mac1, unknown index, failed tag or Noise message, wrong static key, expired keys. */
  readonly rejectedAuth: number;
  /** Data counters seen before, handshake counters not above the mark, re-sent initiations. */
  readonly rejectedReplay: number;
  /** Wrong length or type for what it claims to be. */
  readonly rejectedMalformed: number;
  /** Initiations dropped by the per-source rate limit. */
  readonly rateLimited: number;
  readonly initiationsSent: number;
  readonly cookieRepliesSent: number;
  /**
   * Datagrams the Connection produced before keys existed and that did not fit the hold queue, or
   * that did not fit the buffer a driver gave pollTransmitInto.
   */
  readonly heldDropped: number;
  /** Peer address changes after an authenticated packet. */
  readonly roams: number;
  /** Sessions re-opened after the peer's data had stopped: its receive state began afresh. */
  readonly peerRestarts: number;
}

export interface Transmit {
  readonly bytes: Uint8Array;
  /** The opaque address to send to; null only if no peer address is known yet. */
  readonly to: string | null;
}

interface Keypair {
  readonly sealer: Sealer;
  readonly opener: Opener;
  readonly localIndex: number;
  readonly createdAt: number;
}

interface PendingHandshake {
  readonly state: PendingInitiator;
  readonly localIndex: number;
  /** The mac1 we sent: a cookie reply is bound to it. */
  readonly mac1: Uint8Array;
}

const KEY_LABEL = new TextEncoder().encode('doorway seal key');

/**
 * The Noise split gives ChaChaPoly CipherStates whose keys are private. The seal key is the first 32
 * bytes of that key's ChaCha20 keystream at nonce 0 (what Noise's own REKEY does at nonce 2^64−1):
 * a PRF of the transport key, identical on both ends of a direction, and nothing else ever uses
 * the CipherState.
 */
function sealKey(cs: CipherState): Uint8Array {
  return cs.encryptWithAd(KEY_LABEL, new Uint8Array(KEY_LEN)).subarray(0, KEY_LEN);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class SecureSession {
  readonly role: SessionRole;
  /** The owned media connection: sendFrame, pollEvent, recycle, stats. */
  readonly connection: Connection;
  readonly #timings: SessionTimings;
  readonly #staticPrivate: Uint8Array;
  readonly #peerPublic: Uint8Array;
  readonly #psk: Uint8Array | undefined;
  readonly #prologue: Uint8Array | undefined;
  readonly #cipher: SealCipher;
  readonly #aead: AeadBackend | undefined;
  readonly #randomBytes: RandomBytes;
  readonly #nextCounter: () => bigint;
  readonly #onAccepted: ((counter: bigint) => void) | undefined;
  readonly #replayGuard: ReplayGuard;
  /** mac1 keys: ours checks what is sent to us, the peer's stamps what we send. */
  readonly #mac1Ours: Uint8Array;
  readonly #mac1Peer: Uint8Array;
  readonly #cookieKeyOurs: Uint8Array;
  readonly #cookieKeyPeer: Uint8Array;
  readonly #rateLimiter: RateLimiter;
  /** Recent initiations by mac1: a verbatim replay is dropped before any Diffie-Hellman. */
  readonly #seen = new Set<string>();
  readonly #out: Transmit[] = [];
  readonly #held: Uint8Array[] = [];
  #peerAddress: string | null;
  #transmitTo: string | null = null;
  #transmitLane: Lane | null = null;
  /** The indices pollReceiverIndices last reported (-1: none); it starts as "never reported". */
  readonly #reportedIndices = [-2, -2, -2, -2];
  /** Where datagrams are opened: the Connection copies what it keeps, so one buffer serves all. */
  readonly #openScratch: Uint8Array;
  /** Views of the open buffer by length: a media stream has few distinct datagram sizes. */
  readonly #openViews: (Uint8Array | undefined)[] = [];

  #previous: Keypair | null = null;
  #current: Keypair | null = null;
  /** Responder only: keys from a response we sent, used once the initiator's first packet confirms them. */
  #next: Keypair | null = null;

  #pending: PendingHandshake | null = null;
  /** Initiator: when the next initiation is due (first, retry, rekey); null for the responder. */
  #handshakeDueAt: number | null;
  /** Initiator: from the first initiation of an exchange until a response completes it. */
  #inProgress = false;
  #attempt = 0;
  #cookieRetryUsed = false;
  #rekeyByCount = false;
  /** Initiator: the application asked for a fresh handshake (the peer restarted). */
  #handshakeRequested = false;
  #lastAuthenticatedAt = 0;
  /** When authenticated data (not a handshake message) last arrived. */
  #lastDataAt = -Infinity;
  #now = 0;

  /** Initiator: the last cookie from the responder and when it came. */
  #cookie: { readonly value: Uint8Array; readonly at: number } | null = null;
  /** Responder: the rotating cookie secret and the load meter. */
  #cookieSecret: { readonly value: Uint8Array; readonly at: number } | null = null;
  #loadWindowStart = 0;
  #loadCount = 0;
  #underLoadUntil = -1;

  #handshakes = 0;
  #rekeys = 0;
  #rejectedAuth = 0;
  #rejectedReplay = 0;
  #rejectedMalformed = 0;
  #rateLimited = 0;
  #initiationsSent = 0;
  #cookieRepliesSent = 0;
  #heldDropped = 0;
  #roams = 0;
  #peerRestarts = 0;

  constructor(options: SecureSessionOptions) {
    if (options.staticPrivate.length !== KEY_LEN)
      throw new SessionConfigError('staticPrivate', 'must be 32 bytes');
    if (options.peerPublic.length !== KEY_LEN) throw new SessionConfigError('peerPublic', 'must be 32 bytes');
    if (options.psk !== undefined && options.psk.length !== KEY_LEN) {
      throw new SessionConfigError('psk', 'must be 32 bytes');
    }
    this.#cipher = options.cipher ?? DEFAULT_CIPHER;
    this.#aead = options.aead;
    this.#timings = resolveTimings(this.#cipher, options.timings);
    this.#staticPrivate = Uint8Array.from(options.staticPrivate);
    this.#peerPublic = Uint8Array.from(options.peerPublic);
    this.#psk = options.psk;
    this.#prologue = options.prologue;
    this.#randomBytes = options.randomBytes;
    const ourPublic = publicKeyFromPrivate(this.#staticPrivate);
    this.role = options.role ?? (compareBytes(ourPublic, this.#peerPublic) < 0 ? 'initiator' : 'responder');
    this.#peerAddress = options.peerAddress ?? null;
    if (this.role === 'initiator' && this.#peerAddress === null) {
      throw new SessionConfigError('peerAddress', 'the initiator needs the peer address');
    }
    let counter = 0n;
    this.#nextCounter = options.nextHandshakeCounter ?? (() => ++counter);
    this.#onAccepted = options.onAcceptedCounter;
    this.#replayGuard = new ReplayGuard(options.lastAcceptedCounter ?? null);
    this.#mac1Ours = labelKey('mac1----', ourPublic);
    this.#mac1Peer = labelKey('mac1----', this.#peerPublic);
    this.#cookieKeyOurs = labelKey('cookie--', ourPublic);
    this.#cookieKeyPeer = labelKey('cookie--', this.#peerPublic);
    const t = this.#timings;
    this.#rateLimiter = new RateLimiter(t.rateLimitPerSecond, t.rateLimitBurst, t.rateLimitSources);
    // The initiator starts at the first handleTimeout: pollTimeout says "now" until it does.
    this.#handshakeDueAt = this.role === 'initiator' ? 0 : null;
    this.connection = new Connection({
      ...options.connection,
      config: { ...options.connection?.config, overheadBytes: OVERHEAD_BYTES },
    });
    // A sealed datagram is at most maxDatagramBytes, its plaintext shorter by the overhead.
    this.#openScratch = new Uint8Array(this.connection.config.maxDatagramBytes);
  }

  // ---- the application's side ------------------------------------------------------------------

  /** Whether media can flow: keys exist that this side may send under. */
  get established(): boolean {
    return this.#sendKeypair() !== null;
  }

  /** Completed handshakes: cheap to read per datagram, unlike `stats()`. */
  get handshakes(): number {
    return this.#handshakes;
  }

  /**
   * When an authenticated packet last arrived, on the caller's clock; null before the first. A
   * role that hears its peer re-open the other direction asks for a fresh handshake only when this
   * direction has also gone quiet.
   */
  get lastAuthenticatedAt(): number | null {
    return this.#handshakes === 0 ? null : this.#lastAuthenticatedAt;
  }

  /**
   * Initiator: start a new handshake at the next timeout instead of waiting for the silence timer:
   * the application learnt that the peer restarted and lost these keys. The responder ignores it.
   */
  requestHandshake(): void {
    if (this.role === 'initiator' && !this.#inProgress) this.#handshakeRequested = true;
  }

  /** Where authenticated traffic last came from (or the configured address). */
  get peerAddress(): string | null {
    return this.#peerAddress;
  }

  sendFrame(now: number, stream: number, payload: Uint8Array, input: FrameInput): number {
    this.#advance(now);
    return this.connection.sendFrame(now, stream, payload, input);
  }

  pollEvent(): ConnectionEvent | null {
    return this.connection.pollEvent();
  }

  stats(): SessionStats {
    return {
      handshakes: this.#handshakes,
      rekeys: this.#rekeys,
      rejectedAuth: this.#rejectedAuth,
      rejectedReplay: this.#rejectedReplay,
      rejectedMalformed: this.#rejectedMalformed,
      rateLimited: this.#rateLimited,
      initiationsSent: this.#initiationsSent,
      cookieRepliesSent: this.#cookieRepliesSent,
      heldDropped: this.#heldDropped,
      roams: this.#roams,
      peerRestarts: this.#peerRestarts,
    };
  }

  // ---- the network's side ----------------------------------------------------------------------

  /** One datagram from `from` (an opaque address; omitted, the known peer address is assumed). */
  handleDatagram(now: number, bytes: Uint8Array, from?: string): void {
    this.#advance(now);
    switch (bytes[0]) {
      case SEALED_TYPE:
        this.#onSealed(now, bytes, from);
        break;
      case INITIATION_TYPE:
        if (this.role === 'responder') this.#onInitiation(now, bytes, from ?? this.#peerAddress ?? '');
        else this.#rejectedAuth++; // Only one side initiates; see README "Roles".
        break;
      case RESPONSE_TYPE:
        this.#onResponse(now, bytes, from);
        break;
      case COOKIE_REPLY_TYPE:
        this.#onCookieReply(now, bytes);
        break;
      case undefined:
      default:
        this.#rejectedMalformed++;
    }
  }

  handleTimeout(now: number): void {
    this.#advance(now);
    const due = this.#initiatorDueAt();
    if (due !== null && due <= now) this.#startHandshake(now);
    this.connection.handleTimeout(now);
  }

  pollTimeout(): number {
    const due = this.#initiatorDueAt();
    const conn = this.connection.pollTimeout();
    return due === null ? conn : Math.max(this.#now, Math.min(conn, due));
  }

  /**
   * Handshake messages first, then media sealed under the current keys. Before keys exist, media
   * the Connection produces is held (up to `holdDatagrams`, copied) and sent once they do.
   */
  pollTransmit(): Transmit | null {
    const control = this.#out.shift();
    if (control !== undefined) return control;
    const keys = this.#sendKeypair();
    if (keys === null) {
      this.#holdFromConnection();
      return null;
    }
    const held = this.#held.shift();
    if (held !== undefined) return this.#seal(keys, held);
    const datagram = this.connection.pollTransmit();
    return datagram === null ? null : this.#seal(keys, datagram);
  }

  /**
   * `pollTransmit` for a driver with a send ring: the next datagram is written (sealed) straight
   * into `out`, and its length returned; 0 when nothing is due. Where it goes is `lastTransmitTo()`
   * until the next call. A handshake message longer than `out` is dropped (counted in heldDropped).
   */
  pollTransmitInto(out: Uint8Array): number {
    for (let control = this.#out.shift(); control !== undefined; control = this.#out.shift()) {
      this.#transmitTo = control.to;
      this.#transmitLane = null;
      if (control.bytes.length <= out.length) {
        out.set(control.bytes);
        return control.bytes.length;
      }
      this.#heldDropped++;
    }
    const keys = this.#sendKeypair();
    if (keys === null) {
      this.#holdFromConnection();
      return 0;
    }
    const fromHeld = this.#held.shift();
    const held = fromHeld !== undefined;
    const plaintext = fromHeld ?? this.connection.pollTransmit();
    if (plaintext === null) return 0;
    if (plaintext.length + OVERHEAD_BYTES > out.length) {
      this.#heldDropped++;
      return 0;
    }
    const length = keys.sealer.sealInto(plaintext, out);
    if (keys.sealer.counter >= this.#timings.rekeyAfterMessages) this.#rekeyByCount = true;
    this.#transmitTo = this.#peerAddress;
    // A held datagram's lane is not kept; it goes before any media, as the audio lane does.
    this.#transmitLane = held ? Lane.audio : this.connection.lastTransmitLane();
    return length < 0 ? 0 : length;
  }

  /**
   * The Connection's pacing lane of the datagram the last `pollTransmitInto` wrote, or null for a
   * handshake message.
   */
  lastTransmitLane(): Lane | null {
    return this.#transmitLane;
  }

  /** Where the datagram the last `pollTransmitInto` wrote goes (null: no peer address yet). */
  lastTransmitTo(): string | null {
    return this.#transmitTo;
  }

  /**
   * The key this side checks the mac1 of the handshake messages it receives with (derived from
   * our public key, so not a secret): a driver's filter can drop forged ones before the session.
   */
  handshakeMac1Key(): Uint8Array {
    return this.#mac1Ours;
  }

  /**
   * The receiver indices of the live keys and of a pending initiation when they changed since the
   * last call, else null: a driver that filters datagrams before they reach the session passes only
   * sealed packets and cookie replies for these (and handshake messages with our mac1).
   */
  pollReceiverIndices(): readonly number[] | null {
    const a = this.#current?.localIndex ?? -1;
    const b = this.#next?.localIndex ?? -1;
    const c = this.#previous?.localIndex ?? -1;
    const d = this.#pending?.localIndex ?? -1;
    const last = this.#reportedIndices;
    if (last[0] === a && last[1] === b && last[2] === c && last[3] === d) return null;
    last[0] = a;
    last[1] = b;
    last[2] = c;
    last[3] = d;
    return last.filter((index) => index >= 0);
  }

  // ---- sending ---------------------------------------------------------------------------------

  #holdFromConnection(): void {
    for (let d = this.connection.pollTransmit(); d !== null; d = this.connection.pollTransmit()) {
      // The Connection reuses its buffers once a datagram has left, so a held one is copied.
      if (this.#held.length < this.#timings.holdDatagrams) this.#held.push(Uint8Array.from(d));
      else this.#heldDropped++;
    }
  }

  #seal(keys: Keypair, plaintext: Uint8Array): Transmit | null {
    const packet = keys.sealer.seal(plaintext);
    if (keys.sealer.counter >= this.#timings.rekeyAfterMessages) this.#rekeyByCount = true;
    // Null only at the seal message limit, which rekeyAfterMessages keeps us below.
    if (packet === null) return null;
    return { bytes: packet, to: this.#peerAddress };
  }

  #sendKeypair(): Keypair | null {
    const k = this.#current;
    if (k === null || this.#now - k.createdAt >= this.#timings.rejectAfterTimeUs) return null;
    return k;
  }

  // ---- receiving data --------------------------------------------------------------------------

  #onSealed(now: number, bytes: Uint8Array, from: string | undefined): void {
    if (bytes.length < OVERHEAD_BYTES) {
      this.#rejectedMalformed++;
      return;
    }
    const index = readU32(bytes, 1);
    const keys = this.#keysFor(index);
    if (keys === null || now - keys.createdAt >= this.#timings.rejectAfterTimeUs) {
      this.#rejectedAuth++;
      return;
    }
    const opened = keys.opener.openInto(bytes, this.#openScratch);
    if (opened < 0) {
      const reason = keys.opener.lastFailure;
      if (reason === 'replay') this.#rejectedReplay++;
      else if (reason === 'auth' || reason === 'index') this.#rejectedAuth++;
      else this.#rejectedMalformed++;
      return;
    }
    const counter = keys.opener.lastCounter;
    // Authenticated from here on.
    this.#lastAuthenticatedAt = now;
    const sinceData = now - this.#lastDataAt;
    this.#lastDataAt = now;
    if (counter + 1 >= this.#timings.rekeyAfterMessages) this.#rekeyByCount = true;
    if (from !== undefined && from !== this.#peerAddress) {
      this.#peerAddress = from;
      this.#roams++;
    }
    if (keys === this.#next) {
      // The initiator's first packet under the new keys confirms them: switch sending over now,
      // and keep the old ones for whatever it sent before.
      this.#previous = this.#current;
      this.#current = keys;
      this.#next = null;
      this.#completed();
      if (this.#handshakes > 1 && sinceData > this.#timings.peerRestartSilenceUs) {
        this.connection.restartReceive();
        this.#peerRestarts++;
      }
    }
    if (opened > 0) this.connection.handleDatagram(now, this.#openedView(opened));
  }

  /** The keypair whose local index is `index`, without an array or a closure per packet. */
  #keysFor(index: number): Keypair | null {
    const c = this.#current;
    if (c?.localIndex === index) return c;
    const n = this.#next;
    if (n?.localIndex === index) return n;
    const p = this.#previous;
    return p?.localIndex === index ? p : null;
  }

  /** A view of the first `length` bytes of the open buffer, made once per length. */
  #openedView(length: number): Uint8Array {
    let view = this.#openViews[length];
    if (view === undefined) {
      view = this.#openScratch.subarray(0, length);
      this.#openViews[length] = view;
    }
    return view;
  }

  #completed(): void {
    if (this.#handshakes > 0) this.#rekeys++;
    this.#handshakes++;
  }

  #sealOptions(): { cipher: SealCipher; aead?: AeadBackend } {
    return this.#aead === undefined ? { cipher: this.#cipher } : { cipher: this.#cipher, aead: this.#aead };
  }

  #newKeypair(
    now: number,
    send: CipherState,
    receive: CipherState,
    remoteIndex: number,
    localIndex: number,
  ): Keypair {
    return {
      sealer: new Sealer({ key: sealKey(send), receiverIndex: remoteIndex, ...this.#sealOptions() }),
      opener: new Opener({ key: sealKey(receive), receiverIndex: localIndex, ...this.#sealOptions() }),
      localIndex,
      createdAt: now,
    };
  }

  #freshIndex(): number {
    for (;;) {
      // 31 random bits: an index below 2^31 is read back from every sealed packet as a small
      // integer, where one above it is a heap number (16 bytes of JS heap per packet, measured).
      // The index is a lookup key, not a secret; 2^31 values still make a collision with the
      // three or four live ones negligible, and the loop below rules it out.
      const index = readU32(this.#randomBytes(4), 0) & 0x7fff_ffff;
      const taken = [this.#current, this.#next, this.#previous].some((k) => k?.localIndex === index);
      if (!taken && this.#pending?.localIndex !== index) return index;
    }
  }

  // ---- initiator -------------------------------------------------------------------------------

  #initiatorDueAt(): number | null {
    if (this.#handshakeDueAt === null) return null;
    if (this.#inProgress || this.#current === null) return this.#handshakeDueAt;
    if (this.#rekeyByCount || this.#handshakeRequested) return this.#now;
    const t = this.#timings;
    return Math.min(
      this.#current.createdAt + t.rekeyAfterTimeUs,
      this.#lastAuthenticatedAt + t.silenceRehandshakeUs,
    );
  }

  #startHandshake(now: number): void {
    const t = this.#timings;
    const localIndex = this.#freshIndex();
    const { message, pending } = initiatorHandshake({
      staticPrivate: this.#staticPrivate,
      remoteStatic: this.#peerPublic,
      randomBytes: this.#randomBytes,
      counter: this.#nextCounter(),
      ...(this.#psk === undefined ? {} : { psk: this.#psk }),
      ...(this.#prologue === undefined ? {} : { prologue: this.#prologue }),
    });
    const packet = new Uint8Array(INITIATION_BYTES);
    packet[0] = INITIATION_TYPE;
    writeU32(packet, 1, localIndex);
    packet.set(message.subarray(0, NOISE_INITIATION_BYTES), INITIATION_NOISE_AT);
    const mac1At = INITIATION_NOISE_AT + NOISE_INITIATION_BYTES;
    const mac1 = mac(this.#mac1Peer, packet, mac1At);
    packet.set(mac1, mac1At);
    const cookie = this.#cookie;
    // A cookie is good for one rotation of the responder's secret; older ones only waste its time.
    if (cookie !== null && now - cookie.at < t.cookieSecretUs) {
      packet.set(mac(cookie.value, packet, mac1At + MAC_BYTES), mac1At + MAC_BYTES);
    }
    this.#pending = { state: pending, localIndex, mac1: Uint8Array.from(mac1) };
    this.#out.push({ bytes: packet, to: this.#peerAddress });
    this.#initiationsSent++;
    // Exponential backoff to a cap, jittered so two boxes never fall into lockstep; never abandoned.
    const base = Math.min(t.handshakeRetryUs * 2 ** Math.min(this.#attempt, 30), t.handshakeRetryCapUs);
    const unit = readU32(this.#randomBytes(4), 0) / 2 ** 32;
    this.#handshakeDueAt = now + Math.round(base * (1 + t.handshakeRetryJitter * (2 * unit - 1)));
    this.#attempt++;
    this.#inProgress = true;
    this.#handshakeRequested = false;
    this.#cookieRetryUsed = false;
  }

  #onResponse(now: number, bytes: Uint8Array, from: string | undefined): void {
    if (bytes.length !== RESPONSE_BYTES) {
      this.#rejectedMalformed++;
      return;
    }
    const mac1At = RESPONSE_NOISE_AT + NOISE_RESPONSE_BYTES;
    const pending = this.#pending;
    if (
      pending === null ||
      !macMatches(this.#mac1Ours, bytes, mac1At) ||
      readU32(bytes, 5) !== pending.localIndex
    ) {
      this.#rejectedAuth++;
      return;
    }
    // A failed read spoils this attempt's state; the retry timer starts a fresh one.
    this.#pending = null;
    const r = pending.state.readResponse(bytes.subarray(RESPONSE_NOISE_AT, mac1At));
    if (!r.ok) {
      this.#rejectedAuth++;
      return;
    }
    const keys = this.#newKeypair(
      now,
      r.session.send,
      r.session.receive,
      readU32(bytes, 1),
      pending.localIndex,
    );
    this.#previous = this.#current;
    this.#current = keys;
    this.#lastAuthenticatedAt = now;
    this.#attempt = 0;
    this.#inProgress = false;
    this.#rekeyByCount = false;
    if (from !== undefined && from !== this.#peerAddress) {
      this.#peerAddress = from;
      this.#roams++;
    }
    this.#completed();
    // An empty sealed packet confirms the keys to the responder at once, media or not.
    const keepalive = this.#seal(keys, new Uint8Array(0));
    if (keepalive !== null) this.#out.push(keepalive);
  }

  #onCookieReply(now: number, bytes: Uint8Array): void {
    if (bytes.length !== COOKIE_REPLY_BYTES) {
      this.#rejectedMalformed++;
      return;
    }
    const pending = this.#pending;
    if (pending?.localIndex !== readU32(bytes, 1)) {
      this.#rejectedAuth++;
      return;
    }
    const nonce = bytes.subarray(5, 5 + COOKIE_NONCE_BYTES);
    const value = openCookie(
      this.#cookieKeyPeer,
      nonce,
      pending.mac1,
      bytes.subarray(5 + COOKIE_NONCE_BYTES),
    );
    if (value === null) {
      this.#rejectedAuth++;
      return;
    }
    this.#cookie = { value, at: now };
    // Retry at once with mac2 rather than waiting a backoff interval: once per attempt, so a
    // replayed cookie reply cannot make us spin.
    if (!this.#cookieRetryUsed) {
      this.#attempt = Math.max(0, this.#attempt - 1);
      this.#startHandshake(now);
      this.#cookieRetryUsed = true;
    }
  }

  // ---- responder -------------------------------------------------------------------------------

  #onInitiation(now: number, bytes: Uint8Array, from: string): void {
    if (bytes.length !== INITIATION_BYTES) {
      this.#rejectedMalformed++;
      return;
    }
    const mac1At = INITIATION_NOISE_AT + NOISE_INITIATION_BYTES;
    const mac2At = mac1At + MAC_BYTES;
    // Cheap checks first: one HMAC, then a set lookup, then the bucket. Nothing is sent before the
    // Noise message has authenticated the pinned peer, except a cookie reply under load.
    if (!macMatches(this.#mac1Ours, bytes, mac1At)) {
      this.#rejectedAuth++;
      return;
    }
    const mac1 = bytes.subarray(mac1At, mac2At);
    const seenKey = hex(mac1);
    if (this.#seen.has(seenKey)) {
      this.#rejectedReplay++;
      return;
    }
    if (!this.#rateLimiter.allow(now, from)) {
      this.#rateLimited++;
      return;
    }
    if (this.#underLoad(now) && !macMatches(cookieFor(this.#secret(now), from), bytes, mac2At)) {
      this.#sendCookieReply(now, bytes, mac1, from);
      return;
    }
    this.#remember(seenKey);
    const r = acceptInitiation({
      staticPrivate: this.#staticPrivate,
      message: bytes.subarray(INITIATION_NOISE_AT, mac1At),
      pinnedInitiator: this.#peerPublic,
      replayGuard: this.#replayGuard,
      randomBytes: this.#randomBytes,
      ...(this.#psk === undefined ? {} : { psk: this.#psk }),
      ...(this.#prologue === undefined ? {} : { prologue: this.#prologue }),
    });
    if (!r.ok) {
      if (r.reason === 'replay') this.#rejectedReplay++;
      else this.#rejectedAuth++;
      return;
    }
    // Persist the mark before anything leaves, so a reboot right after cannot accept this again.
    this.#onAccepted?.(r.counter);
    const { message, session } = r.pending.writeResponse();
    const keys = this.#newKeypair(now, session.send, session.receive, readU32(bytes, 1), this.#freshIndex());
    // An older unconfirmed response is superseded: the initiator only ever uses its latest.
    this.#next = keys;
    this.#lastAuthenticatedAt = now;
    if (from !== this.#peerAddress) {
      if (this.#peerAddress !== null) this.#roams++;
      this.#peerAddress = from;
    }
    const packet = new Uint8Array(RESPONSE_BYTES);
    packet[0] = RESPONSE_TYPE;
    writeU32(packet, 1, keys.localIndex);
    writeU32(packet, 5, readU32(bytes, 1));
    packet.set(message.subarray(0, NOISE_RESPONSE_BYTES), RESPONSE_NOISE_AT);
    const respMac1At = RESPONSE_NOISE_AT + NOISE_RESPONSE_BYTES;
    packet.set(mac(this.#mac1Peer, packet, respMac1At), respMac1At);
    this.#out.push({ bytes: packet, to: from });
  }

  #remember(key: string): void {
    this.#seen.add(key);
    if (this.#seen.size > this.#timings.seenInitiations) {
      // Sets iterate in insertion order: the first is the oldest.
      for (const oldest of this.#seen) {
        this.#seen.delete(oldest);
        break;
      }
    }
  }

  /** Counts this initiation and says whether we are under load (until a second after the rush). */
  #underLoad(now: number): boolean {
    if (now - this.#loadWindowStart >= 1e6) {
      this.#loadWindowStart = now;
      this.#loadCount = 0;
    }
    this.#loadCount++;
    if (this.#loadCount > this.#timings.loadThresholdPerSecond) this.#underLoadUntil = now + 1e6;
    return now < this.#underLoadUntil;
  }

  #secret(now: number): Uint8Array {
    let s = this.#cookieSecret;
    if (s === null || now - s.at >= this.#timings.cookieSecretUs) {
      s = { value: Uint8Array.from(this.#randomBytes(32)), at: now };
      this.#cookieSecret = s;
    }
    return s.value;
  }

  #sendCookieReply(now: number, initiation: Uint8Array, mac1: Uint8Array, from: string): void {
    const packet = new Uint8Array(COOKIE_REPLY_BYTES);
    packet[0] = COOKIE_REPLY_TYPE;
    packet.set(initiation.subarray(1, 5), 1);
    const nonce = Uint8Array.from(this.#randomBytes(COOKIE_NONCE_BYTES));
    packet.set(nonce, 5);
    const sealed = sealCookie(this.#cookieKeyOurs, nonce, mac1, cookieFor(this.#secret(now), from));
    packet.set(sealed, 5 + COOKIE_NONCE_BYTES);
    this.#out.push({ bytes: packet, to: from });
    this.#cookieRepliesSent++;
  }

  #advance(now: number): void {
    if (now > this.#now) this.#now = now;
  }
}
