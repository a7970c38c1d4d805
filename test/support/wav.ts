/** The WAV files the synthetic sink writes (48 kHz float): their samples, for level checks. */
import { readFileSync } from 'node:fs';

export interface WavSamples {
  readonly channels: number;
  readonly sampleRate: number;
  /** Interleaved samples in [-1, 1]. */
  readonly samples: Float32Array;
}

/** Reads a 32-bit float WAV; anything else is an error naming the file. */
export function readFloatWav(file: string): WavSamples {
  const bytes = readFileSync(file);
  if (
    bytes.subarray(0, 4).toString('latin1') !== 'RIFF' ||
    bytes.subarray(8, 12).toString('latin1') !== 'WAVE'
  ) {
    throw new Error(`${file}: not a WAV file`);
  }
  let channels = 0;
  let sampleRate = 0;
  let format = 0;
  let bits = 0;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = bytes.subarray(at, at + 4).toString('latin1');
    const size = bytes.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      format = bytes.readUInt16LE(body);
      channels = bytes.readUInt16LE(body + 2);
      sampleRate = bytes.readUInt32LE(body + 4);
      bits = bytes.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (format !== 3 || bits !== 32)
        throw new Error(`${file}: format ${format}/${bits} bits, not 32-bit float`);
      // A file still being written may claim less (or more) than it holds: take what is there.
      const length = Math.min(size, bytes.length - body) & ~3;
      const samples = new Float32Array(length / 4);
      for (let i = 0; i < samples.length; i++) samples[i] = bytes.readFloatLE(body + 4 * i);
      return { channels, sampleRate, samples };
    }
    at = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** Mean energy per sample of frames [fromS, toS) seconds, all channels. */
export function meanEnergy(wav: WavSamples, fromS: number, toS: number): number {
  const from = Math.max(0, Math.floor(fromS * wav.sampleRate) * wav.channels);
  const to = Math.min(wav.samples.length, Math.floor(toS * wav.sampleRate) * wav.channels);
  let sum = 0;
  for (let i = from; i < to; i++) sum += (wav.samples[i] ?? 0) ** 2;
  return to > from ? sum / (to - from) : 0;
}
