/**
 * The video jitter buffer: complete frames go in as the transport finishes them, in any order;
 * decodable frames come out in strictly increasing frame-id order, each no earlier than its capture
 * time (local clock) plus the adaptive target delay (see `jitter-delay.ts`).
 *
 * Sans-I/O like the rest of the protocol core: time is always the `now` argument, and the buffer
 * tells its driver when to come back (`pollTimeout`). Every call that takes `now` leaves the buffer
 * settled at that time, so `pollTimeout` is exact: `pollRelease` at that instant does the work.
 *
 * Loss handling. When the next frame id is missing, the buffer waits for it until the release time
 * of the first frame it does hold plus a small grace, or until the transport gives it up. It then
 * skips the gap only if some later frame is decodable without it (a keyframe, or a delta whose
 * reference was already released); frames between that depend on the gap are dropped as
 * undecodable. When nothing later can be decoded, skipping gains nothing, so it keeps waiting until
 * the frame is given up or could no longer arrive in time (release time + maximum lateness); then
 * the dependent frames are dropped and `keyframe-needed` is signalled, once until something is
 * released again. A keyframe always ends such a stall, so the buffer never waits forever.
 */
import { DoorwayError } from '../errors/index.js';
import { frameId, micros, type FrameId, type Micros } from '../units/index.js';
import { JitterDelayEstimator } from './jitter-delay.js';

/** A complete frame handed to the buffer. */
export interface VideoFrame<T> {
  readonly frameId: FrameId;
  /** Capture time on this side's clock (clock offset applied), µs. */
  readonly localCaptureUs: Micros;
  readonly keyframe: boolean;
  /** The frame this one references; null when it decodes alone (keyframes). */
  readonly refFrameId: FrameId | null;
  readonly payload: T;
}

/** What happened to frames, for stats and the protocol core; switch on `kind`. */
export type JitterBufferEvent =
  /** Handed to the decoder `delayUs` after its capture. */
  | { readonly kind: 'released'; readonly frameId: FrameId; readonly delayUs: Micros }
  /** Arrived after its release time + the maximum lateness, or after the buffer moved past it. */
  | { readonly kind: 'late'; readonly frameId: FrameId }
  /** Never arrived (or was pushed out by the memory bound) and the buffer moved past it. */
  | { readonly kind: 'lost'; readonly frameId: FrameId }
  /** Arrived, but its reference was never released. */
  | { readonly kind: 'undecodable'; readonly frameId: FrameId }
  /**
   * Decoding cannot go on without a keyframe; `afterFrameId` is the last frame released (the
   * decoder's last good picture). Sent once per break; the core rate-limits the actual request.
   */
  | { readonly kind: 'keyframe-needed'; readonly afterFrameId: FrameId };

export interface VideoJitterBufferOptions {
  /** Least capture-to-release delay, µs. Default 0. */
  readonly minDelayUs?: Micros;
  /** Most capture-to-release delay, µs; the adaptive target never exceeds it. Default 200 ms. */
  readonly maxDelayUs?: Micros;
  /** Share of recent transit samples the target covers, in (0, 1]. Default 0.95. */
  readonly percentile?: number;
  /** Frames in the sliding window of transit samples, 8..4096. Default 128 (about 2 s at 60 fps). */
  readonly windowFrames?: number;
  /** Added on top of the measured percentile, µs. Default 2 ms. */
  readonly marginUs?: Micros;
  /** Half-life of the target's decay when jitter shrinks, µs. Default 2 s. */
  readonly decayHalfLifeUs?: Micros;
  /** How long past the next held frame's release time a missing frame is waited for, µs. Default 5 ms. */
  readonly gapGraceUs?: Micros;
  /** A frame arriving later than this past its release time is dropped as late, µs. Default 50 ms. */
  readonly maxLatenessUs?: Micros;
  /** Frames held at most; past it the oldest are dropped. Default 64. */
  readonly maxBufferedFrames?: number;
  /** Events kept until polled; past it the oldest are dropped (counted). Default 1024. */
  readonly maxQueuedEvents?: number;
}

/** Counters since construction, and the current delays. */
export interface VideoJitterBufferStats {
  /** Frames handed to `insert`, duplicates excepted. */
  readonly inserted: number;
  readonly released: number;
  readonly late: number;
  /** Frame ids skipped because they never arrived or were dropped by the memory bound. */
  readonly lost: number;
  readonly undecodable: number;
  readonly duplicates: number;
  readonly keyframeNeeded: number;
  /** Frames dropped by the memory bound (they are also reported as lost). */
  readonly overflowed: number;
  /** Events dropped because nobody polled them. */
  readonly eventsDropped: number;
  readonly bufferedFrames: number;
  readonly targetDelayUs: Micros;
  readonly transitFloorUs: Micros | null;
  readonly jitterUs: Micros | null;
  readonly bufferDelayUs: Micros | null;
}

