import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CIPHERS,
  DEFAULT_CIPHER,
  HEADER_BYTES,
  OVERHEAD_BYTES,
  Opener,
  SEALED_TYPE,
  Sealer,
  SealUsageError,
} from '../src/seal/index.js';

const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('seal and open round-trip', () => {
  for (const cipher of CIPHERS) {
    it(`${cipher}: every size from 0 to 1400 bytes comes back intact`, () => {
      const sealer = new Sealer({ key, receiverIndex: 0xdeadbeef, cipher });
      const opener = new Opener({ key, receiverIndex: 0xdeadbeef, cipher });
      assert.equal(sealer.cipher, cipher);
      for (let length = 0; length <= 1400; length += 97) {
        const plaintext = bytes(length, length);
        const packet = sealer.seal(plaintext);
        assert.ok(packet !== null);
        assert.equal(packet.length, length + OVERHEAD_BYTES);
        const result = opener.open(packet);
        assert.ok(result.ok);
        assert.deepEqual(new Uint8Array(result.plaintext), plaintext);
      }
      assert.equal(opener.stats.opened, 15);
      assert.equal(opener.highestCounter, 14);
    });
  }

  it('the default cipher is AES-256-GCM and both sides must agree', () => {
    assert.equal(DEFAULT_CIPHER, 'aes-256-gcm');
    const sealer = new Sealer({ key, receiverIndex: 1 });
    const opener = new Opener({ key, receiverIndex: 1, cipher: 'chacha20-poly1305' });
    const packet = sealer.seal(bytes(100, 1));
    assert.ok(packet !== null);
    assert.deepEqual(opener.open(packet), { ok: false, reason: 'auth' });
  });

  it('a different key does not open', () => {
    const sealer = new Sealer({ key, receiverIndex: 1 });
    const opener = new Opener({ key: key.map((b) => b ^ 1), receiverIndex: 1 });
    const packet = sealer.seal(bytes(100, 1));
    assert.ok(packet !== null);
    assert.deepEqual(opener.open(packet), { ok: false, reason: 'auth' });
  });

  it('writes the documented wire layout, readable with plain node:crypto', () => {
    const sealer = new Sealer({ key, receiverIndex: 0x01020304 });
    sealer.seal(bytes(10, 0)); // counter 0
    const plaintext = bytes(50, 9);
    const packet = sealer.seal(plaintext); // counter 1
    assert.ok(packet !== null);
    assert.equal(packet[0], SEALED_TYPE);
    assert.deepEqual([...packet.subarray(1, 5)], [1, 2, 3, 4]);
    assert.deepEqual([...packet.subarray(5, 13)], [0, 0, 0, 0, 0, 0, 0, 1]);
    const nonce = new Uint8Array(12);
    nonce.set(packet.subarray(5, 13), 4);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    decipher.setAAD(packet.subarray(0, HEADER_BYTES));
    decipher.setAuthTag(packet.subarray(packet.length - 16));
    const opened = Buffer.concat([decipher.update(packet.subarray(HEADER_BYTES, -16)), decipher.final()]);
    assert.deepEqual(new Uint8Array(opened), plaintext);
  });

  it('writes into caller buffers, in place included, and returns views of their start', () => {
    for (const cipher of CIPHERS) {
      const sealer = new Sealer({ key, receiverIndex: 9, cipher });
      const opener = new Opener({ key, receiverIndex: 9, cipher });
      assert.equal(sealer.overheadBytes, 29);
      assert.equal(opener.overheadBytes, 29);
      const scratch = new Uint8Array(2000);
      const plaintext = bytes(1200, 3);
      const packet = sealer.seal(plaintext, scratch);
      assert.ok(packet !== null);
      assert.equal(packet.buffer, scratch.buffer);
      assert.equal(packet.length, 1229);
      const out = new Uint8Array(1500);
      const result = opener.open(packet, out);
      assert.ok(result.ok);
      assert.equal(result.plaintext.buffer, out.buffer);
      assert.deepEqual(result.plaintext, plaintext);

      // Exact-size buffers come back as themselves.
      const exact = new Uint8Array(1200 + 29);
      const again = sealer.seal(plaintext, exact);
      assert.equal(again, exact);
      const exactOut = new Uint8Array(1200);
      const reopened = opener.open(exact, exactOut);
      assert.ok(reopened.ok);
      assert.equal(reopened.plaintext, exactOut);

      // Sealing a plaintext that sits at the start of the output buffer itself.
      const inPlace = new Uint8Array(1300);
      inPlace.set(plaintext);
      const sealedInPlace = sealer.seal(inPlace.subarray(0, 1200), inPlace);
      assert.ok(sealedInPlace !== null);
      const fromInPlace = opener.open(sealedInPlace);
      assert.ok(fromInPlace.ok);
      assert.deepEqual(new Uint8Array(fromInPlace.plaintext), plaintext);
    }
  });

  it('an output buffer too small is a usage error when sealing, a rejection when opening', () => {
    const sealer = new Sealer({ key, receiverIndex: 9 });
    const opener = new Opener({ key, receiverIndex: 9 });
    assert.throws(() => sealer.seal(bytes(100, 0), new Uint8Array(128)), SealUsageError);
    assert.equal(sealer.counter, 0, 'a refused seal spends no counter');
    const packet = sealer.seal(bytes(100, 0));
    assert.ok(packet !== null);
    assert.deepEqual(opener.open(packet, new Uint8Array(99)), { ok: false, reason: 'too-large' });
    assert.equal(opener.stats.rejected['too-large'], 1);
    const result = opener.open(packet, new Uint8Array(100));
    assert.ok(result.ok, 'the rejection did not mark the counter seen');
  });
});
