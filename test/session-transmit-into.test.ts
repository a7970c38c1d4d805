/**
 * Scenario: a session pair on virtual time whose datagrams leave through `pollTransmitInto` into
 * one reused 2048-byte buffer (the batch driver's send-ring path) behaves exactly as the same pair
 * moved with `pollTransmit`: the same bytes to the same places, the same frames, the same rekeys.
 * Along the way `lastTransmitTo`, `lastTransmitLane` and `pollReceiverIndices` say what the
 * driver needs to address, mark and filter those datagrams. No sockets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lane } from '../src/protocol/index.js';
import { MediaFlag, PacketType } from '../src/protocol/wire.js';
import { OVERHEAD_BYTES, SEALED_TYPE } from '../src/seal/index.js';
import {
  COOKIE_REPLY_TYPE,
  INITIATION_BYTES,
  INITIATION_TYPE,
  RESPONSE_TYPE,
  type SecureSession,
} from '../src/session/index.js';
import { sessionPair, STREAM } from './support/session-harness.js';

const DELAY_US = 10_000;
const FRAMES = 120;
const FRAME_INTERVAL_US = 1e6 / 60;
const START_US = 200_000;
const END_US = 2_600_000;
/** Keys rotate every second, so the run has two rekeys after the first handshake. */
const TIMINGS = { rekeyAfterTimeUs: 1_000_000, rejectAfterTimeUs: 3_000_000 };

type Name = 'a' | 'b';
type Mode = 'poll' | 'into';

interface Sent {
  readonly at: number;
  readonly from: Name;
  readonly to: string | null;
  readonly hex: string;
}

interface LaneTally {
  handshake: number;
  video: number;
  control: number;
  repair: number;
  retransmission: number;
  /** Sealed datagrams that did not come from the Connection just then (the keepalive, held ones). */
  other: number;
  wrong: string[];
}

interface Trace {
  readonly sent: Sent[];
  /** Frames completed at b, in order: id and payload. */
  readonly frames: { readonly frameId: number; readonly hex: string }[];
  /** Non-null pollReceiverIndices results per side, with the time of the call. */
  readonly reports: Record<Name, { readonly at: number; readonly indices: number[] }[]>;
  /** Calls right after a report that did not return null. */
  readonly repeated: number;
  readonly frameIds: number[];
  readonly lanes: LaneTally;
  readonly pair: ReturnType<typeof sessionPair>;
}

function payloadFor(index: number): Uint8Array {
  const p = new Uint8Array(2000 + (index % 7) * 100);
  for (let i = 0; i < p.length; i++) p[i] = (index * 31 + i * 7) & 0xff;
  return p;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) |
      ((bytes[at + 1] ?? 0) << 16) |
      ((bytes[at + 2] ?? 0) << 8) |
      (bytes[at + 3] ?? 0)) >>>
    0
  );
}

/** The lane a plaintext media datagram belongs on, read from its own header. */
function laneOfPlaintext(plain: Uint8Array): Lane {
  const type = (plain[0] ?? 0) & 0x0f;
  if (type === PacketType.repair) return Lane.repair;
  if (type === PacketType.control) return Lane.audio;
  return ((plain[1] ?? 0) & MediaFlag.retransmission) !== 0 ? Lane.retransmission : Lane.video;
}

/**
 * Records what the session's Connection hands it, so a test can tell which plaintext the sealed
 * datagram just written carries. The Connection is unchanged otherwise.
 */
function watchConnection(session: SecureSession): () => Uint8Array | null {
  let last: Uint8Array | null = null;
  const connection = session.connection;
  const original = connection.pollTransmit.bind(connection);
  connection.pollTransmit = () => {
    const d = original();
    if (d !== null) last = Uint8Array.from(d);
    return d;
  };
  return () => {
    const taken = last;
    last = null;
    return taken;
  };
}

