import type { Micros } from './units.js';

/**
 * Counters of one link, as of the last time it was given (`handleSend`/`pollDeliver`). Every packet
 * is counted once: sent + duplicated = delivered + droppedLoss + droppedQueue + droppedOutage + inFlight.
 */
export interface LinkStats {
  /** Datagrams handed to `handleSend`. */
  readonly sent: number;
  /** Datagrams returned by `pollDeliver`, duplicates included. */
  readonly delivered: number;
  /** Lost to the random loss model. */
  readonly droppedLoss: number;
  /** Tail-dropped at a full bottleneck queue. */
  readonly droppedQueue: number;
  /** Sent during an outage, or due to leave the queue during one. */
  readonly droppedOutage: number;
  /** Extra copies made by duplication. */
  readonly duplicated: number;
  /** Delivered after a packet that was sent later. */
  readonly reordered: number;
  /** Accepted and neither delivered nor dropped yet (queued or propagating). */
  readonly inFlight: number;
  /** Bytes in the bottleneck queue now, the packet being serialized included (overhead counted). */
  readonly queueBytes: number;
  readonly queuePackets: number;
  /** The most bytes the queue ever held. */
  readonly maxQueueBytes: number;
  /** The longest a packet took from `handleSend` to its last bit leaving the bottleneck. */
  readonly maxQueueDelay: Micros;
}
