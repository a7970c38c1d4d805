/**
 * The receive report of `doorway recv`: which frames completed, when, and whether before their
 * deadline. Pure bookkeeping over frame-complete events; the JSON shape is a contract other
 * checks rely on (docs/PROTOCOL.md, the transport benchmark).
 */
export type FrameStatus = 'on-time' | 'late' | 'lost';

export interface FrameLogLine {
  readonly id: number;
  /** Capture time on the receiver's clock (offset applied), µs. */
  readonly captureUs: number;
  readonly completeUs: number | null;
  readonly status: FrameStatus;
}

export interface TransportFigures {
  readonly packets: number;
  readonly fecRecovered: number;
  readonly retransmitted: number;
  readonly nacks: number;
  readonly keyframeRequests: number;
  readonly rttMs: number;
  readonly malformed: number;
}

export interface ReceiveReport {
  readonly frames: {
    expected: number;
    received: number;
    onTime: number;
    late: number;
    lost: number;
    corrupt: number;
  };
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number };
  readonly transport: TransportFigures;
  readonly deadlineMs: number;
  readonly durationS: number;
}

export class FrameLedger {
  readonly #deadlineUs: number;
  readonly #capture = new Map<number, number>();
  readonly #complete = new Map<number, number>();
  #corrupt = 0;
  #maxId = -1;

  constructor(deadlineMs: number) {
    this.#deadlineUs = deadlineMs * 1000;
  }

  /** A frame completed at `completeUs` (receiver clock); `intact` is false when its bytes were wrong. */
  complete(id: number, localCaptureUs: number, completeUs: number, intact: boolean): void {
    if (!intact) this.#corrupt++;
    if (this.#complete.has(id)) return;
    this.#capture.set(id, localCaptureUs);
    this.#complete.set(id, completeUs);
    if (id > this.#maxId) this.#maxId = id;
  }

  /** Every frame up to the highest seen, in order (frames never seen are lost). */
  lines(): FrameLogLine[] {
    const out: FrameLogLine[] = [];
    for (let id = 0; id <= this.#maxId; id++) {
      const captureUs = this.#capture.get(id);
      const completeUs = this.#complete.get(id);
      if (captureUs === undefined || completeUs === undefined) {
        out.push({ id, captureUs: captureUs ?? 0, completeUs: null, status: 'lost' });
      } else {
        out.push({
          id,
          captureUs,
          completeUs,
          status: completeUs <= captureUs + this.#deadlineUs ? 'on-time' : 'late',
        });
      }
    }
    return out;
  }

  report(transport: TransportFigures, durationS: number): ReceiveReport {
    const lines = this.lines();
    const latencies = lines
      .filter((l) => l.completeUs !== null)
      .map((l) => ((l.completeUs ?? 0) - l.captureUs) / 1000)
      .sort((a, b) => a - b);
    const count = (status: FrameStatus): number => lines.filter((l) => l.status === status).length;
    return {
      frames: {
        expected: lines.length,
        received: latencies.length,
        onTime: count('on-time'),
        late: count('late'),
        lost: count('lost'),
        corrupt: this.#corrupt,
      },
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        p99: percentile(latencies, 0.99),
        max: latencies.at(-1) ?? 0,
      },
      transport,
      deadlineMs: this.#deadlineUs / 1000,
      durationS,
    };
  }
}

/** Nearest-rank percentile of sorted values; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return round3(sorted[rank] ?? 0);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
