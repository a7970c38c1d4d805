/**
 * Connection settings, with defaults for a 60 fps doorway on a LAN or a good WAN path. Every
 * field is validated up front: a bad value is a ProtocolConfigError naming the field.
 */
import { MEDIA_HEADER_BYTES } from './wire.js';

export type StreamKind = 'video' | 'audio';

export interface StreamSpec {
  /** 0..255, the same on both ends. */
  readonly id: number;
  readonly kind: StreamKind;
  /** Frames per second the sender produces; paces a frame over part of its interval. */
  readonly fps: number;
}

export interface ConnectionConfig {
  /** Largest UDP payload sent; datagrams are never IP-fragmented. */
  readonly maxDatagramBytes: number;
  /** Bytes the session layer adds around each datagram (encryption); taken off the media payload. */
  readonly overheadBytes: number;
  /** Largest frame accepted from the network or the encoder. */
  readonly maxFrameBytes: number;
  readonly streams: readonly StreamSpec[];
  /** Share of the frame interval over which a frame's packets are spread (0..1]. */
  readonly pacingFraction: number;
  /** A frame is never sent faster than this multiple of the current bandwidth estimate. */
  readonly pacingGain: number;
  /**
   * Datagrams due within this much of now leave together, µs: a driver then wakes about once per
   * quantum instead of spinning for sub-millisecond gaps (like the fq qdisc's quantum).
   */
  readonly pacingQuantumUs: number;
  /** FEC: the residual frame loss aimed for after repair, from the measured packet loss. */
  readonly fecTargetResidual: number;
  /** FEC: repair shards never exceed this share of a frame's sources. */
  readonly fecMaxOverhead: number;
  /**
   * Audio FEC: the residual frame loss aimed for. An audio frame is one datagram, so this sets how
   * many copies-in-effect (repair shards) each frame gets: audio cannot wait a round trip for a
   * retransmission without adding that much playout delay.
   */
  readonly audioFecTargetResidual: number;
  /** Audio FEC: repair shards per frame never exceed this share of its sources (1 = one repair). */
  readonly audioFecMaxOverhead: number;
  /** FEC: loss rate assumed before the peer has reported any. */
  readonly fecInitialLoss: number;
  /** Receiver: a frame not complete this long after capture (local clock) is given up, µs. */
  readonly deadlineUs: number;
  /** Receiver: a gap is NACKed only after this long, to let reordered packets arrive, µs. */
  readonly nackDelayUs: number;
  /** Receiver: the jitter buffer's delay bounds after capture, µs. */
  readonly minPlayoutDelayUs: number;
  readonly maxPlayoutDelayUs: number;
  /** Receiver: least time between two keyframe requests on a stream, µs. */
  readonly keyframeRequestIntervalUs: number;
  readonly pingIntervalUs: number;
  readonly reportIntervalUs: number;
  /** Packets per stream kept for retransmission (a power of two). */
  readonly historyPackets: number;
  readonly initialBitrateBps: number;
  readonly minBitrateBps: number;
  readonly maxBitrateBps: number;
}

export const DEFAULT_CONFIG: ConnectionConfig = {
  maxDatagramBytes: 1200,
  overheadBytes: 0,
  maxFrameBytes: 4 * 1024 * 1024,
  streams: [
    { id: 0, kind: 'audio', fps: 100 },
    { id: 1, kind: 'video', fps: 60 },
  ],
  pacingFraction: 0.25,
  pacingGain: 8,
  pacingQuantumUs: 1000,
  fecTargetResidual: 0.01,
  fecMaxOverhead: 0.5,
  audioFecTargetResidual: 1e-4,
  audioFecMaxOverhead: 1,
  fecInitialLoss: 0.01,
  deadlineUs: 100_000,
  nackDelayUs: 2_000,
  minPlayoutDelayUs: 0,
  maxPlayoutDelayUs: 200_000,
  keyframeRequestIntervalUs: 100_000,
  pingIntervalUs: 100_000,
  reportIntervalUs: 50_000,
  historyPackets: 16384,
  initialBitrateBps: 8_000_000,
  minBitrateBps: 300_000,
  maxBitrateBps: 100_000_000,
};

export class ProtocolConfigError extends Error {
  override readonly name = 'ProtocolConfigError';
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`protocol config: ${field}: ${reason}`);
    this.field = field;
  }
}

