/**
 * One way in for the link and the tools: the batched native driver when the build has the port,
 * the node:dgram one otherwise (a tree without a native build, or a side-by-side benchmark).
 */
import { BatchUdpDriver } from './batch-driver.js';
import type { BatchFilterMode, BatchPortDropped, BatchPortFactory } from './batch-port.js';
import { UdpDriver, type UdpDriverOptions } from './dgram-driver.js';
import type { RingEndpoint, UdpAddress } from './endpoint.js';

export interface UdpLinkDriver {
  start(): Promise<UdpAddress>;
  kick(): void;
  close(): Promise<void>;
  readonly sendErrors: number;
  /** Which driver moves the datagrams. */
  readonly kind: 'native' | 'dgram';
  /** What the native filter dropped before JS; null for node:dgram, which drops nothing itself. */
  droppedBeforeJs(): BatchPortDropped | null;
}

export interface CreateUdpDriverOptions extends UdpDriverOptions {
  readonly endpoint: RingEndpoint;
  /** The native port factory (chooseUdpPort().addon?.createPort), or null for node:dgram. */
  readonly createPort: BatchPortFactory | null;
  readonly mode: BatchFilterMode;
  /** The native port's slot: at least the largest datagram either side sends (default 2048). */
  readonly slotBytes?: number;
}

export function createUdpDriver(options: CreateUdpDriverOptions): UdpLinkDriver {
  const { createPort } = options;
  if (createPort === null) return new UdpDriver(options);
  return new BatchUdpDriver({ ...options, createPort });
}
