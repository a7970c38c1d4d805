/**
 * Scenario: the initiating peer's process restarts. Its new session opens after a silence, and its
 * sender numbers frames from zero again: the responder must reset its receive state (or drop the
 * new frames as stale), while a rekey under flowing traffic must not. And the application can ask
 * an initiator for a fresh handshake at once, which is how the appliance re-opens its own
 * direction when it sees the peer come back.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Rng } from '../src/rng/index.js';
import { rngRandomBytes, SecureSession } from '../src/session/index.js';
import { connectionOptions, sessionPair, STREAM, Wire } from './support/session-harness.js';

const FRAME_US = 16_667;

/**
 * Sends `count` frames from `from`, one per frame interval, running the wire. The first is a
 * keyframe unless `keyframeFirst` is false (a new sender whose first keyframe was lost).
 */
function sendFrames(wire: Wire, from: SecureSession, count: number, keyframeFirst = true): void {
  for (let i = 0; i < count; i++) {
    from.sendFrame(wire.now, STREAM, new Uint8Array(900).fill(i & 0xff), {
      captureUs: wire.now,
      keyframe: i === 0 && keyframeFirst,
    });
    wire.runUntil(wire.now + FRAME_US);
  }
}

function completedFrames(session: SecureSession): number[] {
  const ids: number[] = [];
  for (let e = session.pollEvent(); e !== null; e = session.pollEvent()) {
    if (e.kind === 'frame-complete') ids.push(e.frame.frameId);
    if (e.kind === 'frame') session.connection.recycle(e.frame);
  }
  return ids;
}

it('a restarted initiator is heard at once: the responder resets its receive state', () => {
  const pair = sessionPair('peer-restart');
  const wire = new Wire(5_000);
  wire.add('a', pair.a);
  wire.add('b', pair.b);
  wire.runUntil(100_000);
  // Long enough that the old sender's frame ids are far ahead of a new sender's.
  sendFrames(wire, pair.a, 1500);
  assert.equal(completedFrames(pair.b).length, 1500);

  // The process dies (nothing answers at its address); a second later its replacement opens a new
  // session with the same keys.
  wire.add('a', sessionPair('dead').b);
  wire.runUntil(wire.now + 1_000_000);
  let counter = 1000n;
  const restarted = new SecureSession({
    staticPrivate: pair.keysA.privateKey,
    peerPublic: pair.keysB.publicKey,
    role: 'initiator',
    peerAddress: 'b',
    randomBytes: rngRandomBytes(new Rng('peer-restart/again')),
    nextHandshakeCounter: () => ++counter,
    connection: connectionOptions,
  });
  wire.add('a', restarted);
  wire.runUntil(wire.now + 100_000);
  assert.ok(restarted.established);
  // Its frame ids start from zero again, and (its first keyframe lost) it starts with deltas: only
  // the session's reset lets them through; the stream alone would take them for stale ones.
  sendFrames(wire, restarted, 30, false);
  const after = completedFrames(pair.b);
  assert.equal(after.length, 30, 'every frame of the new sender completes');
  assert.equal(after[0], 0);
  assert.equal(pair.b.stats().peerRestarts, 1);
});

it('a rekey while media flows keeps the receive state', () => {
  const pair = sessionPair('rekey-flowing', {
    a: { timings: { rekeyAfterTimeUs: 1_000_000, rejectAfterTimeUs: 3_000_000 } },
  });
  const wire = new Wire(5_000);
  wire.add('a', pair.a);
  wire.add('b', pair.b);
  wire.runUntil(100_000);
  sendFrames(wire, pair.a, 200);
  assert.ok(pair.b.stats().rekeys >= 2, 'the session rekeyed under traffic');
  assert.equal(pair.b.stats().peerRestarts, 0);
  assert.equal(completedFrames(pair.b).length, 200);
});

it('requestHandshake starts a handshake at the next timeout; a responder ignores it', () => {
  const pair = sessionPair('request-handshake');
  const wire = new Wire(5_000);
  wire.add('a', pair.a);
  wire.add('b', pair.b);
  wire.runUntil(100_000);
  assert.equal(pair.a.stats().handshakes, 1);
  const heard = pair.a.lastAuthenticatedAt;
  assert.ok(heard !== null);

  pair.b.requestHandshake();
  pair.a.requestHandshake();
  assert.equal(pair.a.pollTimeout(), wire.now, 'due now');
  wire.runUntil(wire.now + 50_000);
  assert.equal(pair.a.stats().initiationsSent, 2);
  assert.equal(pair.a.stats().handshakes, 2);
  assert.equal(pair.b.stats().initiationsSent, 0, 'the responder never initiates');
  // Asked once, done once: no further initiations while the keys are fresh.
  wire.runUntil(wire.now + 2_000_000);
  assert.equal(pair.a.stats().initiationsSent, 2);
});
