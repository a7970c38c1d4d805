/**
 * The operations side of a running doorway: Prometheus metrics from its status snapshots, the
 * HTTP endpoints (`/metrics`, `/status.json`, `/api/site`, the status page), and gathering a
 * site's roles from their processes.
 */
export type {
  HistoryPoint,
  InboundStatus,
  OutboundStatus,
  PartHealth,
  ProcessStatus,
  RoleName,
  RoleStatus,
  SecurityStatus,
  SessionState,
  SiteStatus,
  UnreachableRole,
} from './status.js';
export { roleStatusSchema } from './status-schema.js';
export { OpsHostError, OpsListenError } from './errors.js';
export { DoorwayMetrics } from './metrics.js';
export { fetchRoleStatus, type RoleStatusResult } from './fetch-role.js';
export { gatherSiteStatus, type SiteSources } from './site.js';
export { isLoopbackHost } from './loopback.js';
export { EventLoopDelay, type LoopDelayFigures } from './loop-delay.js';
export { statusPage, type StatusPage } from './page.js';
export { startOpsServer, type OpsServer, type OpsServerOptions } from './server.js';
