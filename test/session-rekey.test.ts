/** Scenario: 5 s of 60 fps video with keys rotating every second: several rekeys, no frame lost. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runMedia, sessionPair } from './support/session-harness.js';

it('rekeys by time under media with overlap, losing no frame', () => {
  const timings = { rekeyAfterTimeUs: 1_000_000, rejectAfterTimeUs: 3_000_000 };
  const pair = sessionPair('rekey', { a: { timings }, b: { timings } });
  const run = runMedia(pair, 300);
  assert.equal(run.sent, 300);
  assert.equal(run.completed.size, 300, 'every frame completes');
  assert.equal(run.intact, 300);
  const a = pair.a.stats();
  const b = pair.b.stats();
  assert.ok(a.rekeys >= 2, `initiator rekeys ${a.rekeys}`);
  assert.ok(b.rekeys >= 2, `responder rekeys ${b.rekeys}`);
  assert.equal(a.handshakes, a.rekeys + 1);
  assert.equal(a.rejectedAuth + b.rejectedAuth, 0, 'no packet was sealed under keys the peer lacked');
  assert.equal(pair.a.connection.stats().malformed, 0);
});

it('rekeys by message count', () => {
  const timings = { rekeyAfterMessages: 200 };
  const pair = sessionPair('rekey-count', { a: { timings }, b: { timings } });
  const run = runMedia(pair, 120);
  assert.equal(run.completed.size, 120);
  assert.ok(pair.a.stats().rekeys >= 2, `rekeys ${pair.a.stats().rekeys}`);
});
