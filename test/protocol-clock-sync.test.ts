import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockSync, ClockSyncConfigError, WindowedMin } from '../src/protocol/clock-sync.js';
import { Rng } from '../src/rng/index.js';
import { micros, msToMicros } from '../src/units/index.js';

/** A peer whose clock reads `local · (1 + skew) + base` and that holds each ping `hold` µs (its clock). */
interface Peer {
  readonly base: number;
  readonly skew: number;
  readonly hold: number;
}

const trueOffset = (peer: Peer, local: number): number => peer.base + peer.skew * local;

/** One ping sent at local time `t1`, taking `up` µs to the peer and `down` µs back (real time). */
function exchange(sync: ClockSync, peer: Peer, t1: number, up: number, down: number): boolean {
  const toPeer = (local: number): number => local * (1 + peer.skew) + peer.base;
  const t2 = toPeer(t1 + up);
  const t3 = t2 + peer.hold;
  const t4 = (t3 - peer.base) / (1 + peer.skew) + down;
  return sync.onPong(micros(t1), micros(t2), micros(t3), micros(t4));
}

function must<T>(value: T | null): T {
  assert.notEqual(value, null);
  return value as T;
}

describe('ClockSync', () => {
  it('has no estimate and the initial RTO before the first sample', () => {
    const sync = new ClockSync();
    assert.equal(sync.rtt, null);
    assert.equal(sync.rttVar, null);
    assert.equal(sync.minRtt, null);
    assert.equal(sync.offset, null);
    assert.equal(sync.accuracy, null);
    assert.equal(sync.toLocal(micros(5)), null);
    assert.equal(sync.toPeer(micros(5)), null);
    assert.equal(sync.rto(), msToMicros(1_000));
  });

  it('gives the exact offset and RTT on a symmetric path', () => {
    const sync = new ClockSync();
    const peer: Peer = { base: 123_456_789, skew: 0, hold: 250 };
    for (let i = 0; i < 20; i++) assert.ok(exchange(sync, peer, 1_000_000 + i * 100_000, 8_000, 8_000));
    assert.equal(sync.offset, 123_456_789);
    assert.equal(sync.rtt, 16_000);
    assert.ok(Math.abs(must(sync.rttVar) - 8_000 * 0.75 ** 19) < 1e-6, 'rttvar decays by 3/4 a sample');
    assert.equal(sync.minRtt, 16_000);
    assert.equal(sync.accuracy, 8_000, 'rtt / 2 of the latest (equally good, fresher) sample');
    assert.equal(sync.samples, 20);
    assert.equal(sync.rejected, 0);
    assert.equal(sync.toLocal(micros(200_000_000)), 200_000_000 - 123_456_789);
    assert.equal(sync.toPeer(micros(1_000)), 1_000 + 123_456_789);
  });

  it('follows RFC 6298 for srtt, rttvar and the RTO', () => {
    const sync = new ClockSync({
      minRto: msToMicros(5),
      maxRto: msToMicros(350),
      granularity: micros(1_000),
    });
    const peer: Peer = { base: 0, skew: 0, hold: 0 };
    exchange(sync, peer, 0, 50_000, 50_000);
    assert.equal(sync.rtt, 100_000);
    assert.equal(sync.rttVar, 50_000);
    assert.equal(sync.rto(), 300_000, 'srtt + 4 · rttvar');
    exchange(sync, peer, 1_000_000, 100_000, 100_000);
    // rttvar = 3/4 · 50 000 + 1/4 · |100 000 − 200 000|; srtt = 7/8 · 100 000 + 1/8 · 200 000.
    assert.equal(sync.rttVar, 62_500);
    assert.equal(sync.rtt, 112_500);
    assert.equal(sync.rto(), 350_000, 'clamped to maxRto (362.5 ms)');
    for (let i = 2; i < 200; i++) exchange(sync, peer, i * 1_000_000, 1_000, 1_000);
    assert.ok(Math.abs(must(sync.rtt) - 2_000) < 1);
    assert.equal(sync.rto(), 5_000, 'clamped to minRto once the variance is gone');
    const fine = new ClockSync({ minRto: micros(0), granularity: micros(1_000) });
    for (let i = 0; i < 200; i++) exchange(fine, peer, i * 1_000_000, 1_000, 1_000);
    assert.ok(Math.abs(fine.rto() - 3_000) < 1, 'at least srtt + G');
  });

  it('keeps the offset within the reported accuracy under asymmetric jitter', () => {
    const rng = new Rng('clock-sync-jitter');
    const sync = new ClockSync();
    const peer: Peer = { base: -40_000_000, skew: 0, hold: 300 };
    const accuracies: number[] = [];
    for (let i = 0; i < 600; i++) {
      const t1 = 5_000_000 + i * 100_000;
      // Up: 5 ms floor plus up to 30 ms of queueing; down: 12 ms floor plus up to 4 ms.
      exchange(sync, peer, t1, 5_000 + rng.nextFloat() * 30_000, 12_000 + rng.nextFloat() * 4_000);
      const error = Math.abs(must(sync.offset) - trueOffset(peer, t1));
      const accuracy = must(sync.accuracy);
      assert.ok(error <= accuracy, `sample ${i}: error ${error} us exceeds the bound ${accuracy} us`);
      accuracies.push(accuracy);
    }
    // The bound tightens as low-delay samples arrive: it ends near the path's floor (17 ms RTT), far
    // below the average RTT (~36 ms).
    const last = accuracies.at(-1) ?? Number.NaN;
    assert.ok(last < 10_500, `accuracy ${last} us`);
    assert.ok(last < (accuracies[0] ?? 0), 'tighter than the first sample');
    assert.ok(Math.abs(must(sync.minRtt) - 17_300) < 2_000);
  });

  it('expires the old min RTT after a path change to a longer one', () => {
    const window = msToMicros(10_000);
    const sync = new ClockSync({ window });
    const peer: Peer = { base: 777, skew: 0, hold: 0 };
    let t = 0;
    for (; t < 5_000_000; t += 100_000) exchange(sync, peer, t, 10_000, 10_000);
    assert.equal(sync.minRtt, 20_000);
    const lastShort = t - 100_000 + 20_000;
    // The route changes: 80 ms RTT, and now asymmetric (50 up, 30 down).
    const seen: { t4: number; minRtt: number }[] = [];
    for (; t < 30_000_000; t += 100_000) {
      exchange(sync, peer, t, 50_000, 30_000);
      seen.push({ t4: t + 80_000, minRtt: must(sync.minRtt) });
    }
    for (const { t4, minRtt } of seen) {
      if (t4 - lastShort <= window)
        assert.equal(minRtt, 20_000, `at ${t4}: the short path is still in the window`);
    }
    const switched = seen.find((s) => s.minRtt === 80_000);
    assert.ok(switched !== undefined, 'the min RTT moved to the new path');
    assert.ok(switched.t4 - lastShort <= window + 200_000, `switched ${switched.t4 - lastShort} us after`);
    assert.equal(sync.minRtt, 80_000);
    // The offset now comes from the new path: off by its asymmetry, (50 − 30) / 2 ms, within rtt/2.
    assert.equal(sync.offset, 777 + 10_000);
    assert.ok(Math.abs(must(sync.offset) - 777) <= must(sync.accuracy));
  });

  it('counts and ignores impossible samples', () => {
    const sync = new ClockSync();
    const peer: Peer = { base: 1_000, skew: 0, hold: 100 };
    exchange(sync, peer, 1_000_000, 5_000, 5_000);
    const before = { rtt: sync.rtt, offset: sync.offset, minRtt: sync.minRtt, accuracy: sync.accuracy };
    const m = micros;
    assert.equal(sync.onPong(m(2_000_000), m(2_001_000), m(2_001_100), m(1_999_999)), false, 't4 < t1');
    assert.equal(sync.onPong(m(2_000_000), m(2_001_000), m(2_000_900), m(2_010_000)), false, 't3 < t2');
    assert.equal(sync.onPong(m(2_000_000), m(2_001_000), m(2_021_000), m(2_010_000)), false, 'negative RTT');
    assert.equal(sync.onPong(m(Number.NaN), m(2_001_000), m(2_001_100), m(2_010_000)), false, 'not a number');
    assert.equal(sync.onPong(m(0), m(1_000), m(1_100), m(Number.POSITIVE_INFINITY)), false, 'infinite');
    assert.equal(sync.onPong(m(900_000), m(901_000), m(901_100), m(1_000_000)), false, 'time went backwards');
    assert.equal(sync.rejected, 6);
    assert.equal(sync.samples, 1);
    assert.deepEqual(
      { rtt: sync.rtt, offset: sync.offset, minRtt: sync.minRtt, accuracy: sync.accuracy },
      before,
    );
    // A zero RTT (same-microsecond loopback) is fine.
    assert.equal(sync.onPong(m(3_000_000), m(3_001_000), m(3_001_000), m(3_000_000)), true);
    assert.equal(sync.minRtt, 0);
  });

  it('tracks a clock drifting 50 ppm over minutes', () => {
    const rng = new Rng('clock-sync-drift');
    const sync = new ClockSync();
    const peer: Peer = { base: 3_600_000_000, skew: 50e-6, hold: 200 };
    // A short path (0.2 ms each way plus up to 3 ms of queueing): the best samples' bounds, ~0.3 ms,
    // are smaller than the 0.5 ms the clocks drift apart over the 10 s window, so picking the lowest
    // RTT alone would go stale; the error bound must age with the sample.
    const errors: number[] = [];
    for (let t1 = 0; t1 < 300_000_000; t1 += 250_000) {
      const up = 200 + rng.nextFloat() * 3_000;
      const down = 200 + rng.nextFloat() * 3_000;
      exchange(sync, peer, t1, up, down);
      // The bound holds at the time of the latest sample, drift since the chosen one included.
      const error = Math.abs(must(sync.offset) - trueOffset(peer, t1 + up + down));
      assert.ok(error <= must(sync.accuracy), `at ${t1}: error ${error} us, bound ${sync.accuracy} us`);
      errors.push(error);
    }
    // Over five minutes the offset moved by 15 ms; the estimate stayed within a fraction of a ms.
    const settled = Math.max(...errors.slice(40));
    assert.ok(settled < 1_000, `worst error after the first 10 s: ${settled} us`);
    assert.ok(must(sync.accuracy) < 2_000);
    assert.ok(must(sync.offset) - peer.base > 14_000, 'the estimate moved with the drift');
  });

  it('rejects bad options with a one-line error', () => {
    const bad: [ConstructorParameters<typeof ClockSync>[0], string][] = [
      [{ window: micros(0) }, 'window'],
      [{ maxDrift: -1 }, 'maxDrift'],
      [{ maxDrift: 50 }, 'maxDrift'],
      [{ minRto: micros(Number.NaN) }, 'minRto'],
      [{ minRto: micros(5_000), maxRto: micros(1_000) }, 'minRto'],
    ];
    for (const [options, field] of bad) {
      assert.throws(
        () => new ClockSync(options),
        (err: unknown) =>
          err instanceof ClockSyncConfigError && err.field === field && !err.message.includes('\n'),
      );
    }
    assert.throws(() => new WindowedMin(micros(-1)), ClockSyncConfigError);
  });
});

