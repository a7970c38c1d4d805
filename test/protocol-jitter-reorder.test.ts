import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type JitterBufferEvent } from '../src/protocol/jitter-buffer.js';
import { micros, msToMicros } from '../src/units/index.js';
import { capture, frameChain, playOut } from './support/jitter.js';

/** Inserts at the given times and sleeps exactly until `pollTimeout` in between; returns releases. */
function run(
  buf: VideoJitterBuffer<number>,
  arrivals: readonly { at: number; id: number }[],
): { released: [number, number][]; events: JitterBufferEvent[] } {
  const { released, events } = playOut(
    buf,
    arrivals.map(({ at, id }) => ({ at, insert: frameChain(id) })),
  );
  return { released, events: events.map(([, e]) => e) };
}

describe('jitter buffer: reordered complete frames', () => {
  it('absorbs reordering within the target delay: every frame in order, on time, none lost', () => {
    // Odd frames complete 14 ms after capture, even ones 22 ms after: each even frame arrives
    // after the odd one that follows it. The minimum delay covers the worst transit.
    const buf = new VideoJitterBuffer<number>({ minDelayUs: msToMicros(30), marginUs: micros(0) });
    const arrivals = Array.from({ length: 40 }, (_, id) => ({
      at: capture(id) + (id % 2 === 0 ? 22_000 : 14_000),
      id,
    }));
    const { released, events } = run(buf, arrivals);
    assert.deepEqual(
      released.map(([id]) => id),
      Array.from({ length: 40 }, (_, id) => id),
    );
    for (const [id, at] of released) assert.equal(at, capture(id) + 30_000, `frame ${id} released on time`);
    assert.ok(events.every((e) => e.kind === 'released'));
    assert.equal(buf.stats.lost + buf.stats.late + buf.stats.undecodable, 0);
  });

  it('adapts the target to cover the reordering when no minimum is set', () => {
    const buf = new VideoJitterBuffer<number>({ marginUs: micros(1_000) });
    const arrivals = Array.from({ length: 200 }, (_, id) => ({
      at: capture(id) + (id % 2 === 0 ? 22_000 : 14_000),
      id,
    }));
    const { released } = run(buf, arrivals);
    assert.equal(buf.targetDelay, 23_000, 'worst transit plus the margin');
    assert.equal(buf.transitFloor, 14_000);
    assert.equal(buf.jitter, 8_000);
    // The first frame is the slow kind, so the target covers reordering from the start.
    assert.deepEqual(
      released.map(([id]) => id),
      Array.from({ length: 200 }, (_, id) => id),
    );
    for (const [id, at] of released) assert.equal(at, capture(id) + 23_000);
  });
});
