/**
 * Drivers that run a sans-I/O endpoint (the protocol's Connection, a SecureSession) on a real UDP
 * socket: `UdpDriver` on node:dgram, and `BatchUdpDriver` on a batched native port.
 */
export {
  formatAddress,
  nowMicros,
  parseAddress,
  type RingEndpoint,
  type SansIoEndpoint,
  type UdpAddress,
} from './endpoint.js';
export { UdpDriver, type UdpDriverOptions } from './dgram-driver.js';
export { BatchUdpDriver, type BatchUdpDriverOptions } from './batch-driver.js';
export { createUdpDriver, type CreateUdpDriverOptions, type UdpLinkDriver } from './create-driver.js';
export type {
  BatchFilterMode,
  BatchPort,
  BatchPortDropped,
  BatchPortFactory,
  BatchPortOptions,
  BatchPortStats,
} from './batch-port.js';
export { DSCP_AF41, DSCP_EF, tosForLane } from './dscp.js';
