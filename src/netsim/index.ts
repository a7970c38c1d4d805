/**
 * A deterministic, seeded network simulator, sans-I/O: links that lose, delay, jitter, reorder,
 * duplicate, rate-limit and cut datagrams on virtual time in microseconds, and a virtual network
 * that runs two sans-I/O endpoints against each other. No clock, no sockets, no `Math.random`.
 */
export { micros, millis, seconds, type Micros } from './units.js';
export { NetsimClockError, NetsimConfigError, NetsimLivelockError } from './errors.js';
export {
  validateLinkConfig,
  type Jitter,
  type LinkChange,
  type LinkConfig,
  type LinkParams,
  type LossModel,
  type Outage,
  type ResolvedChange,
  type ResolvedJitter,
  type ResolvedLinkConfig,
  type ResolvedParams,
} from './config.js';
export { KNOBS, parseKnobArgs, parseKnobs, type KnobHelp } from './knobs.js';
export { Link, type SendVerdict } from './link.js';
export type { LinkStats } from './stats.js';
export { Path, type PathConfig } from './path.js';
export { VirtualNetwork, type Endpoint, type VirtualNetworkOptions } from './virtual-network.js';
