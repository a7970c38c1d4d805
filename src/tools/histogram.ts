/**
 * A latency histogram as a PNG, for the demo: bars of frame counts per millisecond bucket, grid
 * lines every 5 ms, and coloured markers at p50 (green), p99 (orange) and the deadline (red).
 * Drawn on a plain RGBA raster (a chart, not a video frame) and encoded with pngjs.
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { pixelSetter } from './raster.js';

export interface HistogramOptions {
  readonly width?: number;
  readonly height?: number;
  /** Milliseconds per bucket (default 1). */
  readonly bucketMs?: number;
  readonly markers?: readonly { readonly ms: number; readonly colour: readonly [number, number, number] }[];
}

export const MARKER_COLOURS = {
  p50: [40, 170, 80] as const,
  p99: [230, 140, 20] as const,
  deadline: [210, 40, 40] as const,
};

/** Counts of `latenciesMs` per bucket, from 0 up to the bucket holding the largest value. */
export function bucketCounts(latenciesMs: readonly number[], bucketMs: number): number[] {
  const counts: number[] = [];
  for (const ms of latenciesMs) {
    if (!Number.isFinite(ms) || ms < 0) continue;
    const bucket = Math.floor(ms / bucketMs);
    while (counts.length <= bucket) counts.push(0);
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return counts;
}

/** Renders the histogram and writes it to `file`. */
export function writeLatencyHistogram(
  file: string,
  latenciesMs: readonly number[],
  options: HistogramOptions = {},
): void {
  const width = options.width ?? 800;
  const height = options.height ?? 300;
  const bucketMs = options.bucketMs ?? 1;
  const counts = bucketCounts(latenciesMs, bucketMs);
  const markers = options.markers ?? [];
  const spanMs = Math.max(10, counts.length * bucketMs, ...markers.map((m) => m.ms + bucketMs));
  const png = new PNG({ width, height });
  const set = pixelSetter(png);
  const margin = 20;
  const plotW = width - 2 * margin;
  const plotH = height - 2 * margin;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) set(x, y, [250, 250, 250]);
  const xOf = (ms: number): number => margin + Math.round((ms / spanMs) * plotW);
  // Grid every 5 ms, darker every 50 ms.
  for (let ms = 0; ms <= spanMs; ms += 5) {
    const shade = ms % 50 === 0 ? 170 : 225;
    for (let y = margin; y < height - margin; y++) set(xOf(ms), y, [shade, shade, shade]);
  }
  const peak = Math.max(1, ...counts);
  counts.forEach((count, bucket) => {
    const x0 = xOf(bucket * bucketMs);
    const x1 = Math.max(x0 + 1, xOf((bucket + 1) * bucketMs) - 1);
    const top = height - margin - Math.round((count / peak) * plotH);
    for (let x = x0; x < x1; x++) for (let y = top; y < height - margin; y++) set(x, y, [60, 100, 180]);
  });
  for (const marker of markers) {
    const x = xOf(marker.ms);
    for (let y = margin; y < height - margin; y++) {
      set(x, y, marker.colour);
      set(x + 1, y, marker.colour);
    }
  }
  // Axis.
  for (let x = margin; x < width - margin; x++) set(x, height - margin, [40, 40, 40]);
  writeFileSync(file, PNG.sync.write(png));
}
