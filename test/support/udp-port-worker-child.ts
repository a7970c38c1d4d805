/**
 * Native UDP ports owned by worker threads that end, in a process of its own (see
 * test/udp-native-port-worker-exit.test.ts). The loop watches each port's socket with a poll whose
 * close callback is the addon's code, so a worker's environment must not unload the addon before
 * its loop has closed the poll: if it did, this process dies of SIGSEGV and the test says so.
 *
 * The main thread loads the addon only after the workers are gone (it sends with node:dgram), so
 * each worker's environment is the addon's only user and unloading it would unmap its code.
 * Each worker opens a port, receives one datagram from the main thread, and then, as its mode
 * says: ends with the port still watched ('open'), closes it and ends at once ('closed'), is
 * terminated from outside while watching ('terminated'), or throws from the batch handler, which
 * must reach the worker as its uncaught exception ('throws'). The main thread prints one JSON line:
 * what each worker received and how it ended, and that its own port still works afterwards.
 */
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadUdpAddon } from '../../src/media/index.js';
import { readManifest } from '../../src/profiles/index.js';
import type { BatchPort } from '../../src/udp/index.js';
import { REPO } from './tree.js';

type Mode = 'open' | 'closed' | 'terminated' | 'throws';
const loadUdp = () => loadUdpAddon(readManifest(join(REPO, 'build', 'manifest.json')), REPO);

const receiverPort = (onCount: (count: number, port: BatchPort) => void): BatchPort => {
  const holder: { port: BatchPort | null } = { port: null };
  const port = loadUdp().createPort({ bindHost: '127.0.0.1', bindPort: 0, mode: 'clear' }, (count) => {
    if (holder.port !== null) onCount(count, holder.port);
  });
  holder.port = port;
  port.start();
  return port;
};

const sender = isMainThread ? createSocket('udp4') : null;
const sendOne = (to: number, length: number): void => {
  sender?.send(Buffer.alloc(length, 0x12), to, '127.0.0.1');
};

if (!isMainThread) {
  const mode = workerData as Mode;
  const port = receiverPort((count, p) => {
    parentPort?.postMessage({ received: count, length: p.receiveLengths[0] });
    if (mode === 'throws') throw new Error('the batch handler threw');
    if (mode === 'closed') {
      p.close();
      process.exit(0);
    }
    // 'open' leaves the port watched; the worker's loop would stay alive for it, so it exits.
    if (mode === 'open') process.exit(0);
  });
  parentPort?.postMessage({ listening: port.stats().localPort ?? 0 });
} else {
  const runWorker = (mode: Mode, length: number) =>
    new Promise<{ mode: Mode; received: number; length: number; exitCode: number; error: string }>(
      (resolve) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: mode });
        let received = 0;
        let gotLength = 0;
        let error = '';
        worker.on('message', (m: { listening?: number; received?: number; length?: number }) => {
          if (m.listening !== undefined) sendOne(m.listening, length);
          if (m.received !== undefined) {
            received = m.received;
            gotLength = m.length ?? 0;
            if (mode === 'terminated') void worker.terminate();
          }
        });
        worker.on('error', (err) => {
          error = err.message;
        });
        worker.on('exit', (exitCode) => {
          resolve({ mode, received, length: gotLength, exitCode, error });
        });
      },
    );
  const workers = [];
  for (const [i, mode] of (['open', 'closed', 'terminated', 'throws'] as const).entries()) {
    workers.push(await runWorker(mode, 100 + i));
  }
  // Two at once, each with its own loop.
  workers.push(...(await Promise.all([runWorker('open', 110), runWorker('terminated', 111)])));
  // This thread's own port still receives after the workers' environments are gone.
  let mainLength = 0;
  const own = receiverPort((_count, p) => {
    mainLength = p.receiveLengths[0] ?? 0;
  });
  sendOne(own.stats().localPort ?? 0, 120);
  const deadline = Date.now() + 5_000;
  while (mainLength === 0 && Date.now() < deadline) await sleep(5);
  own.close();
  sender?.close();
  process.stdout.write(`${JSON.stringify({ workers, mainLength })}\n`);
}
