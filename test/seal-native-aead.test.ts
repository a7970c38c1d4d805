/**
 * The OpenSSL AEAD of native/fec that the sessions are handed: RFC 8439's vector, refusal of
 * anything altered without throwing, and one context reused across many packets writing exactly
 * what node:crypto writes with a fresh cipher per packet.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseAead, loadSealAead } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import { Rng } from '../src/rng/index.js';
import { CIPHERS, NODE_AEAD, Opener, OVERHEAD_BYTES, Sealer, SealUsageError } from '../src/seal/index.js';
import { REPO } from './support/tree.js';

const openssl = loadSealAead(readManifest(join(REPO, 'build', 'manifest.json')), REPO);

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/** RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 example. */
const RFC = {
  key: hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: hex('07000000 4041424344454647'),
  aad: hex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ),
  ciphertext: hex(`
    d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
    3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
    92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
    3ff4def08e4b7a9de576d26586cec64b 6116`),
  tag: hex('1ae10b594f09e26a7e902ecbd0600691'),
};

/** The RFC's message in the contexts' layout: aad ‖ ciphertext ‖ tag. */
function rfcSealed(): Uint8Array {
  const sealed = new Uint8Array(RFC.aad.length + RFC.ciphertext.length + RFC.tag.length);
  sealed.set(RFC.aad, 0);
  sealed.set(RFC.ciphertext, RFC.aad.length);
  sealed.set(RFC.tag, RFC.aad.length + RFC.ciphertext.length);
  return sealed;
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => rng.nextInt(256));
}

