/**
 * Where audio comes from and goes to: the parsed forms of `--audio` (a sender's microphone) and
 * `--audio-sink` (a receiver's speaker). Parsing never throws anything but AudioSpecError, whose
 * message is one line naming the flag.
 */
import { DoorwayError } from '../errors/index.js';
import type { AudioPortOptions } from '../media/index.js';

/** An `--audio` or `--audio-sink` value that cannot be used; exits 2 like other usage errors. */
export class AudioSpecError extends DoorwayError {
  override readonly name = 'AudioSpecError';
  readonly exitCode = 2;
}

const SYNTHETIC = ['speech', 'tone', 'markers', 'silence'] as const;

/**
 * `--audio`: `device` or `device:NAME` (a sound card's microphone through PortAudio),
 * `synthetic` or `synthetic:speech|tone|markers|silence` (a generator on the realtime clock), or
 * `file:PATH` (a 48 kHz WAV, looped, on the realtime clock).
 */
export function parseAudioSource(text: string): AudioPortOptions {
  if (text === 'device') return { port: 'portaudio', capture: 'default' };
  if (text.startsWith('device:') && text.length > 'device:'.length) {
    return { port: 'portaudio', capture: text.slice('device:'.length) };
  }
  if (text === 'synthetic') return { port: 'clocked', source: 'speech' };
  if (text.startsWith('synthetic:')) {
    const kind = text.slice('synthetic:'.length);
    if ((SYNTHETIC as readonly string[]).includes(kind)) {
      return { port: 'clocked', source: kind, markers: kind === 'markers' };
    }
  }
  if (text.startsWith('file:') && text.length > 'file:'.length) return { port: 'clocked', source: text };
  throw new AudioSpecError(
    `--audio '${text}' is not one of device, device:NAME, synthetic[:${SYNTHETIC.join('|')}], file:PATH.wav`,
  );
}

/**
 * `--audio-sink`: `device` or `device:NAME` (a sound card's speaker through PortAudio), `null`
 * (played on the realtime clock and dropped; marker onsets are still measured), or `file:PATH`
 * (a float WAV of what was played).
 */
export function parseAudioSink(text: string): AudioPortOptions {
  if (text === 'device') return { port: 'portaudio', playback: 'default' };
  if (text.startsWith('device:') && text.length > 'device:'.length) {
    return { port: 'portaudio', playback: text.slice('device:'.length) };
  }
  if (text === 'null') return { port: 'clocked', source: 'silence', sink: 'null', markers: true };
  if (text.startsWith('file:') && text.length > 'file:'.length) {
    return { port: 'clocked', source: 'silence', sink: text, markers: true };
  }
  throw new AudioSpecError(`--audio-sink '${text}' is not one of device, device:NAME, null, file:PATH.wav`);
}
