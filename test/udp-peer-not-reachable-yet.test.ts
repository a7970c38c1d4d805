/**
 * A role that starts before its machine's network is up: the driver's fixed peer cannot be
 * connected to (no route, or a name that does not resolve yet). Starting must still succeed, and
 * what the endpoint sends fails datagram by datagram, counted, never thrown.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { UdpDriver, type SansIoEndpoint } from '../src/udp/index.js';

class QueueEndpoint implements SansIoEndpoint {
  readonly queued: Uint8Array[] = [];
  received = 0;
  handleDatagram(): void {
    this.received++;
  }
  handleTimeout(): void {
    // Nothing is timed in this endpoint.
  }
  pollTransmit(): Uint8Array | null {
    return this.queued.shift() ?? null;
  }
  pollTimeout(): number | null {
    return null;
  }
}

it('starts with a peer it cannot connect to, and counts the sends that fail', async () => {
  const endpoint = new QueueEndpoint();
  // Queued before start: the first flush happens inside start().
  endpoint.queued.push(new Uint8Array([1, 2, 3]));
  const driver = new UdpDriver({
    endpoint,
    bind: { host: '127.0.0.1', port: 0 },
    // `.invalid` never resolves (RFC 6761): the connect fails as it does before DHCP.
    peer: { host: 'doorway-peer.invalid', port: 47000 },
  });
  try {
    const bound = await driver.start();
    assert.ok(bound.port > 0);
    endpoint.queued.push(new Uint8Array([4, 5, 6]));
    driver.kick();
    // Each send looks the name up again and fails asynchronously.
    for (let i = 0; i < 50 && driver.sendErrors < 2; i++) await sleep(20);
    assert.equal(driver.sendErrors, 2);
    assert.equal(endpoint.queued.length, 0);
  } finally {
    await driver.close();
  }
});
