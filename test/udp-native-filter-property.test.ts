/**
 * Scenario: native/udp's DatagramFilter, the first look at every datagram before JS, judged on its
 * own: any bytes give a known verdict and never throw, its framing is the TS framing, real sealed
 * packets and real handshake messages pass exactly when they should (a cookie reply only for one
 * of the indices it was given: the pending initiation's), and the handshake token bucket paces
 * them on the caller's clock.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadUdpAddon, type DatagramFilter, type DatagramVerdict } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import { Connection, PROTOCOL_VERSION } from '../src/protocol/index.js';
import { CONTROL_HEADER_BYTES, MEDIA_HEADER_BYTES, PacketType } from '../src/protocol/wire.js';
import { Rng } from '../src/rng/index.js';
import { OVERHEAD_BYTES, SEALED_TYPE, Sealer } from '../src/seal/index.js';
import {
  COOKIE_REPLY_BYTES,
  COOKIE_REPLY_TYPE,
  INITIATION_BYTES,
  INITIATION_TYPE,
  RESPONSE_BYTES,
  RESPONSE_TYPE,
  rngRandomBytes,
} from '../src/session/index.js';
import { connectionOptions, sessionPair, STREAM } from './support/session-harness.js';
import { REPO } from './support/tree.js';
import { putU32, u32 } from './support/bytes.js';

const manifest = readManifest(join(REPO, 'build', 'manifest.json'));
const udp = loadUdpAddon(manifest, REPO);

const VERDICTS: readonly DatagramVerdict[] = [
  'passed',
  'truncated',
  'unknownType',
  'badLength',
  'unknownIndex',
  'handshakeRate',
  'badMac',
];

/** A filter whose token bucket never runs dry within a test. */
function roomy(mode: 'secure' | 'clear'): DatagramFilter {
  return udp.createFilter({ mode, handshakePerSecond: 1_000_000, handshakeBurst: 1_000_000 });
}

const HANDSHAKE_BYTES = new Map<number, number>([
  [INITIATION_TYPE, INITIATION_BYTES],
  [RESPONSE_TYPE, RESPONSE_BYTES],
  [COOKIE_REPLY_TYPE, COOKIE_REPLY_BYTES],
]);

/** The receiver indices the generic property sets; `datagram` writes them into some datagrams. */
const LIVE: readonly number[] = [0x01020304, 0xfffffffe];

/**
 * What the framing of src/seal and src/session says of a datagram (with tokens to spare): sealed
 * packets and cookie replies (which answer our pending initiation) need one of the `live` indices.
 */
function secureSpec(bytes: Uint8Array, live: readonly number[]): DatagramVerdict {
  const first = bytes[0];
  if (first === undefined) return 'unknownType';
  if (first === SEALED_TYPE) {
    if (bytes.length < OVERHEAD_BYTES) return 'badLength';
    return live.includes(u32(bytes, 1)) ? 'passed' : 'unknownIndex';
  }
  const expected = HANDSHAKE_BYTES.get(first);
  if (expected === undefined) return 'unknownType';
  if (bytes.length !== expected) return 'badLength';
  if (first === COOKIE_REPLY_TYPE) return live.includes(u32(bytes, 1)) ? 'passed' : 'unknownIndex';
  return 'passed';
}

/** What src/protocol's wire format says of a datagram sent in the clear. */
function clearSpec(bytes: Uint8Array): DatagramVerdict {
  const first = bytes[0];
  if (first === undefined || first >> 4 !== PROTOCOL_VERSION) return 'unknownType';
  const type = first & 0x0f;
  if (type === PacketType.media || type === PacketType.repair) {
    return bytes.length >= MEDIA_HEADER_BYTES ? 'passed' : 'badLength';
  }
  if (type === PacketType.control) return bytes.length >= CONTROL_HEADER_BYTES ? 'passed' : 'badLength';
  return 'unknownType';
}

