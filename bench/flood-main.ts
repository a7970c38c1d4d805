/**
 * The attacker of bench:transport's flood case, as its own process: forged and random datagrams
 * at a fixed rate to one address, sent in batches through the native port (so the flood is not
 * limited by node:dgram), and a count of anything that came back. Prints one JSON line at the end.
 *
 *   node dist/bench/flood-main.js --to 127.0.0.1:PORT --pps 20000 --seconds 8 [--seed N]
 */
import { join } from 'node:path';
import { loadUdpAddon } from '../src/media/index.js';
import { readManifest } from '../src/profiles/index.js';
import { Rng } from '../src/rng/index.js';
import { INITIATION_BYTES, INITIATION_TYPE } from '../src/session/index.js';
import { OVERHEAD_BYTES, SEALED_TYPE } from '../src/seal/index.js';
import { parseAddress } from '../src/udp/index.js';
import { ROOT } from './children.js';

function arg(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? undefined : process.argv[at + 1];
  if (value === undefined) throw new Error(`flood: --${name} is required`);
  return value;
}

const to = parseAddress(arg('to'), '--to');
const pps = Number(arg('pps'));
const seconds = Number(arg('seconds'));
const rng = new Rng(`flood/${process.argv.includes('--seed') ? arg('seed') : '1'}`);
const { createPort } = loadUdpAddon(readManifest(join(ROOT, 'build', 'manifest.json')), ROOT);
const port = createPort(
  { bindHost: '127.0.0.1', bindPort: 0, peerHost: to.host, peerPort: to.port, mode: 'clear', gso: false },
  () => undefined,
);
port.start();
const ring = new Uint8Array(port.sendRing);

/** One forged datagram into slot `i`: random, forged sealed, forged initiation, or a bad length. */
function forge(i: number): number {
  const at = i * port.slotBytes;
  const kind = rng.nextInt(4);
  const length =
    kind === 0
      ? 1 + rng.nextInt(1400)
      : kind === 1
        ? OVERHEAD_BYTES + rng.nextInt(1200)
        : kind === 2
          ? INITIATION_BYTES
          : 1 + rng.nextInt(28);
  for (let b = 0; b < length; b++) ring[at + b] = rng.nextInt(256);
  if (kind === 1 || kind === 3) ring[at] = SEALED_TYPE;
  if (kind === 2) ring[at] = INITIATION_TYPE;
  return length;
}

let sent = 0;
const start = performance.now();
await new Promise<void>((resolve) => {
  const tick = setInterval(() => {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) {
      clearInterval(tick);
      resolve();
      return;
    }
    // Catch up to the rate in batches of the ring's size.
    let due = Math.floor(elapsed * pps) - sent;
    while (due > 0) {
      const n = Math.min(due, port.sendSlots);
      for (let i = 0; i < n; i++) port.sendLengths[i] = forge(i);
      sent += n;
      due -= n;
      port.send(n);
    }
  }, 1);
});
// Whatever the target answered arrives within a round trip; give it a moment.
await new Promise((resolve) => setTimeout(resolve, 200));
const stats = port.stats();
port.close();
process.stdout.write(`${JSON.stringify({ offered: sent, sent: stats.sent, answered: stats.received })}\n`);
