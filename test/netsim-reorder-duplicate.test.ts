import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, millis, type LinkConfig } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

const N = 10_000;
const SPACING = 1000;

function datagram(id: number): Uint8Array {
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, id);
  return bytes;
}

function idOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

interface Delivery {
  readonly id: number;
  readonly at: number;
  readonly bytes: Uint8Array;
}

/** Sends N datagrams 1 ms apart, polling at every send, then drains the rest. */
function run(config: LinkConfig, seed: number): { deliveries: Delivery[]; link: Link } {
  const link = new Link(config, new Rng(seed));
  const deliveries: Delivery[] = [];
  const drain = (now: number): void => {
    for (let d = link.pollDeliver(micros(now)); d !== null; d = link.pollDeliver(micros(now))) {
      deliveries.push({ id: idOf(d), at: link.lastDeliverAt ?? -1, bytes: d });
    }
  };
  for (let i = 0; i < N; i++) {
    drain(i * SPACING);
    link.handleSend(micros(i * SPACING), datagram(i));
  }
  drain(N * SPACING + 1_000_000);
  return { deliveries, link };
}

function conserved(link: Link): void {
  const s = link.stats();
  assert.equal(
    s.sent + s.duplicated,
    s.delivered + s.droppedLoss + s.droppedQueue + s.droppedOutage + s.inFlight,
  );
}

describe('netsim: reordering and duplication', () => {
  it('holds back the configured share of packets so later ones overtake them', () => {
    const config: LinkConfig = { delay: millis(20), reorder: 0.05, reorderDelay: millis(10) };
    const { deliveries, link } = run(config, 1);
    assert.equal(deliveries.length, N);
    const held = deliveries.filter((d) => d.at - d.id * SPACING === 30_000);
    const onTime = deliveries.filter((d) => d.at - d.id * SPACING === 20_000);
    assert.equal(held.length + onTime.length, N, 'each packet is either on time or held exactly 10 ms');
    const tolerance = 4.5 * Math.sqrt((0.05 * 0.95) / N);
    assert.ok(Math.abs(held.length / N - 0.05) < tolerance, `held ${held.length / N}`);
    // A held packet k arrives 10 ms late, so it is overtaken exactly when some packet in (k, k + 10)
    // was on time; each overtaken packet is counted once.
    const onTimeIds = new Set(onTime.map((d) => d.id));
    const overtaken = held.filter((d) => [...Array(9).keys()].some((j) => onTimeIds.has(d.id + 1 + j)));
    assert.ok(overtaken.length > held.length - 5);
    assert.equal(link.stats().reordered, overtaken.length);
    // The others keep their order among themselves.
    assert.ok(onTime.every((d, i) => i === 0 || d.id > (onTime[i - 1]?.id ?? Infinity)));
    conserved(link);
  });

  it('keeps order when the hold is shorter than the packet spacing', () => {
    const { link } = run({ reorder: 0.5, reorderDelay: micros(500) }, 2);
    assert.equal(link.stats().reordered, 0);
  });

  it('delivers the configured share twice, as separate identical copies', () => {
    const { deliveries, link } = run({ delay: millis(5), duplicate: 0.1 }, 3);
    const stats = link.stats();
    const tolerance = 4.5 * Math.sqrt((0.1 * 0.9) / N);
    assert.ok(Math.abs(stats.duplicated / N - 0.1) < tolerance, `duplicated ${stats.duplicated / N}`);
    assert.equal(deliveries.length, N + stats.duplicated);
    assert.equal(stats.delivered, deliveries.length);
    const seen = new Map<number, Delivery>();
    let pairs = 0;
    for (const d of deliveries) {
      const first = seen.get(d.id);
      if (first === undefined) {
        seen.set(d.id, d);
        continue;
      }
      pairs++;
      assert.deepEqual(d.bytes, first.bytes);
      assert.notEqual(d.bytes, first.bytes, 'the receiver may consume one copy without touching the other');
      assert.equal(d.at, first.at);
    }
    assert.equal(pairs, stats.duplicated);
    assert.equal(seen.size, N);
    conserved(link);
  });

  it('gives a duplicate its own jitter, and counts the stragglers as reordered', () => {
    const config: LinkConfig = {
      delay: millis(5),
      duplicate: 0.2,
      jitter: { kind: 'uniform', max: millis(4) },
      jitterMayReorder: true,
    };
    const { deliveries, link } = run(config, 4);
    const firstAt = new Map<number, number>();
    let differ = 0;
    for (const d of deliveries) {
      const at = firstAt.get(d.id);
      if (at === undefined) firstAt.set(d.id, d.at);
      else if (at !== d.at) differ++;
    }
    assert.ok(differ > link.stats().duplicated * 0.9, `${differ} of ${link.stats().duplicated} differ`);
    assert.ok(link.stats().reordered > 0);
    conserved(link);
  });

  it('replays the same reorderings and duplicates for the same seed', () => {
    const config: LinkConfig = { delay: millis(20), reorder: 0.02, duplicate: 0.02 };
    const ids = (seed: number): number[] => run(config, seed).deliveries.map((d) => d.id);
    assert.deepEqual(ids(5), ids(5));
    assert.notDeepEqual(ids(5), ids(6));
  });
});
