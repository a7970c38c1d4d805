import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DoorwayError } from '../src/errors/index.js';
import { KNOBS, Link, micros, NetsimConfigError, parseKnobArgs, parseKnobs } from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

/** Asserts a one-line NetsimConfigError naming `knob`, whose message matches `pattern`. */
function rejects(args: Record<string, string>, knob: string, pattern: RegExp): void {
  assert.throws(
    () => parseKnobs(args),
    (e: unknown) => {
      assert.ok(e instanceof NetsimConfigError, String(e));
      assert.ok(e instanceof DoorwayError);
      assert.equal(e.exitCode, 2);
      assert.equal(e.field, knob);
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.ok(e.message.startsWith(`netsim: ${knob}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('netsim: knobs', () => {
  it('parses every knob into a link config', () => {
    const config = parseKnobs({
      ge: '0.01,0.3,0,0.5',
      delay: '10ms',
      jitter: '5ms',
      'jitter-reorder': 'on',
      rate: '20mbit',
      queue: '64kb,100p',
      reorder: '1%',
      dup: '0.5%',
      overhead: '28',
      outage: '5s+5s,20s+500ms',
      'rate-at': '5s:5mbit,10s:unlimited',
    });
    assert.deepEqual(config, {
      loss: { kind: 'gilbert-elliott', pGoodToBad: 0.01, pBadToGood: 0.3, lossGood: 0, lossBad: 0.5 },
      delay: 10_000,
      jitter: { kind: 'uniform', max: 5000 },
      jitterMayReorder: true,
      rateBitsPerSecond: 20_000_000,
      queueLimitBytes: 65_536,
      queueLimitPackets: 100,
      reorder: 0.01,
      duplicate: 0.005,
      overheadBytes: 28,
      outages: [
        { start: 5_000_000, duration: 5_000_000 },
        { start: 20_000_000, duration: 500_000 },
      ],
      schedule: [
        { at: 5_000_000, rateBitsPerSecond: 5_000_000 },
        { at: 10_000_000, rateBitsPerSecond: null },
      ],
    });
  });

  it('reads units and the short forms', () => {
    assert.deepEqual(parseKnobs({ loss: '2%' }), { loss: { kind: 'bernoulli', p: 0.02 } });
    assert.deepEqual(parseKnobs({ loss: '0.02' }), { loss: { kind: 'bernoulli', p: 0.02 } });
    assert.deepEqual(parseKnobs({ ge: '1%,25%' }).loss, {
      kind: 'gilbert-elliott',
      pGoodToBad: 0.01,
      pBadToGood: 0.25,
      lossGood: 0,
      lossBad: 1,
    });
    const delays = ['250us', '1.5ms', '2s', '0', '.5ms'].map((d) => parseKnobs({ delay: d }).delay);
    assert.deepEqual(delays, [250, 1500, 2_000_000, 0, 500]);
    const rates = ['500kbit', '20Mbit/s', '1gbps', '64000bit', '2.5mbps'].map(
      (r) => parseKnobs({ rate: r }).rateBitsPerSecond,
    );
    assert.deepEqual(rates, [500_000, 20_000_000, 1_000_000_000, 64_000, 2_500_000]);
    assert.equal(parseKnobs({ rate: 'unlimited' }).rateBitsPerSecond, null);
    assert.deepEqual(parseKnobs({ queue: '1mb' }), { queueLimitBytes: 1_048_576 });
    assert.deepEqual(parseKnobs({ queue: '1500' }), { queueLimitBytes: 1500 });
    assert.deepEqual(parseKnobs({ queue: '50pkt' }), { queueLimitPackets: 50 });
    assert.deepEqual(parseKnobs({ jitter: '2ms,normal' }).jitter, { kind: 'normal', stddev: 2000 });
    assert.deepEqual(parseKnobs({ reorder: '1%,20ms' }), { reorder: 0.01, reorderDelay: 20_000 });
    assert.equal(parseKnobs({ 'jitter-reorder': 'off' }).jitterMayReorder, false);
    assert.deepEqual(parseKnobs({}), {});
  });

  it('takes command-line words', () => {
    assert.deepEqual(parseKnobArgs(['loss=2%', 'delay=10ms']), {
      loss: { kind: 'bernoulli', p: 0.02 },
      delay: 10_000,
    });
    assert.throws(
      () => parseKnobArgs(['delay=1ms', 'delay=2ms']),
      /^NetsimConfigError: netsim: delay: given twice$/,
    );
    assert.throws(() => parseKnobArgs(['loss']), /netsim: loss: expected NAME=VALUE/);
    assert.throws(() => parseKnobArgs(['=5']), /expected NAME=VALUE/);
  });

  it('names the knob in a one-line error for each kind of mistake', () => {
    rejects({ lose: '2%' }, 'lose', /unknown knob \(known: loss, ge, delay/);
    rejects({ loss: '150%' }, 'loss', /'150%' is not a probability/);
    rejects({ loss: 'lots' }, 'loss', /is not a probability/);
    rejects({ loss: '' }, 'loss', /needs a value/);
    rejects({ loss: '1%', ge: '0.1,0.2' }, 'ge', /'loss' and 'ge' cannot both be given/);
    rejects({ ge: '0.1,0.2,0.3' }, 'ge', /P,R or P,R,LOSS_GOOD,LOSS_BAD/);
    rejects({ ge: '0.1,2' }, 'ge', /'2' is not a probability/);
    rejects({ delay: '10' }, 'delay', /'10' is not a duration such as 250us, 10ms or 1.5s/);
    rejects({ delay: '10 minutes' }, 'delay', /is not a duration/);
    rejects({ jitter: '5ms,pareto' }, 'jitter', /DURATION\[,uniform\|normal\]/);
    rejects({ jitter: '5ms,normal,x' }, 'jitter', /DURATION\[,uniform\|normal\]/);
    rejects({ 'jitter-reorder': 'maybe' }, 'jitter-reorder', /on or off/);
    rejects({ reorder: '1%,2ms,3' }, 'reorder', /PROBABILITY\[,HOLD\]/);
    rejects({ dup: '-1%' }, 'dup', /is not a probability/);
    rejects({ rate: '0mbit' }, 'rate', /a rate > 0/);
    rejects({ rate: '20 furlongs' }, 'rate', /a rate > 0/);
    rejects({ queue: '64xb' }, 'queue', /a queue limit such as 64kb/);
    rejects({ queue: '0p' }, 'queue', /a queue limit/);
    rejects({ queue: '1kb,2kb' }, 'queue', /at most one of each/);
    rejects({ overhead: '70000' }, 'overhead', /a number of bytes in \[0, 65535\]/);
    rejects({ outage: '5s' }, 'outage', /START\+DURATION/);
    rejects({ outage: '5s+0' }, 'outage', /an outage of positive duration/);
    rejects({ 'rate-at': '5s=5mbit' }, 'rate-at', /TIME:RATE/);
    rejects({ 'rate-at': '5s:fast' }, 'rate-at', /a rate > 0/);
  });

  it('lists every knob it accepts for help text', () => {
    for (const k of KNOBS) {
      assert.ok(k.syntax.startsWith(`${k.name}=`), k.syntax);
      assert.ok(k.meaning.length > 0);
    }
    assert.equal(new Set(KNOBS.map((k) => k.name)).size, KNOBS.length);
  });

  it('yields a config a link runs with', () => {
    const link = new Link(parseKnobArgs(['delay=10ms', 'rate=8mbit', 'queue=2p']), new Rng(1));
    const verdicts = [0, 1, 2].map(() => link.handleSend(micros(0), new Uint8Array(1000)));
    assert.deepEqual(verdicts, ['accepted', 'accepted', 'queue-full']);
    assert.equal(link.pollTimeout(), 11_000);
  });
});