/** Datagrams that hit the interesting first bytes and lengths often, not once in 2^8. */
const datagram = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 2000 }),
  fc
    .tuple(
      fc.constantFrom(SEALED_TYPE, INITIATION_TYPE, RESPONSE_TYPE, COOKIE_REPLY_TYPE, 0x10, 0x11, 0x12, 0x1f),
      fc.oneof(
        fc.integer({ min: 0, max: 2000 }),
        fc.constantFrom(
          OVERHEAD_BYTES - 1,
          OVERHEAD_BYTES,
          INITIATION_BYTES,
          RESPONSE_BYTES,
          COOKIE_REPLY_BYTES,
          MEDIA_HEADER_BYTES - 1,
          MEDIA_HEADER_BYTES,
          CONTROL_HEADER_BYTES - 1,
          CONTROL_HEADER_BYTES,
        ),
      ),
      fc.uint8Array({ minLength: 2000, maxLength: 2000 }),
      // Half of them carry a live receiver index (where a datagram of 5 bytes or more has one).
      fc.option(fc.constantFrom(...LIVE), { freq: 2 }),
    )
    .map(([first, length, fill, index]) => {
      const bytes = fill.slice(0, Math.max(5, length));
      bytes[0] = first;
      if (index !== null) putU32(bytes, 1, index);
      return bytes.subarray(0, length);
    }),
);

function tally(): Record<DatagramVerdict, number> {
  return {
    passed: 0,
    truncated: 0,
    unknownType: 0,
    badLength: 0,
    unknownIndex: 0,
    handshakeRate: 0,
    badMac: 0,
  };
}

