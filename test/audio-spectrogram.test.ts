/**
 * The demo's heard.png: the audio addon turns a WAV into levels (a tone lands in its bin at its
 * level, silence at the floor), a missing file is a one-line MediaError naming it, and the PNG
 * carries the levels with concealed spans marked red along the bottom.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { PNG } from 'pngjs';
import { MediaError } from '../src/errors/index.js';
import { writeSpectrogramPng } from '../src/tools/spectrogram.js';
import { loadAudio } from './support/audio-addon.js';
import { scratch } from './support/tree.js';

const tmp = scratch('doorway-spectrogram-');
after(() => {
  tmp.remove();
});
const addon = loadAudio();

/** 48 kHz mono PCM16: `toneS` of a 1 kHz sine at `amplitude`, then `silenceS` of silence. */
function writeToneWav(file: string, toneS: number, silenceS: number, amplitude: number): void {
  const frames = Math.round((toneS + silenceS) * 48000);
  const bytes = Buffer.alloc(44 + frames * 2);
  bytes.write('RIFF', 0);
  bytes.writeUInt32LE(36 + frames * 2, 4);
  bytes.write('WAVEfmt ', 8);
  bytes.writeUInt32LE(16, 16);
  bytes.writeUInt16LE(1, 20); // PCM
  bytes.writeUInt16LE(1, 22); // mono
  bytes.writeUInt32LE(48000, 24);
  bytes.writeUInt32LE(96000, 28);
  bytes.writeUInt16LE(2, 32);
  bytes.writeUInt16LE(16, 34);
  bytes.write('data', 36);
  bytes.writeUInt32LE(frames * 2, 40);
  for (let i = 0; i < toneS * 48000; i++) {
    bytes.writeInt16LE(
      Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 48000)),
      44 + i * 2,
    );
  }
  writeFileSync(file, bytes);
}

const wav = join(tmp.dir, 'tone.wav');
writeToneWav(wav, 1, 0.5, 0.5);

it('puts a 1 kHz tone at -6 dBFS in its bin and silence at the floor', () => {
  const s = addon.spectrogram(wav);
  assert.equal(s.rows, 256);
  assert.equal(s.columnMs, 10);
  assert.equal(s.topHz, 12000);
  assert.equal(s.columns, Math.floor((72000 - 1024) / 480) + 1);
  assert.equal(s.levels.length, s.columns * s.rows);
  const column = 50; // 0.5 s in: all tone
  let loudest = 0;
  for (let row = 1; row < s.rows; row++) {
    if ((s.levels[row * s.columns + column] ?? 0) > (s.levels[loudest * s.columns + column] ?? 0))
      loudest = row;
  }
  // 1000 Hz / 46.875 Hz per bin = bin 21.3, counted from the bottom row.
  assert.equal(loudest, s.rows - 1 - 21);
  // -6 dBFS on a -100..0 dB scale of 0..255.
  const level = s.levels[loudest * s.columns + column] ?? 0;
  assert.ok(Math.abs(level - (94 / 100) * 255) <= 4, `level ${level}`);
  // Far from the tone the Hann window's leakage is under -100 dB.
  assert.equal(s.levels[(s.rows - 1 - 200) * s.columns + column], 0);
  // The last column lies in the silence.
  for (let row = 0; row < s.rows; row++) assert.equal(s.levels[row * s.columns + s.columns - 1], 0);
});

it('a missing file is a one-line MediaError naming it', () => {
  const missing = join(tmp.dir, 'nowhere.wav');
  assert.throws(
    () => addon.spectrogram(missing),
    (err: unknown) =>
      err instanceof MediaError && err.message.includes(missing) && !err.message.includes('\n'),
  );
});

it('draws the levels and marks the concealed span red', () => {
  const s = addon.spectrogram(wav);
  const file = join(tmp.dir, 'tone.png');
  writeSpectrogramPng(file, s, [
    { fromMs: 0, toMs: 500, percent: 0 },
    { fromMs: 500, toMs: 1000, percent: 4 },
  ]);
  const png = PNG.sync.read(readFileSync(file));
  assert.equal(png.width, s.columns);
  assert.equal(png.height, 4 + 256 + 8);
  const pixel = (x: number, y: number): number[] => [
    ...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3),
  ];
  const strip = png.height - 4;
  assert.deepEqual(pixel(20, strip), [90, 90, 90]);
  const red = pixel(70, strip);
  assert.ok((red[0] ?? 0) > 150 && (red[1] ?? 255) < 40, JSON.stringify(red));
  // The tone's row is bright, silence dark.
  const toneRow = 4 + 255 - 21;
  assert.ok((pixel(50, toneRow)[0] ?? 0) > 240);
  assert.deepEqual(pixel(s.columns - 1, toneRow), [0, 0, 20]);
  // A tick at each second: columns 0 and 100.
  assert.deepEqual(pixel(100, 0), [255, 255, 255]);
  assert.deepEqual(pixel(50, 0), [30, 30, 30]);
});
