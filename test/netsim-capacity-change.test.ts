import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, millis, seconds, type LinkConfig } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

function datagram(id: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, id);
  return bytes;
}

function idOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

/** Sends `n` datagrams of `size` bytes `spacing` apart; returns each one's delivery time by id. */
function run(
  config: LinkConfig,
  n: number,
  spacing: number,
  size: number,
): { link: Link; at: Map<number, number> } {
  const link = new Link(config, new Rng(1));
  const at = new Map<number, number>();
  let sent = 0;
  for (;;) {
    const nextSend = sent < n ? sent * spacing : Number.POSITIVE_INFINITY;
    const now = Math.min(nextSend, link.pollTimeout() ?? Number.POSITIVE_INFINITY);
    if (now === Number.POSITIVE_INFINITY) break;
    for (let d = link.pollDeliver(micros(now)); d !== null; d = link.pollDeliver(micros(now)))
      at.set(idOf(d), now);
    if (now === nextSend) link.handleSend(micros(now), datagram(sent++, size));
  }
  return { link, at };
}

describe('netsim: capacity changes on a schedule', () => {
  it('at t = 5 s capacity drops from 20 to 5 Mbit/s: a 10 Mbit/s sender builds a queue, which drains after 8 s', () => {
    // 1250-byte packets every millisecond: 10 Mbit/s. Queue: 2000 packets, enough not to overflow.
    const config: LinkConfig = {
      rateBitsPerSecond: 20_000_000,
      queueLimitPackets: 2000,
      schedule: [
        { at: seconds(5), rateBitsPerSecond: 5_000_000 },
        { at: seconds(8), rateBitsPerSecond: 20_000_000 },
      ],
    };
    const { link, at } = run(config, 12_000, 1000, 1250);
    const queueDelay = (id: number): number => (at.get(id) ?? Number.NaN) - id * 1000;
    // Before: only the 0.5 ms serialization.
    for (const id of [0, 1000, 4999]) assert.equal(queueDelay(id), 500);
    // After the drop the backlog grows by 5 Mbit per second: 1 s of queueing after 1 s.
    assert.ok(Math.abs(queueDelay(6000) - 1_000_000) < 3000, `at 6 s: ${queueDelay(6000)}`);
    // Sent at 7 s behind 10 Mbit: 5 Mbit leaves by 8 s, the other 5 Mbit at 20 Mbit/s after.
    assert.ok(Math.abs(queueDelay(7000) - 1_250_000) < 3000, `at 7 s: ${queueDelay(7000)}`);
    // Throughput during the drop is the new capacity: 500 packets per second.
    const deliveredIn = (from: number, to: number): number =>
      [...at.values()].filter((t) => t >= from && t < to).length;
    assert.ok(Math.abs(deliveredIn(5_500_000, 7_500_000) - 1000) <= 2);
    // From 8 s the queue drains at 20 - 10 Mbit/s; 15 Mbit of backlog takes 1.5 s.
    assert.ok(queueDelay(9600) < 2000, `at 9.6 s: ${queueDelay(9600)}`);
    assert.ok(queueDelay(9000) > 100_000, `at 9 s: ${queueDelay(9000)}`);
    assert.equal(link.stats().droppedQueue, 0);
    assert.equal(link.stats().delivered, 12_000);
    // The worst is the packet sent at 6.5 s, whose backlog drains exactly by 8 s.
    assert.ok(Math.abs(link.stats().maxQueueDelay - 1_500_000) < 3000, `max ${link.stats().maxQueueDelay}`);
  });

  it('re-times the packet mid-serialization: its remaining bits go at the new rate', () => {
    // 8 Mbit/s = 1 byte/us. A 10 000-byte packet would leave at 10 ms; at 5 ms the rate halves.
    const config: LinkConfig = {
      rateBitsPerSecond: 8_000_000,
      schedule: [{ at: millis(5), rateBitsPerSecond: 4_000_000 }],
    };
    const link = new Link(config, new Rng(1));
    link.handleSend(micros(0), datagram(0, 10_000));
    link.handleSend(micros(0), datagram(1, 5000));
    assert.equal(link.pollTimeout(), 5000, 'wakes for the change while packets wait');
    assert.equal(link.pollDeliver(micros(5000)), null);
    assert.equal(link.pollTimeout(), 15_000, '5000 bytes left at 0.5 byte/us');
    const first = link.pollDeliver(micros(15_000));
    assert.ok(first !== null && idOf(first) === 0);
    assert.equal(link.pollTimeout(), 25_000);
  });

  it('gives the same times whether polled at every event or only late', () => {
    const config: LinkConfig = {
      rateBitsPerSecond: 8_000_000,
      // Packets queued before the rate changes are due to leave in this window only at the new rate.
      outages: [{ start: millis(24), duration: millis(3) }],
      delay: millis(3),
      jitter: { kind: 'uniform', max: millis(2) },
      schedule: [
        { at: millis(7), rateBitsPerSecond: 2_000_000 },
        { at: millis(20), rateBitsPerSecond: 16_000_000 },
      ],
    };
    const eager = run(config, 40, 500, 1000).at;
    const lazy = new Link(config, new Rng(1));
    for (let i = 0; i < 40; i++) lazy.handleSend(micros(i * 500), datagram(i, 1000));
    const lazyAt = new Map<number, number>();
    const end = micros(1_000_000);
    for (let d = lazy.pollDeliver(end); d !== null; d = lazy.pollDeliver(end))
      lazyAt.set(idOf(d), lazy.lastDeliverAt ?? -1);
    assert.deepEqual(lazyAt, eager);
    assert.ok(eager.size < 40 && eager.size > 30, `${eager.size} delivered`);
    assert.equal(lazy.stats().droppedOutage, 40 - eager.size);
  });

  it('switching to unlimited lets the whole queue leave at once', () => {
    const config: LinkConfig = {
      rateBitsPerSecond: 8_000_000,
      schedule: [{ at: millis(2), rateBitsPerSecond: null }],
    };
    const link = new Link(config, new Rng(1));
    for (let i = 0; i < 10; i++) link.handleSend(micros(0), datagram(i, 1000));
    const times: number[] = [];
    for (let t = link.pollTimeout(); t !== null; t = link.pollTimeout()) {
      if (link.pollDeliver(t) !== null) times.push(t);
    }
    assert.deepEqual(times, [1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000]);
    link.handleSend(micros(3000), datagram(10, 1000));
    assert.equal(link.pollTimeout(), 3000);
  });

  it('changes other parameters for packets sent from the change on', () => {
    const config: LinkConfig = {
      delay: millis(10),
      schedule: [
        { at: millis(5), delay: millis(1) },
        { at: millis(8), loss: { kind: 'bernoulli', p: 1 } },
        { at: millis(9), loss: { kind: 'none' } },
      ],
    };
    const { at } = run(config, 10, 1000, 100);
    assert.deepEqual(
      [...at.entries()].sort(([a], [b]) => a - b),
      [
        [0, 10_000],
        [1, 11_000],
        [2, 12_000],
        [3, 13_000],
        [4, 14_000],
        // Sent at 5 ms with the new 1 ms delay; the order is kept (it waits for packet 4).
        [5, 14_000],
        [6, 14_000],
        [7, 14_000],
        [9, 14_000],
      ],
    );
  });
});
