/**
 * `doorway netsim`: a real UDP relay that puts the network simulator's impairments between two
 * endpoints. The first source that sends to the listen address is the client; what it sends
 * goes through the forward link to the target, and what the target answers goes back through
 * the reverse link. The simulator runs on the real clock.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { Rng } from '../rng/index.js';
import { Path, micros as netsimMicros, type LinkConfig, type LinkStats } from '../netsim/index.js';
import { nowMicros, type UdpAddress } from '../udp/index.js';

export interface RelayOptions {
  readonly listen: UdpAddress;
  readonly to: UdpAddress;
  readonly forward: LinkConfig;
  /** Impairments for the way back; the forward ones when absent. */
  readonly reverse?: LinkConfig;
  readonly seed?: number;
}

export interface Relay {
  readonly address: UdpAddress;
  stats(): { forward: LinkStats; reverse: LinkStats };
  close(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const path = new Path(
    { aToB: options.forward, ...(options.reverse === undefined ? {} : { bToA: options.reverse }) },
    new Rng(options.seed ?? 1),
  );
  const family = options.listen.host.includes(':') ? 'udp6' : 'udp4';
  const front = createSocket(family);
  const back = createSocket(options.to.host.includes(':') ? 'udp6' : 'udp4');
  let client: UdpAddress | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const pump = (): void => {
    if (closed) return;
    const now = netsimMicros(nowMicros());
    for (let d = path.aToB.pollDeliver(now); d !== null; d = path.aToB.pollDeliver(now)) {
      back.send(d, options.to.port, options.to.host);
    }
    for (let d = path.bToA.pollDeliver(now); d !== null; d = path.bToA.pollDeliver(now)) {
      if (client !== null) front.send(d, client.port, client.host);
    }
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const next = [path.aToB.pollTimeout(), path.bToA.pollTimeout()].filter(
      (t): t is NonNullable<typeof t> => t !== null,
    );
    if (next.length > 0) {
      const waitMs = (Math.min(...next) - nowMicros()) / 1000;
      timer = setTimeout(pump, Math.max(0, waitMs - 0.2));
    }
  };
  front.on('message', (msg: Buffer, from: RemoteInfo) => {
    client = { host: from.address, port: from.port };
    path.aToB.handleSend(netsimMicros(nowMicros()), msg);
    pump();
  });
  back.on('message', (msg: Buffer) => {
    path.bToA.handleSend(netsimMicros(nowMicros()), msg);
    pump();
  });
  front.on('error', () => undefined);
  back.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(options.listen.port, options.listen.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  await new Promise<void>((resolve) => {
    back.bind(0, family === 'udp6' ? '::' : '0.0.0.0', resolve);
  });
  const address = front.address();
  return {
    address: { host: address.address, port: address.port },
    stats: () => ({ forward: path.aToB.stats(), reverse: path.bToA.stats() }),
    close: async () => {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      await Promise.all([
        new Promise<void>((resolve) => {
          front.close(() => {
            resolve();
          });
        }),
        new Promise<void>((resolve) => {
          back.close(() => {
            resolve();
          });
        }),
      ]);
    },
  };
}
