/**
 * The send queue: audio before retransmissions before video before FEC, and a video frame
 * spread over a quarter of its interval rather than sent as one burst.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lane, Pacer } from '../src/protocol/pacer.js';
import { Connection } from '../src/protocol/index.js';

const tag = (n: number): Uint8Array => new Uint8Array([n]);

describe('pacer', () => {
  it('serves due datagrams strictly by lane priority, FIFO within a lane', () => {
    const p = new Pacer(16);
    p.enqueue(Lane.repair, tag(4), 0);
    p.enqueue(Lane.video, tag(3), 0);
    p.enqueue(Lane.video, tag(33), 0);
    p.enqueue(Lane.retransmission, tag(2), 0);
    p.enqueue(Lane.audio, tag(1), 0);
    p.enqueue(Lane.probe, tag(5), 0);
    const order: number[] = [];
    for (let d = p.poll(0); d !== null; d = p.poll(0)) order.push(d[0] ?? -1);
    assert.deepEqual(order, [1, 2, 3, 33, 4, 5]);
  });

  it('holds a datagram until its release time, and says when that is', () => {
    const p = new Pacer(16);
    p.enqueue(Lane.video, tag(1), 500);
    p.enqueue(Lane.audio, tag(2), 0);
    assert.equal(p.poll(0)?.[0], 2);
    assert.equal(p.poll(499), null);
    assert.equal(p.nextRelease(), 500);
    assert.equal(p.poll(500)?.[0], 1);
    assert.equal(p.nextRelease(), null);
  });

  it('refuses and counts past a full lane instead of growing', () => {
    const p = new Pacer(4);
    for (let i = 0; i < 4; i++) assert.ok(p.enqueue(Lane.video, tag(i), 0));
    assert.equal(p.enqueue(Lane.video, tag(9), 0), false);
    assert.equal(p.dropped, 1);
    assert.equal(p.queued, 4);
  });
});

describe('pacing a frame', () => {
  it('spreads a frame over a quarter of the frame interval', () => {
    const c = new Connection({
      config: { streams: [{ id: 1, kind: 'video', fps: 60 }], historyPackets: 1024, fecInitialLoss: 0 },
    });
    c.sendFrame(0, 1, new Uint8Array(20_000), { captureUs: 0, keyframe: false });
    const sendTimes: number[] = [];
    for (let now = 0; now <= 20_000; now += 100) {
      c.handleTimeout(now);
      for (let d = c.pollTransmit(); d !== null; d = c.pollTransmit()) if (d[0] === 0x10) sendTimes.push(now);
    }
    assert.equal(sendTimes.length, 18);
    const first = sendTimes[0] ?? -1;
    const last = sendTimes.at(-1) ?? -1;
    assert.equal(first, 0);
    // 18 packets over 4167 µs, released a pacing quantum (1 ms) ahead of their slots.
    assert.ok(last >= 2500 && last <= 3300, `last packet at ${last} µs`);
    assert.ok(new Set(sendTimes).size >= 3, 'sent in several bursts, not one');
  });

  it('puts audio ahead of a video frame that is being paced', () => {
    const c = new Connection({
      config: {
        streams: [
          { id: 0, kind: 'audio', fps: 100 },
          { id: 1, kind: 'video', fps: 60 },
        ],
        historyPackets: 1024,
      },
    });
    c.sendFrame(0, 1, new Uint8Array(20_000), { captureUs: 0, keyframe: true });
    c.handleTimeout(0);
    const firstVideo = c.pollTransmit();
    assert.ok(firstVideo !== null);
    c.sendFrame(100, 0, new Uint8Array(200), { captureUs: 100, keyframe: true });
    c.handleTimeout(1000);
    const next = c.pollTransmit();
    assert.ok(next !== null);
    assert.equal(next[0], 0x10);
    assert.equal((next[1] ?? 0) & 0b100, 0b100, 'the audio datagram goes first');
  });
});
