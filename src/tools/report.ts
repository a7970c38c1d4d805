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

/** The `video` section of the recv report when it decodes. */
export interface VideoFigures {
  readonly decoded: number;
  readonly decodeErrors: number;
  readonly codeReadFailures: number;
  readonly presented: number;
  /** Frames the transport completed or expected that never reached the decoder, by reason. */
  readonly notDecoded?: {
    readonly lost: number;
    readonly late: number;
    readonly undecodable: number;
    /** Refused because the decoder's queue was full. */
    readonly refused: number;
  };
}

/** One line of the frames log when recv decodes; times on the receiver's clock, µs. */
export interface PictureLogLine extends FrameLogLine {
  readonly decodedUs: number | null;
  readonly presentedUs: number | null;
  /** Whether the capture time came from the pixel code (else from the transport header). */
  readonly fromPixels: boolean;
}

export interface LatencyFigures {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface PictureReport extends ReceiveReport {
  readonly video: VideoFigures;
  /** Capture → presented, where a display presents (absent for the headless sink). */
  readonly presentedLatencyMs?: LatencyFigures;
}

/**
 * The receive report when recv decodes: a frame is on time when its picture is decoded within the
 * deadline of its capture, and the capture time is read from the pixels (the synthetic camera's
 * code, offset to this clock) wherever the picture carries one.
 */
export class PictureLedger {
  readonly #deadlineUs: number;
  readonly #capture = new Map<number, number>();
  readonly #complete = new Map<number, number>();
  readonly #decoded = new Map<number, number>();
  readonly #presented = new Map<number, number>();
  readonly #fromPixels = new Set<number>();
  #maxId = -1;

  constructor(deadlineMs: number) {
    this.#deadlineUs = deadlineMs * 1000;
  }

  /** The transport completed frame `id`; its header's capture time, offset to this clock. */
  complete(id: number, localCaptureUs: number, completeUs: number): void {
    if (this.#complete.has(id)) return;
    this.#complete.set(id, completeUs);
    if (!this.#capture.has(id)) this.#capture.set(id, localCaptureUs);
    if (id > this.#maxId) this.#maxId = id;
  }

  /** Frame `id` was decoded; `pixelCaptureUs` is the capture time read from its pixels, or null. */
  decoded(id: number, pixelCaptureUs: number | null, decodedUs: number): void {
    if (this.#decoded.has(id)) return;
    this.#decoded.set(id, decodedUs);
    if (pixelCaptureUs !== null) {
      this.#capture.set(id, pixelCaptureUs);
      this.#fromPixels.add(id);
    }
    if (id > this.#maxId) this.#maxId = id;
  }

  presented(id: number, presentedUs: number): void {
    if (!this.#presented.has(id)) this.#presented.set(id, presentedUs);
  }

  lines(): PictureLogLine[] {
    const out: PictureLogLine[] = [];
    for (let id = 0; id <= this.#maxId; id++) {
      const captureUs = this.#capture.get(id) ?? 0;
      const decodedUs = this.#decoded.get(id) ?? null;
      out.push({
        id,
        captureUs,
        completeUs: this.#complete.get(id) ?? null,
        decodedUs,
        presentedUs: this.#presented.get(id) ?? null,
        fromPixels: this.#fromPixels.has(id),
        status: decodedUs === null ? 'lost' : decodedUs <= captureUs + this.#deadlineUs ? 'on-time' : 'late',
      });
    }
    return out;
  }

  report(
    transport: TransportFigures,
    durationS: number,
    video: VideoFigures,
    display: boolean,
  ): PictureReport {
    const lines = this.lines();
    const decoded: number[] = [];
    const presented: number[] = [];
    let onTime = 0;
    let late = 0;
    for (const l of lines) {
      if (l.status === 'on-time') onTime++;
      else if (l.status === 'late') late++;
      if (l.decodedUs !== null) decoded.push((l.decodedUs - l.captureUs) / 1000);
      if (l.presentedUs !== null) presented.push((l.presentedUs - l.captureUs) / 1000);
    }
    const base: PictureReport = {
      frames: {
        expected: lines.length,
        received: decoded.length,
        onTime,
        late,
        lost: lines.length - onTime - late,
        corrupt: video.decodeErrors,
      },
      latencyMs: latencyFigures(decoded),
      transport,
      deadlineMs: this.#deadlineUs / 1000,
      durationS,
      video,
    };
    return display ? { ...base, presentedLatencyMs: latencyFigures(presented) } : base;
  }
}

/** p50/p95/p99/max of unsorted values in ms. */
export function latencyFigures(values: number[]): LatencyFigures {
  values.sort((a, b) => a - b);
  return {
    p50: percentile(values, 0.5),
    p95: percentile(values, 0.95),
    p99: percentile(values, 0.99),
    max: round3(values.at(-1) ?? 0),
  };
}
