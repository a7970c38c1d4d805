/** Scenario: bad session options are a named config error; network garbage never throws. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SessionConfigError } from '../src/session/index.js';
import { sessionPair } from './support/session-harness.js';

it('refuses out-of-range options with SessionConfigError', () => {
  for (const timings of [
    { rekeyAfterTimeUs: 0 },
    { rejectAfterTimeUs: 1 },
    { rekeyAfterMessages: 2 ** 23 },
    { handshakeRetryJitter: 1 },
    { rateLimitPerSecond: 0 },
  ]) {
    assert.throws(() => sessionPair('cfg', { a: { timings } }), SessionConfigError);
  }
  assert.throws(() => sessionPair('cfg', { a: { psk: new Uint8Array(3) } }), SessionConfigError);
  assert.throws(() => sessionPair('cfg', { a: { peerPublic: new Uint8Array(31) } }), SessionConfigError);
});

it('counts, never throws on, empty and truncated datagrams of every type', () => {
  const { a, b } = sessionPair('cfg-garbage');
  for (const s of [a, b]) {
    for (const type of [0x13, 0x14, 0x15, 0x16, 0x99]) s.handleDatagram(0, new Uint8Array([type, 1, 2]), 'x');
    s.handleDatagram(0, new Uint8Array(0), 'x');
    const st = s.stats();
    assert.equal(st.rejectedMalformed + st.rejectedAuth, 6);
  }
});
