import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPEN_FAILURE_REASONS, Opener, Sealer } from '../src/seal/index.js';

const key = new Uint8Array(32).fill(0x17);

describe('cheap header checks', () => {
  it('rejects truncated, wrong-type and wrong-index datagrams and counts each reason', () => {
    const sealer = new Sealer({ key, receiverIndex: 0xabcdef01 });
    const opener = new Opener({ key, receiverIndex: 0xabcdef01 });
    const packet = sealer.seal(new Uint8Array(100).fill(5));
    assert.ok(packet !== null);

    for (const length of [0, 1, 12, 13, 28]) {
      assert.deepEqual(opener.open(packet.subarray(0, length)), { ok: false, reason: 'truncated' });
    }
    for (const type of [0x10, 0x11, 0x12, 0x23, 0x03]) {
      const copy: Uint8Array = Uint8Array.from(packet);
      copy[0] = type;
      assert.deepEqual(opener.open(copy), { ok: false, reason: 'type' });
    }
    const otherIndex = new Sealer({ key, receiverIndex: 0xabcdef02 }).seal(new Uint8Array(100));
    assert.ok(otherIndex !== null);
    assert.deepEqual(opener.open(otherIndex), { ok: false, reason: 'index' });

    const ok = opener.open(packet);
    assert.ok(ok.ok);
    assert.deepEqual(opener.open(packet), { ok: false, reason: 'replay' });

    const stats = opener.stats;
    assert.equal(stats.opened, 1);
    assert.deepEqual(stats.rejected, {
      truncated: 5,
      type: 5,
      index: 1,
      'counter-limit': 0,
      replay: 1,
      'too-large': 0,
      auth: 0,
    });
    assert.deepEqual(Object.keys(stats.rejected).sort(), [...OPEN_FAILURE_REASONS].sort());
  });

  it('an empty plaintext makes the smallest valid packet', () => {
    const sealer = new Sealer({ key, receiverIndex: 0 });
    const opener = new Opener({ key, receiverIndex: 0 });
    const packet = sealer.seal(new Uint8Array(0));
    assert.ok(packet !== null);
    assert.equal(packet.length, 29);
    const result = opener.open(packet);
    assert.ok(result.ok);
    assert.equal(result.plaintext.length, 0);
  });

  it('the stats snapshot is a copy', () => {
    const opener = new Opener({ key, receiverIndex: 0 });
    const before = opener.stats;
    opener.open(new Uint8Array(3));
    assert.equal(before.rejected.truncated, 0);
    assert.equal(opener.stats.rejected.truncated, 1);
  });
});