function check(ok: boolean, field: string, reason: string): void {
  if (!ok) throw new ProtocolConfigError(field, reason);
}

/** Defaults overlaid with `overrides`, validated. */
export function connectionConfig(overrides: Partial<ConnectionConfig> = {}): ConnectionConfig {
  const c: ConnectionConfig = { ...DEFAULT_CONFIG, ...overrides };
  check(
    Number.isInteger(c.maxDatagramBytes) && c.maxDatagramBytes >= 200 && c.maxDatagramBytes <= 65507,
    'maxDatagramBytes',
    'must be an integer in 200..65507',
  );
  check(
    Number.isInteger(c.overheadBytes) &&
      c.overheadBytes >= 0 &&
      c.maxDatagramBytes - c.overheadBytes - MEDIA_HEADER_BYTES >= 64,
    'overheadBytes',
    'leaves fewer than 64 bytes of media per datagram',
  );
  check(
    Number.isInteger(c.maxFrameBytes) && c.maxFrameBytes > 0,
    'maxFrameBytes',
    'must be a positive integer',
  );
  check(c.streams.length > 0, 'streams', 'needs at least one stream');
  const ids = new Set<number>();
  c.streams.forEach((s, i) => {
    check(
      Number.isInteger(s.id) && s.id >= 0 && s.id <= 255,
      `streams[${i}].id`,
      'must be an integer in 0..255',
    );
    check(!ids.has(s.id), `streams[${i}].id`, `stream ${s.id} is listed twice`);
    check(s.fps > 0 && s.fps <= 1000, `streams[${i}].fps`, 'must be in (0, 1000]');
    ids.add(s.id);
  });
  check(c.pacingFraction > 0 && c.pacingFraction <= 1, 'pacingFraction', 'must be in (0, 1]');
  check(c.pacingGain >= 1, 'pacingGain', 'must be at least 1');
  check(c.pacingQuantumUs >= 0 && c.pacingQuantumUs <= 20_000, 'pacingQuantumUs', 'must be in [0, 20000]');
  check(c.fecTargetResidual > 0 && c.fecTargetResidual < 1, 'fecTargetResidual', 'must be in (0, 1)');
  check(c.fecMaxOverhead >= 0 && c.fecMaxOverhead <= 4, 'fecMaxOverhead', 'must be in [0, 4]');
  check(
    c.audioFecTargetResidual > 0 && c.audioFecTargetResidual < 1,
    'audioFecTargetResidual',
    'must be in (0, 1)',
  );
  check(c.audioFecMaxOverhead >= 0 && c.audioFecMaxOverhead <= 4, 'audioFecMaxOverhead', 'must be in [0, 4]');
  check(c.fecInitialLoss >= 0 && c.fecInitialLoss < 1, 'fecInitialLoss', 'must be in [0, 1)');
  check(c.deadlineUs > 0, 'deadlineUs', 'must be positive');
  check(c.nackDelayUs >= 0, 'nackDelayUs', 'must not be negative');
  check(
    c.minPlayoutDelayUs >= 0 && c.minPlayoutDelayUs <= c.maxPlayoutDelayUs,
    'minPlayoutDelayUs',
    'must be in [0, maxPlayoutDelayUs]',
  );
  check(c.keyframeRequestIntervalUs >= 0, 'keyframeRequestIntervalUs', 'must not be negative');
  check(c.pingIntervalUs > 0, 'pingIntervalUs', 'must be positive');
  check(c.reportIntervalUs > 0, 'reportIntervalUs', 'must be positive');
  check(
    Number.isInteger(Math.log2(c.historyPackets)) && c.historyPackets >= 64,
    'historyPackets',
    'must be a power of two ≥ 64',
  );
  check(
    c.minBitrateBps > 0 && c.minBitrateBps <= c.initialBitrateBps && c.initialBitrateBps <= c.maxBitrateBps,
    'initialBitrateBps',
    'needs minBitrateBps ≤ initialBitrateBps ≤ maxBitrateBps',
  );
  return c;
}

/** Bytes of media one datagram carries. */
export function maxMediaPayload(c: ConnectionConfig): number {
  return c.maxDatagramBytes - c.overheadBytes - MEDIA_HEADER_BYTES;
}
