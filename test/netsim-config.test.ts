import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Link,
  micros,
  millis,
  NetsimConfigError,
  seconds,
  validateLinkConfig,
  type LinkConfig,
} from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

/** A config as it might arrive from JSON or JavaScript, where the types promise nothing. */
function untyped(value: unknown): LinkConfig {
  return value as LinkConfig;
}

function rejects(config: LinkConfig, field: string, pattern: RegExp): void {
  assert.throws(
    () => new Link(config, new Rng(1)),
    (e: unknown) => {
      assert.ok(e instanceof NetsimConfigError, String(e));
      assert.equal(e.field, field);
      assert.ok(!e.message.includes('\n'));
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('netsim: config validation', () => {
  it('fills in the defaults', () => {
    const resolved = validateLinkConfig({});
    assert.deepEqual(resolved.initial, {
      loss: { kind: 'none' },
      delay: 0,
      jitter: { kind: 'none' },
      jitterMayReorder: false,
      reorder: 0,
      reorderDelay: 10_000,
      duplicate: 0,
      rateBitsPerSecond: null,
      queueLimitBytes: Number.POSITIVE_INFINITY,
      queueLimitPackets: 1000,
      overheadBytes: 0,
    });
    assert.deepEqual(resolved.outages, []);
    assert.deepEqual(resolved.schedule, []);
    const explicit = validateLinkConfig({ loss: { kind: 'none' }, jitter: { kind: 'none' } }).initial;
    assert.deepEqual([explicit.loss, explicit.jitter], [{ kind: 'none' }, { kind: 'none' }]);
    assert.deepEqual(validateLinkConfig({ jitter: { kind: 'normal', stddev: micros(500) } }).initial.jitter, {
      kind: 'normal',
      stddev: 500,
      max: 2000,
    });
  });

  it('sorts and merges outages, and sorts the schedule keeping the order of equal times', () => {
    const resolved = validateLinkConfig({
      outages: [
        { start: seconds(3), duration: seconds(1) },
        { start: seconds(1), duration: seconds(1) },
        { start: seconds(2), duration: millis(500) },
      ],
      schedule: [
        { at: seconds(2), delay: millis(2) },
        { at: seconds(1), delay: millis(1) },
        { at: seconds(2), delay: millis(3) },
      ],
    });
    // [1, 2) and [2, 2.5) touch and become one; [3, 4) stays apart.
    assert.deepEqual(resolved.outages, [
      { start: 1_000_000, end: 2_500_000 },
      { start: 3_000_000, end: 4_000_000 },
    ]);
    assert.deepEqual(
      resolved.schedule.map((c) => [c.at, c.params.delay]),
      [
        [1_000_000, 1000],
        [2_000_000, 2000],
        [2_000_000, 3000],
      ],
    );
  });

  it('names the bad field in a one-line error', () => {
    rejects({ loss: { kind: 'bernoulli', p: 1.5 } }, 'loss.p', /must be a probability in \[0, 1\], got 1.5/);
    rejects(untyped({ loss: { kind: 'bernoulli' } }), 'loss.p', /got undefined/);
    rejects(
      untyped({ loss: { kind: 'random' } }),
      'loss.kind',
      /'none', 'bernoulli' or 'gilbert-elliott', got 'random'/,
    );
    rejects(untyped({ loss: 0.1 }), 'loss', /must be an object with a kind/);
    rejects(untyped({ loss: { kind: 'bernoulli', p: 0.1, q: 1 } }), 'loss.q', /unknown field/);
    rejects(
      { loss: { kind: 'gilbert-elliott', pGoodToBad: 0.1, pBadToGood: Number.NaN, lossGood: 0, lossBad: 1 } },
      'loss.pBadToGood',
      /got NaN/,
    );
    rejects({ delay: micros(-1) }, 'delay', /whole number of microseconds >= 0, got -1/);
    rejects(untyped({ delay: 1.5 }), 'delay', /got 1.5/);
    rejects(untyped({ jitter: { kind: 'uniform' } }), 'jitter.max', /got undefined/);
    rejects(untyped({ jitter: { kind: 'pareto' } }), 'jitter.kind', /'none', 'uniform' or 'normal'/);
    rejects(untyped({ jitter: 'none' }), 'jitter', /must be an object/);
    rejects(untyped({ jitterMayReorder: 'yes' }), 'jitterMayReorder', /true or false/);
    rejects({ duplicate: 2 }, 'duplicate', /probability/);
    rejects({ rateBitsPerSecond: 0 }, 'rateBitsPerSecond', /bits\/s > 0 or null, got 0/);
    rejects({ rateBitsPerSecond: Number.POSITIVE_INFINITY }, 'rateBitsPerSecond', /finite/);
    rejects({ queueLimitPackets: 0 }, 'queueLimitPackets', /whole number >= 1 or Infinity/);
    rejects({ queueLimitBytes: 10.5 }, 'queueLimitBytes', /got 10.5/);
    rejects({ overheadBytes: 70_000 }, 'overheadBytes', /\[0, 65535\]/);
    rejects({ outages: [{ start: seconds(1), duration: micros(0) }] }, 'outages[0].duration', /must be > 0/);
    rejects(untyped({ outages: {} }), 'outages', /must be an array/);
    rejects(untyped({ outages: [5] }), 'outages[0]', /\{ start, duration \}/);
    rejects(
      { schedule: [{ at: seconds(1) }, { at: seconds(2), rateBitsPerSecond: -5 }] },
      'schedule[1].rateBitsPerSecond',
      /> 0/,
    );
    rejects(untyped({ schedule: [{ at: seconds(1), outages: [] }] }), 'schedule[0].outages', /unknown field/);
    rejects(untyped({ schedule: [null] }), 'schedule[0]', /must be an object with 'at'/);
    rejects(untyped({ lose: 0.1 }), 'lose', /unknown field \(known: loss, delay/);
    rejects(untyped(null), 'config', /must be an object/);
  });

  it('converts units to whole microseconds', () => {
    assert.equal(millis(1.5), 1500);
    assert.equal(seconds(0.25), 250_000);
    assert.equal(millis(0.0004), 0, 'rounded to the nearest microsecond');
    assert.throws(() => micros(1.5), RangeError);
    assert.throws(() => seconds(Number.NaN), RangeError);
  });
});
