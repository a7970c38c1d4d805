import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { generateKeyPair, HandshakeState } from '../src/noise/index.js';

// Independent check against noise-handshake (holepunchto, libsodium underneath), a test-only
// devDependency. It speaks IK with BLAKE2b but neither IKpsk2 nor BLAKE2s, so this runs our
// generic core as Noise_IK_25519_ChaChaPoly_BLAKE2b; the exact IKpsk2/BLAKE2s bytes are pinned by
// the known-answer vectors instead.
interface SodiumKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}
interface NoisePeer {
  s: SodiumKeyPair;
  rs: Uint8Array | null;
  complete: boolean;
  tx: Uint8Array;
  rx: Uint8Array;
  hash: Uint8Array;
  initialise(prologue: Uint8Array, remoteStatic?: Uint8Array): void;
  send(payload?: Uint8Array): Uint8Array;
  recv(message: Uint8Array): Uint8Array;
}
type NoiseCtor = new (pattern: 'IK', initiator: boolean, staticKeypair?: SodiumKeyPair) => NoisePeer;
interface TheirCipher {
  encrypt(plaintext: Uint8Array, ad?: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array, ad?: Uint8Array): Uint8Array;
}
type CipherCtor = new (key: Uint8Array) => TheirCipher;

const require = createRequire(import.meta.url);
const Noise = require('noise-handshake') as NoiseCtor;
const Cipher = require('noise-handshake/cipher') as CipherCtor;

const prologue = new TextEncoder().encode('doorway interop');
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function theirKeyPair(): SodiumKeyPair {
  const { privateKey, publicKey } = generateKeyPair(randomBytes);
  return { secretKey: privateKey, publicKey };
}

describe('interop with noise-handshake (Noise_IK_25519_ChaChaPoly_BLAKE2b)', () => {
  it('our initiator completes a handshake with their responder, and transport works both ways', () => {
    const theirs = theirKeyPair();
    const ours = generateKeyPair(randomBytes);
    const responder = new Noise('IK', false, theirs);
    responder.initialise(prologue);
    const initiator = new HandshakeState({
      role: 'initiator',
      pattern: 'IK',
      hash: 'BLAKE2b',
      staticPrivate: ours.privateKey,
      remoteStatic: theirs.publicKey,
      prologue,
      randomBytes,
    });

    const m1 = initiator.writeMessage(bytes('hello from doorway'));
    assert.deepEqual(new Uint8Array(responder.recv(m1)), bytes('hello from doorway'));
    assert.deepEqual(new Uint8Array(responder.rs ?? []), ours.publicKey, 'they learned our static key');

    const m2 = responder.send(bytes('hello from noise-handshake'));
    const read = initiator.readMessage(m2);
    assert.ok(read.ok);
    assert.deepEqual(read.payload, bytes('hello from noise-handshake'));
    assert.ok(responder.complete && initiator.isComplete);

    const session = initiator.split();
    assert.deepEqual(session.handshakeHash, new Uint8Array(responder.hash), 'same handshake hash');
    const theirSend = new Cipher(responder.tx);
    const theirReceive = new Cipher(responder.rx);
    for (let i = 0; i < 3; i++) {
      const up = session.send.encrypt(bytes(`frame ${i}`));
      assert.deepEqual(new Uint8Array(theirReceive.decrypt(up)), bytes(`frame ${i}`));
      const down = theirSend.encrypt(bytes(`ack ${i}`));
      assert.deepEqual(session.receive.decrypt(down), bytes(`ack ${i}`));
    }
  });

  it('their initiator completes a handshake with our responder, and transport works both ways', () => {
    const theirs = theirKeyPair();
    const ours = generateKeyPair(randomBytes);
    const initiator = new Noise('IK', true, theirs);
    initiator.initialise(prologue, ours.publicKey);
    const responder = new HandshakeState({
      role: 'responder',
      pattern: 'IK',
      hash: 'BLAKE2b',
      staticPrivate: ours.privateKey,
      prologue,
      randomBytes,
    });

    const read = responder.readMessage(initiator.send(bytes('knock knock')));
    assert.ok(read.ok);
    assert.deepEqual(read.payload, bytes('knock knock'));
    assert.deepEqual(responder.remoteStatic, theirs.publicKey, 'we learned their static key');

    const m2 = responder.writeMessage(bytes("who's there"));
    assert.deepEqual(new Uint8Array(initiator.recv(m2)), bytes("who's there"));
    assert.ok(initiator.complete && responder.isComplete);

    const session = responder.split();
    assert.deepEqual(session.handshakeHash, new Uint8Array(initiator.hash));
    const theirSend = new Cipher(initiator.tx);
    const theirReceive = new Cipher(initiator.rx);
    for (let i = 0; i < 3; i++) {
      const up = theirSend.encrypt(bytes(`frame ${i}`));
      assert.deepEqual(session.receive.decrypt(up), bytes(`frame ${i}`));
      const down = session.send.encrypt(bytes(`ack ${i}`));
      assert.deepEqual(new Uint8Array(theirReceive.decrypt(down)), bytes(`ack ${i}`));
    }
  });

  it('a handshake with the wrong responder key fails on their side and ours', () => {
    const theirs = theirKeyPair();
    const impostor = generateKeyPair(randomBytes);
    const responder = new Noise('IK', false, theirs);
    responder.initialise(prologue);
    const initiator = new HandshakeState({
      role: 'initiator',
      pattern: 'IK',
      hash: 'BLAKE2b',
      staticPrivate: generateKeyPair(randomBytes).privateKey,
      remoteStatic: impostor.publicKey,
      prologue,
      randomBytes,
    });
    assert.throws(() => responder.recv(initiator.writeMessage()));
  });
});
