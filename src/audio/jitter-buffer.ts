/**
 * The audio jitter buffer: packets go in as the transport completes them, in any order; once per
 * playback tick `next(now)` says what the device gets: a packet to decode (`play`), a packet to
 * decode and shorten (`accelerate`), stretched previous audio (`expand`), or concealment of a
 * missing packet (`conceal`, with the next packet for Opus in-band FEC when it is here, else
 * PLC). The design is WebRTC NetEQ's, cut to what a dedicated link needs.
 *
 * Sans-I/O like the protocol core: time is always the `now` argument; nothing here reads a clock
 * or sets a timer.
 *
 * Timing. The playout runs on a timeline of output: after each decision the driver reports with
 * `output(frames)` how many frames it gave the device, and the next decision's audio starts that
 * much later (or at `now`, if the device ran dry). A packet's added delay is its playout time −
 * its capture time − the path's transit floor; the buffer keeps it near the target (see
 * `target-delay.ts`) only by accelerate and expand, so the playout never jumps, except at the start
 * and after going idle.
 *
 * Loss. The packet for a slot is missing when its slot comes: with the next packet held it is
 * concealed from that packet's FEC, and the slot is skipped. With nothing later held it is
 * concealed by PLC, but the slot is not given up yet: when a packet arrives, a concealed block is
 * charged to each missing sequence number and to each held packet whose time has passed (dropped
 * as late). A packet that is still on time after the concealment means the sender paused, not
 * that anything was lost, and plays normally. After `idleAfterUs` of audio made up with nothing
 * received (a sender that stopped), the buffer goes idle and starts again cleanly.
 */
import { DoorwayError } from '../errors/index.js';
import { micros, millis, type Micros, type Millis } from '../units/index.js';
import { TargetDelay } from './target-delay.js';

/** One encoded audio block from the transport. */
export interface AudioPacket<T> {
  /** The transport's audio frame id: increases by one per block sent. */
  readonly seq: number;
  /** Capture time on this side's clock (clock offset applied), µs. */
  readonly captureUs: Micros;
  readonly payload: T;
}

/** What the device gets next; switch on `kind`. */
export type AudioDecision<T> =
  /** Decode `packet`. `addedDelayUs`: its playout − capture − transit floor. */
  | { readonly kind: 'play'; readonly packet: AudioPacket<T>; readonly addedDelayUs: Micros }
  /** Decode `packet` and shorten it: the buffer is deeper than its target. */
  | { readonly kind: 'accelerate'; readonly packet: AudioPacket<T>; readonly addedDelayUs: Micros }
  /** Stretch the previous audio (consumes no packet): the buffer is shallower than its target. */
  | { readonly kind: 'expand' }
  /** The slot's packet is missing: decode the FEC in `fecFrom` (the next packet), or PLC when null. */
  | { readonly kind: 'conceal'; readonly fecFrom: AudioPacket<T> | null }
  /** Nothing to play: before the start, or after a long silence. */
  | { readonly kind: 'idle' };

export type AudioDecisionKind = AudioDecision<unknown>['kind'];

