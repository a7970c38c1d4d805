/**
 * Scenario: the AEAD is handed to the session, not looked up by src/seal. Both ends of a session
 * pair are given OpenSSL's (src/media's choice in a built tree), counted as it is used: every data
 * packet of a media run is sealed by one end's contexts and opened by the other's, and the frames
 * arrive whole. A pair handed nothing seals on node:crypto and carries the same frames.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { chooseAead } from '../src/media/index.js';
import type { AeadBackend } from '../src/seal/index.js';
import { runMedia, sessionPair } from './support/session-harness.js';

interface Counted {
  readonly backend: AeadBackend;
  readonly sealed: () => number;
  readonly opened: () => number;
}

/** `inner`, counting the packets its contexts seal and open. */
function counted(inner: AeadBackend): Counted {
  let sealed = 0;
  let opened = 0;
  return {
    backend: {
      name: inner.name,
      createSealContext(cipher, key) {
        const context = inner.createSealContext(cipher, key);
        return {
          seal(nonce, aad, plaintext, out) {
            sealed++;
            context.seal(nonce, aad, plaintext, out);
          },
          release: () => {
            context.release();
          },
        };
      },
      createOpenContext(cipher, key) {
        const context = inner.createOpenContext(cipher, key);
        return {
          open(nonce, sealedBytes, aadLength, out) {
            const ok = context.open(nonce, sealedBytes, aadLength, out);
            if (ok) opened++;
            return ok;
          },
          release: () => {
            context.release();
          },
        };
      },
    },
    sealed: () => sealed,
    opened: () => opened,
  };
}

it('seals and opens every data packet with the AEAD it was handed', () => {
  const choice = chooseAead();
  assert.equal(choice.fallbackReason, null, 'a built tree has native/fec');
  const atA = counted(choice.backend);
  const atB = counted(choice.backend);
  const pair = sessionPair('handed-aead', { a: { aead: atA.backend }, b: { aead: atB.backend } });
  const run = runMedia(pair, 12);
  assert.equal(run.completed.size, 12);
  assert.equal(run.intact, 12);
  const a = pair.a.stats();
  const b = pair.b.stats();
  // Frames go a → b: each sealed by a's contexts is opened by b's, and b's keepalives come back.
  // A packet or two may still be on the wire when the run ends.
  const inFlight = (sealed: number, opened: number): boolean => sealed - opened >= 0 && sealed - opened <= 2;
  assert.ok(atA.sealed() >= 12, `a sealed ${atA.sealed()}`);
  assert.ok(inFlight(atA.sealed(), atB.opened()), `a sealed ${atA.sealed()}, b opened ${atB.opened()}`);
  assert.ok(atB.sealed() >= 1, 'b sealed its keepalives');
  assert.ok(inFlight(atB.sealed(), atA.opened()), `b sealed ${atB.sealed()}, a opened ${atA.opened()}`);
  assert.equal(a.rejectedAuth + b.rejectedAuth, 0);
});

it('handed none, seals on node:crypto and carries the same frames', () => {
  const pair = sessionPair('handed-aead');
  const run = runMedia(pair, 12);
  assert.equal(run.completed.size, 12);
  assert.equal(run.intact, 12);
});