describe('WindowedMin', () => {
  it('keeps sub-window candidates so a stale best gives way to the next best', () => {
    const filter = new WindowedMin(micros(1_000));
    assert.ok(filter.empty);
    assert.equal(filter.key, Number.POSITIVE_INFINITY);
    assert.ok(Number.isNaN(filter.a) && Number.isNaN(filter.b) && Number.isNaN(filter.time));
    filter.update(0, 10, 1, 2);
    filter.update(300, 30);
    filter.update(600, 20);
    filter.update(900, 40);
    assert.equal(filter.key, 10);
    assert.equal(filter.a, 1);
    assert.equal(filter.b, 2);
    filter.update(1_100, 50);
    assert.equal(filter.key, 20, 'the best aged out; the best of the later sub-windows took over');
    // Both earlier choices aged out at once: the filter shifts twice.
    const twice = new WindowedMin(micros(1_000));
    twice.update(0, 10);
    twice.update(100, 20);
    twice.update(300, 30);
    twice.update(600, 40);
    twice.update(1_350, 50);
    assert.equal(twice.key, 40);
    assert.equal(twice.time, 600);
    filter.update(3_000, 60);
    assert.equal(filter.key, 60, 'nothing left in the window');
    filter.reset();
    assert.ok(filter.empty);
  });
});