export interface AudioJitterBufferOptions {
  /** Duration of one packet and one playback block, µs: 5, 10 or 20 ms. Default 10 ms. */
  readonly blockUs?: Micros;
  /** Output sample rate, Hz (frames in `output` are at this rate). Default 48000. */
  readonly sampleRate?: number;
  /** Least added delay, µs (lip sync raises it with `setMinDelayUs`). Default 0. */
  readonly minDelayUs?: Micros;
  /** Most added delay, µs; the target never exceeds it. Default 200 ms. */
  readonly maxDelayUs?: Micros;
  /**
   * Target until a quarter of the window has been measured (then the measured one applies), µs.
   * Default 20 ms.
   */
  readonly initialTargetUs?: Micros;
  /** Share of recent transit samples the target covers, in (0, 1]. Default 0.95. */
  readonly percentile?: number;
  /** Packets in the sliding window of transit samples, 8..4096. Default 200 (2 s of 10 ms blocks). */
  readonly windowPackets?: number;
  /** Added on top of the measured percentile, µs. Default 2 ms. */
  readonly marginUs?: Micros;
  /** Half-life of the target's decay when jitter shrinks, µs. Default 2 s. */
  readonly decayHalfLifeUs?: Micros;
  /** Accelerate while the delay exceeds the target by more than this, µs. Default half a block. */
  readonly accelerateAboveUs?: Micros;
  /** Expand while the delay is short of the target by more than this, µs. Default half a block. */
  readonly expandBelowUs?: Micros;
  /**
   * The device completes a shortened block's remainder itself when nothing follows in time (a
   * sound port whose thread conceals at the last moment), so a block may be shortened with no
   * later packet held. Without it (the default), the buffer shortens only with the next packet
   * held, and at one packet per block the delay then rarely comes down.
   */
  readonly deviceCompletesBlocks?: boolean;
  /** Made-up audio (PLC, expand) with nothing received after which the buffer goes idle, µs. Default 200 ms. */
  readonly idleAfterUs?: Micros;
  /** Packets held at most; past it all but the newest are flushed and playout restarts. Default 64. */
  readonly maxBufferedPackets?: number;
  /** A sequence number this far from the expected one is a new stream (sender restart). Default 1000. */
  readonly restartGapPackets?: number;
}

/** Counters since construction, and the current delays. Durations are of output audio. */
export interface AudioJitterBufferStats {
  /** Output decoded from received packets (play and accelerate). */
  readonly playedMs: Millis;
  /** Output made up by PLC (no data) while the stream was flowing. */
  readonly concealedMs: Millis;
  /**
   * PLC after the last packet of a stream that then went idle: the sender stopped or the link
   * went down. Not loss, so not in `concealedMs`.
   */
  readonly endConcealedMs: Millis;
  /** Output rebuilt from the next packet's in-band FEC. */
  readonly fecMs: Millis;
  /** Audio removed by accelerate (a block minus what was output). */
  readonly acceleratedMs: Millis;
  /** Output of expand decisions (stretched previous audio). */
  readonly expandedMs: Millis;
  /** Added delay of the slot decided last (playout − capture − transit floor); null while idle. */
  readonly bufferDelayMs: Millis | null;
  readonly targetDelayMs: Millis;
  /** The least added delay applied now (option or lip sync). */
  readonly minDelayMs: Millis;
  /** Smallest recent transit (arrival − capture) and the percentile of jitter above it; null before any packet. */
  readonly transitFloorMs: Millis | null;
  readonly jitterMs: Millis | null;
  /** Added delay of played packets: median and 95th percentile; null before any. */
  readonly addedDelayP50Ms: Millis | null;
  readonly addedDelayP95Ms: Millis | null;
  /** Packets handed to `insert`, duplicates excepted. */
  readonly inserted: number;
  /** Packets played (play or accelerate). */
  readonly played: number;
  /** Packets that arrived after their slot was played or concealed (dropped). */
  readonly late: number;
  /** Sequence numbers whose slot was concealed and that never arrived in time. */
  readonly lost: number;
  readonly duplicates: number;
  /** Packets dropped when the memory bound flushed the buffer. */
  readonly flushed: number;
  /** Times playback went idle after a silence, and times a new stream (sender restart) was seen. */
  readonly idles: number;
  readonly restarts: number;
  /** Clock steps (clock-sync offset changes) that restarted the transit window. */
  readonly clockSteps: number;
  readonly bufferedPackets: number;
  readonly playing: boolean;
}

/** An option out of range. */
export class AudioJitterBufferConfigError extends DoorwayError {
  override readonly name = 'AudioJitterBufferConfigError';
  readonly exitCode = 2;
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`audio jitter buffer: ${field}: ${reason}`);
    this.field = field;
  }
}

/** An argument the buffer cannot use: a bug in the caller. */
export class AudioJitterBufferInputError extends DoorwayError {
  override readonly name = 'AudioJitterBufferInputError';
  readonly exitCode = 1;

  constructor(what: string, requirement: string, value: number) {
    super(`audio jitter buffer: ${what} must be ${requirement}, got ${value}`);
  }
}

