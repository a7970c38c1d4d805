/** Scenario: the handshake completes through the netsim VirtualNetwork and media flows; a wrong pinned key gets nothing. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { keyPair, runMedia, sessionPair } from './support/session-harness.js';

it('completes the handshake and carries frames end to end, sealed', () => {
  const pair = sessionPair('hs');
  const run = runMedia(pair, 12);
  assert.equal(run.sent, 12);
  assert.equal(run.completed.size, 12, 'every frame completes at the receiver');
  assert.equal(run.intact, 12);
  // One round trip (20 ms) for the initiator, plus the keepalive's 10 ms for the responder.
  assert.ok(run.establishedAt.a !== null && run.establishedAt.a <= 20_000, `a at ${run.establishedAt.a}`);
  assert.ok(run.establishedAt.b !== null && run.establishedAt.b <= 30_000, `b at ${run.establishedAt.b}`);
  assert.equal(pair.a.stats().handshakes, 1);
  assert.equal(pair.b.stats().handshakes, 1);
  assert.equal(pair.a.stats().rekeys, 0);
  for (const s of [pair.a.stats(), pair.b.stats()]) {
    assert.equal(s.rejectedAuth + s.rejectedReplay + s.rejectedMalformed, 0);
  }
});

it('a responder pinning another key never establishes and sends zero bytes', () => {
  const stranger = keyPair('hs/someone-else');
  const pair = sessionPair('hs-wrong', { b: { peerPublic: stranger.publicKey } });
  const run = runMedia(pair, 6);
  assert.equal(run.completed.size, 0);
  assert.equal(run.bytesFromB, 0, 'the responder replies with nothing');
  assert.equal(pair.a.established, false);
  assert.equal(pair.b.established, false);
  assert.ok(pair.a.stats().initiationsSent >= 1, 'the initiator keeps trying');
  assert.ok(pair.b.stats().rejectedAuth >= 1, 'and each attempt is counted as an auth failure');
});
