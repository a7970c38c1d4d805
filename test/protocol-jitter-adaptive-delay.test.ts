import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VideoJitterBuffer, type VideoJitterBufferOptions } from '../src/protocol/jitter-buffer.js';
import { Rng } from '../src/rng/index.js';
import { frameId, micros, msToMicros } from '../src/units/index.js';
import { FRAME_US } from './support/jitter.js';

/** Frames in `s` seconds. */
const seconds = (s: number): number => Math.round((s * 1_000_000) / FRAME_US);

/**
 * Feeds frames (all keyframes, so every one is decodable) whose transit is drawn by `transit`, in
 * arrival order, releasing whatever is due; returns the target delay after each arrival.
 */
class Feed {
  readonly buf: VideoJitterBuffer<null>;
  #id = 0;

  constructor(options: VideoJitterBufferOptions) {
    this.buf = new VideoJitterBuffer<null>(options);
  }

  frames(count: number, transit: () => number): number[] {
    const arrivals: { at: number; id: number; capture: number }[] = [];
    for (let i = 0; i < count; i++, this.#id++) {
      const capture = 1_000_000 + this.#id * FRAME_US;
      arrivals.push({ at: capture + transit(), id: this.#id, capture });
    }
    arrivals.sort((a, b) => a.at - b.at);
    const targets: number[] = [];
    for (const { at, id, capture } of arrivals) {
      const now = micros(at);
      this.buf.insert(now, {
        frameId: frameId(id),
        localCaptureUs: micros(capture),
        keyframe: true,
        refFrameId: null,
        payload: null,
      });
      while (this.buf.pollRelease(now) !== null);
      while (this.buf.pollEvent() !== null);
      targets.push(this.buf.targetDelay);
    }
    return targets;
  }
}

describe('jitter buffer: adaptive target delay', () => {
  it('grows quickly with 10 ms of jitter and decays slowly once it stops', () => {
    const rng = new Rng('jitter-adaptive');
    const feed = new Feed({});
    const floorUs = 20_000;
    const steady = feed.frames(seconds(2), () => floorUs);
    assert.equal(steady.at(-1), floorUs + 2_000, 'transit floor + margin');

    const jittery = feed.frames(seconds(5), () => floorUs + Math.floor(rng.nextFloat() * 10_000));
    const quick = jittery.findIndex((t) => t >= floorUs + 8_000);
    assert.ok(quick >= 0 && quick < seconds(0.5), `up by 8 ms within half a second (took ${quick} frames)`);
    assert.ok(Math.max(...jittery) <= floorUs + 10_000 + 2_000, 'no more than the jitter + margin');
    const peak = jittery.at(-1) ?? 0;
    assert.ok(peak >= floorUs + 9_000, `covers the 95th percentile (${peak})`);
    const floor = feed.buf.transitFloor ?? 0;
    assert.ok(floor >= floorUs && floor < floorUs + 500, `the window's least transit (${floor})`);
    assert.ok((feed.buf.jitter ?? 0) >= 9_000);

    const calm = feed.frames(seconds(30), () => floorUs);
    for (let i = 1; i < calm.length; i++) {
      const step = (calm[i - 1] ?? 0) - (calm[i] ?? 0);
      assert.ok(step >= 0 && step <= 100, `a smooth, monotonic decay (frame ${i}: ${step} µs)`);
    }
    assert.ok((calm[seconds(1) - 1] ?? 0) >= peak - 1_000, 'hardly lower after one second');
    const after4s = calm[seconds(4) - 1] ?? 0;
    assert.ok(after4s > floorUs + 3_000 && after4s < peak, `still decaying after four seconds (${after4s})`);
    assert.ok((calm.at(-1) ?? Infinity) <= floorUs + 2_001, 'back to floor + margin in the end');
  });

  it('never exceeds the maximum, whatever the jitter', () => {
    const rng = new Rng('jitter-max');
    const feed = new Feed({ maxDelayUs: msToMicros(40) });
    const targets = feed.frames(seconds(5), () => 20_000 + Math.floor(rng.nextFloat() * 500_000));
    assert.ok(Math.max(...targets) <= 40_000);
    assert.equal(targets.at(-1), 40_000);
    assert.ok(feed.buf.stats.late > 0, 'frames beyond max + lateness are dropped');
  });

  it('never goes below the minimum', () => {
    const feed = new Feed({ minDelayUs: msToMicros(30) });
    assert.equal(feed.buf.targetDelay, 30_000, 'before any frame');
    assert.equal(feed.buf.transitFloor, null);
    assert.equal(feed.buf.jitter, null);
    const targets = feed.frames(seconds(1), () => 10_000);
    assert.ok(targets.every((t) => t === 30_000));
  });

  it('follows the percentile and margin it is configured with', () => {
    const feed = new Feed({ percentile: 0.5, marginUs: micros(0), windowFrames: 16 });
    // Transits cycling 10..25 ms: the median of the window is 17 ms.
    let n = 0;
    const targets = feed.frames(16, () => 10_000 + (n++ % 16) * 1_000);
    assert.equal(targets.at(-1), 17_000);
  });
});
