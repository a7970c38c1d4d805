/**
 * Bytes from the network are untrusted: random and mutated datagrams are counted and dropped,
 * the connection never throws, and real traffic around them still gets through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Connection } from '../src/protocol/index.js';

const streams = [{ id: 1, kind: 'video' as const, fps: 60 }];
// A small history keeps each of the hundreds of connections below cheap to build.
const config = { streams, historyPackets: 256 };

/** A few real datagrams from a sender, to mutate. */
function realDatagrams(): Uint8Array[] {
  const sender = new Connection({ config });
  const payload = new Uint8Array(5000).map((_, i) => i & 0xff);
  sender.sendFrame(0, 1, payload, { captureUs: 0, keyframe: true });
  sender.handleTimeout(100_000);
  const out: Uint8Array[] = [];
  for (let d = sender.pollTransmit(); d !== null; d = sender.pollTransmit()) {
    if (d[0] === 0x10 || d[0] === 0x11) out.push(d.slice()); // media and repair only, not the ping
  }
  return out;
}

describe('malformed traffic', () => {
  const seeds = realDatagrams();

  it('never throws on random bytes, and counts every one it drops', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 1400 }), { maxLength: 40 }),
        (datagrams) => {
          const c = new Connection({ config });
          let now = 0;
          for (const d of datagrams) {
            now += 100;
            c.handleDatagram(now, d);
            c.handleTimeout(now);
          }
          const stats = c.stats();
          const accepted = stats.streams[0]?.packetsReceived ?? 0;
          assert.ok(stats.malformed + accepted <= datagrams.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated or truncated real datagrams, and accounts for every one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (pick, flips, truncate) => {
          const c = new Connection({ config });
          const victim = seeds[pick]?.slice() ?? new Uint8Array(0);
          for (const [at, value] of flips) victim[at % victim.length] = value;
          c.handleDatagram(1, truncate ? victim.subarray(0, victim.length - 1) : victim);
          seeds.forEach((d, i) => {
            if (i !== pick) c.handleDatagram(2, d);
          });
          c.handleTimeout(3);
          const stats = c.stats();
          const stream = stats.streams[0];
          assert.ok(stream !== undefined);
          assert.equal(stats.datagramsIn, seeds.length);
          assert.ok(stats.malformed + stream.packetsReceived + stream.duplicates >= seeds.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts a datagram of another version or type as malformed', () => {
    for (const first of [0x00, 0x13, 0x20, 0xff]) {
      const c = new Connection({ config });
      const d = seeds[0]?.slice() ?? new Uint8Array(0);
      d[0] = first;
      c.handleDatagram(1, d);
      assert.equal(c.stats().malformed, 1, `first byte ${first}`);
    }
  });

  it('counts each kind of bad datagram by reason and still takes the real frame', () => {
    const c = new Connection({ config });
    c.handleDatagram(1, new Uint8Array(0));
    c.handleDatagram(1, new Uint8Array([0x20, 0, 0, 0]));
    c.handleDatagram(1, new Uint8Array(2000));
    const wrongStream = seeds[0]?.slice() ?? new Uint8Array(0);
    wrongStream[2] = 9;
    c.handleDatagram(1, wrongStream);
    for (const d of seeds) c.handleDatagram(2, d);
    c.handleTimeout(3);
    const stats = c.stats();
    assert.equal(stats.malformed, 4);
    assert.equal(stats.malformedByReason.truncated, 1);
    assert.equal(stats.malformedByReason['unknown-type'], 1);
    assert.equal(stats.malformedByReason.oversized, 1);
    assert.equal(stats.malformedByReason['unknown-stream'], 1);
    let completed = 0;
    for (let e = c.pollEvent(); e !== null; e = c.pollEvent()) if (e.kind === 'frame-complete') completed++;
    assert.equal(completed, 1);
  });
});
