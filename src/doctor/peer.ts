/**
 * Peer reachability for `doorway doctor --site`: one real handshake per stream the site sends, as
 * the initiator with the site's own keys, to the address `doorway run` sends that stream to.
 *
 * The probe runs the session layer (`SecureSession`) itself on a socket of its own rather than
 * through `MediaLink`/`UdpDriver`, for two reasons:
 * - the driver counts socket errors and drops them, and the doctor must name the error
 *   (ECONNREFUSED, EHOSTUNREACH);
 * - on the response the session queues a sealed keepalive that confirms the new keys. A probe
 *   that sent it would move a running peer's responder onto keys the probe throws away; stopping
 *   at the response leaves them unconfirmed, and the peer keeps the keys its media flows under.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { APPLIANCE_TIMINGS, loadSiteKeys, planRole, type StreamName } from '../appliance/index.js';
import type { SiteConfig } from '../config/index.js';
import { wallClockCounter } from '../noise/index.js';
import { RESPONSE_BYTES, RESPONSE_TYPE, SecureSession } from '../session/index.js';
import { formatAddress, nowMicros, type UdpAddress } from '../udp/index.js';
import type { Check } from './index.js';

/** Both streams are probed in parallel within this, name lookup included. */
export const PEER_TIMEOUT_MS = 2000;

export interface PeerCheckOptions {
  /** How long the whole check may take, ms (default `PEER_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
}

type ProbeKeys = ReturnType<typeof loadSiteKeys>;

interface StreamTarget {
  readonly stream: StreamName;
  /** As the site names it: what a person recognises in the output. */
  readonly to: UdpAddress;
}

type ProbeOutcome =
  | { readonly kind: 'answered'; readonly ms: number }
  /** A response came that did not authenticate: the keys differ. */
  | { readonly kind: 'rejected' }
  | { readonly kind: 'silent'; readonly initiations: number }
  | { readonly kind: 'socket-error'; readonly code: string };

/**
 * One check per stream the site sends (`peer video`, `peer audio`), or a single `peer` check when
 * nothing could be tried: keys that do not load, streams that cannot be planned, or a host that
 * does not resolve.
 */
export async function checkPeer(site: SiteConfig, options: PeerCheckOptions = {}): Promise<Check[]> {
  const deadline = performance.now() + (options.timeoutMs ?? PEER_TIMEOUT_MS);
  let keys: ProbeKeys;
  try {
    keys = loadSiteKeys(site);
  } catch (err) {
    // The `keys` check has already failed on this.
    return [{ item: 'peer', verdict: 'info', detail: `not tried without keys: ${messageOf(err)}` }];
  }
  let targets: StreamTarget[];
  try {
    // Where `doorway run` sends each stream: the plan is the one place that says.
    targets = planRole(site, 'all').outbound.map((o) => ({ stream: o.stream, to: o.to }));
  } catch (err) {
    return [{ item: 'peer', verdict: 'fail', detail: `not tried: ${messageOf(err)}` }];
  }
  const host = site.peer.host;
  const ports = targets.map((t) => `${t.to.port} (${t.stream})`).join(' and ');
  const resolved = await resolveHost(host, deadline);
  if (!resolved.ok) {
    return [
      {
        item: 'peer',
        verdict: 'warn',
        detail: `${site.peer.site}'s host ${host} does not resolve (${resolved.code}); ports ${ports} not tried`,
      },
    ];
  }
  return Promise.all(
    targets.map(async (t) =>
      verdictOf(
        site,
        t,
        await probeHandshake({ host: resolved.address, port: t.to.port }, t.to, keys, deadline),
      ),
    ),
  );
}

/**
 * The name lookup the socket would do (getaddrinfo, IPv4 unless the host is an IPv6 literal, as
 * the outbound link binds), once for both streams and bounded by the deadline.
 */
async function resolveHost(
  host: string,
  deadline: number,
): Promise<{ ok: true; address: string } | { ok: false; code: string }> {
  const family = host.includes(':') ? 6 : 4;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ ok: false; code: string }>((resolve) => {
    timer = setTimeout(
      () => {
        resolve({ ok: false, code: 'no answer from the resolver in time' });
      },
      Math.max(0, deadline - performance.now()),
    );
  });
  const answer = lookup(host, { family }).then(
    (a) => ({ ok: true as const, address: a.address }),
    (err: unknown) => ({ ok: false as const, code: codeOf(err) }),
  );
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs an initiator session on a connected UDP socket until the handshake completes, a socket
 * error arrives, a response is refused, or the deadline passes.
 */
