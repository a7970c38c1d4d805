import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControlKind,
  ControlWriter,
  decodeControl,
  decodeMediaHeader,
  DecodeResult,
  encodeMediaHeader,
  fragmentLength,
  MEDIA_HEADER_BYTES,
  MediaFlag,
  newMediaHeader,
  PacketType,
  peekType,
  planFragments,
  type ControlMessage,
} from '../src/protocol/wire.js';

function mediaDatagram(
  payloadBytes: number,
  edit: (h: ReturnType<typeof newMediaHeader>) => void = () => undefined,
): Uint8Array {
  const h = newMediaHeader();
  h.type = PacketType.media;
  h.flags = MediaFlag.keyframe;
  h.stream = 1;
  h.seq = 2 ** 32 - 1;
  h.frame = 77;
  h.captureUs = 1_700_000_000_123_456;
  h.sendUs = 4_000_000_000;
  h.frameBytes = 5000;
  h.shardBytes = 1000;
  h.fragments = 5;
  h.index = 4;
  h.refDistance = 0;
  h.repairs = 2;
  edit(h);
  const out = new Uint8Array(MEDIA_HEADER_BYTES + payloadBytes);
  encodeMediaHeader(h, out);
  return out;
}

describe('wire format v1', () => {
  it('round-trips a media header, 64-bit capture time and wrapped counters included', () => {
    const bytes = mediaDatagram(1000);
    assert.equal(peekType(bytes), PacketType.media);
    assert.equal(bytes[0], 0x10);
    const h = newMediaHeader();
    assert.equal(decodeMediaHeader(bytes, h, 1 << 20), DecodeResult.ok);
    assert.equal(h.seq, 2 ** 32 - 1);
    assert.equal(h.captureUs, 1_700_000_000_123_456);
    assert.equal(h.sendUs, 4_000_000_000);
    assert.equal(h.frame, 77);
    assert.equal(h.flags & MediaFlag.keyframe, MediaFlag.keyframe);
    assert.equal(h.repairs, 2);
  });

  it('rejects headers whose fields disagree with each other or with the length', () => {
    const h = newMediaHeader();
    const cases: [string, Uint8Array, DecodeResult][] = [
      ['truncated', mediaDatagram(1000).subarray(0, 20), DecodeResult.truncated],
      ['payload longer than its fragment', mediaDatagram(1001), DecodeResult.badField],
      [
        'index past the fragments',
        mediaDatagram(1000, (x) => {
          x.index = 5;
        }),
        DecodeResult.badField,
      ],
      [
        'fragments disagree with size',
        mediaDatagram(1000, (x) => {
          x.fragments = 6;
        }),
        DecodeResult.badField,
      ],
      [
        'frame larger than allowed',
        mediaDatagram(1000, (x) => {
          x.frameBytes = 2 << 20;
          x.fragments = 2098;
        }),
        DecodeResult.badField,
      ],
      [
        'zero shard size',
        mediaDatagram(1000, (x) => {
          x.shardBytes = 0;
        }),
        DecodeResult.badField,
      ],
      [
        'repair with no repairs',
        mediaDatagram(1000, (x) => {
          x.type = PacketType.repair;
          x.index = 5;
          x.repairs = 0;
        }),
        DecodeResult.badField,
      ],
      [
        'repair index among the sources',
        mediaDatagram(1000, (x) => {
          x.type = PacketType.repair;
          x.index = 1;
        }),
        DecodeResult.badField,
      ],
    ];
    for (const [name, bytes, expected] of cases)
      assert.equal(decodeMediaHeader(bytes, h, 1 << 20), expected, name);
    const wrongVersion = mediaDatagram(1000);
    wrongVersion[0] = 0x20;
    assert.equal(decodeMediaHeader(wrongVersion, h, 1 << 20), DecodeResult.badVersion);
    assert.equal(peekType(wrongVersion), -1);
    const reserved = mediaDatagram(1000);
    reserved[3] = 1;
    assert.equal(decodeMediaHeader(reserved, h, 1 << 20), DecodeResult.badField);
  });

  it('accepts a repair shard of exactly one shard', () => {
    const h = newMediaHeader();
    const repair = mediaDatagram(1000, (x) => {
      x.type = PacketType.repair;
      x.index = 6;
    });
    assert.equal(decodeMediaHeader(repair, h, 1 << 20), DecodeResult.ok);
  });

  it('cuts frames into even fragments within the payload size, with no empty last one', () => {
    for (const frameBytes of [1, 1162, 1163, 1164, 5000, 150_000, 1_500_000, 3_000_000]) {
      const { fragments, shardBytes } = planFragments(frameBytes, 1162);
      assert.ok(shardBytes <= 1162, `${frameBytes}`);
      assert.equal(fragments, Math.ceil(frameBytes / shardBytes));
      let total = 0;
      for (let i = 0; i < fragments; i++) {
        const length = fragmentLength(frameBytes, shardBytes, i);
        assert.ok(length > 0, `fragment ${i} of ${frameBytes} is empty`);
        total += length;
      }
      assert.equal(total, frameBytes);
    }
  });

  it('round-trips every control message, several in one packet', () => {
    const w = new ControlWriter(1200);
    w.begin();
    assert.ok(
      w.nack(
        1,
        [
          { start: 2 ** 32 - 2, count: 3 },
          { start: 10, count: 65536 },
        ],
        0,
        2,
      ),
    );
    assert.ok(w.keyframeRequest(1, 99));
    assert.ok(
      w.receiverReport(1, {
        highestSeq: 5,
        lossFraction: 0.02,
        jitterUs: 1234,
        estimateBps: 7_999_000,
        receiveBps: 8_000_000,
        deadlineUs: 43_000,
      }),
    );
    assert.ok(w.ping(7, 1_700_000_000_000_001));
    assert.ok(w.pong(7, 1, 2, 3));
    const bytes = w.finish();
    const out: ControlMessage[] = [];
    assert.equal(decodeControl(bytes, out), DecodeResult.ok);
    assert.deepEqual(
      out.map((m) => m.kind),
      [
        ControlKind.nack,
        ControlKind.keyframeRequest,
        ControlKind.receiverReport,
        ControlKind.ping,
        ControlKind.pong,
      ],
    );
    const [nack, , report, ping] = out;
    assert.deepEqual(nack, {
      kind: ControlKind.nack,
      stream: 1,
      ranges: [
        { start: 2 ** 32 - 2, count: 3 },
        { start: 10, count: 65536 },
      ],
    });
    assert.ok(report?.kind === ControlKind.receiverReport);
    assert.ok(Math.abs(report.report.lossFraction - 0.02) < 1 / 65535);
    assert.equal(report.report.estimateBps, 7_999_000);
    assert.deepEqual(ping, { kind: ControlKind.ping, stream: 0, id: 7, t1: 1_700_000_000_000_001 });
  });

  it('drops a whole control packet when any message is wrong, and refuses what does not fit', () => {
    const w = new ControlWriter(64);
    w.begin();
    assert.ok(w.ping(1, 1));
    assert.ok(w.pong(1, 1, 2, 3));
    assert.equal(w.pong(2, 1, 2, 3), false, 'a third message does not fit in 64 bytes');
    const bytes = w.finish();
    const out: ControlMessage[] = [];
    const trailing = new Uint8Array(bytes.length + 1);
    trailing.set(bytes);
    assert.equal(decodeControl(trailing, out), DecodeResult.badField);
    assert.equal(out.length, 0);
    const shortBody = bytes.slice();
    shortBody[7] = 11; // the ping's body length
    assert.notEqual(decodeControl(shortBody, out), DecodeResult.ok);
    assert.equal(out.length, 0);
    const unknown = bytes.slice();
    unknown[4] = 99;
    assert.equal(decodeControl(unknown, out), DecodeResult.badField);
    assert.equal(decodeControl(bytes.subarray(0, 3), out), DecodeResult.truncated);
  });
});
