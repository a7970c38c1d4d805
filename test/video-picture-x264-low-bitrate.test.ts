/**
 * The pixel code survives x264 at a starved bitrate: 1280x720 at 60 fps and 500 kbit/s through
 * the product's Encoder (ultrafast, zero latency, one-frame VBV) and the software decoder. Once
 * the encoder has settled (its first frames are grey while the VBV recovers from the IDR), nearly
 * every picture reads back as its own frame; the rest read as an earlier frame (the encoder
 * repeated the picture) or null; never as a frame that was not shown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const skip = video.features.includes('x264') ? false : 'this build has no x264 feature';

const WIDTH = 1280;
const HEIGHT = 720;
const FPS = 60;
const BITRATE = 500_000;
const FRAMES = 150;
const SETTLE = 10;
const captureOf = (n: number): number => 1_800_000_000_000_000 + n * 16_667;

function run(intraRefresh: boolean): void {
  const source = video.patternSource(WIDTH, HEIGHT);
  const encoder = video.createEncoder({
    codec: 'h264',
    implementation: 'x264',
    width: WIDTH,
    height: HEIGHT,
    fps: FPS,
    bitrateBps: BITRATE,
    gopFrames: 600,
    intraRefresh,
  });
  const decoder = video.createDecoder({ codec: 'h264', implementation: 'software' });
  let bytes = 0;
  let exact = 0;
  const misses: string[] = [];
  try {
    for (let n = 0; n < FRAMES; n++) {
      const frame = source.capture(n, captureOf(n));
      const packet = encoder.encodeSync(frame, false);
      frame.release();
      assert.ok(packet !== null);
      bytes += packet.data.length;
      const picture = decoder.decodeSync(packet.data);
      assert.ok(picture !== null);
      const code = video.readPixelCode(picture);
      picture.release();
      if (code !== null) {
        assert.ok(code.frameNumber <= n, `frame ${n} read as later frame ${code.frameNumber}`);
        assert.equal(code.captureUs, captureOf(code.frameNumber), `frame ${n}: time of ${code.frameNumber}`);
      }
      if (code?.frameNumber === n) {
        if (n >= SETTLE) exact++;
      } else if (n >= SETTLE) {
        misses.push(`${n}:${code === null ? 'null' : code.frameNumber}`);
      }
    }
  } finally {
    encoder.close();
    decoder.close();
  }
  const kbps = (bytes * 8) / (FRAMES / FPS) / 1000;
  assert.ok(kbps < 600, `the stream is starved as intended (${kbps.toFixed(0)} kbit/s)`);
  const share = exact / (FRAMES - SETTLE);
  assert.ok(share >= 0.85, `${(share * 100).toFixed(1)}% read exactly; misses ${misses.join(' ')}`);
}

describe('the pixel code through x264 at 500 kbit/s, 720p60', { skip }, () => {
  it('reads back nearly every frame once the encoder has settled', () => {
    run(false);
  });

  it('does so with intra refresh as well', () => {
    run(true);
  });
});