function simulate(mode: Mode): Trace {
  const pair = sessionPair('transmit-into', { a: { timings: TIMINGS }, b: { timings: TIMINGS } });
  const nodes: Record<Name, SecureSession> = { a: pair.a, b: pair.b };
  const watched: Record<Name, () => Uint8Array | null> = {
    a: watchConnection(pair.a),
    b: watchConnection(pair.b),
  };
  const buffer = new Uint8Array(2048);
  const sent: Sent[] = [];
  const frames: { frameId: number; hex: string }[] = [];
  const frameIds: number[] = [];
  const reports: Trace['reports'] = { a: [], b: [] };
  const lanes: LaneTally = {
    handshake: 0,
    video: 0,
    control: 0,
    repair: 0,
    retransmission: 0,
    other: 0,
    wrong: [],
  };
  let repeated = 0;
  let queue: { at: number; to: Name; from: Name; bytes: Uint8Array }[] = [];
  let now = 0;
  let framesSent = 0;

  const transmit = (from: Name): void => {
    const session = nodes[from];
    const out: { bytes: Uint8Array; to: string | null }[] = [];
    if (mode === 'poll') {
      for (let t = session.pollTransmit(); t !== null; t = session.pollTransmit()) out.push(t);
    } else {
      for (;;) {
        watched[from]();
        const length = session.pollTransmitInto(buffer);
        if (length === 0) break;
        // Copied out before the other side sees it: the next call overwrites the buffer.
        const bytes = buffer.slice(0, length);
        const lane = session.lastTransmitLane();
        const plain = watched[from]();
        const first = bytes[0];
        if (first === INITIATION_TYPE || first === RESPONSE_TYPE || first === COOKIE_REPLY_TYPE) {
          lanes.handshake++;
          if (lane !== null) lanes.wrong.push(`handshake 0x${first.toString(16)} on lane ${lane}`);
        } else if (first === SEALED_TYPE && plain !== null) {
          if (length !== plain.length + OVERHEAD_BYTES)
            lanes.wrong.push(`sealed ${length} for ${plain.length}`);
          const expected = laneOfPlaintext(plain);
          if (lane !== expected) lanes.wrong.push(`lane ${lane} for a datagram of lane ${expected}`);
          if (expected === Lane.video) lanes.video++;
          else if (expected === Lane.audio) lanes.control++;
          else if (expected === Lane.repair) lanes.repair++;
          else lanes.retransmission++;
        } else if (first === SEALED_TYPE) {
          lanes.other++;
        } else {
          lanes.wrong.push(`first byte ${first}`);
        }
        out.push({ bytes, to: session.lastTransmitTo() });
      }
    }
    for (const t of out) {
      sent.push({ at: now, from, to: t.to, hex: hex(t.bytes) });
      if (t.to === 'a' || t.to === 'b') queue.push({ at: now + DELAY_US, to: t.to, from, bytes: t.bytes });
    }
  };

  const report = (name: Name): void => {
    const indices = nodes[name].pollReceiverIndices();
    if (indices !== null) {
      reports[name].push({ at: now, indices: [...indices] });
      if (nodes[name].pollReceiverIndices() !== null) repeated++;
    }
  };

  const events = (): void => {
    for (let e = pair.a.pollEvent(); e !== null; e = pair.a.pollEvent()) {
      if (e.kind === 'frame') pair.a.connection.recycle(e.frame);
    }
    for (let e = pair.b.pollEvent(); e !== null; e = pair.b.pollEvent()) {
      if (e.kind === 'frame-complete') frames.push({ frameId: e.frame.frameId, hex: hex(e.frame.payload) });
      if (e.kind === 'frame') pair.b.connection.recycle(e.frame);
    }
  };

  for (let guard = 0; ; guard++) {
    assert.ok(guard < 1_000_000, 'the simulation made no progress');
    while (framesSent < FRAMES && Math.round(START_US + framesSent * FRAME_INTERVAL_US) <= now) {
      frameIds.push(
        pair.a.sendFrame(now, STREAM, payloadFor(framesSent), { captureUs: now, keyframe: framesSent === 0 }),
      );
      framesSent++;
    }
    transmit('a');
    transmit('b');
    report('a');
    report('b');
    events();
    let next = Math.min(pair.a.pollTimeout(), pair.b.pollTimeout());
    for (const q of queue) next = Math.min(next, q.at);
    if (framesSent < FRAMES) next = Math.min(next, Math.round(START_US + framesSent * FRAME_INTERVAL_US));
    if (next > END_US) break;
    now = Math.max(now, next);
    const due = queue.filter((q) => q.at <= now);
    queue = queue.filter((q) => q.at > now);
    for (const q of due) nodes[q.to].handleDatagram(now, q.bytes, q.from);
    for (const name of ['a', 'b'] as const) {
      if (nodes[name].pollTimeout() <= now) nodes[name].handleTimeout(now);
    }
  }
  return { sent, frames, reports, repeated, frameIds, lanes, pair };
}

