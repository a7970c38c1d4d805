/** Scenario: replayed data packets are refused; only an authenticated packet moves the peer address. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sessionPair, STREAM, Wire } from './support/session-harness.js';

function established(): { wire: Wire; pair: ReturnType<typeof sessionPair> } {
  const pair = sessionPair('roam');
  const wire = new Wire(5_000);
  wire.add('a', pair.a);
  wire.add('b', pair.b);
  wire.runUntil(100_000);
  assert.ok(pair.a.established && pair.b.established);
  return { wire, pair };
}

it('refuses a replayed data packet', () => {
  const { wire, pair } = established();
  pair.a.sendFrame(wire.now, STREAM, new Uint8Array(500).fill(7), { captureUs: wire.now, keyframe: true });
  wire.runUntil(150_000);
  const data = wire.log.filter((s) => s.from === 'a' && s.bytes[0] === 0x13 && s.bytes.length > 400);
  assert.ok(data.length > 0);
  const before = pair.b.stats().rejectedReplay;
  for (const d of data) wire.inject(wire.now + 1, 'b', 'a', d.bytes);
  wire.runUntil(200_000);
  assert.equal(pair.b.stats().rejectedReplay - before, data.length);
});

it('moves the peer address only after an authenticated packet', () => {
  const { wire, pair } = established();
  assert.equal(pair.b.peerAddress, 'a');
  // A forged sealed packet, and a replayed genuine one (already delivered: a copy that outruns the
  // original is indistinguishable from it, as in WireGuard), from elsewhere: the address stays.
  const genuine = wire.log
    .filter((s) => s.from === 'a' && s.bytes[0] === 0x13 && s.at + wire.delayUs < wire.now)
    .at(-1);
  assert.ok(genuine !== undefined);
  const forged = Uint8Array.from(genuine.bytes);
  // A fresh, far-ahead counter, so it passes the replay check and fails only at the tag.
  forged[10] = 0x10;
  const auth = pair.b.stats().rejectedAuth;
  wire.inject(wire.now + 1, 'b', 'evil', forged);
  wire.inject(wire.now + 1, 'b', 'evil', genuine.bytes);
  wire.runUntil(wire.now + 10_000);
  assert.equal(pair.b.peerAddress, 'a');
  assert.equal(pair.b.stats().rejectedAuth, auth + 1);
  assert.equal(pair.b.stats().roams, 0);
  assert.equal(wire.log.filter((s) => s.to === 'evil').length, 0);
  // The initiator's NAT mapping changes: its next packets come from a2, and b follows them.
  wire.source.set(pair.a, 'a2');
  wire.alias('a2', pair.a);
  wire.runUntil(wire.now + 300_000);
  assert.equal(pair.b.peerAddress, 'a2');
  assert.equal(pair.b.stats().roams, 1);
  assert.ok(
    wire.log.some((s) => s.from === 'b' && s.to === 'a2'),
    'b now sends to the new address',
  );
});