describe('native DatagramFilter', () => {
  it('exports the framing the TS modules use', () => {
    const entry = manifest.addons.udp;
    assert.ok(entry !== undefined, 'the manifest names the udp addon');
    const file = isAbsolute(entry.file) ? entry.file : join(REPO, entry.file);
    const framing = (createRequire(import.meta.url)(file) as { framing: Record<string, number> }).framing;
    assert.deepEqual(framing, {
      sealedType: SEALED_TYPE,
      initiationType: INITIATION_TYPE,
      responseType: RESPONSE_TYPE,
      cookieReplyType: COOKIE_REPLY_TYPE,
      sealedMinBytes: OVERHEAD_BYTES,
      initiationBytes: INITIATION_BYTES,
      responseBytes: RESPONSE_BYTES,
      cookieReplyBytes: COOKIE_REPLY_BYTES,
      clearVersion: PROTOCOL_VERSION,
      clearMediaMinBytes: MEDIA_HEADER_BYTES,
      clearControlMinBytes: CONTROL_HEADER_BYTES,
    });
  });

  it('gives any bytes a known verdict, the one the framing gives, and counts each', () => {
    const secure = roomy('secure');
    secure.setIndices(LIVE);
    const clear = roomy('clear');
    const seenSecure = tally();
    const seenClear = tally();
    const seenCookie = tally();
    fc.assert(
      fc.property(datagram, fc.integer({ min: 0, max: 2 ** 40 }), (bytes, now) => {
        const s = secure.classify(bytes, now);
        const c = clear.classify(bytes, now);
        assert.ok(VERDICTS.includes(s) && VERDICTS.includes(c), `${s} / ${c}`);
        seenSecure[s]++;
        seenClear[c]++;
        if (bytes[0] === COOKIE_REPLY_TYPE && bytes.length === COOKIE_REPLY_BYTES) seenCookie[s]++;
        assert.equal(s, secureSpec(bytes, LIVE));
        assert.equal(c, clearSpec(bytes));
      }),
      { numRuns: 3000 },
    );
    assert.deepEqual(secure.counts(), seenSecure);
    assert.deepEqual(clear.counts(), seenClear);
    const total = (r: Readonly<Record<DatagramVerdict, number>>): number =>
      VERDICTS.reduce((n, v) => n + r[v], 0);
    assert.equal(total(secure.counts()), 3000);
    assert.equal(total(clear.counts()), 3000);
    // The generator reached every verdict a mode can give (the kernel alone says `truncated`).
    for (const v of ['passed', 'unknownType', 'badLength', 'unknownIndex'] as const) {
      assert.ok(seenSecure[v] > 0, `secure ${v}`);
    }
    for (const v of ['passed', 'unknownType', 'badLength'] as const)
      assert.ok(seenClear[v] > 0, `clear ${v}`);
    // Cookie replies of the right size, both for a live index and for another.
    assert.ok(seenCookie.passed > 0 && seenCookie.unknownIndex > 0, JSON.stringify(seenCookie));
    assert.equal(
      seenClear.unknownIndex + seenClear.handshakeRate + seenClear.truncated + seenClear.badMac,
      0,
    );
    // Without a mac1 key no handshake message is judged by its mac.
    assert.equal(seenSecure.badMac, 0);
  });

  it('passes a real sealed packet only while its receiver index is set', () => {
    const filter = roomy('secure');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 1171 }),
        (index, other, length) => {
          fc.pre(index !== other);
          const sealer = new Sealer({ key: randomBytes(32), receiverIndex: index });
          const packet = sealer.seal(randomBytes(length));
          assert.ok(packet !== null);
          filter.setIndices([]);
          assert.equal(filter.classify(packet, 0), 'unknownIndex', 'no keys yet');
          filter.setIndices([other]);
          assert.equal(filter.classify(packet, 0), 'unknownIndex');
          filter.setIndices([other, index]);
          assert.equal(filter.classify(packet, 0), 'passed');
          filter.setIndices([index]);
          assert.equal(filter.classify(packet, 0), 'passed');
          // Only the framing is read: a flipped bit in the sealed body still passes, for the
          // session to refuse; one in the type or the index does not.
          const body = Uint8Array.from(packet);
          const at = 13 + (length % (packet.length - 13));
          body[at] = (body[at] ?? 0) ^ 0x01;
          assert.equal(filter.classify(body, 0), 'passed');
          for (let bit = 0; bit < 8; bit++) {
            const retyped: Uint8Array = Uint8Array.from(packet);
            retyped[0] = SEALED_TYPE ^ (1 << bit);
            assert.equal(filter.classify(retyped, 0), 'unknownType', `type bit ${bit}`);
          }
          for (let bit = 0; bit < 32; bit++) {
            const moved: Uint8Array = Uint8Array.from(packet);
            const byte = 1 + (bit >> 3);
            moved[byte] = (moved[byte] ?? 0) ^ (1 << (bit & 7));
            assert.equal(filter.classify(moved, 0), 'unknownIndex', `index bit ${bit}`);
          }
          // Shorter than a sealed packet can be: cut anywhere before the 29th byte.
          for (let cut = 1; cut < OVERHEAD_BYTES; cut++) {
            assert.equal(filter.classify(packet.subarray(0, cut), 0), 'badLength', `cut at ${cut}`);
          }
          assert.equal(filter.classify(packet.subarray(0, 0), 0), 'unknownType');
        },
      ),
      { numRuns: 60 },
    );
    // The shortest sealed packet, an empty one (the session's keepalive), is 29 bytes and passes.
    const sealer = new Sealer({ key: randomBytes(32), receiverIndex: 7 });
    const keepalive = sealer.seal(new Uint8Array(0));
    assert.ok(keepalive !== null);
    assert.equal(keepalive.length, OVERHEAD_BYTES);
    filter.setIndices([7]);
    assert.equal(filter.classify(keepalive, 0), 'passed');
  });

  it("passes a real session's handshake messages, the cookie reply for the index its initiator reports, and none a byte longer or shorter", () => {
    // A responder that asks for cookies from the second initiation in a second on.
    const pair = sessionPair('native-filter', { b: { timings: { loadThresholdPerSecond: 1 } } });
    pair.a.handleTimeout(0);
    const initiation = pair.a.pollTransmit();
    assert.ok(initiation !== null);
    pair.b.handleDatagram(1, initiation.bytes, 'a');
    const response = pair.b.pollTransmit();
    assert.ok(response !== null);
    // The same initiator again with other randomness: a fresh initiation, over the load threshold.
    const again = sessionPair('native-filter', {
      a: { randomBytes: rngRandomBytes(new Rng('native-filter/again')) },
    });
    again.a.handleTimeout(2);
    const second = again.a.pollTransmit();
    assert.ok(second !== null);
    // What a driver hands its filter while that initiation is in flight: its own sender index.
    const pending = again.a.pollReceiverIndices();
    assert.deepEqual(pending, [u32(second.bytes, 1)]);
    pair.b.handleDatagram(3, second.bytes, 'a');
    const cookie = pair.b.pollTransmit();
    assert.ok(cookie !== null);
    assert.equal(pair.b.stats().cookieRepliesSent, 1);
    // The cookie reply is addressed to that index.
    assert.equal(u32(cookie.bytes, 1), u32(second.bytes, 1));
    const unset = roomy('secure');
    assert.equal(unset.classify(cookie.bytes, 0), 'unknownIndex', 'a cookie reply for no index of ours');
    unset.setIndices([(u32(cookie.bytes, 1) + 1) >>> 0]);
    assert.equal(unset.classify(cookie.bytes, 0), 'unknownIndex', 'a cookie reply for another index');
    const messages = [
      { name: 'initiation', bytes: initiation.bytes, type: INITIATION_TYPE, length: INITIATION_BYTES },
      { name: 'response', bytes: response.bytes, type: RESPONSE_TYPE, length: RESPONSE_BYTES },
      { name: 'cookie reply', bytes: cookie.bytes, type: COOKIE_REPLY_TYPE, length: COOKIE_REPLY_BYTES },
    ];
    const filter = roomy('secure');
    filter.setIndices(pending);
    for (const m of messages) {
      assert.equal(m.bytes[0], m.type, m.name);
      assert.equal(m.bytes.length, m.length, m.name);
      assert.equal(filter.classify(m.bytes, 0), 'passed', m.name);
      const longer = new Uint8Array(m.bytes.length + 1);
      longer.set(m.bytes);
      assert.equal(filter.classify(longer, 0), 'badLength', `${m.name} + 1 byte`);
      assert.equal(filter.classify(m.bytes.subarray(0, m.bytes.length - 1), 0), 'badLength', `${m.name} - 1`);
    }
    // In the clear, none of them is protocol traffic.
    const clear = roomy('clear');
    for (const m of messages) assert.equal(clear.classify(m.bytes, 0), 'unknownType', m.name);
    // Initiations and responses are not addressed by index: they pass with no index set.
    assert.equal(unset.classify(initiation.bytes, 0), 'passed');
    assert.equal(unset.classify(response.bytes, 0), 'passed');
  });

  it('passes a cookie reply only for an index it was given, before the bucket spends a token on it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ minLength: COOKIE_REPLY_BYTES, maxLength: COOKIE_REPLY_BYTES }),
        fc.boolean(),
        (index, other, fill, keyed) => {
          const others = [other, (other + 1) >>> 0, (other + 2) >>> 0];
          fc.pre(!others.includes(index));
          const filter = udp.createFilter({ mode: 'secure', handshakePerSecond: 0, handshakeBurst: 1 });
          // A mac1 key changes nothing for cookie replies, which carry no mac.
          if (keyed) filter.setMac1Key(randomBytes(32));
          const cookie = Uint8Array.from(fill);
          cookie[0] = COOKIE_REPLY_TYPE;
          putU32(cookie, 1, index);
          // However many for no index or another: the bucket (one token, never refilled) is untouched.
          for (let i = 0; i < 5; i++) assert.equal(filter.classify(cookie, i), 'unknownIndex');
          filter.setIndices(others);
          assert.equal(filter.classify(cookie, 10), 'unknownIndex');
          filter.setIndices([index]);
          for (let bit = 0; bit < 32; bit++) {
            const moved = Uint8Array.from(cookie);
            const byte = 1 + (bit >> 3);
            moved[byte] = (moved[byte] ?? 0) ^ (1 << (bit & 7));
            assert.equal(filter.classify(moved, 10), 'unknownIndex', `index bit ${bit}`);
          }
          // One of four indices (current, next, previous and pending, as a session reports them).
          filter.setIndices([...others, index]);
          assert.equal(filter.classify(cookie, 20), 'passed', 'the token the bucket started with');
          assert.equal(filter.classify(cookie, 30), 'handshakeRate', 'and no second one');
          // The length is judged before the index.
          assert.equal(filter.classify(cookie.subarray(0, COOKIE_REPLY_BYTES - 1), 40), 'badLength');
          filter.setIndices([]);
          assert.equal(filter.classify(cookie, 50), 'unknownIndex', 'the index was taken back');
          assert.deepEqual(filter.counts(), {
            passed: 1,
            truncated: 0,
            unknownType: 0,
            badLength: 1,
            unknownIndex: 5 + 1 + 32 + 1,
            handshakeRate: 1,
            badMac: 0,
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("passes a real Connection's datagrams in clear mode", () => {
    const connection = new Connection(connectionOptions);
    connection.handleTimeout(0);
    connection.sendFrame(0, STREAM, new Uint8Array(5000).fill(9), { captureUs: 0, keyframe: true });
    const clear = roomy('clear');
    const secure = roomy('secure');
    let n = 0;
    for (let t = 0; t <= 1_000_000 && n < 200; t += 1000) {
      connection.handleTimeout(t);
      for (let d = connection.pollTransmit(); d !== null; d = connection.pollTransmit()) {
        n++;
        assert.equal(clear.classify(d, t), 'passed', `datagram ${n} of ${d.length} bytes`);
        assert.equal(secure.classify(d, t), 'unknownType');
      }
    }
    assert.ok(n >= 5, `${n} datagrams`);
  });

  it('paces handshake messages with its token bucket on the caller clock', () => {
    const filter = udp.createFilter({ mode: 'secure', handshakePerSecond: 10, handshakeBurst: 5 });
    const pair = sessionPair('native-filter-bucket');
    pair.a.handleTimeout(0);
    const initiation = pair.a.pollTransmit()?.bytes;
    assert.ok(initiation !== undefined);
    const burst = (now: number, tries: number): number => {
      let passed = 0;
      for (let i = 0; i < tries; i++) if (filter.classify(initiation, now) === 'passed') passed++;
      return passed;
    };
    assert.equal(burst(0, 8), 5, 'the burst at once');
    assert.equal(filter.counts().handshakeRate, 3);
    // With the bucket empty: a wrong length is still badLength, and sealed packets are not paced.
    assert.equal(filter.classify(initiation.subarray(0, INITIATION_BYTES - 1), 0), 'badLength');
    const sealer = new Sealer({ key: randomBytes(32), receiverIndex: 42 });
    filter.setIndices([42]);
    const sealed = sealer.seal(new Uint8Array(100));
    assert.ok(sealed !== null);
    assert.equal(filter.classify(sealed, 0), 'passed');
    // 10 per second is one per 100 ms.
    assert.equal(burst(99_999, 3), 0, 'not yet a whole token');
    assert.equal(burst(100_000, 3), 1, 'one token after 100 ms');
    assert.equal(burst(350_000, 5), 2, 'two and a half more after 250 ms');
    assert.equal(burst(400_000, 5), 1, 'the half left plus half of this one');
    // A long silence refills only to the burst; a clock that goes back adds nothing.
    assert.equal(burst(60_000_000, 10), 5);
    assert.equal(burst(1_000, 10), 0);
    const counts = filter.counts();
    assert.deepEqual(counts, {
      passed: 5 + 1 + 1 + 2 + 1 + 5,
      truncated: 0,
      unknownType: 0,
      badLength: 1,
      unknownIndex: 0,
      handshakeRate: 3 + 3 + 2 + 3 + 4 + 5 + 10,
      badMac: 0,
    });
  });

  it('with a mac1 key passes only handshake messages made for it, unpaced, and cookie replies only for the pending index, paced', () => {
    const pair = sessionPair('native-filter-mac1', { b: { timings: { loadThresholdPerSecond: 1 } } });
    pair.a.handleTimeout(0);
    const initiation = pair.a.pollTransmit()?.bytes;
    assert.ok(initiation !== undefined);
    pair.b.handleDatagram(1, initiation, 'a');
    const response = pair.b.pollTransmit()?.bytes;
    assert.ok(response !== undefined);
    const again = sessionPair('native-filter-mac1', {
      a: { randomBytes: rngRandomBytes(new Rng('native-filter-mac1/again')) },
    });
    again.a.handleTimeout(2);
    const second = again.a.pollTransmit()?.bytes;
    assert.ok(second !== undefined);
    pair.b.handleDatagram(3, second, 'a');
    const cookie = pair.b.pollTransmit()?.bytes;
    assert.ok(cookie?.length === COOKIE_REPLY_BYTES);
    const pending = again.a.pollReceiverIndices();
    assert.deepEqual(pending, [u32(second, 1)]);

    // The responder's filter checks initiations, the initiator's checks responses.
    const atB = udp.createFilter({ mode: 'secure', handshakePerSecond: 10, handshakeBurst: 2 });
    atB.setMac1Key(pair.b.handshakeMac1Key());
    const atA = udp.createFilter({ mode: 'secure', handshakePerSecond: 10, handshakeBurst: 2 });
    atA.setMac1Key(pair.a.handshakeMac1Key());
    // Far past the burst, at one instant: a valid mac1 is not paced here (the session's limits are).
    for (let i = 0; i < 20; i++) {
      assert.equal(atB.classify(initiation, 0), 'passed', `initiation ${i}`);
      assert.equal(atA.classify(response, 0), 'passed', `response ${i}`);
    }
    // Each made for the other side.
    assert.equal(atA.classify(initiation, 0), 'badMac');
    assert.equal(atB.classify(response, 0), 'badMac');
    // mac1 covers everything before it; mac2 (the last 16 bytes) is the session's to judge.
    const mac1At = (m: Uint8Array): number => m.length - 32;
    for (const [filter, message] of [
      [atB, initiation],
      [atA, response],
    ] as const) {
      for (let at = 1; at < message.length; at++) {
        const flipped = Uint8Array.from(message);
        flipped[at] = (flipped[at] ?? 0) ^ 0x80;
        const expected = at < mac1At(message) + 16 ? 'badMac' : 'passed';
        assert.equal(filter.classify(flipped, 0), expected, `byte ${at} of ${message.length}`);
      }
    }
    // Forged ones of the right type and length never pass.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: INITIATION_BYTES, maxLength: INITIATION_BYTES }), (bytes) => {
        bytes[0] = INITIATION_TYPE;
        assert.equal(atB.classify(bytes, 0), 'badMac');
        const forgedResponse = bytes.slice(0, RESPONSE_BYTES);
        forgedResponse[0] = RESPONSE_TYPE;
        assert.equal(atA.classify(forgedResponse, 0), 'badMac');
      }),
      { numRuns: 200 },
    );
    // Cookie replies carry no mac1: only for the pending initiation's index, and then still the
    // token bucket's (burst 2). One for no index of ours spends no token.
    assert.equal(atA.classify(cookie, 0), 'unknownIndex', 'before the initiator reported its index');
    atA.setIndices(pending);
    assert.deepEqual(
      [0, 1, 2].map(() => atA.classify(cookie, 0)),
      ['passed', 'passed', 'handshakeRate'],
    );
    assert.equal(atA.classify(cookie, 100_000), 'passed', 'one more after 100 ms');
    assert.equal(atA.counts().handshakeRate, 1);
    assert.equal(atA.counts().unknownIndex, 1);
    assert.equal(atB.counts().handshakeRate, 0);
    // Setting indices changes nothing for initiations and responses, which need only their mac1.
    assert.equal(atA.classify(response, 0), 'passed');
    assert.equal(atB.classify(initiation, 0), 'passed');
  });
});