describe('SecureSession.pollTransmitInto', () => {
  const viaPoll = simulate('poll');
  const viaInto = simulate('into');

  it('sends the same bytes to the same places and delivers the same frames as pollTransmit', () => {
    assert.ok(viaInto.sent.length > FRAMES, `only ${viaInto.sent.length} datagrams`);
    assert.equal(viaInto.sent.length, viaPoll.sent.length);
    for (let i = 0; i < viaPoll.sent.length; i++) {
      assert.deepEqual(viaInto.sent[i], viaPoll.sent[i], `datagram ${i}`);
    }
    assert.deepEqual(viaInto.frames, viaPoll.frames);
    assert.deepEqual(viaInto.reports, viaPoll.reports);
    assert.deepEqual(viaInto.pair.a.stats(), viaPoll.pair.a.stats());
    assert.deepEqual(viaInto.pair.b.stats(), viaPoll.pair.b.stats());
  });

  it('establishes, rekeys twice and completes every frame intact', () => {
    const { pair, frames, frameIds } = viaInto;
    assert.ok(pair.a.established && pair.b.established);
    const a = pair.a.stats();
    const b = pair.b.stats();
    assert.equal(a.handshakes, 3, JSON.stringify(a));
    assert.equal(b.handshakes, 3, JSON.stringify(b));
    assert.equal(a.rejectedAuth + a.rejectedReplay + a.rejectedMalformed + a.heldDropped, 0);
    assert.equal(b.rejectedAuth + b.rejectedReplay + b.rejectedMalformed + b.heldDropped, 0);
    assert.equal(frames.length, FRAMES);
    for (const f of frames) {
      const index = frameIds.indexOf(f.frameId);
      assert.ok(index >= 0, `frame ${f.frameId} was never sent`);
      assert.equal(f.hex, hex(payloadFor(index)), `frame ${f.frameId} intact`);
    }
  });

  it('names the peer with lastTransmitTo()', () => {
    for (const s of viaInto.sent) assert.equal(s.to, s.from === 'a' ? 'b' : 'a', `datagram at ${s.at}`);
  });

  it('gives lane null for handshake messages and the video lane for video media', () => {
    const { lanes } = viaInto;
    assert.deepEqual(lanes.wrong, []);
    // Three initiations and three responses.
    assert.equal(lanes.handshake, 6);
    assert.ok(lanes.video >= FRAMES, `video datagrams ${lanes.video}`);
    assert.ok(lanes.control > 0, `control datagrams ${lanes.control}`);
  });

  it('reports the live and pending receiver indices once after each change, and null otherwise', () => {
    const { sent, reports, repeated } = viaInto;
    assert.equal(repeated, 0, 'a report is followed by null until the indices change');
    const indicesOf = (r: { indices: number[] }[]): number[][] => r.map((x) => x.indices);
    // Each side's own index is in its handshake messages: the initiator's sender index in each
    // initiation, the responder's in each response.
    const initiations = sent.filter((s) => s.from === 'a' && s.hex.startsWith('14'));
    const responses = sent.filter((s) => s.from === 'b' && s.hex.startsWith('15'));
    const indexOf = (s: Sent): number => u32(Buffer.from(s.hex, 'hex'), 1);
    const [i1, i2, i3] = initiations.map(indexOf);
    const [r1, r2, r3] = responses.map(indexOf);
    assert.ok(i1 !== undefined && i2 !== undefined && i3 !== undefined && initiations.length === 3);
    assert.ok(r1 !== undefined && r2 !== undefined && r3 !== undefined && responses.length === 3);
    // In the order [current, next, previous, pending], those that exist. The initiator: nothing at
    // first; its initiation's index while it is pending (for the cookie reply that may answer it);
    // the same index again once it is the current keys'; then each rekey's pending index beside
    // the current keys, and the current and previous keys once it completes.
    assert.deepEqual(indicesOf(reports.a), [[], [i1], [i1], [i1, i2], [i2, i1], [i2, i1, i3], [i3, i2]]);
    // The responder, which never initiates here, has no pending index: it holds the next keys from
    // its response until the initiator confirms them, and then they are current.
    assert.deepEqual(indicesOf(reports.b), [[], [r1], [r1], [r1, r2], [r2, r1], [r2, r3, r1], [r3, r2]]);
    // Every index a side chose is below 2^31: read back from each sealed packet it is a small
    // integer, not a heap number.
    for (const index of [i1, i2, i3, r1, r2, r3]) {
      assert.ok(Number.isInteger(index) && index >= 0 && index < 2 ** 31, `index ${index}`);
    }
    // Each report comes when its handshake message is made or handled, not later: the pending
    // index as the initiation leaves, the keys when the response (or, at the responder, the
    // initiation and then the confirming keepalive) arrives.
    const at = (r: { at: number }[]): number[] => r.map((x) => x.at);
    const [t1, t2, t3] = initiations.map((s) => s.at);
    assert.ok(t1 !== undefined && t2 !== undefined && t3 !== undefined);
    const rt = (t: number): number => t + 2 * DELAY_US;
    assert.deepEqual(at(reports.a).slice(1), [t1, rt(t1), t2, rt(t2), t3, rt(t3)]);
    const [firstResponse] = responses;
    assert.ok(firstResponse !== undefined);
    assert.equal(reports.a[2]?.at, firstResponse.at + DELAY_US, 'the keys as the response arrives');
    assert.deepEqual(at(reports.b).slice(1), [
      t1 + DELAY_US,
      rt(t1) + DELAY_US,
      t2 + DELAY_US,
      rt(t2) + DELAY_US,
      t3 + DELAY_US,
      rt(t3) + DELAY_US,
    ]);
  });
});

