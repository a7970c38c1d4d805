/**
 * Frame buffers for reassembly, recycled by size class so a steady stream allocates no backing
 * memory once warm. A buffer not given back is simply collected; each class keeps at most
 * `limitPerClass` spares.
 */
export class FramePool {
  readonly #free = new Map<number, ArrayBuffer[]>();
  readonly #limitPerClass: number;
  #allocated = 0;

  constructor(limitPerClass = 8) {
    this.#limitPerClass = limitPerClass;
  }

  /** A buffer of at least `bytes` bytes (contents undefined). */
  take(bytes: number): Uint8Array {
    const reused = this.#free.get(sizeClass(bytes))?.pop();
    if (reused !== undefined) return new Uint8Array(reused);
    this.#allocated++;
    return new Uint8Array(sizeClass(bytes));
  }

  /** Returns a buffer from `take` (or any view on one) for reuse; other buffers are ignored. */
  give(buffer: Uint8Array): void {
    const backing = buffer.buffer;
    if (!(backing instanceof ArrayBuffer) || backing.byteLength !== sizeClass(backing.byteLength)) return;
    let list = this.#free.get(backing.byteLength);
    if (list === undefined) {
      list = [];
      this.#free.set(backing.byteLength, list);
    }
    if (list.length < this.#limitPerClass && !list.includes(backing)) list.push(backing);
  }

  /** Backing buffers created so far (a steady state stops counting up). */
  get allocated(): number {
    return this.#allocated;
  }
}

function sizeClass(bytes: number): number {
  return 2 ** Math.max(10, Math.ceil(Math.log2(Math.max(1, bytes))));
}
