import type { Rng } from '../rng/index.js';
import { validateLinkConfig, type LinkConfig, type ResolvedChange, type ResolvedParams } from './config.js';
import { NetsimClockError } from './errors.js';
import { Fifo } from './fifo.js';
import { DeliveryHeap } from './heap.js';
import { LossProcess } from './loss.js';
import { OutageWindows } from './outages.js';
import { PacketPool, type Packet } from './packet.js';
import { SlabCopier } from './slab.js';
import type { LinkStats } from './stats.js';
import type { Micros } from './units.js';

/** What `handleSend` did with a datagram. */
export type SendVerdict = 'accepted' | 'lost' | 'queue-full' | 'outage';

const MICROS_PER_SECOND = 1_000_000;

/**
 * One direction of a simulated network path, sans-I/O: it never reads a clock or touches a socket.
 * The caller passes `now` (never decreasing) to every call and polls for what is due.
 *
 * A datagram's way: (1) the loss model decides its fate (one step of the chain per datagram sent);
 * (2) if sent during an outage it is dropped, else if lost it is dropped; (3) with probability
 * `duplicate` a second copy follows it; (4) each copy is tail-dropped if the bottleneck queue is
 * full, else serialized at the rate after the packets ahead of it; (5) it propagates for `delay`
 * plus its jitter (plus `reorderDelay` if picked for reordering) and is delivered. A packet whose
 * last bit would leave the queue during an outage is dropped then, as if the far side of the wire
 * were cut. All random draws happen in `handleSend`, each impairment from its own fork of the
 * `Rng`, so a run depends only on the seed, the config and the sends — not on how often it is polled,
 * and turning one impairment on does not change another's pattern.
 *
 * The link copies each accepted datagram (the caller may reuse its buffer at once) and hands the
 * copy to the receiver, which owns it; a duplicate is a second copy. Dropped datagrams are never
 * copied. Copies up to 8 KiB are views into shared slabs (`byteOffset` may be non-zero; `.buffer` is
 * more than the datagram), so the hot path allocates a view, not a buffer.
 */
export class Link {
  readonly #params: ResolvedParams;
  readonly #schedule: readonly ResolvedChange[];
  #scheduleIndex = 0;
  readonly #outages: OutageWindows;
  readonly #loss: LossProcess;
  readonly #dupRng: Rng;
  readonly #jitterRng: Rng;
  readonly #reorderRng: Rng;
  readonly #pool = new PacketPool();
  readonly #copier = new SlabCopier();
  readonly #heap = new DeliveryHeap();
  /** Packets whose last bit has not left the bottleneck, in send order. */
  readonly #queue = new Fifo<Packet>();

  #now = Number.NEGATIVE_INFINITY;
  #nextSeq = 0;
  /** When the serializer finishes the last queued packet (fractional microseconds). */
  #busyUntil = 0;
  #queueBytes = 0;
  /** Delivery time of the last ordered packet sent / of the last ordered one that left the queue. */
  #chainTail = 0;
  #chainDeparted = 0;
  #maxDeliveredSeq = -1;
  #lastDeliverAt: Micros | null = null;

  #sent = 0;
  #delivered = 0;
  #droppedLoss = 0;
  #droppedQueue = 0;
  #droppedOutage = 0;
  #duplicated = 0;
  #reordered = 0;
  #inFlight = 0;
  #maxQueueBytes = 0;
  #maxQueueDelay = 0;

  /** Throws `NetsimConfigError` for a bad config. */
  constructor(config: LinkConfig, rng: Rng) {
    const resolved = validateLinkConfig(config);
    this.#params = { ...resolved.initial };
    this.#schedule = resolved.schedule;
    this.#outages = new OutageWindows(resolved.outages);
    this.#loss = new LossProcess(rng.fork('loss'));
    this.#loss.setModel(this.#params.loss);
    this.#dupRng = rng.fork('duplicate');
    this.#jitterRng = rng.fork('jitter');
    this.#reorderRng = rng.fork('reorder');
  }

