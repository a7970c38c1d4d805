import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  HandshakeState,
  type HashName,
  initiatorHandshake,
  protocolName,
  publicKeyFromPrivate,
  responderHandshake,
} from '../src/noise/index.js';

// Known-answer vectors for exactly Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s (and its BLAKE2b twin),
// copied from the cacophony vector set; the fixture names its source.
interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_psks: string[];
  init_static: string;
  init_ephemeral: string;
  init_remote_static: string;
  resp_prologue: string;
  resp_psks: string[];
  resp_static: string;
  resp_ephemeral: string;
  messages: { payload: string; ciphertext: string }[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/noise-vectors.json', import.meta.url), 'utf8'),
) as { comment: string; vectors: Vector[] };

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function firstPsk(psks: string[]): Uint8Array {
  const [psk] = psks;
  assert.ok(psk !== undefined, 'the vector has a psk');
  return hex(psk);
}

describe('Noise known-answer vectors (cacophony)', () => {
  assert.match(fixture.comment, /cacophony/);
  assert.equal(fixture.vectors.length, 2);

  for (const v of fixture.vectors) {
    const hashName = v.protocol_name.endsWith('BLAKE2s') ? 'BLAKE2s' : 'BLAKE2b';

    it(`${v.protocol_name}: byte-exact handshake, handshake hash and transport messages`, () => {
      assert.equal(protocolName('IKpsk2', hashName satisfies HashName), v.protocol_name);
      assert.equal(toHex(publicKeyFromPrivate(hex(v.resp_static))), v.init_remote_static);

      const initiator = new HandshakeState({
        role: 'initiator',
        hash: hashName,
        staticPrivate: hex(v.init_static),
        remoteStatic: hex(v.init_remote_static),
        psk: firstPsk(v.init_psks),
        prologue: hex(v.init_prologue),
        ephemeralPrivate: hex(v.init_ephemeral),
      });
      const responder = new HandshakeState({
        role: 'responder',
        hash: hashName,
        staticPrivate: hex(v.resp_static),
        psk: firstPsk(v.resp_psks),
        prologue: hex(v.resp_prologue),
        ephemeralPrivate: hex(v.resp_ephemeral),
      });

      const [m1, m2, ...transport] = v.messages;
      assert.ok(m1 !== undefined && m2 !== undefined);

      const out1 = initiator.writeMessage(hex(m1.payload));
      assert.equal(toHex(out1), m1.ciphertext);
      const in1 = responder.readMessage(out1);
      assert.deepEqual(in1, { ok: true, payload: hex(m1.payload) });
      assert.equal(
        toHex(responder.remoteStatic ?? new Uint8Array(0)),
        toHex(publicKeyFromPrivate(hex(v.init_static))),
      );

      const out2 = responder.writeMessage(hex(m2.payload));
      assert.equal(toHex(out2), m2.ciphertext);
      assert.deepEqual(initiator.readMessage(out2), { ok: true, payload: hex(m2.payload) });

      assert.ok(initiator.isComplete && responder.isComplete);
      // Message 2's payload tag already authenticated h as associated data; the final hash must
      // agree on both sides (the fixture says why it carries no expected value).
      assert.deepEqual(initiator.handshakeHash, responder.handshakeHash);

      const a = initiator.split();
      const b = responder.split();
      assert.deepEqual(a.handshakeHash, b.handshakeHash);
      // The transport keys come from Split() of the chaining key: matching ciphertexts pin it down.
      // After the handshake the vectors alternate: initiator, responder, initiator, ...
      transport.forEach((m, i) => {
        const [sender, receiver] = i % 2 === 0 ? [a, b] : [b, a];
        const ct = sender.send.encrypt(hex(m.payload));
        assert.equal(toHex(ct), m.ciphertext, `transport message ${i}`);
        assert.deepEqual(receiver.receive.decrypt(ct), hex(m.payload));
      });
    });
  }

  it('the doorway layer is the same handshake: message 1 carries the counter ahead of the payload', () => {
    const v = fixture.vectors[0];
    assert.ok(v !== undefined);
    const { message, pending } = initiatorHandshake({
      staticPrivate: hex(v.init_static),
      remoteStatic: hex(v.init_remote_static),
      psk: firstPsk(v.init_psks),
      prologue: hex(v.init_prologue),
      ephemeralPrivate: hex(v.init_ephemeral),
      counter: 42n,
      payload: hex('c0ffee'),
    });
    // WireGuard's sizes: ephemeral 32, sealed static 32+16, sealed 12-byte timestamp 12+16 = 108.
    assert.equal(message.length - 3, 108);
    const read = responderHandshake({
      staticPrivate: hex(v.resp_static),
      psk: firstPsk(v.resp_psks),
      prologue: hex(v.resp_prologue),
      ephemeralPrivate: hex(v.resp_ephemeral),
      message,
    });
    assert.ok(read.ok);
    assert.equal(read.counter, 42n);
    assert.equal(toHex(read.payload), 'c0ffee');
    const reply = read.pending.writeResponse();
    // WireGuard's response: ephemeral 32 + the empty payload's tag 16.
    assert.equal(reply.message.length, 48);
    const done = pending.readResponse(reply.message);
    assert.ok(done.ok);
    assert.deepEqual(done.session.handshakeHash, reply.session.handshakeHash);
  });
});
