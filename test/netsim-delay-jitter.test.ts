import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, millis, NetsimClockError, type LinkConfig, type Micros } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

function datagram(id: number): Uint8Array {
  const bytes = new Uint8Array(64);
  new DataView(bytes.buffer).setUint32(0, id);
  return bytes;
}

function idOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

interface Delivery {
  readonly id: number;
  readonly at: number;
}

/** Sends `n` datagrams `spacing` apart and polls exactly at each `pollTimeout`, as a driver would. */
function run(
  config: LinkConfig,
  n: number,
  spacing: Micros,
  seed = 1,
): { deliveries: Delivery[]; link: Link } {
  const link = new Link(config, new Rng(seed));
  const deliveries: Delivery[] = [];
  let sent = 0;
  for (;;) {
    const nextSend = sent < n ? sent * spacing : Number.POSITIVE_INFINITY;
    const nextDelivery = link.pollTimeout() ?? Number.POSITIVE_INFINITY;
    if (nextSend === Number.POSITIVE_INFINITY && nextDelivery === Number.POSITIVE_INFINITY) break;
    const now = micros(Math.min(nextSend, nextDelivery));
    for (let d = link.pollDeliver(now); d !== null; d = link.pollDeliver(now)) {
      deliveries.push({ id: idOf(d), at: now });
    }
    if (nextSend === now) link.handleSend(now, datagram(sent++));
  }
  return { deliveries, link };
}

function isIncreasing(ids: readonly number[]): boolean {
  return ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? Number.POSITIVE_INFINITY));
}

describe('netsim: delay and jitter', () => {
  it('delivers each packet exactly the base delay after it was sent', () => {
    const { deliveries, link } = run({ delay: millis(10) }, 1000, micros(1000));
    assert.equal(deliveries.length, 1000);
    for (const d of deliveries) assert.equal(d.at, d.id * 1000 + 10_000);
    assert.equal(link.pollTimeout(), null);
    assert.equal(link.stats().reordered, 0);
  });

  it('with jitter that may reorder: each within [delay, delay + max), spread over the range, reordered', () => {
    const config: LinkConfig = {
      delay: millis(10),
      jitter: { kind: 'uniform', max: millis(5) },
      jitterMayReorder: true,
    };
    const { deliveries, link } = run(config, 5000, micros(1000));
    assert.equal(deliveries.length, 5000);
    const extra = deliveries.map((d) => d.at - d.id * 1000);
    assert.ok(extra.every((e) => e >= 10_000 && e <= 15_000));
    assert.ok(Math.min(...extra) < 10_050 && Math.max(...extra) > 14_950);
    const mean = extra.reduce((a, b) => a + b, 0) / extra.length;
    assert.ok(Math.abs(mean - 12_500) < 100, `mean ${mean}`);
    assert.ok(!isIncreasing(deliveries.map((d) => d.id)));
    // 5 ms of jitter over 1 ms spacing: most packets are overtaken or overtake.
    assert.ok(link.stats().reordered > 1000, `reordered ${link.stats().reordered}`);
  });

  it('with jitter in the default mode: never overtakes, still within [delay, delay + max]', () => {
    const config: LinkConfig = { delay: millis(10), jitter: { kind: 'uniform', max: millis(5) } };
    const { deliveries, link } = run(config, 5000, micros(1000));
    assert.ok(isIncreasing(deliveries.map((d) => d.id)));
    assert.equal(link.stats().reordered, 0);
    const extra = deliveries.map((d) => d.at - d.id * 1000);
    assert.ok(extra.every((e) => e >= 10_000 && e <= 15_000));
    // Bunching, not a constant shift: delays still vary.
    assert.ok(Math.max(...extra) - Math.min(...extra) > 4000);
  });

  it('draws normal jitter as a half-normal clipped at 4 standard deviations', () => {
    const sd = 2000;
    const config: LinkConfig = { jitter: { kind: 'normal', stddev: micros(sd) }, jitterMayReorder: true };
    const { deliveries } = run(config, 20_000, micros(100));
    const extra = deliveries.map((d) => d.at - d.id * 100);
    const mean = extra.reduce((a, b) => a + b, 0) / extra.length;
    // E|N(0, sd)| = sd * sqrt(2 / pi); delivery rounds up to the microsecond (+0.5 on average).
    assert.ok(Math.abs(mean - sd * Math.sqrt(2 / Math.PI)) < 40, `mean ${mean}`);
    assert.ok(extra.every((e) => e >= 0 && e <= 4 * sd));
    const clipped = run(
      { ...config, jitter: { kind: 'normal', stddev: micros(sd), max: micros(1000) } },
      2000,
      micros(100),
    );
    assert.ok(clipped.deliveries.every((d) => d.at - d.id * 100 <= 1000));
  });

  it('hands over late polls in delivery order, each with the time it was due', () => {
    const link = new Link({ delay: millis(5) }, new Rng(1));
    for (let i = 0; i < 3; i++) link.handleSend(micros(i * 100), datagram(i));
    assert.equal(link.pollTimeout(), 5000);
    assert.equal(link.pollDeliver(micros(4999)), null);
    const late = micros(60_000);
    const got: [number, number | null][] = [];
    for (let d = link.pollDeliver(late); d !== null; d = link.pollDeliver(late))
      got.push([idOf(d), link.lastDeliverAt]);
    assert.deepEqual(got, [
      [0, 5000],
      [1, 5100],
      [2, 5200],
    ]);
  });

  it('copies the datagram, so the sender may reuse its buffer at once', () => {
    const link = new Link({ delay: millis(1) }, new Rng(1));
    const buffer = datagram(7);
    link.handleSend(micros(0), buffer);
    buffer.fill(0xff);
    const got = link.pollDeliver(micros(1000));
    assert.ok(got !== null);
    assert.notEqual(got, buffer);
    assert.equal(got.byteLength, 64);
    assert.equal(idOf(got), 7);
  });

  it('refuses time that goes backwards', () => {
    const link = new Link({}, new Rng(1));
    link.handleSend(micros(1000), datagram(0));
    assert.throws(() => link.pollDeliver(micros(999)), NetsimClockError);
    assert.throws(
      () => link.handleSend(micros(10), datagram(1)),
      /time went backwards \(now 10 us, previously 1000 us\)/,
    );
  });
});
