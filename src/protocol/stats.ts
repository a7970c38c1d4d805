/** Counters of a connection, and the per-stream snapshot its owner reads. */
import type { ClockSync } from './clock-sync.js';
import type { VideoJitterBuffer } from './jitter-buffer.js';
import type { ReceiveStream } from './receive-stream.js';
import type { SendStream } from './send-stream.js';

export type MalformedReason =
  'truncated' | 'oversized' | 'bad-version' | 'unknown-type' | 'bad-field' | 'unknown-stream';

export interface StreamStatsSnapshot {
  readonly stream: number;
  readonly kind: 'video' | 'audio';
  readonly framesSent: number;
  readonly framesRefused: number;
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly repairPacketsSent: number;
  readonly retransmitted: number;
  readonly nacksReceived: number;
  readonly keyframeRequestsReceived: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  readonly duplicates: number;
  readonly latePackets: number;
  readonly lost: number;
  readonly fecRecovered: number;
  readonly retransmittedReceived: number;
  readonly framesCompleted: number;
  readonly framesGivenUp: number;
  readonly nacksSent: number;
  readonly jitterUs: number;
  /** The jitter buffer's current target delay (video), µs. */
  readonly bufferDelayUs: number;
}

export interface ConnectionStatsSnapshot {
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  readonly bytesOut: number;
  readonly malformed: number;
  readonly malformedByReason: Readonly<Record<MalformedReason, number>>;
  readonly keyframeRequestsSent: number;
  readonly streamRestarts: number;
  readonly rttUs: number | null;
  readonly clockOffsetUs: number | null;
  readonly clockAccuracyUs: number | null;
  readonly estimateBps: number;
  readonly targetBps: number;
  readonly lossRate: number;
  readonly queuedDatagrams: number;
  readonly streams: readonly StreamStatsSnapshot[];
}

export class ConnectionStats {
  datagramsIn = 0;
  datagramsOut = 0;
  bytesOut = 0;
  keyframeRequestsSent = 0;
  /** Times a peer's stream started over (its sender restarted) and was received afresh. */
  streamRestarts = 0;
  readonly #malformed: Record<MalformedReason, number> = {
    truncated: 0,
    oversized: 0,
    'bad-version': 0,
    'unknown-type': 0,
    'bad-field': 0,
    'unknown-stream': 0,
  };

  malformed(reason: MalformedReason): void {
    this.#malformed[reason]++;
  }

  snapshot(
    send: ReadonlyMap<number, SendStream>,
    recv: ReadonlyMap<number, ReceiveStream>,
    jitter: ReadonlyMap<number, VideoJitterBuffer<unknown>>,
    clock: ClockSync,
    rate: { estimateBps: number; targetBps: number; lossRate: number; queued: number },
  ): ConnectionStatsSnapshot {
    const streams: StreamStatsSnapshot[] = [];
    for (const [id, s] of send) {
      const r = recv.get(id);
      if (r === undefined) continue;
      streams.push({
        stream: id,
        kind: s.spec.kind,
        ...s.stats,
        packetsReceived: r.stats.packets,
        bytesReceived: r.stats.bytes,
        duplicates: r.stats.duplicates,
        latePackets: r.stats.latePackets,
        lost: r.stats.lost,
        fecRecovered: r.stats.fecRecovered,
        retransmittedReceived: r.stats.retransmittedReceived,
        framesCompleted: r.stats.framesCompleted,
        framesGivenUp: r.stats.framesGivenUp,
        nacksSent: r.stats.nacksSent,
        jitterUs: Math.round(r.stats.jitterUs),
        bufferDelayUs: jitter.get(id)?.targetDelay ?? 0,
      });
    }
    const malformed = Object.values(this.#malformed).reduce((a, b) => a + b, 0);
    return {
      datagramsIn: this.datagramsIn,
      datagramsOut: this.datagramsOut,
      bytesOut: this.bytesOut,
      malformed,
      malformedByReason: { ...this.#malformed },
      keyframeRequestsSent: this.keyframeRequestsSent,
      streamRestarts: this.streamRestarts,
      rttUs: clock.rtt,
      clockOffsetUs: clock.offset,
      clockAccuracyUs: clock.accuracy,
      estimateBps: rate.estimateBps,
      targetBps: rate.targetBps,
      lossRate: rate.lossRate,
      queuedDatagrams: rate.queued,
      streams,
    };
  }
}
