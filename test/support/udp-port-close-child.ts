/**
 * A native UDP port closed from inside its own batch handler, in a process of its own (see
 * test/udp-native-port.test.ts): if the port touches its socket after the handler closed it, the
 * crash is this process's, and the test reports it instead of dying with it.
 *
 * The port reads two datagrams per recvmmsg. Five are waiting when it first drains, so a full batch
 * of two arrives and, had the handler not closed it, the port would read again in the same wake:
 * the handler closes it (twice), and the port must stop there without touching the socket. Then
 * more go to where it was, the loop runs, and one JSON line says the batches seen and what the
 * closed port said when used.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadUdpAddon } from '../../src/media/index.js';
import { readManifest } from '../../src/profiles/index.js';
import type { BatchPort } from '../../src/udp/index.js';
import { REPO } from './tree.js';

const udp = loadUdpAddon(readManifest(join(REPO, 'build', 'manifest.json')), REPO);

let batches = 0;
let lengths: number[] = [];
const holder: { port: BatchPort | null } = { port: null };
const receiver = udp.createPort(
  { bindHost: '127.0.0.1', bindPort: 0, mode: 'clear', messages: 2, gro: false },
  (count) => {
    batches++;
    const port = holder.port;
    if (port === null) return;
    lengths = Array.from(port.receiveLengths.subarray(0, count));
    port.close();
    port.close();
  },
);
holder.port = receiver;
receiver.start();
const target = receiver.stats().localPort ?? 0;

const sender = udp.createPort(
  { bindHost: '127.0.0.1', bindPort: 0, peerHost: '127.0.0.1', peerPort: target, mode: 'clear' },
  () => undefined,
);
const ring = new Uint8Array(sender.sendRing);
/** Sends `lengths.length` control datagrams in one call, the i-th `lengths[i]` bytes long. */
const send = (lengths: readonly number[]): number => {
  lengths.forEach((length, slot) => {
    ring.fill(0x12, slot * sender.slotBytes, slot * sender.slotBytes + length);
    sender.sendLengths[slot] = length;
    sender.sendTos[slot] = 0;
    sender.sendDestinations[slot] = 0;
  });
  return sender.send(lengths.length);
};

const deadline = Date.now() + 10_000;
// All five are in the receiver's socket before the loop can drain it: this code runs on the loop.
const first = send([100, 101, 102, 103, 104]);
while (batches === 0 && Date.now() < deadline) await sleep(5);
// The port is closed now: these go to a closed socket (or a port someone else took since).
for (let i = 0; i < 5; i++) send([200]);
for (let i = 0; i < 20; i++) await sleep(10);

const attempt = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
};
const stats = receiver.stats();
process.stdout.write(
  `${JSON.stringify({
    first,
    batches,
    lengths,
    delivered: stats.delivered,
    gsoAfterClose: stats.gso,
    localPortAfterClose: stats.localPort ?? null,
    send: attempt(() => receiver.send(0)),
    start: attempt(() => {
      receiver.start();
    }),
    close: attempt(() => {
      receiver.close();
    }),
  })}\n`,
);
sender.close();
