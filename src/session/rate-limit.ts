/**
 * A token bucket per source address for handshake initiations that passed mac1: the only packets
 * that cost the responder a Diffie-Hellman or a reply. Bounded memory: when the table is full, idle
 * (full) buckets are dropped first, and if none are idle the table restarts, which only ever errs on
 * the side of letting a real peer through.
 */
export class RateLimiter {
  readonly #perSecond: number;
  readonly #burst: number;
  readonly #maxSources: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perSecond: number, burst: number, maxSources: number) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#maxSources = maxSources;
  }

  /** Takes one token for `source` at `now` (µs); false when its bucket is empty. */
  allow(now: number, source: string): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxSources) this.#evict(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(source, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) * this.#perSecond) / 1e6);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #evict(now: number): void {
    for (const [source, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) * this.#perSecond) / 1e6 >= this.#burst) this.#buckets.delete(source);
    }
    if (this.#buckets.size >= this.#maxSources) this.#buckets.clear();
  }
}
