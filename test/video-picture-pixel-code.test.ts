/**
 * The pixel code on the synthetic camera's own frames: the frame number and capture time it was
 * stamped with come back exactly, for the edge values, for any 32-bit frame number with any
 * safe-integer time, and at every block layout (4, 8 and 16 px blocks, two to four rows).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadVideo } from './support/video.js';

const video = loadVideo();

/** A small deterministic generator (xorshift32), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

function roundTrip(width: number, height: number, frameNumber: number, captureUs: number): void {
  const source = video.patternSource(width, height);
  const frame = source.capture(frameNumber, captureUs);
  try {
    assert.equal(frame.format, 'nv12');
    assert.deepEqual([frame.frameNumber, frame.captureUs], [frameNumber, captureUs]);
    assert.deepEqual(video.readPixelCode(frame), { frameNumber, captureUs }, `${width}x${height}`);
  } finally {
    frame.release();
  }
}

describe('the pixel code on raw pattern frames', () => {
  it('reads back edge frame numbers and times, large realtime stamps included', () => {
    const now = video.nowUs();
    const numbers = [0, 1, 255, 65_536, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
    const times = [
      0,
      1,
      1.8e15,
      1.8e15 + 1,
      now,
      -1,
      -16_667,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    const source = video.patternSource(1280, 720);
    for (const frameNumber of numbers) {
      for (const captureUs of times) {
        const frame = source.capture(frameNumber, captureUs);
        assert.deepEqual(video.readPixelCode(frame), { frameNumber, captureUs });
        frame.release();
      }
    }
  });

  it('reads back 2000 random numbers and times from reused pool frames', () => {
    const next = rng(0x5eed);
    const source = video.patternSource(640, 360);
    for (let i = 0; i < 2000; i++) {
      const frameNumber = next();
      // 53 random bits, then a random sign: every safe integer fits the 56-bit field.
      const magnitude = (next() & 0x1f_ffff) * 2 ** 32 + next();
      const captureUs = next() & 1 ? -magnitude : magnitude;
      const frame = source.capture(frameNumber, captureUs);
      assert.deepEqual(video.readPixelCode(frame), { frameNumber, captureUs }, `case ${i}`);
      frame.release();
    }
  });

  it('reads back at every layout, from the smallest picture to 3K', () => {
    // 128 and 200 wide: 4 px blocks in 4 and 3 rows; 256 and 320: 8 px in 4 rows; 640: 8 px in 2
    // rows; from 1024: 16 px macroblocks in 2 rows. Heights that are not multiples of 16 too.
    const sizes: [number, number][] = [
      [128, 64],
      [200, 100],
      [256, 64],
      [320, 180],
      [640, 360],
      [1000, 562],
      [1024, 576],
      [1280, 720],
      [1920, 1080],
      [2880, 1620],
    ];
    for (const [width, height] of sizes) roundTrip(width, height, 4_000_000_000, 1_800_000_123_456_789);
  });

  it('rejects a released frame and what is not a frame, in one line', () => {
    const frame = video.patternSource(640, 360).capture(9, 9);
    frame.release();
    assert.throws(() => video.readPixelCode(frame), { message: 'readPixelCode: frame was already released' });
    assert.throws(() => video.readPixelCode({} as never), {
      name: 'TypeError',
      message: 'readPixelCode: frame must be a VideoFrame',
    });
  });
});
