/**
 * Concealment second by second, from the cumulative `audioMs` a receiver's status reports: each
 * reading closes a span of what was played since the last one. A counter that goes back (the
 * audio role restarted, and its file was written anew) starts the spans over.
 */
import type { ConcealedSpan } from './spectrogram.js';

export interface ConcealmentSummary {
  /** Spans read, each about a second of playing. */
  readonly seconds: number;
  /** Spans with any concealment. */
  readonly secondsConcealed: number;
  /** The worst span's concealment, %, and where it began, ms into what was played. */
  readonly worstPercent: number;
  readonly worstAtMs: number | null;
}

export class ConcealmentPerSecond {
  #last: { played: number; concealed: number } | null = null;
  readonly #spans: ConcealedSpan[] = [];

  /** One status reading's `audioMs`; null (no audio status) is skipped. */
  add(audioMs: { readonly played: number; readonly concealed: number } | null): void {
    if (audioMs === null) return;
    const last = this.#last;
    if (last !== null && (audioMs.played < last.played || audioMs.concealed < last.concealed)) {
      this.#spans.length = 0;
      this.#last = null;
    }
    const from = this.#last ?? { played: 0, concealed: 0 };
    const played = audioMs.played - from.played;
    if (played > 0) {
      const concealed = audioMs.concealed - from.concealed;
      this.#spans.push({
        fromMs: from.played,
        toMs: audioMs.played,
        percent: Math.round((1000 * concealed) / played) / 10,
      });
    }
    this.#last = { played: audioMs.played, concealed: audioMs.concealed };
  }

  get spans(): readonly ConcealedSpan[] {
    return this.#spans;
  }

  summary(): ConcealmentSummary {
    let worst: ConcealedSpan | null = null;
    for (const span of this.#spans) if (worst === null || span.percent > worst.percent) worst = span;
    return {
      seconds: this.#spans.length,
      secondsConcealed: this.#spans.filter((s) => s.percent > 0).length,
      worstPercent: worst?.percent ?? 0,
      worstAtMs: worst === null || worst.percent === 0 ? null : worst.fromMs,
    };
  }
}
