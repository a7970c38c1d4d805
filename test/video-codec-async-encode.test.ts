/**
 * The encoder on its own thread: one packet per frame it took, in order, carrying the frame's
 * number and capture time; a forced keyframe comes out as a keyframe; frames that arrive faster
 * than it encodes replace the one waiting (newest wins, counted); and the sync and async ways of
 * using it do not mix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ignoreOutputs,
  packetsOf,
  skipWithoutX264,
  softwareDecoderOptions,
  threadedEncoder,
  video,
  x264Options,
} from './support/codec.js';
import { until } from './support/video.js';

const { width: WIDTH, height: HEIGHT } = x264Options;

describe('an encoder on its own thread', { skip: skipWithoutX264 }, () => {
  it('delivers one packet per frame with its number and capture time; forced keyframes are keyframes', async () => {
    const source = video.patternSource(WIDTH, HEIGHT);
    const { encoder, outputs } = threadedEncoder();
    const decoder = video.createDecoder(softwareDecoderOptions);
    try {
      const count = 20;
      const captureUs: number[] = [];
      for (let i = 0; i < count; i++) {
        captureUs.push(video.nowUs() - 3000);
        const frame = source.capture(100 + i, captureUs[i] ?? 0);
        assert.equal(encoder.encode(frame, i === 12), true, `frame ${i} replaced nothing`);
        frame.release(); // the encoder holds its own reference
        await until(`packet ${i}`, () => outputs.length === i + 1);
      }
      await sleep(20);
      const packets = packetsOf(outputs);
      assert.equal(packets.length, count, 'exactly one packet per frame');
      packets.forEach((packet, i) => {
        assert.equal(packet.frameNumber, 100 + i);
        assert.equal(packet.captureUs, captureUs[i]);
        assert.equal(packet.keyframe, i === 0 || i === 12, `keyframe flag of frame ${i}`);
        assert.ok(packet.encodeUs > 0 && packet.encodeUs < 1_000_000);
        const picture = decoder.decodeSync(packet.data);
        assert.ok(picture !== null);
        assert.equal(video.readPixelCode(picture)?.frameNumber, 100 + i);
        picture.release();
      });
      const stats = encoder.stats();
      assert.deepEqual(
        { ...stats, lastEncodeUs: 0 },
        { framesIn: count, encoded: count, dropped: 0, errors: 0, lastEncodeUs: 0 },
      );
      assert.ok(stats.lastEncodeUs > 0);
    } finally {
      encoder.close();
      decoder.close();
    }
  });

  it('keeps only the newest waiting frame when frames come faster than it encodes', async () => {
    const source = video.patternSource(WIDTH, HEIGHT);
    const frames = Array.from({ length: 10 }, (_, i) => source.capture(i, 1000 + i));
    const { encoder, outputs } = threadedEncoder();
    try {
      // All in one turn of the event loop: each call takes microseconds, a 360p frame a
      // millisecond or more, so most calls find a frame still waiting and replace it.
      const taken = frames.map((frame) => encoder.encode(frame, false));
      for (const frame of frames) frame.release();
      const replaced = taken.filter((t) => !t).length;
      assert.ok(replaced >= 1, 'some frames were replaced');
      await until('the packets', () => outputs.length === frames.length - replaced);
      await sleep(30);
      const packets = packetsOf(outputs);
      assert.equal(packets.length, frames.length - replaced, 'one packet per frame not replaced');
      const numbers = packets.map((p) => p.frameNumber);
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => a - b),
        'in order',
      );
      assert.equal(numbers.at(-1), 9, 'the newest frame is always encoded');
      assert.deepEqual(encoder.stats().dropped, replaced);
      assert.deepEqual(encoder.stats().framesIn, frames.length);
    } finally {
      encoder.close();
    }
  });

  it('carries a keyframe request over to the frame that replaces it', async () => {
    const source = video.patternSource(WIDTH, HEIGHT);
    const frames = Array.from({ length: 6 }, (_, i) => source.capture(i, i));
    const { encoder, outputs } = threadedEncoder();
    try {
      assert.equal(encoder.encode(frames[0] ?? assert.fail(), false), true);
      await until('the first packet', () => outputs.length === 1);
      // Frame 1 asks for a keyframe and is replaced at once by frames 2..5.
      const taken = frames.slice(1).map((frame, i) => encoder.encode(frame, i === 0));
      const replaced = taken.filter((t) => !t).length;
      await until('the packets', () => outputs.length === frames.length - replaced);
      const later = packetsOf(outputs).slice(1);
      // Frame 1 itself when the thread took it before frame 2 came, else the frame that
      // replaced it: the request is not lost either way.
      assert.deepEqual(
        later.filter((p) => p.keyframe).map((p) => p.frameNumber),
        [later[0]?.frameNumber],
        `keyframes among ${JSON.stringify(later.map((p) => p.frameNumber))}`,
      );
    } finally {
      for (const frame of frames) frame.release();
      encoder.close();
    }
  });

  it('refuses to mix encode and encodeSync, and closes once', () => {
    const source = video.patternSource(WIDTH, HEIGHT);
    const frame = source.capture(0, 0);
    const threaded = video.createEncoder(x264Options, ignoreOutputs);
    const sync = video.createEncoder(x264Options);
    try {
      assert.throws(() => threaded.encodeSync(frame, false), /encodeSync\(\) cannot be used .* onPacket/);
      assert.throws(() => sync.encode(frame, false), /encode\(\) needs the onPacket callback/);
      threaded.close();
      threaded.close();
      assert.throws(() => threaded.encode(frame, false), /^Error: encoder: already closed$/);
      assert.equal(threaded.stats().framesIn, 0);
    } finally {
      frame.release();
      threaded.close();
      sync.close();
    }
  });
});
