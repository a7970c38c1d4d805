/**
 * Audio FEC: each audio frame (one datagram) carries its own repair shard in the audio lane, sized
 * by `audioFecTargetResidual` and `audioFecMaxOverhead`, so audio survives 1 % loss without
 * waiting a round trip for a retransmission.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Connection,
  connectionConfig,
  ProtocolConfigError,
  type CompletedFrame,
} from '../src/protocol/index.js';

const AUDIO = [{ id: 0, kind: 'audio' as const, fps: 100 }];

function sendOne(config: Parameters<typeof connectionConfig>[0]): Uint8Array[] {
  const c = new Connection({ config: { streams: AUDIO, ...config } });
  c.sendFrame(0, 0, new Uint8Array(160).fill(7), { captureUs: 0, keyframe: true });
  c.handleTimeout(0);
  const out: Uint8Array[] = [];
  for (let d = c.pollTransmit(); d !== null; d = c.pollTransmit()) out.push(d);
  return out;
}

/** Media (0x10) and repair (0x11) datagrams of stream 0; control packets aside. */
const media = (datagrams: Uint8Array[]): number[] =>
  datagrams.map((d) => d[0] ?? 0).filter((t) => t === 0x10 || t === 0x11);

describe('audio FEC', () => {
  it('sends one repair per audio frame at the initial 1 % loss, right after the frame', () => {
    assert.deepEqual(media(sendOne({})), [0x10, 0x11]);
  });

  it('sends none when the overhead allowed is 0', () => {
    assert.deepEqual(media(sendOne({ audioFecMaxOverhead: 0 })), [0x10]);
  });

  it('sends none when no loss is expected', () => {
    assert.deepEqual(media(sendOne({ fecInitialLoss: 0 })), [0x10]);
  });

  it('recovers an audio frame whose only datagram was lost', () => {
    const a = new Connection({ config: { streams: AUDIO } });
    const b = new Connection({ config: { streams: AUDIO } });
    a.sendFrame(0, 0, new Uint8Array(160).fill(9), { captureUs: 0, keyframe: true });
    a.handleTimeout(0);
    const sent: Uint8Array[] = [];
    for (let d = a.pollTransmit(); d !== null; d = a.pollTransmit()) sent.push(d);
    for (const d of sent) if (d[0] !== 0x10) b.handleDatagram(1_000, d);
    const frames: CompletedFrame[] = [];
    for (let e = b.pollEvent(); e !== null; e = b.pollEvent()) if (e.kind === 'frame') frames.push(e.frame);
    assert.equal(frames.length, 1);
    const frame = frames[0];
    assert.ok(frame !== undefined);
    assert.equal(frame.recovered, 1);
    assert.deepEqual(Array.from(frame.payload), new Array<number>(160).fill(9));
  });

  it('validates its settings', () => {
    for (const [field, value] of [
      ['audioFecTargetResidual', 0],
      ['audioFecTargetResidual', 1],
      ['audioFecMaxOverhead', -1],
      ['audioFecMaxOverhead', 5],
    ] as const) {
      assert.throws(
        () => connectionConfig({ [field]: value }),
        (e: unknown) => e instanceof ProtocolConfigError && e.field === field,
      );
    }
    const c = connectionConfig();
    assert.deepEqual([c.audioFecTargetResidual, c.audioFecMaxOverhead], [1e-4, 1]);
  });
});