it('does not throw when the buffer is too small for the next datagram', () => {
  const pair = sessionPair('transmit-into-small');
  let now = 0;
  pair.a.handleTimeout(now);
  const small = new Uint8Array(INITIATION_BYTES - 1);
  assert.equal(pair.a.pollTransmitInto(small), 0);
  assert.equal(pair.a.stats().heldDropped, 1, 'the initiation that did not fit is counted');
  assert.equal(pair.a.pollTransmitInto(new Uint8Array(INITIATION_BYTES)), 0, 'it was dropped, not kept');
  // The retry fits a buffer of exactly its size.
  const big = new Uint8Array(2048);
  for (;;) {
    now = pair.a.pollTimeout();
    pair.a.handleTimeout(now);
    if (pair.a.stats().initiationsSent === 2) break;
    // No keys yet: what the Connection sends (its pings) is held, nothing leaves.
    assert.equal(pair.a.pollTransmitInto(big), 0);
  }
  const exact = new Uint8Array(INITIATION_BYTES);
  assert.equal(pair.a.pollTransmitInto(exact), INITIATION_BYTES);
  assert.equal(exact[0], INITIATION_TYPE);
  assert.equal(pair.a.lastTransmitTo(), 'b');
  pair.b.handleDatagram(now, exact, 'a');
  const response = new Uint8Array(2048);
  const n = pair.b.pollTransmitInto(response);
  assert.equal(response[0], RESPONSE_TYPE);
  assert.equal(pair.b.lastTransmitTo(), 'a');
  pair.a.handleDatagram(now, response.subarray(0, n), 'b');
  assert.ok(pair.a.established);
  // The keepalive, then whatever the Connection said before there were keys.
  assert.equal(pair.a.pollTransmitInto(big), OVERHEAD_BYTES);
  while (pair.a.pollTransmitInto(big) > 0);
  // Sealed media into a buffer that cannot hold it: no throw, nothing written.
  pair.a.sendFrame(now, STREAM, payloadFor(0), { captureUs: now, keyframe: true });
  const tiny = new Uint8Array(OVERHEAD_BYTES + 10).fill(0xee);
  const dropped = pair.a.stats().heldDropped;
  for (let i = 0; i < 3; i++) assert.equal(pair.a.pollTransmitInto(tiny), 0);
  assert.ok(
    tiny.every((b) => b === 0xee),
    'a datagram that does not fit writes nothing',
  );
  assert.ok(pair.a.stats().heldDropped > dropped, 'the media that did not fit is counted');
});

