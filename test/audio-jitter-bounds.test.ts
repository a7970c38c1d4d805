/** The memory bound and clock-sync steps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { micros } from '../src/units/index.js';
import { T0, TRANSIT_US, after, buffer, capture, packet, run, stream } from './support/audio-jitter.js';

describe('audio jitter buffer: bounds and clock steps', () => {
  it('flushes all but the newest packet past the memory bound and restarts from it', () => {
    const buf = buffer({ maxBufferedPackets: 4 });
    run(buf, stream(0, 10), T0 + 3_000, capture(5));
    assert.equal(buf.playing, true);
    const at = capture(20) + TRANSIT_US;
    for (let seq = 10; seq < 15; seq++) buf.insert(micros(at), packet(seq));
    assert.deepEqual([buf.stats.flushed, buf.bufferedPackets, buf.playing], [4, 1, false]);
    buf.insert(micros(at), packet(12));
    assert.equal(buf.stats.duplicates, 1, 'a flushed packet sent again is not taken back');
    const d = buf.next(micros(at));
    assert.equal(d.kind, 'idle', 'packet 14 is stale at 80 ms past the floor');
  });

  it('starts the transit window over when the clock sync steps the capture times', () => {
    const buf = buffer();
    // From packet 100 the clock offset estimate moves capture times 300 ms later: transits drop
    // by 300 ms.
    const all = stream(0, 200).map((a) => (a.seq < 100 ? a : { ...a, captureUs: capture(a.seq) + 300_000 }));
    run(buf, all, T0 + 3_000, capture(100));
    const steps = run(buf, after(all, capture(100)), capture(100), capture(200));
    assert.equal(buf.stats.clockSteps, 1);
    assert.equal(buf.stats.jitterMs, 0, 'the old samples do not count as 300 ms of jitter');
    assert.equal(buf.stats.transitFloorMs, (TRANSIT_US - 300_000) / 1000);
    assert.equal(steps.filter((x) => x.kind === 'conceal').length, 0, 'the playout did not notice');
    assert.ok(steps.filter((x) => x.kind === 'play').every((x) => x.addedDelayUs === 3_000));
    // And back up by 300 ms: after a run of 8 samples far above the floor.
    for (let seq = 200; seq < 210; seq++) {
      buf.insert(micros(capture(seq) + TRANSIT_US), packet(seq));
    }
    assert.equal(buf.stats.clockSteps, 2);
    assert.equal(buf.stats.transitFloorMs, TRANSIT_US / 1000);
  });
});
