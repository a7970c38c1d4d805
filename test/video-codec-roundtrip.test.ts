/**
 * x264 → software decoder round trip of synthetic-camera frames, on the calling thread
 * (encodeSync/decodeSync): every picture comes back with the pixel code it was stamped with, a
 * forced keyframe is an IDR that a fresh decoder can start from (with and without intra refresh),
 * and yuv420p frames (what a decoder hands out) encode as well as the camera's NV12.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncodedPacket, EncoderOptions, VideoFrame } from '../src/media/index.js';
import { loadVideo } from './support/video.js';

const video = loadVideo();
const skip = video.features.includes('x264') ? false : 'this build has no x264 feature';

const WIDTH = 640;
const HEIGHT = 360;
const T0 = 1_700_000_000_000_000;
const captureOf = (n: number): number => T0 + n * 16_667;

const x264: EncoderOptions = {
  codec: 'h264',
  implementation: 'x264',
  width: WIDTH,
  height: HEIGHT,
  fps: 60,
  bitrateBps: 2_000_000,
  gopFrames: 600,
  intraRefresh: false,
};

/** Encodes `count` pattern frames numbered from 0, forcing keyframes at `forced`. */
function encodeStream(
  options: EncoderOptions,
  count: number,
  forced: readonly number[] = [],
): EncodedPacket[] {
  const source = video.patternSource(WIDTH, HEIGHT);
  const encoder = video.createEncoder(options);
  try {
    const packets: EncodedPacket[] = [];
    for (let n = 0; n < count; n++) {
      const frame = source.capture(n, captureOf(n));
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

function packetAt(packets: readonly EncodedPacket[], n: number): Uint8Array {
  const packet = packets[n];
  assert.ok(packet !== undefined, `packet ${n} exists`);
  return packet.data;
}

function assertCode(picture: VideoFrame | null, n: number): void {
  assert.ok(picture !== null, `packet ${n} decoded to a picture`);
  try {
    assert.deepEqual([picture.width, picture.height], [WIDTH, HEIGHT]);
    assert.deepEqual(video.readPixelCode(picture), { frameNumber: n, captureUs: captureOf(n) }, `frame ${n}`);
  } finally {
    picture.release();
  }
}

describe('x264 to the software decoder on the calling thread', { skip }, () => {
  it('decodes every frame with the pixel code it was stamped with', () => {
    const source = video.patternSource(WIDTH, HEIGHT);
    const encoder = video.createEncoder(x264);
    const decoder = video.createDecoder({ codec: 'h264', implementation: 'software' });
    try {
      const count = 30;
      for (let n = 0; n < count; n++) {
        const frame = source.capture(n, captureOf(n));
        const packet = encoder.encodeSync(frame, false);
        frame.release();
        assert.ok(packet !== null);
        assert.equal(packet.frameNumber, n);
        assert.equal(packet.captureUs, captureOf(n));
        assert.equal(packet.keyframe, n === 0, `only the first frame is a keyframe (frame ${n})`);
        assert.ok(packet.encodeUs > 0);
        assert.deepEqual([...packet.data.subarray(0, 4)], [0, 0, 0, 1], 'Annex B');
        const picture = decoder.decodeSync(packet.data);
        assert.equal(picture?.format, 'yuv420p');
        assertCode(picture, n);
      }
      assert.deepEqual(encoder.stats(), {
        framesIn: count,
        encoded: count,
        dropped: 0,
        errors: 0,
        lastEncodeUs: encoder.stats().lastEncodeUs,
      });
      assert.deepEqual(decoder.stats(), { packetsIn: count, decoded: count, errors: 0, dropped: 0 });
    } finally {
      encoder.close();
      decoder.close();
    }
  });

  for (const intraRefresh of [false, true]) {
    it(`makes a forced keyframe an IDR a new decoder starts from (intra refresh ${intraRefresh})`, () => {
      const forced = 17;
      const packets = encodeStream({ ...x264, gopFrames: 30, intraRefresh }, 40, [forced]);
      const keyframes = packets.flatMap((p, n) => (p.keyframe ? [n] : []));
      // Without intra refresh the GOP ends at 30 too (counted from the forced IDR it is 47).
      assert.deepEqual(keyframes, [0, forced]);

      const late = video.createDecoder({ codec: 'h264', implementation: 'software' });
      try {
        for (let n = forced; n < packets.length; n++) assertCode(late.decodeSync(packetAt(packets, n)), n);
      } finally {
        late.close();
      }
      // A frame that is not a keyframe is not a place to start: the check above means something.
      const early = video.createDecoder({ codec: 'h264', implementation: 'software' });
      try {
        assert.throws(() => early.decodeSync(packetAt(packets, forced + 1)), /^Error: h264 decoder: /);
      } finally {
        early.close();
      }
    });
  }

  it('encodes yuv420p frames as they come, and converts a later NV12 frame', () => {
    // Decoded pictures are yuv420p: re-encoding them is what a relay or a test loop does.
    const first = encodeStream(x264, 8);
    const decoder = video.createDecoder({ codec: 'h264', implementation: 'software' });
    const encoder = video.createEncoder(x264);
    const again = video.createDecoder({ codec: 'h264', implementation: 'software' });
    const source = video.patternSource(WIDTH, HEIGHT);
    try {
      for (let n = 0; n < first.length; n++) {
        // Frame 6 comes from the camera (NV12) after the encoder settled on yuv420p (the
        // decoder still decodes its own frame 6: frame 7 refers to it).
        const decoded = decoder.decodeSync(packetAt(first, n));
        assert.ok(decoded !== null);
        let frame = decoded;
        if (n === 6) {
          decoded.release();
          frame = source.capture(n, captureOf(n));
        }
        assert.equal(frame.format, n === 6 ? 'nv12' : 'yuv420p');
        const packet = encoder.encodeSync(frame, false);
        frame.release();
        assert.ok(packet !== null);
        assertCode(again.decodeSync(packet.data), n);
      }
      assert.equal(encoder.stats().errors, 0);
    } finally {
      decoder.close();
      encoder.close();
      again.close();
    }
  });
});