interface Resolved {
  readonly blockUs: number;
  readonly sampleRate: number;
  readonly minDelayUs: number;
  readonly maxDelayUs: number;
  readonly initialTargetUs: number;
  readonly percentile: number;
  readonly windowPackets: number;
  readonly marginUs: number;
  readonly decayHalfLifeUs: number;
  readonly accelerateAboveUs: number;
  readonly expandBelowUs: number;
  readonly deviceCompletesBlocks: boolean;
  readonly idleAfterUs: number;
  readonly maxBufferedPackets: number;
  readonly restartGapPackets: number;
}

interface Counters {
  inserted: number;
  played: number;
  late: number;
  lost: number;
  duplicates: number;
  flushed: number;
  idles: number;
  restarts: number;
}

/** What the last decision awaits `output` for; `fec` and `plc` are the two kinds of conceal. */
type Pending = 'play' | 'accelerate' | 'expand' | 'fec' | 'plc' | 'idle' | null;

const EXPAND: AudioDecision<never> = Object.freeze({ kind: 'expand' });
const IDLE: AudioDecision<never> = Object.freeze({ kind: 'idle' });
const PLC: AudioDecision<never> = Object.freeze({ kind: 'conceal', fecFrom: null });
/** Histogram of added delay: 100 µs bins up to 1 s, the last bin holding everything above. */
const BIN_US = 100;
const BINS = 10_001;
const SEEN_RING = 1024;

