import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  DEFAULT_MESSAGE_LIMIT,
  INTEGRITY_LIMIT,
  Opener,
  Sealer,
  SealConfigError,
} from '../src/seal/index.js';

const key = new Uint8Array(32).fill(0x42);

/** Seals like Sealer would at an arbitrary counter (high word, low word), straight from the README layout. */
function craft(index: number, high: number, low: number, plaintext: Uint8Array): Uint8Array {
  const header = Buffer.alloc(13);
  header[0] = 0x13;
  header.writeUInt32BE(index, 1);
  header.writeUInt32BE(high, 5);
  header.writeUInt32BE(low, 9);
  const nonce = Buffer.alloc(12);
  header.copy(nonce, 4, 5, 13);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

describe('message limit and rekey', () => {
  it('the sealer refuses once the message limit is reached, without touching the output', () => {
    const sealer = new Sealer({ key, receiverIndex: 3, messageLimit: 4 });
    const opener = new Opener({ key, receiverIndex: 3, messageLimit: 4 });
    assert.equal(sealer.remaining, 4);
    for (let i = 0; i < 4; i++) {
      const packet = sealer.seal(new Uint8Array([i]));
      assert.ok(packet !== null);
      const result = opener.open(packet);
      assert.ok(result.ok);
      assert.equal(result.counter, i);
    }
    assert.equal(sealer.remaining, 0);
    const out = new Uint8Array(64).fill(7);
    assert.equal(sealer.seal(new Uint8Array([9]), out), null);
    assert.equal(sealer.seal(new Uint8Array(0)), null);
    assert.deepEqual(out, new Uint8Array(64).fill(7));
    assert.equal(sealer.counter, 4);
  });

  it('the opener rejects counters at or above its limit before decrypting', () => {
    const opener = new Opener({ key, receiverIndex: 3, messageLimit: 1000 });
    assert.deepEqual(opener.open(craft(3, 0, 1000, new Uint8Array(8))), {
      ok: false,
      reason: 'counter-limit',
    });
    const ok = opener.open(craft(3, 0, 999, new Uint8Array(8)));
    assert.ok(ok.ok);
    assert.equal(ok.counter, 999);
    assert.equal(opener.stats.rejected['counter-limit'], 1);
  });

  it('counters of 2^53 and above are rejected, just below is accepted', () => {
    const opener = new Opener({ key, receiverIndex: 3, cipher: 'aes-256-gcm', messageLimit: 2 ** 53 });
    for (const [high, low] of [
      [2 ** 21, 0],
      [0xffffffff, 0xffffffff],
      [0x80000000, 0],
    ] as const) {
      assert.deepEqual(opener.open(craft(3, high, low, new Uint8Array(4))), {
        ok: false,
        reason: 'counter-limit',
      });
    }
    const top = opener.open(craft(3, 2 ** 21 - 1, 0xffffffff, new Uint8Array(4)));
    assert.ok(top.ok);
    assert.equal(top.counter, 2 ** 53 - 1);
    const earlier = opener.open(craft(3, 2 ** 21 - 1, 0xfffffff0, new Uint8Array(4)));
    assert.ok(earlier.ok);
    assert.equal(earlier.counter, 2 ** 53 - 16);
  });

  it('defaults follow RFC 9001 per cipher', () => {
    assert.equal(new Sealer({ key, receiverIndex: 0 }).messageLimit, 2 ** 23);
    assert.equal(DEFAULT_MESSAGE_LIMIT['aes-256-gcm'], 2 ** 23);
    assert.equal(new Opener({ key, receiverIndex: 0, cipher: 'chacha20-poly1305' }).messageLimit, 2 ** 53);
    assert.equal(INTEGRITY_LIMIT['chacha20-poly1305'], 2 ** 36);
  });

  it('bad options are named config errors', () => {
    const bad: Record<string, unknown>[] = [
      { key: new Uint8Array(16), receiverIndex: 0 },
      { key: 'x'.repeat(32), receiverIndex: 0 },
      { key, receiverIndex: -1 },
      { key, receiverIndex: 2 ** 32 },
      { key, receiverIndex: 1.5 },
      { key, receiverIndex: 0, messageLimit: 0 },
      { key, receiverIndex: 0, messageLimit: 2 ** 53 + 2 },
      { key, receiverIndex: 0, cipher: 'aes-128-gcm' },
    ];
    for (const options of bad) {
      assert.throws(() => new Sealer(options as never), SealConfigError, JSON.stringify(options));
      assert.throws(() => new Opener(options as never), SealConfigError, JSON.stringify(options));
    }
    assert.throws(() => new Opener({ key, receiverIndex: 0, windowSize: 1000 }), SealConfigError);
    assert.equal(new Opener({ key, receiverIndex: 0, windowSize: 2048 }).windowSize, 2048);
  });
});
