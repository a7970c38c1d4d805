/**
 * setBitrate reconfigures the running x264 encoder between frames: the packets after a cut are
 * smaller, on the calling thread and on the encoder's own thread, and the stream stays
 * decodable across the change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Encoder, EncoderOptions, VideoFrame } from '../src/media/index.js';
import {
  skipWithoutX264,
  softwareDecoderOptions,
  threadedEncoder,
  video,
  x264Options,
} from './support/codec.js';
import { until } from './support/video.js';

const { width: WIDTH, height: HEIGHT, fps: FPS } = x264Options;
const HIGH = 4_000_000;
const LOW = 200_000;

const x264AtHigh: EncoderOptions = { ...x264Options, bitrateBps: HIGH };

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Encodes 40 frames at HIGH, cuts to LOW, encodes 40 more; the sizes of frames 10..39 and
 * 50..79 (each side's first frames let rate control settle), every packet decoded on the way.
 */
async function bytesBeforeAndAfter(
  encoder: Encoder,
  encode: (frame: VideoFrame) => Promise<Uint8Array>,
): Promise<{ before: number; after: number }> {
  const source = video.patternSource(WIDTH, HEIGHT);
  const decoder = video.createDecoder(softwareDecoderOptions);
  const sizes: number[] = [];
  try {
    for (let n = 0; n < 80; n++) {
      if (n === 40) encoder.setBitrate(LOW);
      const frame = source.capture(n, n);
      const data = await encode(frame);
      frame.release();
      sizes.push(data.length);
      const picture = decoder.decodeSync(data);
      assert.ok(picture !== null, `frame ${n} decodes`);
      // At 200 kbit/s a 360p picture is too coarse for the pixel code to be sure to survive.
      if (n < 40) assert.equal(video.readPixelCode(picture)?.frameNumber, n);
      picture.release();
    }
  } finally {
    decoder.close();
  }
  return { before: mean(sizes.slice(10, 40)), after: mean(sizes.slice(50, 80)) };
}

function assertCut({ before, after }: { before: number; after: number }): void {
  const lowBudget = LOW / 8 / FPS; // bytes per frame
  assert.ok(
    after < before / 2,
    `mean packet ${before.toFixed(0)} B before the cut, ${after.toFixed(0)} B after`,
  );
  assert.ok(
    after < 2 * lowBudget,
    `mean packet ${after.toFixed(0)} B at ${LOW} bit/s (${lowBudget.toFixed(0)} B a frame)`,
  );
}

describe('setBitrate on a running encoder', { skip: skipWithoutX264 }, () => {
  it('shrinks the packets that follow on the calling thread', async () => {
    const encoder = video.createEncoder(x264AtHigh);
    try {
      assertCut(
        await bytesBeforeAndAfter(encoder, (frame) => {
          const packet = encoder.encodeSync(frame, false);
          assert.ok(packet !== null);
          return Promise.resolve(packet.data);
        }),
      );
    } finally {
      encoder.close();
    }
  });

  it("shrinks the packets that follow on the encoder's thread", async () => {
    const { encoder, outputs } = threadedEncoder(x264AtHigh);
    try {
      assertCut(
        await bytesBeforeAndAfter(encoder, async (frame) => {
          const want = outputs.length + 1;
          assert.equal(encoder.encode(frame, false), true);
          await until('the packet', () => outputs.length === want, 3000, 1);
          const out = outputs[want - 1];
          assert.ok(out !== undefined && !('error' in out));
          return out.data;
        }),
      );
      assert.equal(encoder.stats().errors, 0);
    } finally {
      encoder.close();
    }
  });

  it('refuses a bitrate that is not a positive number of bits per second', () => {
    const encoder = video.createEncoder(x264AtHigh);
    try {
      for (const bps of [0, -1, Number.NaN, 5]) {
        assert.throws(() => {
          encoder.setBitrate(bps);
        }, /^RangeError: encoder: bitrate must be from 10000/);
      }
    } finally {
      encoder.close();
    }
  });
});
