/**
 * Scenario: a minute of audio (100 blocks/s, ~160 bytes each) between two Connections over the
 * seeded network simulator, 1 % loss and 10 ms of jitter both ways, the receiver's clock 250 ms
 * ahead; the receiver's frames go to the audio jitter buffer with the clock sync's capture times,
 * and a model device pulls a block whenever the last one has played. The brief's targets: less
 * than 0.5 % of the audio concealed, and added delay p95 ≤ 20 ms.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { millis } from '../src/netsim/index.js';
import { runAudio } from './support/audio-netsim.js';

it('plays audio through 1 % loss and 10 ms jitter with < 0.5 % concealed and p95 added delay ≤ 20 ms', () => {
  const r = runAudio({
    seed: 1,
    durationS: 60,
    clockOffsetUs: 250_000,
    link: {
      delay: millis(20),
      jitter: { kind: 'uniform', max: millis(10) },
      loss: { kind: 'bernoulli', p: 0.01 },
    },
  });
  const s = r.stats;
  assert.ok(r.dropped > 60, `the link really lost packets (${r.dropped})`);
  assert.ok(r.fecRecovered > 20, `transport FEC rebuilt lost audio (${r.fecRecovered})`);
  assert.ok(s.played >= r.sent * 0.995, `${s.played}/${r.sent} blocks played`);
  assert.ok(r.concealedShare < 0.005, `concealed ${(r.concealedShare * 100).toFixed(3)} %`);
  assert.ok(r.p95Us <= 20_000, `added delay p95 ${r.p95Us} µs`);
  assert.ok((s.jitterMs ?? 0) > 5, `the buffer measured the jitter (${s.jitterMs} ms)`);
  assert.equal(s.clockSteps, 1, 'the clock sync step restarted the transit window once');
});