/** A jitter buffer option out of range. */
export class JitterBufferConfigError extends DoorwayError {
  override readonly name = 'JitterBufferConfigError';
  readonly exitCode = 2;
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`jitter buffer: ${field}: ${reason}`);
    this.field = field;
  }
}

/** A frame id or capture time that is not a number the buffer can order by: a bug in the caller. */
export class JitterBufferInputError extends DoorwayError {
  override readonly name = 'JitterBufferInputError';
  readonly exitCode = 1;

  constructor(what: string, requirement: string, value: number) {
    super(`jitter buffer: ${what} must be ${requirement}, got ${value}`);
  }
}

interface Entry<T> {
  readonly frame: VideoFrame<T>;
  readonly arrivalUs: number;
}

interface Resolved {
  readonly minDelayUs: number;
  readonly maxDelayUs: number;
  readonly percentile: number;
  readonly windowFrames: number;
  readonly marginUs: number;
  readonly decayHalfLifeUs: number;
  readonly gapGraceUs: number;
  readonly maxLatenessUs: number;
  readonly maxBufferedFrames: number;
  readonly maxQueuedEvents: number;
}

interface Counters {
  inserted: number;
  released: number;
  late: number;
  lost: number;
  undecodable: number;
  duplicates: number;
  keyframeNeeded: number;
  overflowed: number;
  eventsDropped: number;
}

