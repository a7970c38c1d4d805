import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, millis, seconds, type LinkConfig, type SendVerdict } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

function datagram(id: number, size = 100): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, id);
  return bytes;
}

function idOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

interface Run {
  readonly link: Link;
  readonly verdicts: SendVerdict[];
  readonly deliveries: { readonly id: number; readonly at: number }[];
}

function run(config: LinkConfig, n: number, spacing: number, size = 100): Run {
  const link = new Link(config, new Rng(1));
  const verdicts: SendVerdict[] = [];
  const deliveries: { id: number; at: number }[] = [];
  let sent = 0;
  for (;;) {
    const nextSend = sent < n ? sent * spacing : Number.POSITIVE_INFINITY;
    const now = Math.min(nextSend, link.pollTimeout() ?? Number.POSITIVE_INFINITY);
    if (now === Number.POSITIVE_INFINITY) break;
    for (let d = link.pollDeliver(micros(now)); d !== null; d = link.pollDeliver(micros(now))) {
      deliveries.push({ id: idOf(d), at: now });
    }
    if (now === nextSend) verdicts.push(link.handleSend(micros(now), datagram(sent++, size)));
  }
  return { link, verdicts, deliveries };
}

describe('netsim: outages', () => {
  it('drops everything sent in the window, delivers nothing for it, and resumes after', () => {
    // One packet per millisecond for 3 s, 10 ms delay, down from 1 s to 2 s.
    const r = run({ delay: millis(10), outages: [{ start: seconds(1), duration: seconds(1) }] }, 3000, 1000);
    r.verdicts.forEach((v, id) => {
      assert.equal(v, id >= 1000 && id < 2000 ? 'outage' : 'accepted', `packet ${id}`);
    });
    assert.equal(r.link.stats().droppedOutage, 1000);
    assert.equal(r.deliveries.length, 2000);
    // Packets already on the wire at 1 s still arrive (up to 1.009 s); then silence until 2.01 s.
    assert.ok(!r.deliveries.some((d) => d.at >= 1_010_000 && d.at < 2_010_000));
    const firstAfter = r.deliveries.find((d) => d.at >= 1_010_000);
    assert.deepEqual(firstAfter, { id: 2000, at: 2_010_000 });
    assert.deepEqual(
      r.deliveries.findLast((d) => d.at < 1_010_000),
      { id: 999, at: 1_009_000 },
    );
  });

  it('loses queued packets due to leave the bottleneck during the outage', () => {
    // 1000-byte packets at 16 Mbit/s into an 8 Mbit/s link with a 20-packet queue; down 100 to 200 ms.
    const config: LinkConfig = {
      rateBitsPerSecond: 8_000_000,
      queueLimitPackets: 20,
      outages: [{ start: millis(100), duration: millis(100) }],
    };
    const r = run(config, 600, 500, 1000);
    const stats = r.link.stats();
    assert.ok(
      !r.deliveries.some((d) => d.at >= 100_000 && d.at < 200_000),
      'nothing leaves during the outage',
    );
    assert.ok(
      r.deliveries.some((d) => d.at >= 200_000),
      'traffic resumes',
    );
    const sentDuring = r.verdicts.filter((v) => v === 'outage').length;
    assert.equal(sentDuring, 200);
    // The ~20 packets queued at 100 ms would have left during the outage: lost too.
    assert.ok(stats.droppedOutage >= sentDuring + 15, `droppedOutage ${stats.droppedOutage}`);
    assert.equal(stats.sent, stats.delivered + stats.droppedQueue + stats.droppedOutage + stats.inFlight);
    assert.equal(stats.inFlight, 0);
    assert.equal(stats.queueBytes, 0);
  });

  it('merges overlapping windows and honours several', () => {
    const config: LinkConfig = {
      outages: [
        { start: millis(50), duration: millis(10) },
        { start: millis(10), duration: millis(10) },
        { start: millis(15), duration: millis(10) },
      ],
    };
    const r = run(config, 100, 1000);
    const down = r.verdicts.flatMap((v, id) => (v === 'outage' ? [id] : []));
    const expected = [
      ...Array.from({ length: 15 }, (_, i) => 10 + i),
      ...Array.from({ length: 10 }, (_, i) => 50 + i),
    ];
    assert.deepEqual(down, expected);
  });

  it('leaves the loss pattern of the packets after an outage unchanged', () => {
    const loss = { kind: 'bernoulli', p: 0.1 } as const;
    const plain = run({ loss }, 2000, 1000).verdicts;
    const cut = run({ loss, outages: [{ start: millis(500), duration: millis(200) }] }, 2000, 1000).verdicts;
    assert.deepEqual(cut.slice(700), plain.slice(700));
    assert.deepEqual(cut.slice(0, 500), plain.slice(0, 500));
  });
});
