import { z } from 'zod';
import type { RoleStatus } from './status.js';

/*
 * The RoleStatus shape as a zod schema, for snapshots that arrive over HTTP from another role
 * process. Objects are loose (unknown fields pass through) so a role process a version ahead,
 * with a field added, is still read; the annotation makes the compiler check that what the
 * schema accepts is a RoleStatus.
 */

const stream = z.enum(['video', 'audio']);
const session = z.enum(['established', 'handshaking', 'listening', 'insecure']);
const nullableNumber = z.number().nullable();

const outbound = z.looseObject({
  stream,
  session,
  producing: z.boolean(),
  deviceLost: z.boolean(),
  framesPerS: z.number(),
  bitrateBps: z.number(),
  targetBitrateBps: z.number(),
  packetsSent: z.number(),
  keyframeRequests: z.number(),
  rttMs: nullableNumber,
});

const inbound = z.looseObject({
  stream,
  session,
  flowing: z.boolean(),
  flowingSinceMs: nullableNumber,
  framesPerS: z.number(),
  bitrateBps: z.number(),
  lossPercent: z.number(),
  latencyMs: z.looseObject({ p50: nullableNumber, p95: nullableNumber }),
  packetsReceived: z.number(),
  fecRecovered: z.number(),
  retransmitted: z.number(),
  framesLost: z.number(),
  concealedPercent: nullableNumber,
  audioMs: z.looseObject({ played: z.number(), concealed: z.number() }).nullable(),
  lipSyncDelayMs: nullableNumber,
  lastHeardAgoMs: nullableNumber,
});

const part = z.looseObject({
  name: z.string(),
  state: z.enum(['running', 'restarting', 'stopped', 'failed']),
  restarts: z.number(),
  handled: z.number(),
  dropped: z.number(),
  handleP99Us: z.number(),
});

const historyPoint = z.looseObject({
  atMs: z.number(),
  latencyMs: nullableNumber,
  lossPercent: z.number(),
  bitrateBps: z.number(),
});

export const roleStatusSchema: z.ZodType<RoleStatus> = z.looseObject({
  role: z.enum(['video', 'audio', 'all']),
  site: z.string(),
  peer: z.looseObject({ site: z.string(), address: z.string() }),
  atMs: z.number(),
  outbound: z.array(outbound),
  inbound: z.array(inbound),
  parts: z.array(part),
  security: z.looseObject({
    handshakes: z.number(),
    rekeys: z.number(),
    rejectedAuth: z.number(),
    rejectedReplay: z.number(),
    rejectedMalformed: z.number(),
  }),
  process: z.looseObject({
    pid: z.number(),
    uptimeS: z.number(),
    rssBytes: z.number(),
    heapUsedBytes: z.number(),
    eventLoopDelayMs: z.looseObject({ p50: z.number(), p99: z.number(), max: z.number() }),
    cpuPercent: z.number(),
  }),
  lastError: z.looseObject({ atMs: z.number(), message: z.string() }).nullable(),
  notFlowingBecause: z.string().nullable(),
  history: z.looseObject({ video: z.array(historyPoint), audio: z.array(historyPoint) }),
});
