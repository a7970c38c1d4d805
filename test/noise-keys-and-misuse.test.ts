import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CipherState,
  decodeKey,
  encodeKey,
  generateKeyPair,
  HandshakeState,
  initiatorHandshake,
  loadKeyFile,
  MAX_NONCE,
  NoiseKeyError,
  NoiseUsageError,
  publicKeyFromPrivate,
  responderHandshake,
} from '../src/noise/index.js';

const dir = mkdtempSync(join(tmpdir(), 'doorway-noise-keys-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

function usage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NoiseUsageError, String(err));
    assert.equal(err.exitCode, 1);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

describe('keys, transport CipherState and caller mistakes', () => {
  it('derives public keys as RFC 7748 does and round-trips base64', () => {
    // RFC 7748 section 6.1, Alice.
    const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    assert.equal(
      Buffer.from(publicKeyFromPrivate(alice)).toString('hex'),
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
    );
    const pair = generateKeyPair(randomBytes);
    assert.deepEqual(decodeKey(encodeKey(pair.publicKey)), pair.publicKey);
    assert.deepEqual(decodeKey(`  ${encodeKey(pair.privateKey)}\n`), pair.privateKey);
  });

  it('rejects keys that are not 32 bytes of canonical base64, naming the key', () => {
    const good = encodeKey(new Uint8Array(32).fill(7));
    for (const text of [
      '',
      'abc',
      good.slice(0, -1),
      `${good}=`,
      `${good.slice(0, 42)}B=`,
      good.replace('=', 'A'),
    ]) {
      assert.throws(
        () => decodeKey(text, 'peer public key'),
        (err: unknown) => err instanceof NoiseKeyError && err.what === 'peer public key',
        JSON.stringify(text),
      );
    }
    assert.equal(new NoiseKeyError('k', 'r').exitCode, 2, 'a bad key in config is a config error');
    const file = join(dir, 'private.key');
    writeFileSync(file, `${good}\n`, { mode: 0o600 });
    assert.deepEqual(loadKeyFile(file), new Uint8Array(32).fill(7));
    assert.throws(() => loadKeyFile(join(dir, 'missing.key')), NoiseKeyError);
    usage(() => generateKeyPair(() => new Uint8Array(31)), /returned 31 bytes/);
    usage(() => encodeKey(new Uint8Array(16)), /32 bytes/);
  });

  it('CipherState: explicit nonces for datagrams, failed decrypts do not advance, rekey matches', () => {
    const key = new Uint8Array(32).fill(1);
    const send = new CipherState(key);
    const receive = new CipherState(key);
    const packets = [0, 1, 2].map((i) => send.encrypt(Uint8Array.of(i)));
    assert.equal(send.nonce, 3n);
    // Out of order: the receiver takes the nonce from the (future) packet header.
    receive.setNonce(2n);
    assert.deepEqual(receive.decrypt(packets[2] ?? new Uint8Array(0)), Uint8Array.of(2));
    receive.setNonce(0n);
    assert.equal(receive.decrypt(Uint8Array.of(1, 2, 3)), null, 'shorter than a tag');
    assert.equal(receive.decrypt(packets[1] ?? new Uint8Array(0)), null, 'wrong nonce');
    assert.equal(receive.nonce, 0n, 'a failure does not advance the nonce');
    assert.deepEqual(receive.decrypt(packets[0] ?? new Uint8Array(0)), Uint8Array.of(0));
    assert.equal(receive.decrypt(new Uint8Array(70_000)), null, 'over the Noise message limit');

    send.rekey();
    receive.rekey();
    receive.setNonce(send.nonce);
    assert.deepEqual(receive.decrypt(send.encrypt(Uint8Array.of(9))), Uint8Array.of(9));

    const empty = new CipherState();
    assert.equal(empty.hasKey(), false);
    assert.deepEqual(empty.encryptWithAd(new Uint8Array(0), Uint8Array.of(5)), Uint8Array.of(5));
    assert.deepEqual(empty.decryptWithAd(new Uint8Array(0), Uint8Array.of(5)), Uint8Array.of(5));
    usage(() => {
      empty.rekey();
    }, /rekey without a key/);

    usage(() => send.encrypt(new Uint8Array(65_520)), /exceed 65535/);
    send.setNonce(MAX_NONCE);
    usage(() => send.encrypt(Uint8Array.of(1)), /nonce exhausted/);
    receive.setNonce(MAX_NONCE);
    assert.equal(receive.decrypt(new Uint8Array(32)), null);
    usage(() => {
      send.setNonce(-1n);
    }, /nonce out of range/);
  });

  it('throws NoiseUsageError for caller mistakes, and a low-order peer key is a reason, not a throw', () => {
    const alice = generateKeyPair(randomBytes);
    const bob = generateKeyPair(randomBytes);
    const base = { staticPrivate: alice.privateKey, remoteStatic: bob.publicKey, randomBytes, counter: 1n };
    usage(
      () => initiatorHandshake({ ...base, staticPrivate: new Uint8Array(31) }),
      /private key must be 32 bytes/,
    );
    usage(
      () => initiatorHandshake({ ...base, remoteStatic: new Uint8Array(33) }),
      /remote static key must be 32/,
    );
    usage(() => initiatorHandshake({ ...base, psk: new Uint8Array(1) }), /pre-shared key must be 32/);
    usage(() => initiatorHandshake({ ...base, pattern: 'IK', psk: new Uint8Array(32) }), /needs IKpsk2/);
    usage(
      () => initiatorHandshake({ ...base, ephemeralPrivate: new Uint8Array(2) }),
      /ephemeral private key/,
    );
    usage(
      () =>
        new HandshakeState({
          role: 'initiator',
          staticPrivate: alice.privateKey,
          remoteStatic: bob.publicKey,
        }),
      /randomBytes or ephemeralPrivate/,
    );
    usage(
      () => new HandshakeState({ role: 'initiator', staticPrivate: alice.privateKey, randomBytes }),
      /responder's static key/,
    );

    const initiator = new HandshakeState({
      role: 'initiator',
      staticPrivate: alice.privateKey,
      remoteStatic: bob.publicKey,
      randomBytes,
    });
    assert.equal(initiator.role, 'initiator');
    usage(() => initiator.readMessage(new Uint8Array(48)), /not our turn to read/);
    usage(() => initiator.split(), /split before/);
    const m1 = initiator.writeMessage();
    usage(() => initiator.writeMessage(), /not our turn to write/);
    usage(() => initiator.writeMessage(new Uint8Array(70_000)), /not our turn/);

    const responder = new HandshakeState({ role: 'responder', staticPrivate: bob.privateKey, randomBytes });
    assert.equal(responder.remoteStatic, null);
    assert.deepEqual(responder.readMessage(new Uint8Array(70_000)), {
      ok: false,
      reason: 'message-too-long',
    });
    usage(() => responder.readMessage(m1), /already failed/);

    const r2 = new HandshakeState({ role: 'responder', staticPrivate: bob.privateKey, randomBytes });
    assert.ok(r2.readMessage(m1).ok);
    r2.writeMessage();
    usage(() => r2.writeMessage(), /already complete/);

    // A low-order point as the ephemeral key: the es DH yields zero, refused as a reason.
    const lowOrder = new Uint8Array(32);
    lowOrder[0] = 1;
    const forged = Uint8Array.from(m1);
    forged.set(lowOrder, 0);
    const r3 = new HandshakeState({ role: 'responder', staticPrivate: bob.privateKey, randomBytes });
    assert.deepEqual(r3.readMessage(forged), { ok: false, reason: 'bad-public-key' });

    // Message 1 whose payload is too short to hold the counter: the raw core would accept it.
    const raw = new HandshakeState({
      role: 'initiator',
      staticPrivate: alice.privateKey,
      remoteStatic: bob.publicKey,
      randomBytes,
    });
    const noCounter = responderHandshake({
      staticPrivate: bob.privateKey,
      randomBytes,
      message: raw.writeMessage(new Uint8Array(5)),
    });
    assert.deepEqual(noCounter, { ok: false, reason: 'bad-payload' });
  });
});
