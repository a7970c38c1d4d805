/**
 * What a running doorway process says about itself, once a second: the one shape the metrics
 * endpoint, the status page and the watchdog all read. Figures carry their unit in their name.
 */

/** The part of a doorway a process runs: one service each on an appliance; `all` in development. */
export type RoleName = 'video' | 'audio' | 'all';

/** The secure session to the peer, for one direction. */
export type SessionState =
  /** Keys exist and the peer has been heard from recently. */
  | 'established'
  /** Handshakes are being sent and not answered (peer absent, or a network cut). */
  | 'handshaking'
  /** Waiting for the peer to open the session (the answering side). */
  | 'listening'
  /** `--insecure`: no session layer (benchmarks only). */
  | 'insecure';

export interface OutboundStatus {
  /** The stream: 'video' or 'audio'. */
  readonly stream: 'video' | 'audio';
  readonly session: SessionState;
  /**
   * Local media is being produced: camera frames encoded (or held back unencoded while the session
   * is not up), microphone blocks encoded.
   */
  readonly producing: boolean;
  /** Its camera or microphone is gone; a video placeholder may still be going out. */
  readonly deviceLost: boolean;
  readonly framesPerS: number;
  readonly bitrateBps: number;
  /** What rate control currently allows, bit/s. */
  readonly targetBitrateBps: number;
  readonly packetsSent: number;
  readonly keyframeRequests: number;
  /** Round-trip time to the peer, ms; null before the first measurement. */
  readonly rttMs: number | null;
}

export interface InboundStatus {
  readonly stream: 'video' | 'audio';
  readonly session: SessionState;
  /** Media from the peer arrived within the last two seconds. */
  readonly flowing: boolean;
  /**
   * Unix time, ms, since which media has flowed without a pause of more than half a second; null
   * while it does not flow. How fast media came back after a fault is read from this.
   */
  readonly flowingSinceMs: number | null;
  readonly framesPerS: number;
  readonly bitrateBps: number;
  /** Packets lost before repair over the last second, %. */
  readonly lossPercent: number;
  /** Capture → decoded (video) or mouth → speaker queue (audio), over the last second, ms. */
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null };
  readonly packetsReceived: number;
  readonly fecRecovered: number;
  readonly retransmitted: number;
  readonly framesLost: number;
  /** Audio only: share of played time that was concealment since start, %. */
  readonly concealedPercent: number | null;
  /**
   * Audio only: ms played since start (concealment and stretching included) and ms of them
   * concealed, for concealment per second from two readings; null for video.
   */
  readonly audioMs: { readonly played: number; readonly concealed: number } | null;
  /** Audio only: the delay lip sync adds so the sound waits for slower pictures, ms; null: none. */
  readonly lipSyncDelayMs: number | null;
  /** Milliseconds since the peer was last heard on this stream; null if never. */
  readonly lastHeardAgoMs: number | null;
}

/** One long-running part of the process (an actor), as its supervisor sees it. */
export interface PartHealth {
  readonly name: string;
  readonly state: 'running' | 'restarting' | 'stopped' | 'failed';
  readonly restarts: number;
  readonly handled: number;
  readonly dropped: number;
  /** Handle time p99, µs. */
  readonly handleP99Us: number;
}

export interface SecurityStatus {
  readonly handshakes: number;
  readonly rekeys: number;
  readonly rejectedAuth: number;
  readonly rejectedReplay: number;
  readonly rejectedMalformed: number;
}

export interface ProcessStatus {
  readonly pid: number;
  readonly uptimeS: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Event-loop delay over the last sampling period (how late a 10 ms timer fired), ms. */
  readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly cpuPercent: number;
}

/** One sample of the small live graphs: the last two minutes, one point a second. */
export interface HistoryPoint {
  /** Unix time, ms. */
  readonly atMs: number;
  readonly latencyMs: number | null;
  readonly lossPercent: number;
  readonly bitrateBps: number;
}

export interface RoleStatus {
  readonly role: RoleName;
  readonly site: string;
  readonly peer: { readonly site: string; readonly address: string };
  /** Unix time of this snapshot, ms. */
  readonly atMs: number;
  readonly outbound: readonly OutboundStatus[];
  readonly inbound: readonly InboundStatus[];
  readonly parts: readonly PartHealth[];
  readonly security: SecurityStatus;
  readonly process: ProcessStatus;
  /** The most recent error worth a person's attention, or null. */
  readonly lastError: { readonly atMs: number; readonly message: string } | null;
  /**
   * Why media is not flowing in both directions, in words for the person installing the site
   * ("peer studio-b at 10.0.0.2:47000 has not answered 14 handshakes"); null while it flows.
   */
  readonly notFlowingBecause: string | null;
  /** Per inbound stream, oldest first, at most 120 points. */
  readonly history: Readonly<Record<'video' | 'audio', readonly HistoryPoint[]>>;
}

/** A role process the status role could not read, and why, in one line. */
export interface UnreachableRole {
  readonly role: RoleName;
  /** Where it was asked: the `/status.json` URL. */
  readonly address: string;
  readonly error: string;
}

/**
 * The whole site as the status page sees it: every role's snapshot that could be gathered (in
 * process, or from the other role processes' `/status.json`) and the roles that could not.
 */
export interface SiteStatus {
  readonly site: string;
  readonly peer: { readonly site: string; readonly address: string };
  /** Unix time the roles were gathered, ms. */
  readonly atMs: number;
  readonly roles: readonly RoleStatus[];
  readonly unreachable: readonly UnreachableRole[];
}
