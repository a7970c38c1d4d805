/**
 * A sender that starts over (a keyframe far behind what the receiver has seen) restarts the
 * receive state, but not its counters: every datagram before and after stays accounted for.
 * Found by the malformed-traffic property test: a mutated header looked like a stream far ahead,
 * and the real packets after it restarted the stream and lost its count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection } from '../src/protocol/index.js';

const config = { streams: [{ id: 1, kind: 'video' as const, fps: 60 }], historyPackets: 256 };

function datagramsOfOneFrame(): Uint8Array[] {
  const sender = new Connection({ config });
  sender.sendFrame(0, 1, new Uint8Array(5000).fill(7), { captureUs: 0, keyframe: true });
  sender.handleTimeout(100_000);
  const out: Uint8Array[] = [];
  for (let d = sender.pollTransmit(); d !== null; d = sender.pollTransmit()) {
    if (d[0] === 0x10 || d[0] === 0x11) out.push(d.slice());
  }
  return out;
}

describe('stream restart', () => {
  it('keeps the receive counters across a restart', () => {
    const seeds = datagramsOfOneFrame();
    const ahead = seeds[0]?.slice() ?? new Uint8Array(0);
    // Sequence and frame id far ahead (the header's bytes 4 and 8, as the property test found).
    ahead[4] = 1;
    ahead[8] = 1;
    const receiver = new Connection({ config });
    receiver.handleDatagram(1, ahead);
    for (const d of seeds.slice(1)) receiver.handleDatagram(2, d);
    const stats = receiver.stats();
    assert.equal(stats.streamRestarts, 1);
    assert.equal(stats.streams[0]?.packetsReceived, seeds.length);
  });
});
