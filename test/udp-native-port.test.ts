/**
 * Scenario: two native UDP ports (native/udp, through src/media's loadUdpAddon) on 127.0.0.1.
 * Batches leave by sendmmsg and arrive by recvmmsg intact, with their DSCP; equal-sized runs go
 * as GSO messages and still arrive one datagram each; garbage is dropped before JS and counted;
 * sources and destinations are addresses; and misuse is refused with one-line errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { loadUdpAddon } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import { Lane } from '../src/protocol/index.js';
import { tosForLane, type BatchPort, type BatchPortOptions } from '../src/udp/index.js';
import { REPO } from './support/tree.js';

const udp = loadUdpAddon(readManifest(join(REPO, 'build', 'manifest.json')), REPO);

const EF = tosForLane(Lane.audio);
const AF41 = tosForLane(Lane.video);

/** Everything opened here, closed at the end even when a test fails half-way. */
const open: { close: () => void }[] = [];
after(() => {
  for (const o of open) {
    try {
      o.close();
    } catch {
      // Already closed.
    }
  }
});

async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Received {
  readonly bytes: Uint8Array;
  readonly tos: number;
  readonly source: number;
}

interface Receiver {
  readonly port: BatchPort;
  readonly got: Received[];
  readonly batchSizes: number[];
  readonly address: number;
}

/** A started port that copies every datagram of every batch out of its ring. */
function receiver(options: Partial<BatchPortOptions> = {}): Receiver {
  const got: Received[] = [];
  const batchSizes: number[] = [];
  const holder: { port: BatchPort | null } = { port: null };
  const port = udp.createPort({ bindHost: '127.0.0.1', bindPort: 0, mode: 'clear', ...options }, (count) => {
    const p = holder.port;
    if (p === null) return;
    batchSizes.push(count);
    for (let i = 0; i < count; i++) {
      const offset = p.receiveOffsets[i] ?? -1;
      const length = p.receiveLengths[i] ?? -1;
      got.push({
        bytes: new Uint8Array(p.receiveRing, offset, length).slice(),
        tos: p.receiveTos[i] ?? -1,
        source: p.receiveSources[i] ?? -1,
      });
    }
  });
  holder.port = port;
  open.push(port);
  port.start();
  return { port, got, batchSizes, address: port.stats().localPort ?? 0 };
}

function sender(to: number | null, options: Partial<BatchPortOptions> = {}): BatchPort {
  const port = udp.createPort(
    {
      bindHost: '127.0.0.1',
      bindPort: 0,
      mode: 'clear',
      ...(to === null ? {} : { peerHost: '127.0.0.1', peerPort: to }),
      ...options,
    },
    () => undefined,
  );
  open.push(port);
  return port;
}

/** Writes one datagram into send slot `slot`. */
function put(port: BatchPort, slot: number, bytes: Uint8Array, tos = 0, destination = 0): void {
  new Uint8Array(port.sendRing, slot * port.slotBytes, port.slotBytes).set(bytes);
  port.sendLengths[slot] = bytes.length;
  port.sendTos[slot] = tos;
  port.sendDestinations[slot] = destination;
}

/** A clear-mode media datagram (version 1, type 0) numbered `seq`, with random contents. */
function media(seq: number, length: number): Uint8Array {
  const d = randomBytes(length);
  d[0] = 0x10;
  d[1] = seq >> 8;
  d[2] = seq & 0xff;
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
}

/** A clear-mode control datagram: the smallest thing the clear filter passes. */
function control(seq: number): Uint8Array {
  return Uint8Array.from([0x12, seq >> 8, seq & 0xff, 0]);
}

const seqOf = (d: Uint8Array): number => ((d[1] ?? 0) << 8) | (d[2] ?? 0);

async function dgramSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  open.push({ close: () => s.close() });
  return s;
}

