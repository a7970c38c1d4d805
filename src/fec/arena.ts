/**
 * Scratch space for the shard kernels: numbered slots of one shard each, rounded up to whole
 * 32-bit words, in a single buffer owned by one coder. Callers' shards are copied in with a
 * native copy (any alignment, any length) and copied back out, so the kernels always see
 * aligned, padded words. The copies cost little next to the multiplications (each source is
 * copied once and multiplied m times), and the buffer only grows, so a coder working on frames
 * of a stable shard length allocates nothing once warm.
 */
export class ShardArena {
  #words = new Uint32Array(0);
  #bytes = new Uint8Array(0);
  #slotWords = 0;

  /** Sizes the arena for `slots` shards of `shardLength` bytes; keeps the buffer when it is big enough. */
  prepare(shardLength: number, slots: number): void {
    this.#slotWords = Math.ceil(shardLength / 4);
    const need = this.#slotWords * slots;
    if (need > this.#words.length) {
      // Grow with headroom so a slowly rising shard count does not reallocate every frame.
      this.#words = new Uint32Array(Math.max(need, Math.ceil(this.#words.length * 1.5)));
      this.#bytes = new Uint8Array(this.#words.buffer);
    }
  }

  /** The words every kernel works on. */
  get words(): Uint32Array {
    return this.#words;
  }

  /** Words per slot for the prepared shard length. */
  get slotWords(): number {
    return this.#slotWords;
  }

  /** Word offset of a slot. */
  offset(slot: number): number {
    return slot * this.#slotWords;
  }

  /**
   * Copies a shard into a slot. Bytes past its length up to the word boundary keep whatever they
   * held: GF arithmetic is bytewise, so they only ever affect padding that is never copied out.
   */
  load(slot: number, shard: Uint8Array): void {
    this.#bytes.set(shard, slot * this.#slotWords * 4);
  }

  /** Zeroes `count` consecutive slots from `first`. */
  zero(first: number, count: number): void {
    this.#words.fill(0, first * this.#slotWords, (first + count) * this.#slotWords);
  }

  /** Copies the first `out.length` bytes of a slot into `out`. */
  store(slot: number, out: Uint8Array): void {
    const start = slot * this.#slotWords * 4;
    // One view object per shard buys a native memcpy; the byte loop it replaces was most of
    // encodeInto's own time once the multiplications went native.
    out.set(this.#bytes.subarray(start, start + out.length));
  }
}