export class VideoJitterBuffer<T> {
  readonly #options: Resolved;
  readonly #delay: JitterDelayEstimator;
  /** Held frames, ascending frame id; a few dozen at most, so an array beats a tree. */
  readonly #queue: Entry<T>[] = [];
  /**
   * Recent frame ids by `id % size`: which were inserted (duplicates) and which were released
   * (references). Older ids fall out, which is safe: an old duplicate then reads as late, and a
   * reference that far back as not released.
   */
  readonly #seenIds: Float64Array;
  readonly #releasedFlags: Uint8Array;
  /**
   * Ids at or past the next expected one that will never be held: given up by the transport or
   * dropped by the bound (true: not reported yet), or dropped as late or malformed (false: their
   * event is out, so skipping them reports nothing more).
   */
  readonly #gone = new Map<number, boolean>();
  readonly #events: (JitterBufferEvent | undefined)[];
  #eventHead = 0;
  #eventCount = 0;
  /** The next frame id to release; null until the start is known (any keyframe may start). */
  #next: number | null = null;
  #lastReleased: number | null = null;
  #now = -Infinity;
  #keyframeNeeded = false;
  #bufferDelayUs: number | null = null;
  readonly #counters: Counters = {
    inserted: 0,
    released: 0,
    late: 0,
    lost: 0,
    undecodable: 0,
    duplicates: 0,
    keyframeNeeded: 0,
    overflowed: 0,
    eventsDropped: 0,
  };

  constructor(options: VideoJitterBufferOptions = {}) {
    this.#options = resolve(options);
    this.#delay = new JitterDelayEstimator(this.#options);
    const history = Math.max(1024, 4 * this.#options.maxBufferedFrames);
    this.#seenIds = new Float64Array(history).fill(-1);
    this.#releasedFlags = new Uint8Array(history);
    this.#events = new Array<JitterBufferEvent | undefined>(this.#options.maxQueuedEvents).fill(undefined);
  }

  /** The capture-to-release delay applied now (transit floor + jitter percentile + margin, clamped). */
  get targetDelay(): Micros {
    return micros(this.#delay.targetDelayUs);
  }

  /** Smallest recent transit (arrival − local capture); null before the first frame. */
  get transitFloor(): Micros | null {
    const floor = this.#delay.transitFloorUs;
    return floor === null ? null : micros(floor);
  }

  /** The jitter percentile above the transit floor; null before the first frame. */
  get jitter(): Micros | null {
    const jitter = this.#delay.jitterUs;
    return jitter === null ? null : micros(jitter);
  }

  /** How long the last released frame waited in the buffer after it was complete; null before any. */
  get bufferDelay(): Micros | null {
    return this.#bufferDelayUs === null ? null : micros(this.#bufferDelayUs);
  }

  get bufferedFrames(): number {
    return this.#queue.length;
  }

  /** True from a `keyframe-needed` signal until the next release. */
  get keyframeNeeded(): boolean {
    return this.#keyframeNeeded;
  }

  /** The frame id released next; null while the stream's first frame is not known yet. */
  get nextFrameId(): FrameId | null {
    return this.#next === null ? null : frameId(this.#next);
  }

  get stats(): VideoJitterBufferStats {
    return {
      ...this.#counters,
      bufferedFrames: this.#queue.length,
      targetDelayUs: this.targetDelay,
      transitFloorUs: this.transitFloor,
      jitterUs: this.jitter,
      bufferDelayUs: this.bufferDelay,
    };
  }

  /** A complete frame from the transport. */
  insert(now: Micros, frame: VideoFrame<T>): void {
    const id = frame.frameId;
    checkId('frameId', id);
    if (!Number.isFinite(frame.localCaptureUs)) {
      throw new JitterBufferInputError('localCaptureUs', 'a finite number', frame.localCaptureUs);
    }
    const at = this.#tick(now);
    if (this.#wasSeen(id) || this.#indexOf(id) >= 0) {
      this.#counters.duplicates++;
      return;
    }
    this.#markSeen(id);
    this.#counters.inserted++;
    // Late frames are measured too: they are the clearest sign that the jitter grew.
    this.#delay.addSample(at, at - frame.localCaptureUs);
    const ref = frame.refFrameId;
    if (this.#next !== null && id < this.#next) {
      this.#counters.late++;
      this.#push({ kind: 'late', frameId: id });
    } else if (at > this.#releaseTime(frame) + this.#options.maxLatenessUs) {
      this.#counters.late++;
      this.#push({ kind: 'late', frameId: id });
      this.#markGone(id, false);
    } else if (!frame.keyframe && ref !== null && !(Number.isSafeInteger(ref) && ref >= 0 && ref < id)) {
      // A reference to itself or the future cannot be decoded; the transport should never build one.
      this.#counters.undecodable++;
      this.#push({ kind: 'undecodable', frameId: id });
      this.#markGone(id, false);
    } else {
      this.#enqueue({ frame, arrivalUs: at });
      this.#enforceBound();
    }
    this.#settle(at);
  }

  /** The transport will never complete `id`: its deadline passed without recovery. */
  giveUp(now: Micros, id: FrameId): void {
    checkId('frameId', id);
    const at = this.#tick(now);
    if (this.#indexOf(id) < 0) this.#markGone(id, true);
    this.#settle(at);
  }

  /** The next frame for the decoder if one is due at `now`, else null; call until null. */
  pollRelease(now: Micros): VideoFrame<T> | null {
    const at = this.#tick(now);
    this.#settle(at);
    const head = this.#queue[0];
    if (head === undefined) return null;
    const frame = head.frame;
    if (!this.#isNextInLine(frame) || at < this.#releaseTime(frame)) return null;
    this.#queue.shift();
    const id = frame.frameId;
    this.#releasedFlags[id % this.#seenIds.length] = 1;
    this.#lastReleased = id;
    this.#setNext(id + 1);
    this.#keyframeNeeded = false;
    this.#bufferDelayUs = at - head.arrivalUs;
    this.#counters.released++;
    this.#push({ kind: 'released', frameId: id, delayUs: micros(at - frame.localCaptureUs) });
    this.#settle(at);
    return frame;
  }

  /** The next outcome, oldest first, or null. */
  pollEvent(): JitterBufferEvent | null {
    if (this.#eventCount === 0) return null;
    const event = this.#events[this.#eventHead] ?? null;
    this.#events[this.#eventHead] = undefined;
    this.#eventHead = (this.#eventHead + 1) % this.#events.length;
    this.#eventCount--;
    return event;
  }

  /**
   * When `pollRelease` next has something to do (release a frame or skip a gap), or null while
   * nothing is held. It may lie in the past after an `insert`: poll at once then. New input can
   * move it, so ask again after every call.
   */
  pollTimeout(): Micros | null {
    const head = this.#queue[0];
    if (head === undefined) return null;
    const release = this.#releaseTime(head.frame);
    // Settled: a next-in-line head is decodable and only waits for its time.
    if (this.#isNextInLine(head.frame)) return micros(release);
    const { gapGraceUs, maxLatenessUs } = this.#options;
    const withGrace = release + gapGraceUs;
    if (this.#hasRecoverable()) return micros(withGrace);
    return micros(Math.max(withGrace, release + maxLatenessUs));
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Time never goes back inside the buffer: a stale `now` acts as the latest one seen. */
  #tick(now: number): number {
    if (now > this.#now) this.#now = now;
    return this.#now;
  }

  #releaseTime(frame: VideoFrame<T>): number {
    return frame.localCaptureUs + this.#delay.targetDelayUs;
  }

  /** The head may be released next: it is the next id, or, before the first release, it decodes alone. */
  #isNextInLine(frame: VideoFrame<T>): boolean {
    return this.#next === null ? decodesAlone(frame) : frame.frameId === this.#next;
  }

  #isReleased(id: number): boolean {
    const slot = id % this.#seenIds.length;
    return this.#seenIds[slot] === id && this.#releasedFlags[slot] === 1;
  }

  #decodable(frame: VideoFrame<T>): boolean {
    const ref = frame.refFrameId;
    return decodesAlone(frame) || (ref !== null && this.#isReleased(ref));
  }

  /** Some held frame could be decoded if everything before it were skipped. */
  #hasRecoverable(): boolean {
    for (const entry of this.#queue) if (this.#decodable(entry.frame)) return true;
    return false;
  }

  #wasSeen(id: number): boolean {
    return this.#seenIds[id % this.#seenIds.length] === id;
  }

  #markSeen(id: number): void {
    const slot = id % this.#seenIds.length;
    this.#seenIds[slot] = id;
    this.#releasedFlags[slot] = 0;
  }

  /** `id` will never be held: a gap at it need not be waited for. `unreported`: skipping it is a loss. */
  #markGone(id: number, unreported: boolean): void {
    if (this.#next !== null && id < this.#next) return;
    if (unreported && this.#gone.has(id)) return;
    // Bounded like everything else; a forgotten give-up only means waiting for the deadline.
    if (this.#gone.size < this.#seenIds.length || this.#gone.has(id)) this.#gone.set(id, unreported);
  }

  #allGone(from: number, to: number): boolean {
    if (to - from > this.#gone.size) return false;
    for (let id = from; id < to; id++) if (!this.#gone.has(id)) return false;
    return true;
  }

  #setNext(next: number): void {
    this.#next = next;
    if (this.#gone.size > 0) for (const id of this.#gone.keys()) if (id < next) this.#gone.delete(id);
  }

  /** Binary search of the held frames; the index, or -1. */
  #indexOf(id: number): number {
    const queue = this.#queue;
    let lo = 0;
    let hi = queue.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = queue[mid]?.frame.frameId ?? id;
      if (at === id) return mid;
      if (at < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #enqueue(entry: Entry<T>): void {
    const queue = this.#queue;
    const id = entry.frame.frameId;
    // Frames mostly arrive in order: scan from the back.
    let at = queue.length;
    while (at > 0 && (queue[at - 1]?.frame.frameId ?? -1) > id) at--;
    if (at === queue.length) queue.push(entry);
    else queue.splice(at, 0, entry);
  }

  /** Drops the oldest held frames past the memory bound; the gap logic reports them as lost. */
  #enforceBound(): void {
    while (this.#queue.length > this.#options.maxBufferedFrames) {
      const oldest = this.#queue.shift();
      if (oldest === undefined) return;
      const id = oldest.frame.frameId;
      this.#counters.overflowed++;
      if (this.#next === null) {
        // Before the first release there is no gap logic to report it.
        this.#counters.lost++;
        this.#push({ kind: 'lost', frameId: id });
      } else {
        this.#markGone(id, true);
      }
    }
  }

  /** Does everything due at `now` short of releasing a frame: drops, skips and signals. */
  #settle(now: number): void {
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) return;
      const frame = head.frame;
      const id = frame.frameId;
      const next = this.#next;
      if (this.#isNextInLine(frame)) {
        if (this.#decodable(frame)) return;
        // Its reference is settled and was not released: it can never be decoded.
        this.#queue.shift();
        this.#counters.undecodable++;
        this.#push({ kind: 'undecodable', frameId: id });
        this.#setNext(id + 1);
        this.#signalIfStuck(id);
        continue;
      }
      // A gap: ids next..id-1 are missing, or (before the first release) the head is a delta whose
      // reference may still arrive out of order.
      if (!(next !== null && this.#allGone(next, id)) && !this.#gapExpired(now, frame)) return;
      if (next !== null) this.#reportLost(next, id);
      this.#setNext(id);
    }
  }

  #gapExpired(now: number, head: VideoFrame<T>): boolean {
    const release = this.#releaseTime(head);
    const { gapGraceUs, maxLatenessUs } = this.#options;
    if (now >= release + gapGraceUs && this.#hasRecoverable()) return true;
    // Nothing later decodes without the gap: waiting costs nothing visible, so wait until the
    // missing frame could no longer arrive in time (its capture is before the head's).
    return now >= release + Math.max(gapGraceUs, maxLatenessUs);
  }

  /** Skips the missing ids from..to-1: each is lost unless its drop was reported already. */
  #reportLost(from: number, to: number): void {
    // Events past the queue's capacity would only push each other out: emit the last ones.
    const first = Math.max(from, to - this.#events.length);
    let reported = 0;
    let reportedUnsent = 0;
    for (const [id, unreported] of this.#gone) {
      if (unreported || id < from || id >= to) continue;
      reported++;
      if (id < first) reportedUnsent++;
    }
    this.#counters.lost += to - from - reported;
    this.#counters.eventsDropped += first - from - reportedUnsent;
    for (let id = first; id < to; id++) {
      if (this.#gone.get(id) !== false) this.#push({ kind: 'lost', frameId: frameId(id) });
    }
  }

  #signalIfStuck(droppedId: number): void {
    if (this.#keyframeNeeded || this.#hasRecoverable()) return;
    this.#keyframeNeeded = true;
    this.#counters.keyframeNeeded++;
    const after = this.#lastReleased ?? Math.max(0, droppedId - 1);
    this.#push({ kind: 'keyframe-needed', afterFrameId: frameId(after) });
  }

  #push(event: JitterBufferEvent): void {
    const capacity = this.#events.length;
    if (this.#eventCount === capacity) {
      this.#eventHead = (this.#eventHead + 1) % capacity;
      this.#eventCount--;
      this.#counters.eventsDropped++;
    }
    this.#events[(this.#eventHead + this.#eventCount) % capacity] = event;
    this.#eventCount++;
  }
}

function decodesAlone(frame: VideoFrame<unknown>): boolean {
  return frame.keyframe || frame.refFrameId === null;
}

function checkId(what: string, id: number): void {
  if (!Number.isSafeInteger(id) || id < 0)
    throw new JitterBufferInputError(what, 'a non-negative safe integer', id);
}

const DEFAULTS: Resolved = {
  minDelayUs: 0,
  maxDelayUs: 200_000,
  percentile: 0.95,
  windowFrames: 128,
  marginUs: 2_000,
  decayHalfLifeUs: 2_000_000,
  gapGraceUs: 5_000,
  maxLatenessUs: 50_000,
  maxBufferedFrames: 64,
  maxQueuedEvents: 1024,
};

function resolve(options: VideoJitterBufferOptions): Resolved {
  const r: Resolved = { ...DEFAULTS, ...options };
  const micro = (field: keyof Resolved, value: number): void => {
    check(Number.isSafeInteger(value) && value >= 0, field, 'must be a non-negative integer (µs)');
  };
  micro('minDelayUs', r.minDelayUs);
  micro('maxDelayUs', r.maxDelayUs);
  check(r.minDelayUs <= r.maxDelayUs, 'minDelayUs', 'must not exceed maxDelayUs');
  check(r.percentile > 0 && r.percentile <= 1, 'percentile', 'must be in (0, 1]');
  check(
    Number.isInteger(r.windowFrames) && r.windowFrames >= 8 && r.windowFrames <= 4096,
    'windowFrames',
    'must be an integer in 8..4096',
  );
  micro('marginUs', r.marginUs);
  check(
    Number.isSafeInteger(r.decayHalfLifeUs) && r.decayHalfLifeUs > 0,
    'decayHalfLifeUs',
    'must be a positive integer (µs)',
  );
  micro('gapGraceUs', r.gapGraceUs);
  micro('maxLatenessUs', r.maxLatenessUs);
  check(
    Number.isInteger(r.maxBufferedFrames) && r.maxBufferedFrames >= 1 && r.maxBufferedFrames <= 65_536,
    'maxBufferedFrames',
    'must be an integer in 1..65536',
  );
  check(
    Number.isInteger(r.maxQueuedEvents) && r.maxQueuedEvents >= 16 && r.maxQueuedEvents <= 1_048_576,
    'maxQueuedEvents',
    'must be an integer in 16..1048576',
  );
  return r;
}

function check(ok: boolean, field: string, reason: string): void {
  if (!ok) throw new JitterBufferConfigError(field, reason);
}
