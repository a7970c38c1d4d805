import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, type LossModel } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

const DATAGRAM = new Uint8Array(100);

/** Loss rate and mean length of runs of consecutive losses over `n` packets. */
function measure(
  loss: LossModel,
  seed: number,
  n = 100_000,
): { rate: number; meanBurst: number; bursts: number } {
  const link = new Link({ loss }, new Rng(seed));
  let lost = 0;
  let bursts = 0;
  let previousLost = false;
  for (let i = 0; i < n; i++) {
    const now = micros(i * 10);
    const isLost = link.handleSend(now, DATAGRAM) === 'lost';
    if (isLost) {
      lost++;
      if (!previousLost) bursts++;
    }
    previousLost = isLost;
    while (link.pollDeliver(now) !== null);
  }
  assert.equal(link.stats().droppedLoss, lost);
  return { rate: lost / n, meanBurst: lost / bursts, bursts };
}

const ge = (pGoodToBad: number, pBadToGood: number, lossGood = 0, lossBad = 1): LossModel => ({
  kind: 'gilbert-elliott',
  pGoodToBad,
  pBadToGood,
  lossGood,
  lossBad,
});

describe('netsim: Gilbert-Elliott loss', () => {
  it('loses in bursts of mean length 1/p(bad→good) at rate p/(p+r)', () => {
    for (const [p, r] of [
      [0.01, 0.25],
      [0.005, 0.1],
    ] as const) {
      // 200k packets: some 500 bursts at the rarer setting, so the mean is within about 4%.
      const m = measure(ge(p, r), 1, 200_000);
      const expectedBurst = 1 / r;
      const expectedRate = p / (p + r);
      assert.ok(Math.abs(m.meanBurst / expectedBurst - 1) < 0.12, `p=${p} r=${r}: mean burst ${m.meanBurst}`);
      assert.ok(Math.abs(m.rate / expectedRate - 1) < 0.15, `p=${p} r=${r}: rate ${m.rate}`);
    }
  });

  it('is burstier than Bernoulli loss at the same rate', () => {
    const bursty = measure(ge(0.01, 0.25), 2);
    const plain = measure({ kind: 'bernoulli', p: bursty.rate }, 2);
    assert.ok(Math.abs(plain.rate / bursty.rate - 1) < 0.1);
    assert.ok(plain.meanBurst < 1.1, `Bernoulli mean burst ${plain.meanBurst}`);
    assert.ok(bursty.meanBurst > 3 * plain.meanBurst);
  });

  it('loses lossBad of the bad state and lossGood of the good one', () => {
    // Stationary share of bad: p/(p+r) = 0.2; loss = 0.2*0.5 + 0.8*0.01 = 0.108.
    const m = measure(ge(0.05, 0.2, 0.01, 0.5), 3);
    assert.ok(Math.abs(m.rate - 0.108) < 0.012, `rate ${m.rate}`);
    assert.equal(measure(ge(0, 0.5, 0, 1), 3).rate, 0, 'never leaves the good state');
  });

  it('replays the same bursts for the same seed', () => {
    const model = ge(0.01, 0.3, 0, 0.5);
    assert.deepEqual(measure(model, 9, 20_000), measure(model, 9, 20_000));
    assert.notDeepEqual(measure(model, 9, 20_000), measure(model, 10, 20_000));
  });
});
