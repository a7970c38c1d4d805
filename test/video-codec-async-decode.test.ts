/**
 * The decoder on its own thread: exactly one onFrame per accepted access unit, in order, with
 * its tag; a picture for each frame (null for parameter sets alone); garbage gives {tag, error}
 * and the decoder goes on; the queue is bounded (decode() says false when full); and the sync
 * and async ways of using it do not mix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DecodedPicture, DecoderOutput } from '../src/media/index.js';
import {
  encodeStream,
  ignoreOutputs,
  skipWithoutX264,
  softwareDecoderOptions,
  threadedDecoder,
  video,
  x264Options,
} from './support/codec.js';
import { until } from './support/video.js';

/** The code read from a picture output (and releases its frame), or what it was instead. */
function codeOf(out: DecoderOutput | undefined): number | string {
  if (out === undefined) return 'nothing';
  if ('error' in out) return `error ${out.error}`;
  if (out.frame === null) return 'no picture';
  const code = video.readPixelCode(out.frame);
  out.frame.release();
  return code?.frameNumber ?? 'no code';
}

/** Byte offset of the first NAL unit of `type` in an H.264 Annex B access unit. */
function nalOffset(data: Uint8Array, type: number): number {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1 && ((data[i + 3] ?? 0) & 0x1f) === type) {
      return i > 0 && data[i - 1] === 0 ? i - 1 : i;
    }
  }
  return assert.fail(`no NAL unit of type ${type}`);
}

