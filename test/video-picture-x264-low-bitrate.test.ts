/**
 * The pixel code survives x264 at a starved bitrate: 1280x720 at 60 fps and 500 kbit/s through
 * the product's Encoder (ultrafast, zero latency, one-frame VBV) and the software decoder. Once
 * the encoder has settled (its first frames are grey while the VBV recovers from the IDR), nearly
 * every picture reads back as its own frame; the rest read as an earlier frame (the encoder
 * repeated the picture) or null; never as a frame that was not shown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  captureUsOf,
  encodeStream,
  skipWithoutX264,
  softwareDecoderOptions,
  video,
  x264Options,
} from './support/codec.js';

const FRAMES = 150;
const SETTLE = 10;

function run(intraRefresh: boolean): void {
  const options = { ...x264Options, width: 1280, height: 720, bitrateBps: 500_000, intraRefresh };
  const packets = encodeStream(options, FRAMES);
  const decoder = video.createDecoder(softwareDecoderOptions);
  let exact = 0;
  const misses: string[] = [];
  try {
    for (const [n, packet] of packets.entries()) {
      const picture = decoder.decodeSync(packet.data);
      assert.ok(picture !== null);
      const code = video.readPixelCode(picture);
      picture.release();
      if (code !== null) {
        assert.ok(code.frameNumber <= n, `frame ${n} read as later frame ${code.frameNumber}`);
        assert.equal(
          code.captureUs,
          captureUsOf(code.frameNumber),
          `frame ${n}: time of ${code.frameNumber}`,
        );
      }
      if (code?.frameNumber === n) {
        if (n >= SETTLE) exact++;
      } else if (n >= SETTLE) {
        misses.push(`${n}:${code === null ? 'null' : code.frameNumber}`);
      }
    }
  } finally {
    decoder.close();
  }
  const bytes = packets.reduce((sum, packet) => sum + packet.data.length, 0);
  const kbps = (bytes * 8) / (FRAMES / options.fps) / 1000;
  assert.ok(kbps < 600, `the stream is starved as intended (${kbps.toFixed(0)} kbit/s)`);
  const share = exact / (FRAMES - SETTLE);
  assert.ok(share >= 0.85, `${(share * 100).toFixed(1)}% read exactly; misses ${misses.join(' ')}`);
}

describe('the pixel code through x264 at 500 kbit/s, 720p60', { skip: skipWithoutX264 }, () => {
  it('reads back nearly every frame once the encoder has settled', () => {
    run(false);
  });

  it('does so with intra refresh as well', () => {
    run(true);
  });
});
