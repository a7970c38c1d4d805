import type { Packet } from './packet.js';

function before(a: Packet, b: Packet): boolean {
  return a.deliverAt < b.deliverAt || (a.deliverAt === b.deliverAt && a.seq < b.seq);
}

/**
 * A binary min-heap of packets by (deliverAt, seq): earliest first, and equal times in send
 * order so runs are deterministic. The backing array only grows.
 */
export class DeliveryHeap {
  readonly #items: Packet[] = [];
  #size = 0;

  peek(): Packet | undefined {
    return this.#size > 0 ? this.#items[0] : undefined;
  }

  push(p: Packet): void {
    const items = this.#items;
    let i = this.#size++;
    items[i] = p;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const q = items[parent];
      if (q === undefined || !before(p, q)) break;
      items[i] = q;
      i = parent;
    }
    items[i] = p;
  }

  pop(): Packet | undefined {
    if (this.#size === 0) return undefined;
    const items = this.#items;
    const top = items[0];
    const last = items[--this.#size];
    if (last !== undefined && this.#size > 0) this.#siftDown(0, last);
    return top;
  }

  #siftDown(start: number, p: Packet): void {
    const items = this.#items;
    const n = this.#size;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let c = items[child];
      const right = items[child + 1];
      if (child + 1 < n && right !== undefined && c !== undefined && before(right, c)) {
        child++;
        c = right;
      }
      if (c === undefined || !before(c, p)) break;
      items[i] = c;
      i = child;
    }
    items[i] = p;
  }

  /** Removes every packet for which `drop` is true, then restores heap order (O(n); rare). */
  removeWhere(drop: (p: Packet) => boolean): void {
    const items = this.#items;
    let kept = 0;
    for (let i = 0; i < this.#size; i++) {
      const p = items[i];
      if (p !== undefined && !drop(p)) items[kept++] = p;
    }
    this.#size = kept;
    for (let i = (kept >> 1) - 1; i >= 0; i--) {
      const p = items[i];
      if (p !== undefined) this.#siftDown(i, p);
    }
  }
}
