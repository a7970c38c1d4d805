import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DoorwayError } from '../src/errors/index.js';
import {
  JitterBufferConfigError,
  JitterBufferInputError,
  VideoJitterBuffer,
  type VideoJitterBufferOptions,
} from '../src/protocol/jitter-buffer.js';
import { frameId, micros } from '../src/units/index.js';

function rejects(options: VideoJitterBufferOptions, field: string): void {
  assert.throws(
    () => new VideoJitterBuffer<null>(options),
    (e: unknown) => {
      assert.ok(e instanceof JitterBufferConfigError);
      assert.ok(e instanceof DoorwayError);
      assert.equal(e.field, field);
      assert.equal(e.exitCode, 2);
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.match(e.message, new RegExp(`^jitter buffer: ${field}: `));
      return true;
    },
  );
}

describe('jitter buffer: options and input checks', () => {
  it('rejects out-of-range options, naming the field', () => {
    rejects({ minDelayUs: micros(-1) }, 'minDelayUs');
    rejects({ minDelayUs: micros(1.5) }, 'minDelayUs');
    rejects({ maxDelayUs: micros(Number.NaN) }, 'maxDelayUs');
    rejects({ minDelayUs: micros(20), maxDelayUs: micros(10) }, 'minDelayUs');
    rejects({ percentile: 0 }, 'percentile');
    rejects({ percentile: 1.01 }, 'percentile');
    rejects({ windowFrames: 4 }, 'windowFrames');
    rejects({ windowFrames: 100.5 }, 'windowFrames');
    rejects({ marginUs: micros(-5) }, 'marginUs');
    rejects({ decayHalfLifeUs: micros(0) }, 'decayHalfLifeUs');
    rejects({ gapGraceUs: micros(-1) }, 'gapGraceUs');
    rejects({ maxLatenessUs: micros(Infinity) }, 'maxLatenessUs');
    rejects({ maxBufferedFrames: 0 }, 'maxBufferedFrames');
    rejects({ maxQueuedEvents: 8 }, 'maxQueuedEvents');
  });

  it('accepts the defaults and the edges', () => {
    assert.doesNotThrow(() => new VideoJitterBuffer<null>());
    assert.doesNotThrow(
      () =>
        new VideoJitterBuffer<null>({
          minDelayUs: micros(0),
          maxDelayUs: micros(0),
          percentile: 1,
          windowFrames: 8,
          gapGraceUs: micros(0),
          maxLatenessUs: micros(0),
          maxBufferedFrames: 1,
          maxQueuedEvents: 16,
        }),
    );
  });

  it('throws on a frame id or capture time it cannot order by', () => {
    const buf = new VideoJitterBuffer<null>();
    const frame = (id: number, captureUs = 0) => ({
      frameId: frameId(id),
      localCaptureUs: micros(captureUs),
      keyframe: true,
      refFrameId: null,
      payload: null,
    });
    const bad: [() => void, RegExp | typeof JitterBufferInputError][] = [
      [
        () => {
          buf.insert(micros(0), frame(-1));
        },
        JitterBufferInputError,
      ],
      [
        () => {
          buf.insert(micros(0), frame(1.5));
        },
        JitterBufferInputError,
      ],
      [
        () => {
          buf.insert(micros(0), frame(1, Number.NaN));
        },
        /localCaptureUs/,
      ],
      [
        () => {
          buf.giveUp(micros(0), frameId(Number.NaN));
        },
        JitterBufferInputError,
      ],
    ];
    for (const [call, error] of bad) assert.throws(call, error);
    assert.equal(buf.stats.inserted, 0);
  });

  it('drops a delta whose reference is not an earlier frame as undecodable', () => {
    const buf = new VideoJitterBuffer<null>();
    for (const ref of [5, 7, -1]) {
      buf.insert(micros(10_000), {
        frameId: frameId(5 + (ref === 7 ? 1 : ref === -1 ? 2 : 0)),
        localCaptureUs: micros(0),
        keyframe: false,
        refFrameId: frameId(ref),
        payload: null,
      });
    }
    assert.equal(buf.stats.undecodable, 3);
    assert.equal(buf.bufferedFrames, 0);
  });

  it('reports its state in one snapshot', () => {
    const buf = new VideoJitterBuffer<null>();
    assert.deepEqual(buf.stats, {
      inserted: 0,
      released: 0,
      late: 0,
      lost: 0,
      undecodable: 0,
      duplicates: 0,
      keyframeNeeded: 0,
      overflowed: 0,
      eventsDropped: 0,
      bufferedFrames: 0,
      targetDelayUs: 0,
      transitFloorUs: null,
      jitterUs: null,
      bufferDelayUs: null,
    });
    assert.equal(buf.keyframeNeeded, false);
    assert.equal(buf.nextFrameId, null);
    assert.equal(buf.bufferDelay, null);
  });
});