describe('native seal AEAD', () => {
  it('is what src/media chooses in a built tree, and a sealer uses what it is handed', () => {
    assert.equal(openssl.name, 'openssl');
    assert.equal(chooseAead().fallbackReason, null);
    assert.equal(chooseAead().backend.name, 'openssl');
    const key = new Uint8Array(32);
    const aead = chooseAead().backend;
    assert.equal(new Sealer({ key, receiverIndex: 1, aead }).aead, 'openssl');
    assert.equal(new Opener({ key, receiverIndex: 1, aead }).aead, 'openssl');
    // Handed none, src/seal looks nothing up: node:crypto's.
    assert.equal(new Sealer({ key, receiverIndex: 1 }).aead, 'node');
    assert.equal(new Opener({ key, receiverIndex: 1 }).aead, 'node');
  });

  it('seals RFC 8439 §2.8.2 to the published ciphertext and tag', () => {
    const context = openssl.createSealContext('chacha20-poly1305', RFC.key);
    const out = new Uint8Array(RFC.aad.length + RFC.plaintext.length + 16 + 5).fill(0xee);
    context.seal(RFC.nonce, RFC.aad, RFC.plaintext, out);
    assert.deepEqual(out.subarray(0, out.length - 5), rfcSealed());
    assert.deepEqual(out.subarray(out.length - 5), new Uint8Array(5).fill(0xee), 'nothing past the tag');
  });

  it('opens RFC 8439 §2.8.2 to the published plaintext', () => {
    const context = openssl.createOpenContext('chacha20-poly1305', RFC.key);
    const out = new Uint8Array(RFC.plaintext.length);
    assert.equal(context.open(RFC.nonce, rfcSealed(), RFC.aad.length, out), true);
    assert.deepEqual(out, RFC.plaintext);
  });

  it('refuses every flipped byte, a wrong nonce and other associated data, leaving out untouched', () => {
    const context = openssl.createOpenContext('chacha20-poly1305', RFC.key);
    const sealed = rfcSealed();
    // Room for the longest plaintext any of the cuts below implies.
    const out = new Uint8Array(sealed.length).fill(0x5a);
    const untouched = out.slice();
    for (let at = 0; at < sealed.length; at++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const tampered = sealed.slice();
        tampered[at] = (tampered[at] ?? 0) ^ mask;
        assert.equal(context.open(RFC.nonce, tampered, RFC.aad.length, out), false, `byte ${at} ^ ${mask}`);
      }
    }
    for (let at = 0; at < RFC.nonce.length; at++) {
      const nonce = RFC.nonce.slice();
      nonce[at] = (nonce[at] ?? 0) ^ 1;
      assert.equal(context.open(nonce, sealed, RFC.aad.length, out), false, `nonce byte ${at}`);
    }
    // The same bytes with the associated data cut elsewhere: a byte moves between AD and ciphertext.
    assert.equal(context.open(RFC.nonce, sealed, RFC.aad.length - 1, out), false);
    assert.equal(context.open(RFC.nonce, sealed.subarray(1), RFC.aad.length - 1, out), false);
    assert.equal(context.open(RFC.nonce, sealed, 0, out), false);
    assert.deepEqual(out, untouched);
    // Still in a good state after all those failures.
    assert.equal(context.open(RFC.nonce, sealed, RFC.aad.length, out), true);
    assert.deepEqual(out.subarray(0, RFC.plaintext.length), RFC.plaintext);
  });

  it('refuses every truncation and extension without throwing', () => {
    const context = openssl.createOpenContext('chacha20-poly1305', RFC.key);
    const sealed = rfcSealed();
    const out = new Uint8Array(sealed.length);
    for (let length = 0; length < sealed.length; length++) {
      assert.equal(
        context.open(RFC.nonce, sealed.subarray(0, length), RFC.aad.length, out),
        false,
        `${length}`,
      );
    }
    const extended = new Uint8Array(sealed.length + 1);
    extended.set(sealed);
    assert.equal(context.open(RFC.nonce, extended, RFC.aad.length, out), false);
  });

  for (const cipher of CIPHERS) {
    it(`${cipher}: one context across many packets writes exactly node:crypto's bytes`, () => {
      const rng = new Rng(`native-aead-${cipher}`);
      const key = randomBytes(rng, 32);
      const native = new Sealer({ key, receiverIndex: 0xc0ffee, cipher, aead: openssl });
      const node = new Sealer({ key, receiverIndex: 0xc0ffee, cipher, aead: NODE_AEAD });
      const nativeOpener = new Opener({ key, receiverIndex: 0xc0ffee, cipher, aead: openssl });
      const nodeOpener = new Opener({ key, receiverIndex: 0xc0ffee, cipher, aead: NODE_AEAD });
      assert.equal(native.aead, 'openssl');
      assert.equal(node.aead, 'node');
      const scratch = new Uint8Array(1500 + OVERHEAD_BYTES);
      const opened = new Uint8Array(1500);
      for (let i = 0; i < 2000; i++) {
        const plaintext = randomBytes(rng, i % 7 === 0 ? 0 : rng.nextInt(1500));
        const fromNode = node.seal(plaintext);
        const fromNative = native.seal(plaintext, scratch);
        assert.ok(fromNode !== null && fromNative !== null);
        assert.deepEqual(fromNative, new Uint8Array(fromNode), `packet ${i}, ${plaintext.length} bytes`);

        // A forgery between genuine packets must not disturb the reused context.
        const forged = Uint8Array.from(fromNode);
        const at = rng.nextInt(forged.length);
        forged[at] = (forged[at] ?? 0) ^ (1 + rng.nextInt(255));
        assert.equal(nativeOpener.open(forged, opened).ok, false);

        const a = nativeOpener.open(fromNode, opened);
        assert.ok(a.ok, `native opens node's packet ${i}`);
        assert.deepEqual(a.plaintext, plaintext);
        const b = nodeOpener.open(fromNative);
        assert.ok(b.ok, `node opens native's packet ${i}`);
        assert.deepEqual(new Uint8Array(b.plaintext), plaintext);
      }
      const { opened: count, rejected } = nativeOpener.stats;
      assert.equal(count, 2000);
      // A flip in the header is caught by a cheap check (type, index, counter) before the tag.
      assert.equal(
        Object.values(rejected).reduce((a, b) => a + b, 0),
        2000,
      );
      assert.ok(rejected.auth > 1500);
    });
  }

  it('seals a plaintext already in place in the output, and opens in place', () => {
    for (const cipher of CIPHERS) {
      const key = new Uint8Array(32).fill(9);
      const sealer = new Sealer({ key, receiverIndex: 3, cipher });
      const reference = new Sealer({ key, receiverIndex: 3, cipher, aead: NODE_AEAD });
      const opener = new Opener({ key, receiverIndex: 3, cipher });
      const plaintext = Uint8Array.from({ length: 1200 }, (_, i) => i & 0xff);
      // The plaintext where its ciphertext goes, behind the header.
      const buffer = new Uint8Array(1200 + OVERHEAD_BYTES);
      buffer.set(plaintext, 13);
      const packet = sealer.seal(buffer.subarray(13, 13 + 1200), buffer);
      assert.equal(packet, buffer);
      const expected = reference.seal(plaintext);
      assert.ok(expected !== null);
      assert.deepEqual(packet, new Uint8Array(expected));
      // Opened into the datagram's own bytes.
      const result = opener.open(buffer, buffer);
      assert.ok(result.ok);
      assert.deepEqual(result.plaintext, plaintext);
    }
  });

  it('seals inputs lying anywhere inside the output buffer like separate ones', () => {
    const rng = new Rng('native-aead-overlap');
    const key = randomBytes(rng, 32);
    const nonce = randomBytes(rng, 12);
    for (const cipher of CIPHERS) {
      const native = openssl.createSealContext(cipher, key);
      const node = NODE_AEAD.createSealContext(cipher, key);
      for (let trial = 0; trial < 200; trial++) {
        const length = rng.nextInt(300);
        const buffer = randomBytes(rng, 13 + length + 16 + 64);
        const aadAt = rng.nextInt(buffer.length - 13);
        const plainAt = rng.nextInt(buffer.length - length);
        const aad = buffer.slice(aadAt, aadAt + 13);
        const plaintext = buffer.slice(plainAt, plainAt + length);
        const expected = new Uint8Array(13 + length + 16);
        node.seal(nonce, aad, plaintext, expected);
        native.seal(
          nonce,
          buffer.subarray(aadAt, aadAt + 13),
          buffer.subarray(plainAt, plainAt + length),
          buffer,
        );
        assert.deepEqual(
          buffer.subarray(0, expected.length),
          expected,
          `aad at ${aadAt}, plaintext at ${plainAt}`,
        );
      }
    }
  });

  it("throws TypeError or RangeError only for a caller's wrong arguments", () => {
    assert.throws(() => openssl.createSealContext('chacha20-poly1305', new Uint8Array(31)), TypeError);
    const seal = openssl.createSealContext('chacha20-poly1305', RFC.key);
    const open = openssl.createOpenContext('chacha20-poly1305', RFC.key);
    const out = new Uint8Array(200);
    assert.throws(() => {
      seal.seal(new Uint8Array(8), RFC.aad, RFC.plaintext, out);
    }, RangeError);
    assert.throws(() => {
      seal.seal(RFC.nonce, RFC.aad, RFC.plaintext, new Uint8Array(RFC.plaintext.length + 27));
    }, RangeError);
    assert.throws(() => {
      seal.seal(RFC.nonce, RFC.aad, [1, 2, 3] as unknown as Uint8Array, out);
    }, TypeError);
    assert.throws(() => open.open(RFC.nonce, rfcSealed(), 12, new Uint8Array(10)), RangeError);
    assert.throws(() => open.open(RFC.nonce, rfcSealed(), -1, out), RangeError);
    assert.throws(() => open.open(RFC.nonce, rfcSealed(), '12' as unknown as number, out), TypeError);
  });

  it('release wipes the context: sealer and opener refuse to go on', () => {
    const key = new Uint8Array(32).fill(4);
    const sealer = new Sealer({ key, receiverIndex: 8, cipher: 'chacha20-poly1305' });
    const opener = new Opener({ key, receiverIndex: 8, cipher: 'chacha20-poly1305' });
    const packet = sealer.seal(new Uint8Array(10));
    assert.ok(packet !== null);
    sealer.release();
    opener.release();
    sealer.release(); // twice is harmless
    assert.throws(() => sealer.seal(new Uint8Array(10)), SealUsageError);
    assert.throws(() => opener.open(packet), SealUsageError);
    const context = openssl.createSealContext('aes-256-gcm', key);
    context.release();
    assert.throws(() => {
      context.seal(RFC.nonce, RFC.aad, RFC.plaintext, new Uint8Array(200));
    }, /after release/);
  });
});
