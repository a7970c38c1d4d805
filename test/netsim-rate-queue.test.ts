import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, type LinkConfig, type SendVerdict } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

/** 8 Mbit/s is one byte per microsecond, which keeps the arithmetic below readable. */
const RATE = 8_000_000;
const SIZE = 1000;

function datagram(id: number, size = SIZE): Uint8Array {
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
  /** Delivery time by datagram id. */
  readonly deliveredAt: Map<number, number>;
  readonly maxQueueBytesSeen: number;
}

/** Sends `n` datagrams `spacing` apart, polling at each send and each delivery time. */
function run(config: LinkConfig, n: number, spacing: number): Run {
  const link = new Link(config, new Rng(1));
  const verdicts: SendVerdict[] = [];
  const deliveredAt = new Map<number, number>();
  let maxQueueBytesSeen = 0;
  let sent = 0;
  for (;;) {
    const nextSend = sent < n ? sent * spacing : Number.POSITIVE_INFINITY;
    const now = Math.min(nextSend, link.pollTimeout() ?? Number.POSITIVE_INFINITY);
    if (now === Number.POSITIVE_INFINITY) break;
    for (let d = link.pollDeliver(micros(now)); d !== null; d = link.pollDeliver(micros(now))) {
      deliveredAt.set(idOf(d), now);
    }
    if (now === nextSend) {
      verdicts.push(link.handleSend(micros(now), datagram(sent++)));
      maxQueueBytesSeen = Math.max(maxQueueBytesSeen, link.stats().queueBytes);
    }
  }
  return { link, verdicts, deliveredAt, maxQueueBytesSeen };
}

describe('netsim: rate limit and bounded queue', () => {
  it('serializes back-to-back packets at the rate', () => {
    const link = new Link({ rateBitsPerSecond: RATE, delay: micros(10_000) }, new Rng(1));
    for (let i = 0; i < 3; i++) assert.equal(link.handleSend(micros(0), datagram(i)), 'accepted');
    assert.equal(link.stats().queueBytes, 3000);
    assert.equal(link.stats().queuePackets, 3);
    const times: number[] = [];
    for (let t = link.pollTimeout(); t !== null; t = link.pollTimeout()) {
      assert.ok(link.pollDeliver(t) !== null);
      times.push(t);
    }
    assert.deepEqual(times, [11_000, 12_000, 13_000]);
    assert.equal(link.stats().queueBytes, 0);
    assert.equal(link.stats().maxQueueDelay, 3000);
  });

  it('counts per-packet overhead in the serialization time', () => {
    const link = new Link({ rateBitsPerSecond: RATE, overheadBytes: 28 }, new Rng(1));
    link.handleSend(micros(0), datagram(0, 972));
    assert.equal(link.pollTimeout(), 1000);
  });

  it('below capacity: no queue, only serialization delay', () => {
    const r = run({ rateBitsPerSecond: RATE, queueLimitBytes: 20 * 1024 }, 2000, 2000);
    assert.ok(r.verdicts.every((v) => v === 'accepted'));
    for (const [id, at] of r.deliveredAt) assert.equal(at - id * 2000, 1000);
    assert.equal(r.link.stats().droppedQueue, 0);
  });

  it('at twice the capacity: throughput ≈ rate, queue bounded, tail drop, delay grows to queue/rate', () => {
    const limit = 20 * 1024;
    // 2000 packets offered at 16 Mbit/s for one second.
    const r = run({ rateBitsPerSecond: RATE, queueLimitBytes: limit }, 2000, 500);
    const stats = r.link.stats();
    // Throughput: about one 1000-byte packet per millisecond once the queue is full.
    const inSecond = [...r.deliveredAt.values()].filter((t) => t >= 100_000 && t < 1_000_000).length;
    assert.ok(Math.abs(inSecond - 900) <= 2, `${inSecond} packets delivered in 0.9 s`);
    // Bounded: never more than the limit, and it does fill.
    assert.ok(
      stats.maxQueueBytes <= limit && stats.maxQueueBytes > limit - SIZE,
      `max ${stats.maxQueueBytes}`,
    );
    assert.ok(r.maxQueueBytesSeen <= limit);
    // Tail drop: about half the offered packets, and every drop reported at send time.
    assert.equal(stats.droppedQueue, r.verdicts.filter((v) => v === 'queue-full').length);
    assert.ok(Math.abs(stats.droppedQueue - 1000) < 40, `dropped ${stats.droppedQueue}`);
    assert.equal(stats.delivered + stats.droppedQueue, 2000);
    // Delay: grows by 0.5 ms per packet while the queue fills, then sits at limit/rate (20 ms).
    const delay = (id: number): number => (r.deliveredAt.get(id) ?? Number.NaN) - id * 500;
    assert.equal(delay(0), 1000);
    assert.equal(delay(10), 6000);
    const late = [...r.deliveredAt.entries()].filter(([id]) => id > 200).map(([id, at]) => at - id * 500);
    assert.ok(
      late.every((d) => d > limit - 2 * SIZE && d <= limit),
      `delays ${Math.min(...late)}..${Math.max(...late)}`,
    );
    assert.ok(stats.maxQueueDelay <= limit && stats.maxQueueDelay > limit - SIZE);
  });

  it('enforces a packet limit as well', () => {
    const link = new Link({ rateBitsPerSecond: RATE, queueLimitPackets: 5 }, new Rng(1));
    const verdicts = Array.from({ length: 8 }, (_, i) => link.handleSend(micros(0), datagram(i)));
    assert.deepEqual(verdicts, [
      ...Array<SendVerdict>(5).fill('accepted'),
      ...Array<SendVerdict>(3).fill('queue-full'),
    ]);
    assert.equal(link.stats().queuePackets, 5);
    // Once one packet has left, one more fits.
    assert.equal(link.handleSend(micros(1000), datagram(8)), 'accepted');
    assert.equal(link.handleSend(micros(1000), datagram(9)), 'queue-full');
  });

  it('drops a datagram larger than the byte limit without disturbing the queue', () => {
    const link = new Link({ rateBitsPerSecond: RATE, queueLimitBytes: 1500 }, new Rng(1));
    assert.equal(link.handleSend(micros(0), datagram(0, 1600)), 'queue-full');
    assert.equal(link.handleSend(micros(0), datagram(1, 1400)), 'accepted');
    assert.equal(link.stats().queueBytes, 1400);
  });
});
