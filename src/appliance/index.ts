/**
 * The appliance: a site's roles as long-running services over both directions of each stream.
 * See README.md.
 */
export {
  assessHealth,
  type HealthInput,
  type HealthVerdict,
  type InboundHealth,
  type OutboundHealth,
} from './health.js';
export { InboundLeg, type InboundLegOptions } from './inbound.js';
export { MediaLink, STREAM_ID, type LinkKeys, type MediaLinkOptions } from './link.js';
export { OutboundLeg, type OutboundLegOptions } from './outbound.js';
export type { LegNotice, LegOptions } from './leg.js';
export {
  planRole,
  STREAM_PORT_OFFSET,
  type AudioInPlan,
  type AudioOutPlan,
  type PlanOptions,
  type RolePlan,
  type StreamName,
  type VideoInPlan,
  type VideoOutPlan,
} from './plan.js';
export { APPLIANCE_TIMINGS, launchRole, loadSiteKeys, type LaunchOptions } from './launch.js';
export { DoorwayService, type DoorwayServiceOptions, type ServiceNotifier } from './service.js';
export { waitForValidSite, type WaitForSiteOptions, type WaitingStatus } from './waiting.js';
