const EMPTY = new Uint8Array(0);

/**
 * One datagram's way through a link. Records are pooled and reused, so the steady state allocates
 * nothing but the datagram copy.
 */
export class Packet {
  /** The link's own copy; empty while the record is in the pool. */
  bytes: Uint8Array = EMPTY;
  /** Send order on this link (duplicates get their own); ties in delivery time go by it. */
  seq = 0;
  sentAt = 0;
  /** Size counted by the queue and serializer: datagram length plus the link's overhead. */
  wireBytes = 0;
  /** When its last bit leaves the bottleneck; fractional microseconds, exact at any rate. */
  departAt = 0;
  /** Propagation delay plus this packet's jitter and any reorder hold, drawn when it was sent. */
  extra = 0;
  deliverAt = 0;
  /** Kept in send order with the packets before it (see `jitterMayReorder`). */
  ordered = true;
  /** Leaves the queue during an outage, so it is never delivered. */
  doomed = false;
  /** Still in the bottleneck queue (its departure not yet passed). */
  queued = false;
}

/** A free list of `Packet` records; grows when empty and never shrinks. */
export class PacketPool {
  readonly #free: Packet[] = [];

  take(): Packet {
    return this.#free.pop() ?? new Packet();
  }

  give(p: Packet): void {
    p.bytes = EMPTY;
    p.queued = false;
    p.doomed = false;
    this.#free.push(p);
  }
}
