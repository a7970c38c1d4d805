/**
 * Scenario: thousands of forged, garbage and replayed packets hit the responder while the real peer
 * handshakes. Nothing goes back to an attacker, and the real peer still gets in at once.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Rng } from '../src/rng/index.js';
import { INITIATION_BYTES, INITIATION_TYPE, SecureSession, rngRandomBytes } from '../src/session/index.js';
import { keyPair, sessionPair, Wire } from './support/session-harness.js';

it('sends zero bytes to 6000 forged, garbage and replayed packets; the peer completes under 1 s', () => {
  const pair = sessionPair('flood');
  const wire = new Wire(50_000);
  wire.add('a', pair.a);
  wire.add('b', pair.b);
  const rng = new Rng('flood/attacker');
  const random = rngRandomBytes(rng);
  // 2000 random datagrams of random length, 2000 well-formed initiations with forged macs, spread
  // over the first second (before and during the real handshake).
  for (let i = 0; i < 4000; i++) {
    const at = rng.nextInt(1_000_000);
    const bytes = i < 2000 ? random(1 + rng.nextInt(1400)) : random(INITIATION_BYTES);
    if (i >= 2000) bytes[0] = INITIATION_TYPE;
    wire.inject(at, 'b', `attacker-${i % 50}`, bytes);
  }
  // Capture the real initiation once it is on the wire, then replay it 2000 times after it landed.
  wire.runUntil(1, () => wire.log.length > 0);
  const initiation = wire.log[0]?.bytes ?? new Uint8Array(0);
  assert.equal(initiation.length, INITIATION_BYTES);
  for (let i = 0; i < 2000; i++) {
    wire.inject(50_001 + rng.nextInt(950_000), 'b', `replayer-${i % 50}`, Uint8Array.from(initiation));
  }
  const done: number[] = [];
  wire.runUntil(2_000_000, () => {
    if (done.length === 0 && pair.a.established && pair.b.established) done.push(wire.now);
    return false;
  });
  const doneAt = done[0];
  const toAttackers = wire.log.filter((s) => s.from === 'b' && s.to !== 'a');
  assert.equal(
    toAttackers.reduce((n, s) => n + s.bytes.length, 0),
    0,
    'zero bytes to attackers',
  );
  assert.ok(doneAt !== undefined && doneAt < 1_000_000, `established at ${doneAt} µs`);
  assert.equal(pair.a.stats().initiationsSent, 1, 'no retry was needed');
  const b = pair.b.stats();
  assert.equal(b.handshakes, 1);
  assert.equal(b.rejectedReplay, 2000, 'verbatim replays are dropped before any Diffie-Hellman');
  assert.ok(b.rejectedAuth + b.rejectedMalformed >= 4000 - 10, JSON.stringify(b));
});

it('under load answers a known-key stranger with a cookie reply smaller than its request, and the peer gets in with mac2', () => {
  const timings = { loadThresholdPerSecond: 4 };
  const pair = sessionPair('load', { b: { timings } });
  const wire = new Wire(10_000);
  wire.add('b', pair.b);
  // Strangers know b's public key (valid mac1) but are not pinned: 40 of them, each at its own address.
  for (let i = 0; i < 40; i++) {
    const k = keyPair(`load/stranger-${i}`);
    wire.add(
      `s${i}`,
      new SecureSession({
        staticPrivate: k.privateKey,
        peerPublic: pair.keysB.publicKey,
        role: 'initiator',
        peerAddress: 'b',
        randomBytes: rngRandomBytes(new Rng(`load/r${i}`)),
      }),
    );
  }
  wire.runUntil(5_000);
  wire.add('a', pair.a);
  wire.runUntil(500_000);
  // Pair every reply b sent with the request that caused it: the last packet delivered to b from there.
  const requests = wire.log.filter((s) => s.to === 'b');
  const replies = wire.log.filter((s) => s.from === 'b' && s.to !== null && s.bytes[0] !== 0x13);
  assert.ok(replies.length > 0);
  for (const r of replies) {
    const cause = requests.filter((q) => q.from === r.to && q.at + 10_000 <= r.at).at(-1);
    assert.ok(cause !== undefined, `a reply to ${r.to} without a request`);
    assert.ok(r.bytes.length <= cause.bytes.length, `${r.bytes.length} > ${cause.bytes.length}`);
  }
  const b = pair.b.stats();
  assert.ok(b.cookieRepliesSent > 0, 'b was under load');
  assert.ok(
    wire.log.filter((s) => s.from === 'b' && s.to?.startsWith('s') === true && s.bytes.length !== 49)
      .length === 0,
    'strangers only ever get cookie replies',
  );
  assert.equal(pair.a.established, true, 'the real peer got in');
  assert.ok(pair.a.stats().initiationsSent <= 2, 'with one immediate retry carrying mac2');
});