export class AudioJitterBuffer<T> {
  readonly #options: Resolved;
  readonly #target: TargetDelay;
  readonly #blockFrames: number;
  /** Held packets, ascending seq; a few dozen at most, so an array beats a tree. */
  readonly #held: AudioPacket<T>[] = [];
  /** Recent sequence numbers by `seq % size`, for duplicates. */
  readonly #seen = new Float64Array(SEEN_RING).fill(-1);
  readonly #delays = new Uint32Array(BINS);
  #delayCount = 0;
  #minDelayUs: number;
  #now = -Infinity;
  #running = false;
  /** The next sequence number to consume; null until the stream's first packet starts playback. */
  #nextSeq: number | null = null;
  /** When the next decision's audio starts playing (the output timeline), µs. */
  #playoutUs = 0;
  /** Capture time of the next slot, from the last packet consumed: used while its packet is missing. */
  #slotCaptureUs = 0;
  /** PLC blocks not yet charged to a sequence number (nothing later was held when they were made). */
  #unresolved = 0;
  /** Made-up output since the last block of received audio, µs. */
  #starvedUs = 0;
  #pending: Pending = null;
  #stream = 0;
  #bufferDelayUs: number | null = null;
  // Output durations, µs.
  #playedUs = 0;
  #concealedUs = 0;
  /** PLC since the last packet received; moved to #endConcealedUs if the buffer then goes idle. */
  #trailingPlcUs = 0;
  #endConcealedUs = 0;
  #fecUs = 0;
  #acceleratedUs = 0;
  #expandedUs = 0;
  readonly #counters: Counters = {
    inserted: 0,
    played: 0,
    late: 0,
    lost: 0,
    duplicates: 0,
    flushed: 0,
    idles: 0,
    restarts: 0,
  };

  constructor(options: AudioJitterBufferOptions = {}) {
    this.#options = resolve(options);
    this.#minDelayUs = this.#options.minDelayUs;
    this.#blockFrames = Math.round((this.#options.blockUs * this.#options.sampleRate) / 1e6);
    this.#target = new TargetDelay(this.#options);
  }

  /** Frames in one block at the output rate (480 for 10 ms at 48 kHz). */
  get blockFrames(): number {
    return this.#blockFrames;
  }

  /** The added delay the playout steers to now, µs. */
  get targetDelay(): Micros {
    return micros(this.#targetUs());
  }

  get bufferedPackets(): number {
    return this.#held.length;
  }

  /**
   * Which stream the held packets belong to: changes whenever the buffer forgets one (a sender
   * restart, or `reset`), after which sequence numbers start over.
   */
  get stream(): number {
    return this.#stream;
  }

  /** True while playing (between a start and going idle). */
  get playing(): boolean {
    return this.#running;
  }

  /** Raises (or lowers) the least added delay: lip sync makes audio wait for slower video. */
  setMinDelayUs(us: Micros): void {
    if (!Number.isSafeInteger(us) || us < 0 || us > this.#options.maxDelayUs) {
      throw new AudioJitterBufferInputError('minDelayUs', `an integer in 0..${this.#options.maxDelayUs}`, us);
    }
    this.#minDelayUs = us;
  }

  /** A packet from the transport, at `now` (this side's clock). */
  insert(now: Micros, packet: AudioPacket<T>): void {
    const seq = packet.seq;
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new AudioJitterBufferInputError('seq', 'a non-negative safe integer', seq);
    }
    if (!Number.isFinite(packet.captureUs)) {
      throw new AudioJitterBufferInputError('captureUs', 'a finite number', packet.captureUs);
    }
    const at = this.#tick(now);
    if (this.#nextSeq !== null && Math.abs(seq - this.#nextSeq) > this.#options.restartGapPackets) {
      // Ids from another run of the sender: start over as for a new stream.
      this.#restart(true);
    }
    const slot = seq % SEEN_RING;
    if (this.#seen[slot] === seq) {
      this.#counters.duplicates++;
      return;
    }
    this.#seen[slot] = seq;
    this.#counters.inserted++;
    // Late packets are measured too: they are the clearest sign that the jitter grew.
    this.#target.addSample(at, at - packet.captureUs);
    if (this.#nextSeq !== null && seq < this.#nextSeq) {
      this.#counters.late++;
      return;
    }
    const held = this.#held;
    let i = held.length;
    while (i > 0 && (held[i - 1]?.seq ?? -1) > seq) i--;
    held.splice(i, 0, packet);
    if (held.length > this.#options.maxBufferedPackets) this.#flush();
  }

  /**
   * What the device plays next, at `now`; then call `output` with the frames it got.
   *
   * `dueUs`, when the driver knows it: the time by which the device needs this decision's audio
   * (a sound port's last check of its queue before the tick that plays it). Added delay is then
   * measured to it, so the target is kept as true slack; the device's queue and its tick phase
   * are in it. Without it, the buffer's own output timeline stands in: this decision's audio
   * starts where the previous one's ended, or at `now` if the device ran dry.
   */
  next(now: Micros, dueUs?: Micros): AudioDecision<T> {
    const at = this.#tick(now);
    if (dueUs !== undefined && !Number.isFinite(dueUs)) {
      throw new AudioJitterBufferInputError('dueUs', 'a finite number', dueUs);
    }
    // A decision whose output was never reported counts as one block.
    if (this.#pending !== null) this.#account(this.#blockFrames);
    if (this.#running && this.#starvedUs >= this.#options.idleAfterUs) this.#goIdle();
    if (!this.#running) return this.#tryStart(dueUs ?? at);
    if (dueUs !== undefined) this.#playoutUs = dueUs;
    // The device ran dry if the timeline fell behind: the next audio plays now.
    else if (this.#playoutUs < at) this.#playoutUs = at;
    this.#charge(at);
    const target = this.#targetUs();
    const held = this.#held;
    const head = held[0];
    const next = this.#nextSeq ?? 0;
    const packet = head?.seq === next ? head : undefined;
    const delay = this.#addedDelay(packet?.captureUs ?? this.#slotCaptureUs);
    this.#bufferDelayUs = delay;
    if (delay < target - this.#options.expandBelowUs) return this.#decide('expand', EXPAND);
    if (packet !== undefined) {
      held.shift();
      // Past the target, shorten this block. Unless the device completes a part-block itself,
      // only with the next packet already held: the remainder of a shortened block must be
      // filled at once or the device finds a part-block and plays a gap.
      const fast =
        delay > target + this.#options.accelerateAboveUs &&
        (this.#options.deviceCompletesBlocks || held[0]?.seq === packet.seq + 1);
      return this.#play(packet, delay, fast ? 'accelerate' : 'play');
    }
    if (head === undefined) return this.#concealUnheld();
    this.#slotCaptureUs += this.#options.blockUs;
    this.#counters.lost++;
    this.#nextSeq = next + 1;
    if (head.seq === next + 1) {
      this.#starvedUs = 0;
      this.#trailingPlcUs = 0;
      return this.#decide('fec', { kind: 'conceal', fecFrom: head });
    }
    return this.#decide('plc', PLC);
  }

  /**
   * The frames the device got for the last decision: a block for play and conceal, fewer after
   * accelerate, more after expand (the time stretch decides how much it can change cleanly).
   * Without it, the next `next` assumes a block.
   */
  output(frames: number): void {
    this.#checkFrames(frames);
    if (this.#pending === null) {
      throw new AudioJitterBufferInputError('output', 'called once after each next(); frames', frames);
    }
    this.#account(frames);
  }

  /**
   * The device made up `frames` of audio on its own, with no decision asked for: a sound port's
   * thread that conceals at the last moment when nothing was given it in time. Booked as a
   * `conceal` decision with nothing held would be: the playout moves on by it, it is concealment,
   * it counts toward going idle, and the slot is charged when the next packet arrives (lost if it
   * never comes, late if its time has passed, played if still on time). Ignored while not playing.
   */
  deviceConcealed(frames: number): void {
    this.#checkFrames(frames);
    if (this.#pending !== null) this.#account(this.#blockFrames);
    if (!this.#running) return;
    this.#concealUnheld();
    this.#account(frames);
    if (this.#starvedUs >= this.#options.idleAfterUs) this.#goIdle();
  }

  /** The `q` quantile (0..1) of played packets' added delay, µs (100 µs resolution); null before any. */
  addedDelayPercentile(q: number): Micros | null {
    if (!(q >= 0 && q <= 1)) throw new AudioJitterBufferInputError('quantile', 'in [0, 1]', q);
    if (this.#delayCount === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#delayCount));
    let seen = 0;
    let bin = 0;
    for (; bin < BINS - 1; bin++) {
      seen += this.#delays[bin] ?? 0;
      if (seen >= rank) break;
    }
    return micros(bin * BIN_US);
  }

  /** Forgets the stream (held packets, sequence numbers, playout) but keeps the counters and target. */
  reset(): void {
    this.#restart(false);
  }

  get stats(): AudioJitterBufferStats {
    const floor = this.#target.floorUs;
    const jitter = this.#target.jitterUs;
    const p50 = this.addedDelayPercentile(0.5);
    const p95 = this.addedDelayPercentile(0.95);
    return {
      playedMs: ms(this.#playedUs),
      concealedMs: ms(this.#concealedUs),
      endConcealedMs: ms(this.#endConcealedUs),
      fecMs: ms(this.#fecUs),
      acceleratedMs: ms(this.#acceleratedUs),
      expandedMs: ms(this.#expandedUs),
      bufferDelayMs: this.#bufferDelayUs === null ? null : ms(this.#bufferDelayUs),
      targetDelayMs: ms(this.#targetUs()),
      minDelayMs: ms(this.#minDelayUs),
      transitFloorMs: floor === null ? null : ms(floor),
      jitterMs: jitter === null ? null : ms(jitter),
      addedDelayP50Ms: p50 === null ? null : ms(p50),
      addedDelayP95Ms: p95 === null ? null : ms(p95),
      ...this.#counters,
      clockSteps: this.#target.steps,
      bufferedPackets: this.#held.length,
      playing: this.#running,
    };
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Frames of one decision's output: a whole number, at most 16 blocks (a stretch's most). */
  #checkFrames(frames: number): void {
    if (!Number.isSafeInteger(frames) || frames < 0 || frames > 16 * this.#blockFrames) {
      throw new AudioJitterBufferInputError('frames', `an integer in 0..${16 * this.#blockFrames}`, frames);
    }
  }

  /** Time never goes back inside the buffer: a stale `now` acts as the latest one seen. */
  #tick(now: number): number {
    if (!Number.isFinite(now)) throw new AudioJitterBufferInputError('now', 'a finite number', now);
    if (now > this.#now) this.#now = now;
    return this.#now;
  }

  #targetUs(): number {
    return this.#target.targetUs(this.#minDelayUs, this.#options.maxDelayUs);
  }

  /** Added delay of audio captured at `captureUs` if it started playing at the playout point. */
  #addedDelay(captureUs: number): number {
    return this.#playoutUs - captureUs - (this.#target.floorUs ?? 0);
  }

  #decide(pending: Exclude<Pending, null>, decision: AudioDecision<T>): AudioDecision<T> {
    this.#pending = pending;
    return decision;
  }

  /**
   * PLC for a slot with nothing later held to tell whether its packet is lost or the sender
   * paused: that is decided when the next packet arrives (#charge).
   */
  #concealUnheld(): AudioDecision<T> {
    this.#slotCaptureUs += this.#options.blockUs;
    this.#unresolved++;
    return this.#decide('plc', PLC);
  }

  #play(packet: AudioPacket<T>, delay: number, kind: 'play' | 'accelerate'): AudioDecision<T> {
    this.#nextSeq = packet.seq + 1;
    this.#slotCaptureUs = packet.captureUs + this.#options.blockUs;
    this.#unresolved = 0;
    this.#starvedUs = 0;
    this.#trailingPlcUs = 0;
    this.#counters.played++;
    const addedDelayUs = micros(Math.max(0, Math.round(delay)));
    const bin = Math.min(BINS - 1, Math.round(addedDelayUs / BIN_US));
    this.#delays[bin] = (this.#delays[bin] ?? 0) + 1;
    this.#delayCount++;
    return this.#decide(kind, { kind, packet, addedDelayUs });
  }

  /** Starts playback at `startUs` with the oldest packet still worth playing, or stays idle. */
  #tryStart(startUs: number): AudioDecision<T> {
    this.#playoutUs = startUs;
    this.#bufferDelayUs = null;
    const held = this.#held;
    const target = this.#targetUs();
    // After a stall, packets whose time is long past would only start the playout deep.
    for (let first = held[0]; first !== undefined; first = held[0]) {
      if (this.#addedDelay(first.captureUs) <= target + this.#options.blockUs) break;
      held.shift();
      this.#counters.late++;
    }
    const head = held[0];
    if (head === undefined) return this.#decide('idle', IDLE);
    const delay = this.#addedDelay(head.captureUs);
    // Start once the first packet has waited out the target (within the expand band).
    if (delay < target - this.#options.expandBelowUs) return this.#decide('idle', IDLE);
    held.shift();
    this.#running = true;
    this.#bufferDelayUs = delay;
    return this.#play(head, delay, 'play');
  }

  /**
   * Charges PLC blocks made while nothing later was held: one per missing sequence number, and one
   * per held packet whose time has passed (late). A packet still on time means the sender paused.
   * "On time" is judged at `at`, when it could first have been taken: output the device still
   * holds must not make a packet that came just after its decision look late.
   */
  #charge(at: number): void {
    const limit = this.#targetUs() + this.#options.blockUs / 2;
    while (this.#unresolved > 0) {
      const head = this.#held[0];
      if (head === undefined) return;
      const next = this.#nextSeq ?? head.seq;
      if (head.seq > next) {
        this.#counters.lost++;
      } else if (at - head.captureUs - (this.#target.floorUs ?? 0) > limit) {
        this.#held.shift();
        this.#counters.late++;
      } else {
        this.#unresolved = 0;
        return;
      }
      this.#nextSeq = next + 1;
      this.#unresolved--;
    }
  }

  #account(frames: number): void {
    const pending = this.#pending;
    this.#pending = null;
    if (pending === 'idle' || pending === null) return;
    const us = (frames * 1e6) / this.#options.sampleRate;
    this.#playoutUs += us;
    switch (pending) {
      case 'play':
        this.#playedUs += us;
        break;
      case 'accelerate':
        this.#playedUs += us;
        this.#acceleratedUs += Math.max(0, this.#options.blockUs - us);
        break;
      case 'expand':
        this.#expandedUs += us;
        this.#starvedUs += us;
        break;
      case 'fec':
        this.#fecUs += us;
        break;
      case 'plc':
        this.#concealedUs += us;
        this.#trailingPlcUs += us;
        this.#starvedUs += us;
        break;
    }
  }

  #goIdle(): void {
    this.#concealedUs -= this.#trailingPlcUs;
    this.#endConcealedUs += this.#trailingPlcUs;
    this.#trailingPlcUs = 0;
    this.#running = false;
    this.#unresolved = 0;
    this.#starvedUs = 0;
    this.#counters.idles++;
  }

  /** The memory bound: keeps only the newest packet and restarts playout from it. */
  #flush(): void {
    const newest = this.#held.pop();
    this.#counters.flushed += this.#held.length;
    this.#held.length = 0;
    if (newest === undefined) return;
    this.#held.push(newest);
    if (this.#running) this.#goIdle();
    this.#nextSeq = newest.seq;
  }

  #restart(counted: boolean): void {
    this.#stream++;
    this.#held.length = 0;
    this.#seen.fill(-1);
    this.#nextSeq = null;
    this.#running = false;
    this.#unresolved = 0;
    this.#starvedUs = 0;
    this.#trailingPlcUs = 0;
    this.#bufferDelayUs = null;
    if (counted) this.#counters.restarts++;
  }
}

function ms(us: number): Millis {
  return millis(us / 1000);
}

const DEFAULTS = {
  blockUs: 10_000,
  sampleRate: 48_000,
  minDelayUs: 0,
  maxDelayUs: 200_000,
  initialTargetUs: 20_000,
  percentile: 0.95,
  windowPackets: 200,
  marginUs: 2_000,
  decayHalfLifeUs: 2_000_000,
  deviceCompletesBlocks: false,
  idleAfterUs: 200_000,
  maxBufferedPackets: 64,
  restartGapPackets: 1000,
};

function resolve(options: AudioJitterBufferOptions): Resolved {
  const blockUs = options.blockUs ?? DEFAULTS.blockUs;
  check([5_000, 10_000, 20_000].includes(blockUs), 'blockUs', 'must be 5000, 10000 or 20000 (µs)');
  const r: Resolved = {
    ...DEFAULTS,
    accelerateAboveUs: blockUs / 2,
    expandBelowUs: blockUs / 2,
    ...options,
    blockUs,
  };
  const micro = (field: keyof Resolved, value: number): void => {
    check(Number.isSafeInteger(value) && value >= 0, field, 'must be a non-negative integer (µs)');
  };
  check(
    Number.isInteger(r.sampleRate) && r.sampleRate >= 8_000 && r.sampleRate <= 192_000,
    'sampleRate',
    'must be an integer in 8000..192000 (Hz)',
  );
  check(Number.isInteger((blockUs * r.sampleRate) / 1e6), 'sampleRate', 'must give whole frames per block');
  micro('minDelayUs', r.minDelayUs);
  micro('maxDelayUs', r.maxDelayUs);
  check(r.minDelayUs <= r.maxDelayUs, 'minDelayUs', 'must not exceed maxDelayUs');
  micro('initialTargetUs', r.initialTargetUs);
  check(r.percentile > 0 && r.percentile <= 1, 'percentile', 'must be in (0, 1]');
  check(
    Number.isInteger(r.windowPackets) && r.windowPackets >= 8 && r.windowPackets <= 4096,
    'windowPackets',
    'must be an integer in 8..4096',
  );
  micro('marginUs', r.marginUs);
  check(
    Number.isSafeInteger(r.decayHalfLifeUs) && r.decayHalfLifeUs > 0,
    'decayHalfLifeUs',
    'must be a positive integer (µs)',
  );
  micro('accelerateAboveUs', r.accelerateAboveUs);
  micro('expandBelowUs', r.expandBelowUs);
  check(
    Number.isSafeInteger(r.idleAfterUs) && r.idleAfterUs >= blockUs,
    'idleAfterUs',
    'must be an integer of at least one block (µs)',
  );
  check(
    Number.isInteger(r.maxBufferedPackets) && r.maxBufferedPackets >= 2 && r.maxBufferedPackets <= 4096,
    'maxBufferedPackets',
    'must be an integer in 2..4096',
  );
  check(
    Number.isInteger(r.restartGapPackets) && r.restartGapPackets >= 16,
    'restartGapPackets',
    'must be an integer ≥ 16',
  );
  return r;
}

function check(ok: boolean, field: string, reason: string): void {
  if (!ok) throw new AudioJitterBufferConfigError(field, reason);
}
