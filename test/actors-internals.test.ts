import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ring } from '../src/actors/ring.js';
import {
  HISTOGRAM_BUCKETS,
  bucketOf,
  bucketUpperBound,
  newStats,
  percentile,
  STAT_BUCKETS,
} from '../src/actors/stats.js';
import { TimerEntry, TimerHeap } from '../src/actors/timers.js';
import { isNativeHandle, ms, nativeHandle, realClock } from '../src/actors/index.js';

test('the ring buffer keeps FIFO order across growth and wrap-around', () => {
  const ring = new Ring<number>(2);
  assert.equal(ring.shift(), undefined);
  assert.equal(ring.peek(), undefined);
  for (let i = 0; i < 3; i++) ring.push(i);
  assert.equal(ring.shift(), 0);
  for (let i = 3; i < 40; i++) ring.push(i);
  assert.equal(ring.length, 39);
  assert.equal(ring.peek(), 1);
  const out: number[] = [];
  ring.clear((item) => out.push(item));
  assert.deepEqual(
    out,
    Array.from({ length: 39 }, (_, i) => i + 1),
  );
  assert.equal(ring.length, 0);
  ring.push(7);
  ring.clear();
  assert.equal(ring.length, 0);
});

test('the timer heap pops by due time, then creation order, and supports removal and rescheduling', () => {
  const heap = new TimerHeap<string>();
  const entries = [30, 10, 20, 10, 50, 40].map(
    (at, id) => new TimerEntry<string>(id, 'once', ms(at), ms(0), `t${id}`, 2),
  );
  const at = (index: number): TimerEntry<string> => {
    const entry = entries[index];
    assert.ok(entry !== undefined);
    return entry;
  };
  for (const entry of entries) heap.push(entry);
  assert.equal(heap.size, 6);
  assert.equal(heap.nextAt, 10);
  heap.remove(at(4)); // 50
  heap.remove(at(4)); // Twice: nothing happens.
  heap.reschedule(at(0), ms(5)); // 30 -> 5
  const order: string[] = [];
  for (let entry = heap.pop(); entry !== undefined; entry = heap.pop())
    order.push(`${entry.message}@${entry.at}`);
  assert.deepEqual(order, ['t0@5', 't1@10', 't3@10', 't2@20', 't5@40']);
  assert.equal(heap.nextAt, Infinity);
  heap.reschedule(at(2), ms(3));
  assert.equal(heap.peek(), entries[2]);
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(entries[2]?.index, -1);
});

test('histogram buckets: 4 per octave of microseconds, percentiles as upper bounds', () => {
  assert.equal(bucketOf(0), 0);
  assert.equal(bucketOf(-1), 0);
  assert.equal(bucketOf(Number.NaN), 0);
  assert.equal(bucketOf(0.001), 1);
  assert.equal(bucketOf(1e12), HISTOGRAM_BUCKETS - 1);
  assert.equal(bucketUpperBound(0), 1);
  assert.equal(bucketUpperBound(8), 4);
  for (const micros of [1, 3, 17, 250, 4096, 1e6]) {
    const upper = bucketUpperBound(bucketOf(micros / 1000));
    assert.ok(upper >= micros && upper <= micros * 1.19 + 1e-9, `${micros} µs -> ${upper}`);
  }
  const stats = newStats(false);
  assert.equal(percentile(stats, 0.5), 0);
  stats[STAT_BUCKETS + 8] = 10;
  assert.equal(percentile(stats, 0.99), 4);
});

test('native handles are plain tagged objects with a bigint id', () => {
  const handle = nativeHandle('video.frame', 12n);
  assert.equal(isNativeHandle(handle), true);
  assert.equal(Object.isFrozen(handle), true);
  assert.deepEqual(structuredClone(handle), { $nativeHandle: 1, kind: 'video.frame', id: 12n });
  assert.equal(isNativeHandle(structuredClone(handle)), true);
  assert.equal(isNativeHandle({ kind: 'video.frame', id: 12 }), false);
  assert.equal(isNativeHandle(null), false);
  assert.equal(isNativeHandle('handle'), false);
});

test('the real clock is monotonic and its timers fire and cancel', async () => {
  const before = realClock.now();
  let fired = false;
  realClock.setTimer(ms(1), () => {
    fired = true;
  });
  const cancelled = realClock.setTimer(ms(1), () => {
    assert.fail('cancelled timer fired');
  });
  cancelled.cancel();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(fired, true);
  assert.ok(realClock.now() >= before + 1);
});
