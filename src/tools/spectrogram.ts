/**
 * A spectrogram as a PNG, for the demo's `heard.png`: the levels the audio addon computed from a
 * WAV (time left to right, 0 Hz at the bottom), a tick every second along the top and, along the
 * bottom, a strip that is red where the receiver concealed sound (brighter for more) and grey
 * elsewhere. Drawn on a plain RGBA raster and encoded with pngjs, like the latency histogram.
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Spectrogram } from '../media/index.js';
import { pixelSetter, type Rgb } from './raster.js';

/** A stretch of what was played, ms from the start of the file, and how much of it was concealed. */
export interface ConcealedSpan {
  readonly fromMs: number;
  readonly toMs: number;
  /** 0..100. */
  readonly percent: number;
}

const TICKS_PX = 4;
const STRIP_PX = 8;
// Dark blue → purple → orange → pale yellow: quiet to loud.
const STOPS: readonly Rgb[] = [
  [0, 0, 20],
  [80, 20, 120],
  [200, 60, 80],
  [250, 160, 40],
  [255, 250, 200],
];

function colourOf(level: number): Rgb {
  const x = (level / 255) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i] ?? [0, 0, 0];
  const b = STOPS[i + 1] ?? a;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Writes `spectrogram`, one pixel per column and row, with `concealed` marked, to `file`. */
export function writeSpectrogramPng(
  file: string,
  spectrogram: Spectrogram,
  concealed: readonly ConcealedSpan[] = [],
): void {
  const { columns, rows, columnMs, levels } = spectrogram;
  const width = Math.max(1, columns);
  const height = TICKS_PX + rows + STRIP_PX;
  const png = new PNG({ width, height });
  const set = pixelSetter(png);
  const perSecond = 1000 / columnMs;
  for (let x = 0; x < width; x++) {
    const tick = Math.floor(x % perSecond) === 0;
    for (let y = 0; y < TICKS_PX; y++) set(x, y, tick ? [255, 255, 255] : [30, 30, 30]);
    for (let row = 0; row < rows; row++) set(x, TICKS_PX + row, colourOf(levels[row * columns + x] ?? 0));
    for (let y = 0; y < STRIP_PX; y++) set(x, TICKS_PX + rows + y, [90, 90, 90]);
  }
  for (const span of concealed) {
    if (span.percent <= 0) continue;
    const red = Math.round(120 + Math.min(1, span.percent / 10) * 135);
    const from = Math.max(0, Math.floor(span.fromMs / columnMs));
    const to = Math.min(width, Math.ceil(span.toMs / columnMs));
    for (let x = from; x < to; x++)
      for (let y = 0; y < STRIP_PX; y++) set(x, TICKS_PX + rows + y, [red, 20, 20]);
  }
  writeFileSync(file, PNG.sync.write(png));
}
