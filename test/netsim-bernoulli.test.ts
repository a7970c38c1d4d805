import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Link, micros, type LinkConfig, type SendVerdict } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

/** Packets for the statistical checks; the pattern checks need fewer. */
const N = 100_000;
const DATAGRAM = new Uint8Array(200);

/** Sends `n` datagrams 100 us apart and returns what happened to each. */
function verdicts(config: LinkConfig, seed: number, n = 20_000): SendVerdict[] {
  const link = new Link(config, new Rng(seed));
  const out: SendVerdict[] = [];
  for (let i = 0; i < n; i++) {
    const now = micros(i * 100);
    out.push(link.handleSend(now, DATAGRAM));
    while (link.pollDeliver(now) !== null);
  }
  return out;
}

const count = (v: readonly SendVerdict[], what: SendVerdict): number => v.filter((x) => x === what).length;

describe('netsim: Bernoulli loss', () => {
  it('loses the configured fraction, within 4.5 standard errors over 100k packets', () => {
    for (const p of [0.02, 0.2]) {
      const link = new Link({ loss: { kind: 'bernoulli', p } }, new Rng(1));
      let lost = 0;
      let delivered = 0;
      for (let i = 0; i < N; i++) {
        const now = micros(i * 100);
        if (link.handleSend(now, DATAGRAM) === 'lost') lost++;
        while (link.pollDeliver(now) !== null) delivered++;
      }
      const tolerance = 4.5 * Math.sqrt((p * (1 - p)) / N);
      assert.ok(Math.abs(lost / N - p) < tolerance, `p=${p}: measured ${lost / N}`);
      const stats = link.stats();
      assert.equal(stats.sent, N);
      assert.equal(stats.droppedLoss, lost);
      assert.equal(stats.delivered, delivered);
      assert.equal(delivered + lost, N);
      assert.equal(stats.inFlight, 0);
    }
  });

  it('loses packets independently: a loss does not make the next one likelier', () => {
    const v = verdicts({ loss: { kind: 'bernoulli', p: 0.1 } }, 2, N);
    let afterLoss = 0;
    let lostAfterLoss = 0;
    for (let i = 1; i < v.length; i++) {
      if (v[i - 1] !== 'lost') continue;
      afterLoss++;
      if (v[i] === 'lost') lostAfterLoss++;
    }
    assert.ok(
      Math.abs(lostAfterLoss / afterLoss - 0.1) < 0.02,
      `p(loss | loss) ${lostAfterLoss / afterLoss}`,
    );
  });

  it('replays the same drop pattern for the same seed, and another for another seed', () => {
    const config: LinkConfig = { loss: { kind: 'bernoulli', p: 0.05 } };
    const first = verdicts(config, 7);
    assert.deepEqual(verdicts(config, 7), first);
    const other = verdicts(config, 8);
    assert.notDeepEqual(other, first);
    // Different, but not by a little: the two patterns agree on which packets are lost only by chance.
    const bothLost = first.filter((x, i) => x === 'lost' && other[i] === 'lost').length;
    assert.ok(bothLost < count(first, 'lost') * 0.2, `${bothLost} common losses`);
  });

  it('keeps the loss pattern when another impairment is turned on (separate streams)', () => {
    const plain = verdicts({ loss: { kind: 'bernoulli', p: 0.05 } }, 3);
    const withMore = verdicts(
      { loss: { kind: 'bernoulli', p: 0.05 }, duplicate: 0.1, jitter: { kind: 'uniform', max: micros(500) } },
      3,
    );
    assert.deepEqual(withMore, plain);
  });

  it('loses nothing at p = 0 and everything at p = 1', () => {
    assert.equal(count(verdicts({ loss: { kind: 'bernoulli', p: 0 } }, 4), 'lost'), 0);
    assert.equal(count(verdicts({ loss: { kind: 'bernoulli', p: 1 } }, 4), 'lost'), 20_000);
  });
});