it('reports each initiation’s own pending index: a retry’s, and the retry a cookie reply starts', () => {
  // A responder that asks for a cookie from the second initiation in a second on.
  const pair = sessionPair('transmit-into-cookie', { b: { timings: { loadThresholdPerSecond: 1 } } });
  const { a, b } = pair;
  const initiate = (): { index: number; bytes: Uint8Array } => {
    const t = a.pollTransmit();
    assert.ok(t !== null && t.bytes[0] === INITIATION_TYPE);
    return { index: u32(t.bytes, 1), bytes: t.bytes };
  };
  a.handleTimeout(0);
  const first = initiate();
  assert.deepEqual(a.pollReceiverIndices(), [first.index]);
  assert.equal(a.pollReceiverIndices(), null);
  // Unanswered, it is retried with a fresh index, which replaces the first.
  let retryAt = 0;
  while (a.stats().initiationsSent === 1) {
    retryAt = a.pollTimeout();
    a.handleTimeout(retryAt);
    // Before then only the Connection's timers: what it sends is held, nothing leaves.
    if (a.stats().initiationsSent === 1) assert.equal(a.pollTransmit(), null);
  }
  const retry = initiate();
  assert.notEqual(retry.index, first.index);
  assert.deepEqual(a.pollReceiverIndices(), [retry.index]);
  // The responder answers the first (late) and is then under load: a cookie reply for the retry,
  // addressed to the retry's pending index.
  b.handleDatagram(retryAt, first.bytes, 'a');
  assert.equal(b.pollTransmit()?.bytes[0], RESPONSE_TYPE);
  b.handleDatagram(retryAt + 1, retry.bytes, 'a');
  const cookie = b.pollTransmit();
  assert.ok(cookie !== null && cookie.bytes[0] === COOKIE_REPLY_TYPE);
  assert.equal(u32(cookie.bytes, 1), retry.index);
  // The cookie starts another initiation at once, with mac2 and an index of its own.
  a.handleDatagram(retryAt + 2, cookie.bytes, 'b');
  const withCookie = initiate();
  assert.ok(![first.index, retry.index].includes(withCookie.index));
  assert.deepEqual(a.pollReceiverIndices(), [withCookie.index]);
  b.handleDatagram(retryAt + 3, withCookie.bytes, 'a');
  const response = b.pollTransmit();
  assert.ok(response !== null && response.bytes[0] === RESPONSE_TYPE, 'the cookie let it through');
  a.handleDatagram(retryAt + 4, response.bytes, 'b');
  assert.ok(a.established);
  // Established: the same index, now the current keys' and no longer pending.
  assert.deepEqual(a.pollReceiverIndices(), [withCookie.index]);
  assert.equal(a.pollReceiverIndices(), null);
});
