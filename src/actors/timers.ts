/**
 * Timers of one actor: delayed and recurring messages and the actor's deadline, kept in a binary heap by
 * due time. When one falls due the runner queues the entry itself at the tail of its lane, where it waits
 * behind what was already queued: a timer cannot be lost to a full mailbox, and cannot jump the queue.
 */
import type { LaneIndex, Milliseconds } from './types.js';

export type TimerKind = 'once' | 'recurring' | 'deadline';

export class TimerEntry<M> {
  readonly id: number;
  readonly kind: TimerKind;
  readonly interval: Milliseconds;
  readonly message: M | undefined;
  readonly lane: LaneIndex;
  at: Milliseconds;
  /** Position in the heap; -1 when not in it. */
  index = -1;
  /** Sitting in a lane, waiting to be handled. */
  queued = false;
  cancelled = false;

  constructor(
    id: number,
    kind: TimerKind,
    at: Milliseconds,
    interval: Milliseconds,
    message: M | undefined,
    lane: LaneIndex,
  ) {
    this.id = id;
    this.kind = kind;
    this.at = at;
    this.interval = interval;
    this.message = message;
    this.lane = lane;
  }
}

/** Min-heap of timer entries by due time, then by id (creation order). */
export class TimerHeap<M> {
  readonly #items: TimerEntry<M>[] = [];

  get size(): number {
    return this.#items.length;
  }

  /** Due time of the earliest entry, or `Infinity`. */
  get nextAt(): number {
    return this.#items[0]?.at ?? Infinity;
  }

  peek(): TimerEntry<M> | undefined {
    return this.#items[0];
  }

  push(entry: TimerEntry<M>): void {
    entry.index = this.#items.length;
    this.#items.push(entry);
    this.#up(entry.index);
  }

  pop(): TimerEntry<M> | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(entry: TimerEntry<M>): void {
    const index = entry.index;
    if (index < 0) return;
    entry.index = -1;
    const last = this.#items.pop();
    if (last === undefined || last === entry) return;
    this.#items[index] = last;
    last.index = index;
    this.#down(index);
    this.#up(last.index);
  }

  /** Moves `entry` to a new due time, inserting it if it is not in the heap. */
  reschedule(entry: TimerEntry<M>, at: Milliseconds): void {
    if (entry.index < 0) {
      entry.at = at;
      this.push(entry);
      return;
    }
    entry.at = at;
    this.#down(entry.index);
    this.#up(entry.index);
  }

  clear(): void {
    for (const entry of this.#items) entry.index = -1;
    this.#items.length = 0;
  }

  /** Whether the entry at `i` is due before the one at `j` (false if either index is out of range). */
  #less(i: number, j: number): boolean {
    const a = this.#items[i];
    const b = this.#items[j];
    return a !== undefined && b !== undefined && (a.at < b.at || (a.at === b.at && a.id < b.id));
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    const a = items[i];
    const b = items[j];
    if (a === undefined || b === undefined) return;
    items[i] = b;
    items[j] = a;
    b.index = i;
    a.index = j;
  }

  #up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (this.#less(left, smallest)) smallest = left;
      if (this.#less(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