describe('a decoder on its own thread', { skip: skipWithoutX264 }, () => {
  it('calls onFrame once per access unit, in order, with its tag and picture', async () => {
    const packets = encodeStream(x264Options, 16);
    const { decoder, outputs } = threadedDecoder();
    try {
      const calledUs: number[] = [];
      for (const [n, packet] of packets.entries()) {
        calledUs.push(video.nowUs());
        assert.equal(decoder.decode(packet.data, 9000 + n), true);
        await until(`picture ${n}`, () => outputs.length === n + 1);
      }
      await sleep(20);
      assert.equal(outputs.length, packets.length);
      outputs.forEach((out, n) => {
        assert.equal(out.tag, 9000 + n);
        assert.ok(!('error' in out));
        const picture: DecodedPicture = out;
        assert.ok(picture.frame !== null && picture.frame.format === 'yuv420p');
        assert.ok(picture.decodedUs >= (calledUs[n] ?? Infinity), 'decoded after decode() was called');
        assert.ok(picture.decodedUs <= video.nowUs());
        assert.ok(picture.decodeUs > 0 && picture.decodeUs <= picture.decodedUs - (calledUs[n] ?? 0));
        assert.equal(codeOf(out), n);
      });
      assert.deepEqual(decoder.stats(), { packetsIn: 16, decoded: 16, errors: 0, dropped: 0 });
    } finally {
      decoder.close();
    }
  });

  it('gives no picture for parameter sets alone, then the picture for the slices', async () => {
    const [first] = encodeStream(x264Options, 1);
    assert.ok(first !== undefined);
    const { decoder, outputs } = threadedDecoder();
    try {
      const slices = nalOffset(first.data, 5); // SPS, PPS (and SEI) come before the IDR slice
      assert.ok(decoder.decode(first.data.subarray(0, slices), 1));
      assert.ok(decoder.decode(first.data.subarray(slices), 2));
      await until('two outputs', () => outputs.length === 2);
      assert.deepEqual(
        outputs.map((out) => [out.tag, codeOf(out)]),
        [
          [1, 'no picture'],
          [2, 0],
        ],
      );
    } finally {
      decoder.close();
    }
  });

  it('answers garbage with an error line for its tag and keeps decoding', async () => {
    const packets = encodeStream(x264Options, 4);
    const { decoder, outputs } = threadedDecoder();
    try {
      const junk = new Uint8Array(300).map((_, i) => (i * 37 + 11) & 0xff);
      // A slice (first_mb 0, type I, pps_id 5) whose picture parameter set never came. Not an
      // IDR slice: a broken IDR would rightly cut the frames after it off their references.
      const startCodeThenJunk = new Uint8Array([0, 0, 0, 1, 0x41, 0x88, 0x30, ...junk]);
      const sequence: [Uint8Array, number][] = [
        [packets[0]?.data ?? assert.fail(), 0],
        [junk, 100],
        [packets[1]?.data ?? assert.fail(), 1],
        [startCodeThenJunk, 101],
        [packets[2]?.data ?? assert.fail(), 2],
        [new Uint8Array(0), 102],
        [packets[3]?.data ?? assert.fail(), 3],
      ];
      for (const [data, tag] of sequence) {
        assert.equal(decoder.decode(data, tag), true);
        await until(`output for tag ${tag}`, () => outputs.some((out) => out.tag === tag));
      }
      assert.deepEqual(
        outputs.map((out) => out.tag),
        sequence.map(([, tag]) => tag),
      );
      for (const out of outputs) {
        if (out.tag >= 100) {
          assert.ok('error' in out, `tag ${out.tag} is an error`);
          assert.match(out.error, /^h264 decoder: \S.*$/);
          assert.doesNotMatch(out.error, /\n/);
        } else {
          assert.equal(codeOf(out), out.tag, `tag ${out.tag} decoded after the garbage`);
        }
      }
      assert.match(
        (outputs[1] as { error: string }).error,
        /^h264 decoder: Invalid data found when processing input/,
      );
      assert.deepEqual(decoder.stats(), { packetsIn: 7, decoded: 4, errors: 3, dropped: 0 });
    } finally {
      decoder.close();
    }
  });

  it('holds at most 8 access units in flight and says false beyond that', async () => {
    const packets = encodeStream(x264Options, 12);
    const { decoder, outputs } = threadedDecoder();
    try {
      // One turn of the event loop: no onFrame can run, so no slot comes back meanwhile.
      const taken = packets.map((packet, n) => decoder.decode(packet.data, n));
      assert.deepEqual(taken, [...Array<boolean>(8).fill(true), ...Array<boolean>(4).fill(false)]);
      await until('eight outputs', () => outputs.length === 8);
      await sleep(20);
      assert.deepEqual(
        outputs.map((out) => [out.tag, codeOf(out)]),
        Array.from({ length: 8 }, (_, n) => [n, n]),
      );
      assert.deepEqual(decoder.stats(), { packetsIn: 12, decoded: 8, errors: 0, dropped: 4 });
      // Slots are free again once their callbacks ran.
      assert.equal(decoder.decode(packets[8]?.data ?? assert.fail(), 8), true);
      await until('the ninth output', () => outputs.length === 9);
      assert.equal(codeOf(outputs[8]), 8);
    } finally {
      decoder.close();
    }
  });

  it('refuses to mix decode and decodeSync, and closes once', () => {
    const threaded = video.createDecoder(softwareDecoderOptions, ignoreOutputs);
    const sync = video.createDecoder(softwareDecoderOptions);
    try {
      const data = new Uint8Array([0, 0, 0, 1, 0x67]);
      assert.throws(() => threaded.decodeSync(data), /decodeSync\(\) cannot be used .* onFrame/);
      assert.throws(() => sync.decode(data, 1), /decode\(\) needs the onFrame callback/);
      assert.throws(
        () => threaded.decode('nope' as unknown as Uint8Array, 1),
        /^TypeError: decoder: data must be a Uint8Array$/,
      );
      threaded.close();
      threaded.close();
      assert.throws(() => threaded.decode(data, 1), /^Error: decoder: already closed$/);
      assert.deepEqual(threaded.stats(), { packetsIn: 0, decoded: 0, errors: 0, dropped: 0 });
    } finally {
      threaded.close();
      sync.close();
    }
  });
});
