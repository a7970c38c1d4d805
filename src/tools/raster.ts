/**
 * Plotting onto a pngjs image, for the tools' charts (the latency histogram, the spectrogram):
 * one opaque pixel at a time, points outside the image ignored.
 */
import type { PNG } from 'pngjs';

export type Rgb = readonly [number, number, number];

/** A function that paints pixel (x, y) of `png` in `rgb`, fully opaque. */
export function pixelSetter(png: PNG): (x: number, y: number, rgb: Rgb) => void {
  const { width, height, data } = png;
  return (x, y, [r, g, b]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const at = (y * width + x) * 4;
    data[at] = r;
    data[at + 1] = g;
    data[at + 2] = b;
    data[at + 3] = 255;
  };
}