  /** Offers a datagram to the link at `now`; it is copied if accepted. */
  handleSend(now: Micros, datagram: Uint8Array): SendVerdict {
    this.#advance(now, 'handleSend');
    this.#sent++;
    // The loss chain steps for every datagram, outage or not, so an outage does not shift the
    // loss pattern of the packets after it.
    const lost = this.#loss.lost();
    if (this.#outages.covers(now)) {
      this.#droppedOutage++;
      return 'outage';
    }
    if (lost) {
      this.#droppedLoss++;
      return 'lost';
    }
    const verdict = this.#admit(now, datagram);
    const dup = this.#params.duplicate;
    if (dup > 0 && this.#dupRng.chance(dup)) {
      this.#duplicated++;
      this.#admit(now, datagram);
    }
    return verdict;
  }

  /**
   * The next datagram due at or before `now` (earliest delivery time first, ties in send order),
   * or null. Call it until null. `lastDeliverAt` tells when the returned one was due.
   */
  pollDeliver(now: Micros): Uint8Array | null {
    this.#advance(now, 'pollDeliver');
    const top = this.#heap.peek();
    if (top === undefined || top.deliverAt > now) return null;
    this.#heap.pop();
    this.#delivered++;
    this.#inFlight--;
    if (top.seq < this.#maxDeliveredSeq) this.#reordered++;
    else this.#maxDeliveredSeq = top.seq;
    this.#lastDeliverAt = top.deliverAt as Micros;
    const bytes = top.bytes;
    this.#pool.give(top);
    return bytes;
  }

  /**
   * When to call `pollDeliver` next: the earliest pending delivery, or an earlier scheduled change
   * while packets are queued (a rate change re-times them). Null when nothing is pending. A time
   * before the last `now` means due already.
   */
  pollTimeout(): Micros | null {
    let next = this.#heap.peek()?.deliverAt ?? null;
    const change = this.#schedule[this.#scheduleIndex];
    if (change !== undefined && this.#queue.size > 0 && (next === null || change.at < next)) next = change.at;
    return next as Micros | null;
  }

  /** When the datagram last returned by `pollDeliver` was due (null before the first). */
  get lastDeliverAt(): Micros | null {
    return this.#lastDeliverAt;
  }

  /** A snapshot of the counters (allocates; not for the per-packet path). */
  stats(): LinkStats {
    return {
      sent: this.#sent,
      delivered: this.#delivered,
      droppedLoss: this.#droppedLoss,
      droppedQueue: this.#droppedQueue,
      droppedOutage: this.#droppedOutage,
      duplicated: this.#duplicated,
      reordered: this.#reordered,
      inFlight: this.#inFlight,
      queueBytes: this.#queueBytes,
      queuePackets: this.#queue.size,
      maxQueueBytes: this.#maxQueueBytes,
      maxQueueDelay: Math.ceil(this.#maxQueueDelay) as Micros,
    };
  }

  /** Moves the link to `now`: scheduled changes and queue departures, in time order. */
  #advance(now: number, what: string): void {
    if (now < this.#now) throw new NetsimClockError(`link ${what}`, now, this.#now);
    this.#now = now;
    const schedule = this.#schedule;
    for (let change = schedule[this.#scheduleIndex]; change !== undefined && change.at <= now;) {
      this.#departUntil(change.at);
      this.#apply(change);
      change = schedule[++this.#scheduleIndex];
    }
    this.#departUntil(now);
    this.#outages.advance(now);
  }

  /** Takes packets whose last bit left the bottleneck at or before `t` out of the queue. */
  #departUntil(t: number): void {
    const queue = this.#queue;
    for (let p = queue.peek(); p !== undefined && p.departAt <= t; p = queue.peek()) {
      queue.shift();
      p.queued = false;
      this.#queueBytes -= p.wireBytes;
      this.#maxQueueDelay = Math.max(this.#maxQueueDelay, p.departAt - p.sentAt);
      if (p.doomed) {
        this.#droppedOutage++;
        this.#inFlight--;
        this.#pool.give(p);
      } else if (p.ordered) {
        this.#chainDeparted = p.deliverAt;
      }
    }
  }

  #apply(change: ResolvedChange): void {
    const params = this.#params;
    const oldRate = params.rateBitsPerSecond;
    Object.assign(params, change.params);
    if (change.params.loss !== undefined) this.#loss.setModel(params.loss);
    if (params.rateBitsPerSecond !== oldRate) this.#retime(change.at, oldRate);
  }

  /**
   * After a rate change at `t`: the packet being serialized finishes its remaining bits at the new
   * rate and the ones behind it follow; delivery times, outage drops and the order chain are
   * recomputed. O(queue); happens only at scheduled changes.
   */
  #retime(t: number, oldRate: number | null): void {
    const queue = this.#queue;
    const rate = this.#params.rateBitsPerSecond;
    if (queue.size === 0 || oldRate === null) {
      // Nothing waits (an unlimited link never queues): the serializer is simply idle from t.
      this.#busyUntil = t;
      return;
    }
    this.#heap.removeWhere((p) => p.queued);
    // The head's predecessor left by t and it was sent by t, so it is mid-serialization at t.
    let prev = t;
    let chain = this.#chainDeparted;
    for (let i = 0; i < queue.size; i++) {
      const p = queue.at(i);
      if (p === undefined) break;
      const bits = i === 0 ? ((p.departAt - t) * oldRate) / MICROS_PER_SECOND : p.wireBytes * 8;
      p.departAt = rate === null ? t : prev + (bits * MICROS_PER_SECOND) / rate;
      prev = p.departAt;
      p.doomed = this.#outages.covers(p.departAt);
      if (!p.doomed) chain = this.#scheduleDelivery(p, chain);
    }
    this.#busyUntil = prev;
    this.#chainTail = chain;
  }

  /** Sets `p.deliverAt` from its departure (keeping order if it is ordered) and queues it for delivery. */
  #scheduleDelivery(p: Packet, chain: number): number {
    let at = Math.ceil(p.departAt + p.extra);
    if (p.ordered) {
      at = Math.max(at, chain);
      chain = at;
    }
    p.deliverAt = at;
    this.#heap.push(p);
    return chain;
  }

  #admit(now: number, datagram: Uint8Array): SendVerdict {
    const params = this.#params;
    const wireBytes = datagram.length + params.overheadBytes;
    const rate = params.rateBitsPerSecond;
    if (
      rate !== null &&
      (this.#queueBytes + wireBytes > params.queueLimitBytes ||
        this.#queue.size + 1 > params.queueLimitPackets)
    ) {
      this.#droppedQueue++;
      return 'queue-full';
    }
    const p = this.#pool.take();
    p.bytes = this.#copier.copy(datagram);
    p.seq = this.#nextSeq++;
    p.sentAt = now;
    p.wireBytes = wireBytes;
    const held = params.reorder > 0 && this.#reorderRng.chance(params.reorder);
    p.extra = params.delay + this.#jitter() + (held ? params.reorderDelay : 0);
    p.ordered = !held && !params.jitterMayReorder;
    this.#inFlight++;
    if (rate === null) {
      p.departAt = now;
      p.queued = false;
      p.doomed = false;
      this.#chainTail = this.#scheduleDelivery(p, this.#chainTail);
      if (p.ordered) this.#chainDeparted = p.deliverAt;
      return 'accepted';
    }
    p.departAt = Math.max(now, this.#busyUntil) + (wireBytes * 8 * MICROS_PER_SECOND) / rate;
    this.#busyUntil = p.departAt;
    p.queued = true;
    this.#queue.push(p);
    this.#queueBytes += wireBytes;
    this.#maxQueueBytes = Math.max(this.#maxQueueBytes, this.#queueBytes);
    p.doomed = this.#outages.covers(p.departAt);
    if (!p.doomed) this.#chainTail = this.#scheduleDelivery(p, this.#chainTail);
    return 'accepted';
  }

  #jitter(): number {
    const j = this.#params.jitter;
    switch (j.kind) {
      case 'none':
        return 0;
      case 'uniform':
        return this.#jitterRng.nextFloat() * j.max;
      case 'normal':
        return Math.min(Math.abs(this.#jitterRng.nextGaussian()) * j.stddev, j.max);
    }
  }
}
