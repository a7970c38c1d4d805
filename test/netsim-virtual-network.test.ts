import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  micros,
  millis,
  NetsimClockError,
  NetsimLivelockError,
  Path,
  seconds,
  VirtualNetwork,
  type Endpoint,
  type Micros,
  type PathConfig,
} from '../src/netsim/index.js';
import { Rng } from '../src/rng/index.js';

/** Sends a numbered ping every `interval` and records the round-trip time of each pong. */
class Pinger implements Endpoint {
  readonly rtts = new Map<number, number>();
  readonly #interval: number;
  readonly #sentAt: number[] = [];
  readonly #outbox: Uint8Array[] = [];
  #next: number;

  constructor(interval: number, first = 0) {
    this.#interval = interval;
    this.#next = first;
  }

  handleDatagram(now: Micros, datagram: Uint8Array): void {
    const seq = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength).getUint32(0);
    this.rtts.set(seq, now - (this.#sentAt[seq] ?? Number.NaN));
  }

  handleTimeout(now: Micros): void {
    const ping = new Uint8Array(8);
    new DataView(ping.buffer).setUint32(0, this.#sentAt.length);
    this.#sentAt.push(now);
    this.#outbox.push(ping);
    this.#next += this.#interval;
  }

  pollTransmit(): Uint8Array | null {
    return this.#outbox.shift() ?? null;
  }

  pollTimeout(): Micros {
    return micros(this.#next);
  }

  get sent(): number {
    return this.#sentAt.length;
  }
}

/** Echoes every datagram straight back; never has a timer. */
class Ponger implements Endpoint {
  readonly #outbox: Uint8Array[] = [];
  received = 0;

  handleDatagram(_now: Micros, datagram: Uint8Array): void {
    this.received++;
    this.#outbox.push(datagram);
  }

  handleTimeout(): void {
    throw new Error('the ponger has no timer');
  }

  pollTransmit(): Uint8Array | undefined {
    return this.#outbox.shift();
  }

  pollTimeout(): null {
    return null;
  }
}

function pingPong(
  config: PathConfig,
  seed: number,
  end: Micros,
): { pinger: Pinger; ponger: Ponger; net: VirtualNetwork } {
  const pinger = new Pinger(100_000);
  const ponger = new Ponger();
  const net = new VirtualNetwork({ a: pinger, b: ponger, path: new Path(config, new Rng(seed)) });
  net.runUntil(end);
  return { pinger, ponger, net };
}

describe('netsim: virtual network', () => {
  it('ping-pongs through the path with the round trip of both delays, on virtual time', () => {
    const started = performance.now();
    const { pinger, ponger, net } = pingPong(
      { aToB: { delay: millis(25) }, bToA: { delay: millis(15) } },
      1,
      seconds(60),
    );
    const wall = performance.now() - started;
    assert.equal(net.now, 60_000_000);
    assert.equal(pinger.sent, 601, 'pings at 0, 0.1 s, ..., 60 s');
    // The ping sent at exactly 60 s is still on its way when the run stops.
    assert.equal(ponger.received, 600);
    assert.equal(pinger.rtts.size, 600);
    assert.ok([...pinger.rtts.values()].every((rtt) => rtt === 40_000));
    assert.ok(wall < 1000, `a virtual minute took ${wall} ms of real time`);
  });

  it('continues from where it stopped', () => {
    const pinger = new Pinger(100_000, 1_000_000);
    const net = new VirtualNetwork({
      a: pinger,
      b: new Ponger(),
      path: new Path({ aToB: { delay: millis(10) } }, new Rng(1)),
      start: seconds(1),
    });
    net.runUntil(seconds(1));
    assert.equal(pinger.sent, 1, 'a timer already due at the start fires at the start');
    net.runUntil(micros(1_250_000));
    assert.equal(pinger.rtts.size, 3, 'pings at 1.0, 1.1 and 1.2 s, back 20 ms later');
    net.runUntil(seconds(2));
    assert.equal(pinger.rtts.size, 10);
    assert.throws(() => net.runUntil(seconds(1)), NetsimClockError);
  });

  it('replays a lossy run exactly for the same seed, and differs for another', () => {
    const config: PathConfig = {
      aToB: {
        delay: millis(20),
        loss: { kind: 'bernoulli', p: 0.1 },
        jitter: { kind: 'uniform', max: millis(10) },
      },
    };
    const one = pingPong(config, 5, seconds(30)).pinger.rtts;
    const again = pingPong(config, 5, seconds(30)).pinger.rtts;
    const other = pingPong(config, 6, seconds(30)).pinger.rtts;
    assert.deepEqual([...again], [...one]);
    assert.notDeepEqual([...other], [...one]);
    // About 19% of round trips lose a packet (two 10% chances).
    assert.ok(one.size > 200 && one.size < 270, `${one.size} of 300 came back`);
    assert.ok([...one.values()].every((rtt) => rtt >= 40_000 && rtt <= 60_000));
  });

  it('stops early when asked, at the instant the condition became true', () => {
    const pinger = new Pinger(100_000);
    const net = new VirtualNetwork({
      a: pinger,
      b: new Ponger(),
      path: new Path({ aToB: { delay: millis(5) } }, new Rng(1)),
    });
    assert.equal(
      net.runUntil(seconds(10), () => pinger.rtts.size === 3),
      true,
    );
    assert.equal(net.now, 210_000);
    assert.equal(
      net.runUntil(seconds(10), () => false),
      false,
    );
    assert.equal(net.now, 10_000_000);
  });

  it('treats a timeout in the past as due now', () => {
    let fired: number[] = [];
    const late: Endpoint = {
      handleDatagram: () => undefined,
      handleTimeout: (now) => {
        fired = [...fired, now];
      },
      pollTransmit: () => null,
      pollTimeout: () => (fired.length === 0 ? micros(0) : null),
    };
    const net = new VirtualNetwork({
      a: new Ponger(),
      b: late,
      path: new Path({ aToB: {} }, new Rng(1)),
      start: seconds(3),
    });
    net.runUntil(seconds(4));
    assert.deepEqual(fired, [3_000_000]);
  });

  it('reports an endpoint whose timer never moves forward instead of spinning', () => {
    const stuck: Endpoint = {
      handleDatagram: () => undefined,
      handleTimeout: () => undefined,
      pollTransmit: () => null,
      pollTimeout: () => millis(5),
    };
    const net = new VirtualNetwork({
      a: stuck,
      b: new Ponger(),
      path: new Path({ aToB: {} }, new Rng(1)),
      maxStepsPerInstant: 50,
    });
    assert.throws(
      () => net.runUntil(seconds(1)),
      (e: unknown) => e instanceof NetsimLivelockError && e.message.includes('at 5000 us'),
    );
  });

  it('reports an endpoint that never stops transmitting', () => {
    const chatty: Endpoint = {
      handleDatagram: () => undefined,
      handleTimeout: () => undefined,
      pollTransmit: () => new Uint8Array(1),
      pollTimeout: () => null,
    };
    const net = new VirtualNetwork({
      a: chatty,
      b: new Ponger(),
      path: new Path({ aToB: {} }, new Rng(1)),
      maxTransmitsPerInstant: 100,
    });
    assert.throws(() => net.runUntil(seconds(1)), NetsimLivelockError);
  });
});