function sendFrom(s: Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    s.send(bytes, port, '127.0.0.1', (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

describe('native UDP port on loopback', () => {
  it('delivers a batch of 64 datagrams with every length and byte intact', async () => {
    const rx = receiver();
    const tx = sender(rx.address);
    assert.equal(tx.connected, true);
    assert.ok(tx.sendSlots >= 64);
    const sent = Array.from({ length: 64 }, (_, i) => media(i, 38 + i * 23));
    sent.forEach((d, i) => {
      put(tx, i, d);
    });
    assert.equal(tx.send(64), 64, 'the kernel took all 64');
    await until(() => rx.got.length >= 64, '64 datagrams');
    assert.equal(rx.got.length, 64);
    const bySeq = [...rx.got].sort((p, q) => seqOf(p.bytes) - seqOf(q.bytes));
    bySeq.forEach((r, i) => {
      assert.deepEqual(r.bytes, sent[i], `datagram ${i}`);
    });
    const s = rx.port.stats();
    assert.equal(s.received, 64);
    assert.equal(s.delivered, 64);
    assert.ok(s.batches >= 1 && s.batches <= 64, `batches ${s.batches}`);
    assert.equal(
      rx.batchSizes.reduce((n, c) => n + c, 0),
      64,
    );
    assert.equal(tx.stats().sent, 64);
    assert.equal(tx.stats().sendErrors + tx.stats().sendDropped, 0);
  });

  it('carries the TOS byte of each send slot to receiveTos', async () => {
    const rx = receiver();
    const tx = sender(rx.address);
    assert.equal(EF, 184);
    assert.equal(AF41, 136);
    const marks = [EF, AF41, 0, AF41, EF];
    marks.forEach((tos, i) => {
      put(tx, i, media(i, 200), tos);
    });
    assert.equal(tx.send(marks.length), marks.length);
    await until(() => rx.got.length >= marks.length, 'the marked datagrams');
    for (const r of rx.got) assert.equal(r.tos, marks[seqOf(r.bytes)], `datagram ${seqOf(r.bytes)}`);
    // One slot later on its own, as the driver sends an audio packet between batches.
    put(tx, 0, media(99, 300), EF);
    assert.equal(tx.send(1), 1);
    await until(() => rx.got.length > marks.length, 'the last one');
    assert.equal(rx.got.at(-1)?.tos, EF);
  });

  it('sends a run of equal-sized datagrams as GSO messages that still arrive one by one', async () => {
    // One receiver with GRO (the kernel may hand it the run as one buffer to split) and one without.
    for (const gro of [true, false]) {
      const rx = receiver({ gro });
      const tx = sender(rx.address);
      const lengths = Array.from({ length: 64 }, (_, i) => (i === 63 ? 400 : 1000));
      const sent = lengths.map((length, i) => media(i, length));
      sent.forEach((d, i) => {
        put(tx, i, d, AF41);
      });
      assert.equal(tx.send(64), 64);
      const stats = tx.stats();
      if (stats.gso) assert.ok(stats.gsoMessages > 0, `gso on, ${stats.gsoMessages} GSO messages`);
      else assert.equal(stats.gsoMessages, 0);
      await until(() => rx.got.length >= 64, `64 datagrams (receiver gro ${gro})`);
      assert.equal(rx.got.length, 64);
      const bySeq = [...rx.got].sort((p, q) => seqOf(p.bytes) - seqOf(q.bytes));
      bySeq.forEach((r, i) => {
        assert.equal(r.bytes.length, lengths[i], `length of ${i}`);
        assert.deepEqual(r.bytes, sent[i], `datagram ${i}`);
        assert.equal(r.tos, AF41);
      });
      assert.equal(rx.port.stats().delivered, 64);
    }
  });

  it('drops garbage before JS and counts it by reason', async () => {
    const rx = receiver();
    const s = await dgramSocket();
    const garbage = [
      new Uint8Array(0),
      Uint8Array.from([0x00, 1, 2, 3, 4]),
      new Uint8Array(100).fill(0x30),
      new Uint8Array(100).fill(0x13),
      new Uint8Array(100).fill(0x1f),
      new Uint8Array(37).fill(0x10),
      new Uint8Array(20).fill(0x11),
      Uint8Array.from([0x12, 0, 0]),
    ];
    const expected = { unknownType: 5, badLength: 3 };
    for (const g of garbage) await sendFrom(s, g, rx.address);
    // The fence: one datagram that passes. The socket keeps order, so the garbage was judged first.
    await sendFrom(s, control(7), rx.address);
    await until(() => rx.got.length >= 1, 'the fence');
    assert.equal(rx.got.length, 1);
    assert.deepEqual(rx.got[0]?.bytes, control(7));
    const stats = rx.port.stats();
    assert.equal(stats.received, garbage.length + 1);
    assert.equal(stats.delivered, 1);
    assert.deepEqual(stats.dropped, {
      truncated: 0,
      unknownType: expected.unknownType,
      badLength: expected.badLength,
      unknownIndex: 0,
      handshakeRate: 0,
      badMac: 0,
    });

    // Longer than a receive slot (no GRO): the kernel cuts it, and the filter drops it as such.
    const small = receiver({ gro: false, slotBytes: 256 });
    await sendFrom(s, media(1, 300), small.address);
    await sendFrom(s, media(2, 256), small.address);
    await until(() => small.got.length >= 1, 'the datagram that fits');
    assert.equal(small.got.length, 1);
    assert.equal(small.got[0]?.bytes.length, 256);
    assert.equal(small.port.stats().dropped.truncated, 1);

    // In secure mode a sealed packet and a cookie reply (0x16, 49 bytes: the answer to our
    // pending initiation) pass only for an index the port was given.
    const secure = receiver({ mode: 'secure' });
    const sealed = randomBytes(60);
    sealed[0] = 0x13;
    sealed.writeUInt32BE(0xdeadbeef, 1);
    const cookie = randomBytes(49);
    cookie[0] = 0x16;
    cookie.writeUInt32BE(0xdeadbeef, 1);
    await sendFrom(s, sealed, secure.address);
    await sendFrom(s, cookie, secure.address);
    // An initiation's shape (0x14, 145 bytes) needs no index and, with no mac1 key given, passes
    // the bucket (50 at once by default): the fence here.
    const fence = new Uint8Array(145).fill(0x14);
    await sendFrom(s, fence, secure.address);
    await until(() => secure.got.length >= 1, 'the secure fence');
    assert.equal(secure.got.length, 1);
    assert.deepEqual(secure.got[0]?.bytes, fence);
    assert.deepEqual(secure.port.stats().dropped, {
      truncated: 0,
      unknownType: 0,
      badLength: 0,
      unknownIndex: 2,
      handshakeRate: 0,
      badMac: 0,
    });
    secure.port.setIndices([0xdeadbeef]);
    await sendFrom(s, sealed, secure.address);
    await sendFrom(s, cookie, secure.address);
    await until(() => secure.got.length >= 3, 'the sealed packet and the cookie reply for a live index');
    assert.deepEqual(
      secure.got.slice(1).map((r) => r.bytes),
      [new Uint8Array(sealed), new Uint8Array(cookie)],
    );
    assert.equal(secure.port.stats().dropped.unknownIndex, 2);
  });

  it('names each source by its HOST:PORT with sourceAddress', async () => {
    const rx = receiver();
    const tx = sender(rx.address);
    const s = await dgramSocket();
    put(tx, 0, control(1));
    assert.equal(tx.send(1), 1);
    await until(() => rx.got.length >= 1, 'the port sender');
    await sendFrom(s, control(2), rx.address);
    await until(() => rx.got.length >= 2, 'the dgram sender');
    const [fromPort, fromDgram] = rx.got;
    assert.ok(fromPort !== undefined && fromDgram !== undefined);
    assert.notEqual(fromPort.source, fromDgram.source);
    assert.equal(rx.port.sourceAddress(fromPort.source), `127.0.0.1:${tx.stats().localPort}`);
    assert.equal(rx.port.sourceAddress(fromDgram.source), `127.0.0.1:${s.address().port}`);
    // The same source keeps its id.
    put(tx, 0, control(3));
    tx.send(1);
    await until(() => rx.got.length >= 3, 'the port sender again');
    assert.equal(rx.got[2]?.source, fromPort.source);
    assert.equal(rx.port.sourceAddress(0), null);
    assert.equal(rx.port.sourceAddress(123_456), null);
  });

  it('sends from an unconnected port to the destinations addDestination names', async () => {
    const one = receiver();
    const two = receiver();
    const tx = sender(null);
    assert.equal(tx.connected, false);
    const toOne = tx.addDestination('127.0.0.1', one.address);
    const toTwo = tx.addDestination('127.0.0.1', two.address);
    assert.ok(toOne > 0 && toTwo > 0 && toOne !== toTwo, `ids ${toOne}, ${toTwo}`);
    assert.equal(tx.addDestination('127.0.0.1', one.address), toOne, 'the same address, the same id');
    for (let i = 0; i < 6; i++) put(tx, i, control(i), 0, i % 2 === 0 ? toOne : toTwo);
    assert.equal(tx.send(6), 6);
    await until(() => one.got.length >= 3 && two.got.length >= 3, 'both destinations');
    assert.deepEqual(
      one.got.map((r) => seqOf(r.bytes)),
      [0, 2, 4],
    );
    assert.deepEqual(
      two.got.map((r) => seqOf(r.bytes)),
      [1, 3, 5],
    );
    assert.throws(() => tx.addDestination('localhost', one.address), /localhost/);
    assert.throws(() => tx.addDestination('::1', one.address), /::1/);
    // Port 0 is no destination: refused with a one-line Error, not taken as an id.
    assert.throws(
      () => tx.addDestination('127.0.0.1', 0),
      (err: unknown) =>
        err instanceof Error &&
        !(err instanceof TypeError) &&
        err.message.includes('127.0.0.1:0') &&
        !err.message.includes('\n'),
    );
  });

  it('survives being closed from inside its own batch handler, and delivers nothing after', () => {
    const child = spawnSync(
      process.execPath,
      [join(REPO, 'dist', 'test', 'support', 'udp-port-close-child.js')],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    assert.equal(child.signal, null, `the child died of ${child.signal ?? ''}: ${child.stderr}`);
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout.trim()) as Record<string, unknown>;
    assert.equal(result.first, 5, 'five datagrams waiting');
    // A full batch of two (the port's messages): the port would have read again in that wake.
    assert.equal(result.batches, 1, 'no batch after close');
    assert.deepEqual(result.lengths, [100, 101]);
    assert.equal(result.delivered, 2);
    assert.equal(result.gsoAfterClose, false);
    assert.equal(result.localPortAfterClose, null);
    assert.match(String(result.send), /^Error: .*closed/);
    assert.match(String(result.start), /^Error: .*closed/);
    assert.equal(result.close, 'ok', 'closing again is harmless');
  });

  it('refuses a bind it cannot make with a one-line Error naming the address', async () => {
    const oneLine = (pattern: RegExp) => (err: unknown) => {
      assert.ok(err instanceof Error, String(err));
      assert.ok(!(err instanceof TypeError) && !(err instanceof RangeError), err.name);
      assert.doesNotMatch(err.message, /\n/);
      assert.match(err.message, pattern);
      return true;
    };
    assert.throws(
      () => udp.createPort({ bindHost: 'localhost', bindPort: 0, mode: 'clear' }, () => undefined),
      oneLine(/'localhost'/),
    );
    assert.throws(
      () =>
        udp.createPort(
          { bindHost: '127.0.0.1', bindPort: 0, peerHost: 'peer.example', peerPort: 9, mode: 'clear' },
          () => undefined,
        ),
      oneLine(/peer\.example/),
    );
    const taken = await dgramSocket();
    const port = taken.address().port;
    assert.throws(
      () => udp.createPort({ bindHost: '127.0.0.1', bindPort: port, mode: 'clear' }, () => undefined),
      oneLine(new RegExp(`127\\.0\\.0\\.1:${port}\\b.*in use`)),
    );
  });

  it('throws a RangeError for a send slot of a bad length, sending none of the batch', async () => {
    const rx = receiver();
    const tx = sender(rx.address);
    const bad = [0, -1, tx.slotBytes + 1];
    for (const length of bad) {
      put(tx, 0, control(0));
      put(tx, 1, control(1));
      tx.sendLengths[1] = length;
      assert.throws(() => tx.send(2), RangeError, `length ${length}`);
    }
    put(tx, 0, control(0));
    assert.throws(() => tx.send(tx.sendSlots + 1), RangeError);
    assert.throws(() => tx.send(-1), RangeError);
    assert.equal(tx.stats().sent, 0);
    // Nothing of those batches left: the next datagram is the first to arrive.
    put(tx, 0, control(42));
    assert.equal(tx.send(1), 1);
    await until(() => rx.got.length >= 1, 'the good datagram');
    assert.deepEqual(
      rx.got.map((r) => seqOf(r.bytes)),
      [42],
    );
  });

  it('keeps DSCP marks and GSO after a send that failed for its destination', async () => {
    const rx = receiver();
    const tx = sender(null);
    const good = tx.addDestination('127.0.0.1', rx.address);
    // A socket bound to 127.0.0.1 cannot reach a documentation address (TEST-NET-2): the kernel
    // refuses each send to it, with EINVAL where a route leaves the host (and ENETUNREACH where
    // none does). A plain resend fails as well, so neither feature is blamed for it.
    const nowhere = tx.addDestination('198.51.100.1', 9);
    const gso = tx.stats().gso;
    put(tx, 0, control(1), EF, nowhere);
    assert.equal(tx.send(1), 0, 'the refused destination takes nothing');
    assert.equal(tx.stats().sendErrors, 1);
    for (let i = 0; i < 4; i++) put(tx, i, media(10 + i, 500), AF41, nowhere);
    assert.equal(tx.send(4), 0);
    assert.equal(tx.stats().sendErrors, 5, 'each datagram of the run counted once');
    if (gso) assert.equal(tx.stats().gsoMessages, 1, 'the run went as one GSO message');
    put(tx, 0, control(2), EF, good);
    for (let i = 1; i <= 4; i++) put(tx, i, media(20 + i, 500), AF41, good);
    assert.equal(tx.send(5), 5);
    await until(() => rx.got.length >= 5, 'the datagrams to the good destination');
    const tos = new Map(rx.got.map((r) => [seqOf(r.bytes), r.tos]));
    assert.deepEqual(
      [...tos.entries()].sort(([p], [q]) => p - q),
      [
        [2, EF],
        [21, AF41],
        [22, AF41],
        [23, AF41],
        [24, AF41],
      ],
      'the marks survive an EINVAL that was about the destination',
    );
    assert.equal(tx.stats().gso, gso, 'GSO survives it too');
    if (gso) assert.ok(tx.stats().gsoMessages >= 2, 'and the good run went as a GSO message');
    assert.equal(tx.stats().sendErrors, 5);
  });

  it('keeps receiving after the kernel reports the peer unreachable (a peer not up yet)', async () => {
    // A port no one listens on, for the peer that will come up there.
    const away = await dgramSocket();
    const peerPort = away.address().port;
    await new Promise<void>((resolve) =>
      away.close(() => {
        resolve();
      }),
    );
    const rx = receiver({ peerHost: '127.0.0.1', peerPort });
    put(rx.port, 0, control(1));
    assert.equal(rx.port.send(1), 1);
    // The ICMP port unreachable comes back as an error pending on the socket: the loop's poll
    // reports it (libuv then stops that poll), and the port reads it as a lost send.
    await until(() => rx.port.stats().sendErrors >= 1, 'the unreachable peer reported');
    const peer = createSocket('udp4');
    open.push({ close: () => peer.close() });
    await new Promise<void>((resolve) => peer.bind(peerPort, '127.0.0.1', resolve));
    await sendFrom(peer, control(2), rx.address);
    await until(() => rx.got.length >= 1, 'the datagram from the peer once it is up');
    assert.deepEqual(
      rx.got.map((r) => seqOf(r.bytes)),
      [2],
    );
    assert.equal(rx.port.stats().receiveErrors, 0);
  });
});
