import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  acceptInitiation,
  generateKeyPair,
  initiatorHandshake,
  type KeyPair,
  ReplayGuard,
  responderHandshake,
} from '../src/noise/index.js';

// Deterministic "randomness" from fast-check's seed: the module never draws its own.
const seeded = (seed: number) => {
  let state = seed >>> 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out[i] = state >>> 24;
    }
    return out;
  };
};

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const keyPair = key32.map((k): KeyPair => generateKeyPair(() => k));
const payload = fc.uint8Array({ maxLength: 64 });
const prologue = new TextEncoder().encode('doorway v1');

const scenario = fc.record({
  alice: keyPair,
  bob: keyPair,
  psk: fc.option(key32, { nil: undefined }),
  seed: fc.integer(),
  counter: fc.bigInt({ min: 0n, max: (1n << 96n) - 1n }),
  p1: payload,
  p2: payload,
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function start(s: Scenario) {
  return initiatorHandshake({
    staticPrivate: s.alice.privateKey,
    remoteStatic: s.bob.publicKey,
    ...(s.psk === undefined ? {} : { psk: s.psk }),
    prologue,
    randomBytes: seeded(s.seed),
    counter: s.counter,
    payload: s.p1,
  });
}

function respond(s: Scenario, message: Uint8Array) {
  return responderHandshake({
    staticPrivate: s.bob.privateKey,
    ...(s.psk === undefined ? {} : { psk: s.psk }),
    prologue,
    randomBytes: seeded(s.seed + 1),
    message,
  });
}

function flip(message: Uint8Array, index: number, mask: number): Uint8Array {
  const copy = Uint8Array.from(message);
  copy[index % copy.length] = (copy[index % copy.length] ?? 0) ^ mask;
  return copy;
}

describe('handshake properties', () => {
  it('both sides derive matching keys, hash, counter and payloads', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { message, pending } = start(s);
        const read = respond(s, message);
        assert.ok(read.ok);
        assert.deepEqual(read.initiatorStatic, s.alice.publicKey);
        assert.equal(read.counter, s.counter);
        assert.deepEqual(read.payload, s.p1);
        const reply = read.pending.writeResponse(s.p2);
        const done = pending.readResponse(reply.message);
        assert.ok(done.ok);
        assert.deepEqual(done.payload, s.p2);
        assert.deepEqual(done.session.handshakeHash, reply.session.handshakeHash);
        assert.deepEqual(reply.session.receive.decrypt(done.session.send.encrypt(s.p1)), s.p1);
        assert.deepEqual(done.session.receive.decrypt(reply.session.send.encrypt(s.p2)), s.p2);
      }),
      { numRuns: 30 },
    );
  });

  it('flipping any bit of message 1 fails cleanly with a reason', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, index, mask) => {
        const read = respond(s, flip(start(s).message, index, mask));
        assert.ok(
          !read.ok && ['decrypt-failed', 'bad-public-key'].includes(read.reason),
          JSON.stringify(read),
        );
      }),
      { numRuns: 30 },
    );
  });

  it('flipping any bit of message 2 fails cleanly with a reason', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.integer({ min: 1, max: 255 }), (s, index, mask) => {
        const { message, pending } = start(s);
        const read = respond(s, message);
        assert.ok(read.ok);
        const reply = read.pending.writeResponse(s.p2);
        const done = pending.readResponse(flip(reply.message, index, mask));
        assert.ok(
          !done.ok && ['decrypt-failed', 'bad-public-key'].includes(done.reason),
          JSON.stringify(done),
        );
      }),
      { numRuns: 30 },
    );
  });

  it('truncating either message fails cleanly', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), (s, cut) => {
        const { message, pending } = start(s);
        const short1 = respond(s, message.subarray(0, cut % message.length));
        assert.ok(!short1.ok && ['message-too-short', 'decrypt-failed'].includes(short1.reason));
        const read = respond(s, message);
        assert.ok(read.ok);
        const reply = read.pending.writeResponse(s.p2);
        const short2 = pending.readResponse(reply.message.subarray(0, cut % reply.message.length));
        assert.ok(!short2.ok && ['message-too-short', 'decrypt-failed'].includes(short2.reason));
      }),
      { numRuns: 25 },
    );
  });

  it('a different psk on one side fails message 2, not message 1 (psk2 mixes in late)', () => {
    fc.assert(
      fc.property(scenario, key32, (s, otherPsk) => {
        fc.pre(s.psk !== undefined && Buffer.compare(s.psk, otherPsk) !== 0);
        const { message, pending } = start(s);
        const read = respond({ ...s, psk: otherPsk }, message);
        assert.ok(read.ok);
        const done = pending.readResponse(read.pending.writeResponse().message);
        assert.deepEqual(done, { ok: false, reason: 'decrypt-failed' });
      }),
      { numRuns: 20 },
    );
  });

  it('a static key other than the pinned one is refused, and does not move the replay mark', () => {
    fc.assert(
      fc.property(scenario, keyPair, (s, stranger) => {
        fc.pre(Buffer.compare(stranger.publicKey, s.alice.publicKey) !== 0);
        const guard = new ReplayGuard();
        const result = acceptInitiation({
          staticPrivate: s.bob.privateKey,
          ...(s.psk === undefined ? {} : { psk: s.psk }),
          prologue,
          randomBytes: seeded(s.seed + 1),
          message: start(s).message,
          pinnedInitiator: stranger.publicKey,
          replayGuard: guard,
        });
        assert.deepEqual(result, { ok: false, reason: 'unknown-static-key' });
        assert.equal(guard.lastAccepted, null);
      }),
      { numRuns: 20 },
    );
  });

  it('a replayed message 1 (same counter) is refused by the ReplayGuard; a later counter is accepted', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(s.counter < (1n << 96n) - 1n);
        const guard = new ReplayGuard();
        const accept = (message: Uint8Array) =>
          acceptInitiation({
            staticPrivate: s.bob.privateKey,
            ...(s.psk === undefined ? {} : { psk: s.psk }),
            prologue,
            randomBytes: seeded(s.seed + 1),
            message,
            pinnedInitiator: s.alice.publicKey,
            replayGuard: guard,
          });
        const { message } = start(s);
        assert.ok(accept(message).ok);
        assert.deepEqual(accept(message), { ok: false, reason: 'replay' });
        assert.deepEqual(accept(start({ ...s, seed: s.seed + 7 }).message), { ok: false, reason: 'replay' });
        assert.ok(accept(start({ ...s, counter: s.counter + 1n }).message).ok);
        assert.equal(guard.lastAccepted, s.counter + 1n);
      }),
      { numRuns: 20 },
    );
  });
});
