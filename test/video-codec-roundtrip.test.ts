/**
 * x264 → software decoder round trip of synthetic-camera frames, on the calling thread
 * (encodeSync/decodeSync): every picture comes back with the pixel code it was stamped with, a
 * forced keyframe is an IDR that a fresh decoder can start from (with and without intra refresh),
 * and yuv420p frames (what a decoder hands out) encode as well as the camera's NV12.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncodedPacket, VideoFrame } from '../src/media/index.js';
import {
  captureUsOf,
  encodeStream,
  skipWithoutX264,
  softwareDecoderOptions,
  video,
  x264Options,
} from './support/codec.js';

const { width: WIDTH, height: HEIGHT } = x264Options;

function packetAt(packets: readonly EncodedPacket[], n: number): Uint8Array {
  const packet = packets[n];
  assert.ok(packet !== undefined, `packet ${n} exists`);
  return packet.data;
}

function assertCode(picture: VideoFrame | null, n: number): void {
  assert.ok(picture !== null, `packet ${n} decoded to a picture`);
  try {
    assert.deepEqual([picture.width, picture.height], [WIDTH, HEIGHT]);
    assert.deepEqual(
      video.readPixelCode(picture),
      { frameNumber: n, captureUs: captureUsOf(n) },
      `frame ${n}`,
    );
  } finally {
    picture.release();
  }
}

describe('x264 to the software decoder on the calling thread', { skip: skipWithoutX264 }, () => {
  it('decodes every frame with the pixel code it was stamped with', () => {
    const source = video.patternSource(WIDTH, HEIGHT);
    const encoder = video.createEncoder(x264Options);
    const decoder = video.createDecoder(softwareDecoderOptions);
    try {
      const count = 30;
      for (let n = 0; n < count; n++) {
        const frame = source.capture(n, captureUsOf(n));
        const packet = encoder.encodeSync(frame, false);
        frame.release();
        assert.ok(packet !== null);
        assert.equal(packet.frameNumber, n);
        assert.equal(packet.captureUs, captureUsOf(n));
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
      const packets = encodeStream({ ...x264Options, gopFrames: 30, intraRefresh }, 40, [forced]);
      const keyframes = packets.flatMap((p, n) => (p.keyframe ? [n] : []));
      // Without intra refresh the GOP ends at 30 too (counted from the forced IDR it is 47).
      assert.deepEqual(keyframes, [0, forced]);

      const late = video.createDecoder(softwareDecoderOptions);
      try {
        for (let n = forced; n < packets.length; n++) assertCode(late.decodeSync(packetAt(packets, n)), n);
      } finally {
        late.close();
      }
      // A frame that is not a keyframe is not a place to start: the check above means something.
      const early = video.createDecoder(softwareDecoderOptions);
      try {
        assert.throws(() => early.decodeSync(packetAt(packets, forced + 1)), /^Error: h264 decoder: /);
      } finally {
        early.close();
      }
    });
  }

  it('encodes yuv420p frames as they come, and converts a later NV12 frame', () => {
    // Decoded pictures are yuv420p: re-encoding them is what a relay or a test loop does.
    const first = encodeStream(x264Options, 8);
    const decoder = video.createDecoder(softwareDecoderOptions);
    const encoder = video.createEncoder(x264Options);
    const again = video.createDecoder(softwareDecoderOptions);
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
          frame = source.capture(n, captureUsOf(n));
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
