/**
 * Event-loop delay is how late the loop let a timer run, without the sampling interval that
 * Node's histogram counts in: an idle loop reads near zero, a blocked one reads how long it was
 * blocked.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { EventLoopDelay } from '../src/ops/index.js';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy on purpose: the loop cannot turn.
  }
}

describe('event-loop delay', () => {
  it('reads an idle loop as about zero, not as the 10 ms sampling interval', async () => {
    const delay = new EventLoopDelay(10);
    delay.enable();
    await sleep(300);
    const idle = delay.take();
    delay.disable();
    // Node's own figures for the same loop start at 10 ms: the interval between two samples.
    assert.ok(idle.p50 < 5, `idle p50 ${idle.p50} ms`);
    assert.ok(idle.p50 >= 0 && idle.p99 >= idle.p50 && idle.max >= idle.p99, JSON.stringify(idle));
  });

  it('reads a blocked loop as the time it was blocked, and starts a new period after take()', async () => {
    const delay = new EventLoopDelay(10);
    delay.enable();
    await sleep(50);
    block(60);
    await sleep(50);
    const blocked = delay.take();
    assert.ok(blocked.max >= 45 && blocked.max <= 200, `max ${blocked.max} ms after a 60 ms block`);
    await sleep(200);
    const after = delay.take();
    delay.disable();
    assert.ok(after.max < blocked.max, `the next period (max ${after.max} ms) no longer holds the block`);
  });

  it('reads nothing measured as zero', () => {
    const delay = new EventLoopDelay(1);
    assert.deepEqual(delay.take(), { p50: 0, p99: 0, max: 0 });
    assert.equal(delay.percentileMs(99.9), 0);
  });
});