function probeHandshake(
  address: UdpAddress,
  named: UdpAddress,
  keys: ProbeKeys,
  deadline: number,
): Promise<ProbeOutcome> {
  const session = new SecureSession({
    staticPrivate: keys.staticPrivate,
    peerPublic: keys.peerPublic,
    ...(keys.psk === undefined ? {} : { psk: keys.psk }),
    role: 'initiator',
    peerAddress: formatAddress(named),
    randomBytes: (n) => new Uint8Array(randomBytes(n)),
    // The clock alone: the doctor may run as another user and writes none of the service's state.
    nextHandshakeCounter: wallClockCounter(),
    // The appliance's retry schedule, so the probe sees what the service would.
    timings: APPLIANCE_TIMINGS,
  });
  const socket = createSocket({ type: address.host.includes(':') ? 'udp6' : 'udp4' });
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let firstSentAt: number | null = null;
    let responsesRefused = 0;
    let pumpTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: ProbeOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(pumpTimer);
      clearTimeout(deadlineTimer);
      socket.close();
      resolve(outcome);
    };
    const deadlineTimer = setTimeout(
      () => {
        finish(
          responsesRefused > 0
            ? { kind: 'rejected' }
            : { kind: 'silent', initiations: session.stats().initiationsSent },
        );
      },
      Math.max(0, deadline - performance.now()),
    );
    const pump = (): void => {
      if (settled) return;
      const now = nowMicros();
      if (session.pollTimeout() <= now) session.handleTimeout(now);
      for (let t = session.pollTransmit(); t !== null; t = session.pollTransmit()) {
        firstSentAt ??= performance.now();
        socket.send(t.bytes);
      }
      clearTimeout(pumpTimer);
      pumpTimer = setTimeout(pump, Math.max(0, (session.pollTimeout() - nowMicros()) / 1000));
    };
    // ICMP unreachable and failed sends both arrive here on a connected socket.
    socket.on('error', (err) => {
      finish({ kind: 'socket-error', code: codeOf(err) });
    });
    socket.on('message', (datagram: Buffer, from: RemoteInfo) => {
      if (settled) return;
      const refusedBefore = session.stats().rejectedAuth;
      session.handleDatagram(nowMicros(), datagram, formatAddress({ host: from.address, port: from.port }));
      if (session.handshakes > 0) {
        // Nothing more is sent: the keepalive that would confirm these keys stays queued.
        finish({ kind: 'answered', ms: performance.now() - (firstSentAt ?? performance.now()) });
        return;
      }
      const isResponse = datagram.length === RESPONSE_BYTES && datagram[0] === RESPONSE_TYPE;
      if (isResponse && session.stats().rejectedAuth > refusedBefore) {
        responsesRefused++;
        // With one initiation out, a refused response answers it: a late answer to an earlier
        // attempt is impossible, so the keys themselves differ.
        if (session.stats().initiationsSent === 1) finish({ kind: 'rejected' });
      }
      pump();
    });
    socket.bind(0, address.host.includes(':') ? '::' : '0.0.0.0', () => {
      if (settled) return;
      socket.connect(address.port, address.host, (err?: Error) => {
        if (err !== undefined) finish({ kind: 'socket-error', code: codeOf(err) });
        else pump();
      });
    });
  });
}

function verdictOf(site: SiteConfig, target: StreamTarget, outcome: ProbeOutcome): Check {
  const item = `peer ${target.stream}`;
  const peer = site.peer.site;
  const at = formatAddress(target.to);
  const stream = target.stream;
  switch (outcome.kind) {
    case 'answered':
      return {
        item,
        verdict: 'ok',
        detail: `${peer} answered ${stream === 'audio' ? 'an' : 'a'} ${stream} handshake at ${at} in ${formatMs(outcome.ms)} ms`,
      };
    case 'rejected':
      return {
        item,
        verdict: 'fail',
        detail: `${peer} answered at ${at} but the ${stream} handshake did not authenticate: the keys do not match (presharedKeyPath must hold the same key at both sites)`,
      };
    case 'silent':
      return {
        item,
        verdict: 'warn',
        detail: `no answer from ${peer} at ${at} to ${outcome.initiations} ${stream} handshake initiation(s): doorway is not running there yet, a firewall or NAT drops UDP port ${target.to.port}, or the keys do not match (${peer} must pin this site's public key, and peer.publicKey must be ${peer}'s)`,
      };
    case 'socket-error':
      return {
        item,
        verdict: 'warn',
        detail: `sending the ${stream} handshake to ${peer} at ${at} failed: ${outcome.code}${hintFor(outcome.code, target.to.port)}`,
      };
  }
}

function hintFor(code: string, port: number): string {
  switch (code) {
    case 'ECONNREFUSED':
      return ` (nothing listens on UDP port ${port} there: doorway is not running yet, or its ports.media differs)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return ' (no route to that host: check peer.host and the network here)';
    default:
      return '';
  }
}

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

function codeOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : err.message;
  }
  return String(err);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
