/** The x264 encoder and software decoder the codec tests use, and what they collect from them. */
import assert from 'node:assert/strict';
import type {
  Decoder,
  DecoderOptions,
  DecoderOutput,
  EncodedPacket,
  Encoder,
  EncoderOptions,
  EncoderOutput,
} from '../../src/media/index.js';
import { loadVideo } from './video.js';

export const video = loadVideo();

/** node:test's `skip` for a suite that needs the x264 encoder. */
export const skipWithoutX264 = video.features.includes('x264') ? false : 'this build has no x264 feature';

/**
 * x264 at 360p60 and 2 Mbit/s, enough for the pixel code to read back exactly. Keyframes come
 * every 10 s only, so within a test's few frames any keyframe after the first is one it forced.
 */
export const x264Options: EncoderOptions = {
  codec: 'h264',
  implementation: 'x264',
  width: 640,
  height: 360,
  fps: 60,
  bitrateBps: 2_000_000,
  gopFrames: 600,
  intraRefresh: false,
};

export const softwareDecoderOptions: DecoderOptions = { codec: 'h264', implementation: 'software' };

/** An output callback for encoders and decoders whose tests never get as far as an output. */
export const ignoreOutputs = (): undefined => undefined;

/** Capture time of frame `n` at 60 fps, starting from a realtime-clock reading of late 2023. */
export const captureUsOf = (n: number): number => 1_700_000_000_000_000 + n * 16_667;

/**
 * Encodes `count` pattern frames numbered from 0 (captured at `captureUsOf`) on the calling
 * thread, forcing keyframes at `forced`.
 */
export function encodeStream(
  options: EncoderOptions,
  count: number,
  forced: readonly number[] = [],
): EncodedPacket[] {
  const source = video.patternSource(options.width, options.height);
  const encoder = video.createEncoder(options);
  try {
    const packets: EncodedPacket[] = [];
    for (let n = 0; n < count; n++) {
      const frame = source.capture(n, captureUsOf(n));
      const packet = encoder.encodeSync(frame, forced.includes(n));
      frame.release();
      assert.ok(packet !== null, `frame ${n} gave a packet at once`);
      packets.push(packet);
    }
    return packets;
  } finally {
    encoder.close();
  }
}

/** An encoder on its own thread and, in order, every output it has delivered so far. */
export function threadedEncoder(options: EncoderOptions = x264Options): {
  encoder: Encoder;
  outputs: EncoderOutput[];
} {
  const outputs: EncoderOutput[] = [];
  return { encoder: video.createEncoder(options, (out) => outputs.push(out)), outputs };
}

/** A software decoder on its own thread and, in order, every output it has delivered so far. */
export function threadedDecoder(): { decoder: Decoder; outputs: DecoderOutput[] } {
  const outputs: DecoderOutput[] = [];
  return { decoder: video.createDecoder(softwareDecoderOptions, (out) => outputs.push(out)), outputs };
}

/** The packets among encoder outputs, asserting that none of them is a failure. */
export function packetsOf(outputs: readonly EncoderOutput[]): EncodedPacket[] {
  return outputs.map((out) => {
    assert.ok(!('error' in out), `no failure: ${'error' in out ? out.error : ''}`);
    return out;
  });
}
