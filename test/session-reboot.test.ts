/** Scenario: a responder restarted with its persisted handshake mark refuses a replayed old initiation. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Rng } from '../src/rng/index.js';
import { rngRandomBytes, SecureSession } from '../src/session/index.js';
import { connectionOptions, sessionPair, Wire } from './support/session-harness.js';

it('rejects a replayed initiation after a reboot, with zero bytes in reply', () => {
  let persisted: bigint | null = null;
  const pair = sessionPair('reboot', { b: { onAcceptedCounter: (c) => (persisted = c) } });
  const wire = new Wire(5_000);
  wire.add('a', pair.a);
  wire.add('b', pair.b);
  wire.runUntil(100_000);
  assert.ok(pair.b.established);
  assert.equal(persisted, 1n, 'the accepted counter was handed out for persisting');
  const initiation = wire.log.find((s) => s.from === 'a' && s.bytes[0] === 0x14);
  assert.ok(initiation !== undefined);

  const reboot = (lastAcceptedCounter: bigint | null): SecureSession =>
    new SecureSession({
      staticPrivate: pair.keysB.privateKey,
      peerPublic: pair.keysA.publicKey,
      role: 'responder',
      randomBytes: rngRandomBytes(new Rng('reboot/again')),
      lastAcceptedCounter,
      connection: connectionOptions,
    });

  const restarted = reboot(persisted);
  restarted.handleDatagram(1_000_000, initiation.bytes, 'attacker');
  assert.equal(restarted.pollTransmit(), null, 'zero bytes in reply');
  assert.equal(restarted.stats().rejectedReplay, 1);
  assert.equal(restarted.established, false);

  // Without the persisted mark the same bytes would have been answered: the file is what protects.
  const amnesiac = reboot(null);
  amnesiac.handleDatagram(1_000_000, initiation.bytes, 'attacker');
  assert.notEqual(amnesiac.pollTransmit(), null);
});
