/**
 * A FIFO ring buffer of growable power-of-two storage. Pushing and shifting allocate nothing until the
 * storage has to grow; capacity limits are the caller's business (mailboxes check their counters).
 */
export class Ring<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(initialCapacity = 16) {
    let size = 4;
    while (size < initialCapacity) size *= 2;
    this.#items = new Array<T | undefined>(size).fill(undefined);
    this.#mask = size - 1;
  }

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const index = this.#head;
    const item = this.#items[index];
    this.#items[index] = undefined;
    this.#head = (index + 1) & this.#mask;
    this.#length--;
    return item;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Empties the ring, calling `each` on every item dropped, oldest first. */
  clear(each?: (item: T) => void): void {
    while (this.#length > 0) {
      const item = this.shift() as T;
      if (each !== undefined) each(item);
    }
  }

  #grow(): void {
    const size = this.#items.length;
    const items = new Array<T | undefined>(size * 2).fill(undefined);
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#head = 0;
    this.#mask = size * 2 - 1;
  }
}
