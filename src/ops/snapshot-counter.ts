import { Counter, type Registry } from 'prom-client';

/** Every label of a series, by name. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

interface Series<L extends string> {
  readonly labels: Labels<L>;
  /** The running total the last snapshot reported. */
  readonly source: number;
}

/**
 * A Prometheus counter fed from the running totals in status snapshots.
 *
 * Why a Counter and not a Gauge: the figures are totals, so a scraper must be able to `rate()`
 * them, and only a series typed `counter` gets reset handling (a Gauge named `*_total` would be
 * mistyped in the exposition and flagged by promtool). prom-client's Counter cannot be set, so
 * each update adds the growth since the previous snapshot. When a total goes down (the part that
 * counts it restarted and began again at zero), the new total is all new events: the same
 * assumption Prometheus makes on a counter reset, so the exposed counter never decreases.
 *
 * Series are gathered per update: one not observed in the latest update (a part that went away)
 * is removed rather than left frozen at its last value.
 */
export class SnapshotCounter<L extends string> {
  readonly #counter: Counter<L>;
  readonly #labelNames: readonly L[];
  #series = new Map<string, Series<L>>();
  #next = new Map<string, Series<L>>();

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    this.#labelNames = labelNames;
    this.#counter = new Counter({ name, help, labelNames, registers: [registry] });
  }

  /** Records one series' total in the update under way. */
  observe(labels: Labels<L>, total: number): void {
    const key = this.#labelNames.map((name) => labels[name]).join('\u0000');
    const previous = this.#series.get(key);
    const delta = previous === undefined || total < previous.source ? total : total - previous.source;
    // inc(0) on a new series creates it at zero, so every observed series is exposed.
    this.#counter.inc(labels, Math.max(0, delta));
    this.#next.set(key, { labels, source: total });
  }

  /** Ends an update: series not observed since the last `end()` disappear. */
  end(): void {
    for (const [key, series] of this.#series) {
      if (!this.#next.has(key)) this.#counter.remove(series.labels);
    }
    this.#series = this.#next;
    this.#next = new Map();
  }
}
