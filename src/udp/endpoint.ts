/** What a UDP driver runs, and the addresses and clock the drivers share. */
import { performance } from 'node:perf_hooks';
import type { Lane } from '../protocol/index.js';
import { micros, type Micros } from '../units/index.js';

/**
 * The sans-I/O shape the driver runs: the protocol's Connection, or a SecureSession, which also
 * takes the source address (for roaming) and may name where a datagram goes (`HOST:PORT`).
 */
export interface SansIoEndpoint {
  handleDatagram(now: number, datagram: Uint8Array, from?: string): void;
  handleTimeout(now: number): void;
  pollTransmit(): Uint8Array | { readonly bytes: Uint8Array; readonly to: string | null } | null;
  pollTimeout(): number | null;
}

/**
 * What the batch driver uses beyond SansIoEndpoint when the endpoint has it: a SecureSession seals
 * straight into the send ring and names its live receiver indices for the native filter.
 */
export interface RingEndpoint extends SansIoEndpoint {
  pollTransmitInto?(out: Uint8Array): number;
  /** Where the datagram pollTransmitInto last wrote goes (null: the peer). */
  lastTransmitTo?(): string | null;
  /** The pacing lane of the last datagram polled (null: a handshake message). */
  lastTransmitLane?(): Lane | null;
  pollReceiverIndices?(): readonly number[] | null;
  /** The key our handshake messages' mac1 is checked with, so the port can check it first. */
  handshakeMac1Key?(): Uint8Array;
}

export interface UdpAddress {
  readonly host: string;
  readonly port: number;
}

/** Microseconds since the Unix epoch from the monotonic clock: comparable across processes. */
export function nowMicros(): Micros {
  return micros(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

/** An address as `HOST:PORT`, or `[v6]:PORT`. */
export function formatAddress(address: UdpAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** `HOST:PORT` (or `[v6]:PORT`) into an address; throws a one-line RangeError. */
export function parseAddress(text: string, what = 'address'): UdpAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${what} '${text}' is not HOST:PORT`);
  }
  return { host, port };
}
