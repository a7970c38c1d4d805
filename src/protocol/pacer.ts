/**
 * The send queue: five lanes served strictly in priority order, each a FIFO of datagrams with
 * the time each may leave. Audio goes before retransmissions, retransmissions before video,
 * video before FEC, FEC before probing. Rings are preallocated; queuing allocates nothing.
 */
export const Lane = {
  audio: 0,
  retransmission: 1,
  video: 2,
  repair: 3,
  probe: 4,
} as const;
export type Lane = (typeof Lane)[keyof typeof Lane];

const LANES = 5;

class LaneRing {
  readonly #items: (Uint8Array | null)[];
  readonly #release: Float64Array;
  readonly #mask: number;
  #head = 0;
  #tail = 0;

  constructor(capacity: number) {
    this.#items = new Array<Uint8Array | null>(capacity).fill(null);
    this.#release = new Float64Array(capacity);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#tail - this.#head;
  }

  push(datagram: Uint8Array, releaseAt: number): boolean {
    if (this.size > this.#mask) return false;
    const at = this.#tail & this.#mask;
    this.#items[at] = datagram;
    this.#release[at] = releaseAt;
    this.#tail++;
    return true;
  }

  /** Release time of the head, or Infinity when empty. */
  headRelease(): number {
    return this.#head === this.#tail ? Infinity : (this.#release[this.#head & this.#mask] ?? Infinity);
  }

  shift(): Uint8Array | null {
    if (this.#head === this.#tail) return null;
    const at = this.#head & this.#mask;
    const item = this.#items[at] ?? null;
    this.#items[at] = null;
    this.#head++;
    return item;
  }
}

export class Pacer {
  readonly #lanes: LaneRing[];
  #lastLane: Lane = Lane.audio;
  #dropped = 0;

  /** `capacity` per lane, a power of two. */
  constructor(capacity: number) {
    this.#lanes = Array.from({ length: LANES }, () => new LaneRing(capacity));
  }

  /** Queues a datagram; false (and counted) when its lane is full. */
  enqueue(lane: Lane, datagram: Uint8Array, releaseAt: number): boolean {
    const ok = this.#lanes[lane]?.push(datagram, releaseAt) ?? false;
    if (!ok) this.#dropped++;
    return ok;
  }

  /** The highest-priority datagram whose time has come. */
  poll(now: number): Uint8Array | null {
    for (let i = 0; i < LANES; i++) {
      const lane = this.#lanes[i];
      if (lane !== undefined && lane.headRelease() <= now) {
        this.#lastLane = i as Lane;
        return lane.shift();
      }
    }
    return null;
  }

  /** The lane of the datagram the last successful `poll` returned. */
  get lastLane(): Lane {
    return this.#lastLane;
  }

  /** When the next queued datagram may leave, or null when all lanes are empty. */
  nextRelease(): number | null {
    let next = Infinity;
    for (const lane of this.#lanes) next = Math.min(next, lane.headRelease());
    return next === Infinity ? null : next;
  }

  /** Datagrams waiting in `lane`. */
  size(lane: Lane): number {
    return this.#lanes[lane]?.size ?? 0;
  }

  get queued(): number {
    let n = 0;
    for (const lane of this.#lanes) n += lane.size;
    return n;
  }

  get dropped(): number {
    return this.#dropped;
  }
}
