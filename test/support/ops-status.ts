/** Status snapshots for the ops tests: a site whose video flows both ways and whose audio does not. */
import type { HistoryPoint, RoleStatus, SiteStatus } from '../../src/ops/index.js';

export const AUDIO_REASON = 'peer studio-b at 10.0.0.2:47001 has not answered 14 handshakes';

/** Two minutes of one-a-second points ending at `atMs`; latency climbs so a graph has a shape. */
export function history(atMs: number, points: number, latencyMs: number): HistoryPoint[] {
  return Array.from({ length: points }, (_, i) => ({
    atMs: atMs - (points - 1 - i) * 1000,
    latencyMs: latencyMs - 10 + (i % 20),
    lossPercent: i % 30 === 0 ? 2 : 0.1,
    bitrateBps: 6_000_000 + i * 1000,
  }));
}

export interface VideoRoleOptions {
  readonly atMs: number;
  readonly latencyP50Ms?: number;
  readonly packetsReceived?: number;
  readonly handled?: number;
  readonly parts?: RoleStatus['parts'];
  readonly lastError?: RoleStatus['lastError'];
}

export function videoRole(options: VideoRoleOptions): RoleStatus {
  const { atMs } = options;
  const latency = options.latencyP50Ms ?? 42;
  return {
    role: 'video',
    site: 'studio-a',
    peer: { site: 'studio-b', address: '10.0.0.2:47000' },
    atMs,
    outbound: [
      {
        stream: 'video',
        session: 'established',
        producing: true,
        deviceLost: false,
        framesPerS: 30,
        bitrateBps: 5_800_000,
        targetBitrateBps: 6_000_000,
        packetsSent: 81_234,
        keyframeRequests: 3,
        rttMs: 18.5,
      },
    ],
    inbound: [
      {
        stream: 'video',
        session: 'established',
        flowing: true,
        flowingSinceMs: atMs - 60_000,
        framesPerS: 30,
        bitrateBps: 6_200_000,
        lossPercent: 0.4,
        latencyMs: { p50: latency, p95: latency + 19 },
        packetsReceived: options.packetsReceived ?? 80_000,
        fecRecovered: 120,
        retransmitted: 14,
        framesLost: 1,
        concealedPercent: null,
        audioMs: null,
        lipSyncDelayMs: null,
        lastHeardAgoMs: 12,
      },
    ],
    parts: options.parts ?? [
      {
        name: 'encoder',
        state: 'running',
        restarts: 0,
        handled: options.handled ?? 5400,
        dropped: 2,
        handleP99Us: 850,
      },
      { name: 'decoder', state: 'running', restarts: 1, handled: 5390, dropped: 0, handleP99Us: 1200 },
    ],
    security: { handshakes: 2, rekeys: 5, rejectedAuth: 1, rejectedReplay: 7, rejectedMalformed: 3 },
    process: {
      pid: 4242,
      uptimeS: 3725,
      rssBytes: 210 * 1024 * 1024,
      heapUsedBytes: 48 * 1024 * 1024,
      eventLoopDelayMs: { p50: 1.5, p99: 9, max: 31 },
      cpuPercent: 37.5,
    },
    lastError: options.lastError ?? null,
    notFlowingBecause: null,
    history: { video: history(atMs, 120, latency), audio: [] },
  };
}

export function audioRole(atMs: number, flowing: boolean): RoleStatus {
  const session = flowing ? 'established' : 'handshaking';
  return {
    role: 'audio',
    site: 'studio-a',
    peer: { site: 'studio-b', address: '10.0.0.2:47000' },
    atMs,
    outbound: [
      {
        stream: 'audio',
        session,
        producing: true,
        deviceLost: false,
        framesPerS: flowing ? 100 : 0,
        bitrateBps: flowing ? 64_000 : 0,
        targetBitrateBps: 64_000,
        packetsSent: flowing ? 12_000 : 0,
        keyframeRequests: 0,
        rttMs: flowing ? 19 : null,
      },
    ],
    inbound: [
      {
        stream: 'audio',
        session,
        flowing,
        flowingSinceMs: flowing ? atMs - 30_000 : null,
        framesPerS: flowing ? 100 : 0,
        bitrateBps: flowing ? 66_000 : 0,
        lossPercent: 0,
        latencyMs: flowing ? { p50: 38, p95: 45 } : { p50: null, p95: null },
        packetsReceived: flowing ? 11_900 : 0,
        fecRecovered: 0,
        retransmitted: 0,
        framesLost: 0,
        concealedPercent: flowing ? 0.8 : 0,
        audioMs: flowing ? { played: 30_000, concealed: 240 } : { played: 0, concealed: 0 },
        lipSyncDelayMs: flowing ? 12 : null,
        lastHeardAgoMs: flowing ? 8 : null,
      },
    ],
    parts: [
      { name: 'audio-engine', state: 'running', restarts: 0, handled: 90_000, dropped: 0, handleP99Us: 300 },
    ],
    security: {
      handshakes: flowing ? 1 : 0,
      rekeys: 0,
      rejectedAuth: 0,
      rejectedReplay: 0,
      rejectedMalformed: 0,
    },
    process: {
      pid: 4243,
      uptimeS: 3724,
      rssBytes: 90 * 1024 * 1024,
      heapUsedBytes: 20 * 1024 * 1024,
      eventLoopDelayMs: { p50: 0.4, p99: 1.2, max: 3 },
      cpuPercent: 6,
    },
    lastError: null,
    notFlowingBecause: flowing ? null : AUDIO_REASON,
    history: {
      video: [],
      audio: flowing ? history(atMs, 120, 38) : history(atMs, 30, 38).map((p) => ({ ...p, latencyMs: null })),
    },
  };
}

export function site(roles: readonly RoleStatus[], unreachable: SiteStatus['unreachable'] = []): SiteStatus {
  return {
    site: 'studio-a',
    peer: { site: 'studio-b', address: '10.0.0.2:47000' },
    atMs: roles[0]?.atMs ?? Date.now(),
    roles,
    unreachable,
  };
}
