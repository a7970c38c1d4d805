import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { SnapshotCounter } from './snapshot-counter.js';
import type { InboundStatus, OutboundStatus, PartHealth, RoleStatus, SessionState } from './status.js';

const SESSION_STATES: readonly SessionState[] = ['established', 'handshaking', 'listening', 'insecure'];
const PART_STATES: readonly PartHealth['state'][] = ['running', 'restarting', 'stopped', 'failed'];

type StreamLabel = 'role' | 'stream' | 'direction';
const STREAM: readonly StreamLabel[] = ['role', 'stream', 'direction'];

/**
 * The Prometheus view of a doorway process, fed from its once-a-second `RoleStatus`.
 *
 * It keeps its own registry (never prom-client's global one) so two instances, or a test next to
 * a running process, never collide on names. Names follow the Prometheus conventions: base units
 * (seconds, bytes, ratios 0..1, so the snapshot's ms, µs and % are converted), `_total` only on
 * counters. Bitrates stay in bits per second, the unit rate control and the encoders are set in,
 * so a dashboard compares them without a factor of 8. A figure the snapshot does not have yet
 * (an RTT before the first measurement, a latency with no frames) is absent, not zero: a zero
 * would read as a perfect link.
 */
export class DoorwayMetrics {
  readonly #registry = new Registry();
  readonly #gauges: Gauge[] = [];
  readonly #counters: SnapshotCounter<string>[] = [];

  readonly #bitrate = this.#gauge(
    'doorway_transport_bitrate_bits_per_second',
    'Media bitrate over the last second, per stream and direction.',
    STREAM,
  );
  readonly #targetBitrate = this.#gauge(
    'doorway_transport_target_bitrate_bits_per_second',
    'What rate control currently allows the sender.',
    STREAM,
  );
  readonly #packets = this.#counter(
    'doorway_transport_packets_total',
    'Packets sent (direction out) or received (direction in).',
    STREAM,
  );
  readonly #loss = this.#gauge(
    'doorway_transport_loss_ratio',
    'Share of packets lost before repair over the last second (0..1).',
    STREAM,
  );
  readonly #fecRecovered = this.#counter(
    'doorway_transport_fec_recovered_total',
    'Packets rebuilt from forward error correction.',
    STREAM,
  );
  readonly #retransmitted = this.#counter(
    'doorway_transport_retransmitted_total',
    'Packets repaired by retransmission.',
    STREAM,
  );
  readonly #framesLost = this.#counter(
    'doorway_transport_frames_lost_total',
    'Frames (or audio blocks) beyond repair.',
    STREAM,
  );
  readonly #rtt = this.#gauge('doorway_transport_rtt_seconds', 'Round-trip time to the peer.', STREAM);
  readonly #keyframeRequests = this.#counter(
    'doorway_transport_keyframe_requests_total',
    'Keyframe requests from the peer.',
    STREAM,
  );
  readonly #session = this.#gauge(
    'doorway_session_state',
    'The secure session per stream and direction: 1 for the current state, 0 for the others.',
    [...STREAM, 'state'],
  );
  readonly #flowing = this.#gauge(
    'doorway_media_flowing',
    '1 while media flows: in, media from the peer arrived in the last 2 s; out, local media is produced.',
    STREAM,
  );
  readonly #flowingSince = this.#gauge(
    'doorway_media_flowing_since_timestamp_seconds',
    'Unix time since which media has flowed without a pause of more than half a second.',
    STREAM,
  );
  readonly #lastHeard = this.#gauge(
    'doorway_peer_last_heard_seconds',
    'Time since the peer was last heard on this stream.',
    STREAM,
  );
  readonly #framesPerS = this.#gauge(
    'doorway_codec_frames_per_second',
    'Frames (or audio blocks) encoded (out) or decoded (in) per second.',
    STREAM,
  );
  readonly #latency = this.#gauge(
    'doorway_media_latency_seconds',
    'Capture to decoded picture (video) or mouth to speaker queue (audio), over the last second.',
    [...STREAM, 'quantile'],
  );
  readonly #concealed = this.#gauge(
    'doorway_audio_concealed_ratio',
    'Share of played audio that was concealment since start (0..1).',
    STREAM,
  );
  readonly #bothWays = this.#gauge(
    'doorway_media_both_ways',
    '1 while this role reports media flowing in both directions.',
    ['role'],
  );
  readonly #snapshotTime = this.#gauge(
    'doorway_status_timestamp_seconds',
    'Unix time of the latest status snapshot.',
    ['role'],
  );
  readonly #lastErrorTime = this.#gauge(
    'doorway_last_error_timestamp_seconds',
    'Unix time of the most recent error worth a person’s attention.',
    ['role'],
  );
  readonly #handshakes = this.#counter('doorway_security_handshakes_total', 'Completed handshakes.', [
    'role',
  ]);
  readonly #rekeys = this.#counter('doorway_security_rekeys_total', 'Session rekeys.', ['role']);
  readonly #rejected = this.#counter(
    'doorway_security_rejected_total',
    'Datagrams rejected, by reason: auth (failed authentication), replay, malformed.',
    ['role', 'reason'],
  );
  readonly #partState = this.#gauge(
    'doorway_part_state',
    'A part (actor) of the process: 1 for its current state, 0 for the others.',
    ['role', 'part', 'state'],
  );
  readonly #partRestarts = this.#counter('doorway_part_restarts_total', 'Restarts by the supervisor.', [
    'role',
    'part',
  ]);
  readonly #partHandled = this.#counter('doorway_part_handled_total', 'Messages handled.', ['role', 'part']);
  readonly #partDropped = this.#counter(
    'doorway_part_dropped_total',
    'Messages dropped (mailbox full or stale).',
    ['role', 'part'],
  );
  readonly #partHandleP99 = this.#gauge(
    'doorway_part_handle_p99_seconds',
    'Time to handle one message, 99th percentile.',
    ['role', 'part'],
  );
  readonly #rss = this.#gauge(
    'doorway_process_resident_memory_bytes',
    'Resident memory as the role reports it.',
    ['role'],
  );
  readonly #heap = this.#gauge('doorway_process_heap_used_bytes', 'V8 heap in use.', ['role']);
  readonly #loopDelay = this.#gauge(
    'doorway_event_loop_delay_seconds',
    'Event-loop delay over the last sampling period.',
    ['role', 'quantile'],
  );
  readonly #loopDelayMax = this.#gauge(
    'doorway_event_loop_delay_max_seconds',
    'Longest event-loop delay over the last sampling period.',
    ['role'],
  );
  readonly #cpu = this.#gauge('doorway_process_cpu_ratio', 'CPU time per wall time (1 = one core busy).', [
    'role',
  ]);
  readonly #uptime = this.#gauge('doorway_process_uptime_seconds', 'Time since the process started.', [
    'role',
  ]);

  constructor() {
    // prom-client's own process_* and nodejs_* figures (CPU seconds, fds, GC, heap spaces), on
    // the private registry: they cover this process between snapshots and what the snapshot
    // does not carry.
    collectDefaultMetrics({ register: this.#registry });
  }

  /** The registry, for a caller that adds metrics of its own. */
  get registry(): Registry {
    return this.#registry;
  }

  /** `text/plain; version=0.0.4; charset=utf-8`. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.#registry.metrics();
  }

  /**
   * Replaces every doorway figure with the snapshot's. Synchronous, so a scrape never sees half
   * an update; series the snapshot no longer has (a stream or part that went away) disappear.
   */
  update(status: RoleStatus): void {
    for (const gauge of this.#gauges) gauge.reset();
    const role = status.role;
    for (const out of status.outbound) this.#outbound(role, out);
    for (const inbound of status.inbound) this.#inbound(role, inbound);

    this.#bothWays.set({ role }, status.notFlowingBecause === null ? 1 : 0);
    this.#snapshotTime.set({ role }, status.atMs / 1000);
    if (status.lastError !== null) this.#lastErrorTime.set({ role }, status.lastError.atMs / 1000);

    const security = status.security;
    this.#handshakes.observe({ role }, security.handshakes);
    this.#rekeys.observe({ role }, security.rekeys);
    this.#rejected.observe({ role, reason: 'auth' }, security.rejectedAuth);
    this.#rejected.observe({ role, reason: 'replay' }, security.rejectedReplay);
    this.#rejected.observe({ role, reason: 'malformed' }, security.rejectedMalformed);

    for (const part of status.parts) {
      const labels = { role, part: part.name };
      for (const state of PART_STATES)
        this.#partState.set({ ...labels, state }, part.state === state ? 1 : 0);
      this.#partRestarts.observe(labels, part.restarts);
      this.#partHandled.observe(labels, part.handled);
      this.#partDropped.observe(labels, part.dropped);
      this.#partHandleP99.set(labels, part.handleP99Us / 1e6);
    }

    const proc = status.process;
    this.#rss.set({ role }, proc.rssBytes);
    this.#heap.set({ role }, proc.heapUsedBytes);
    this.#loopDelay.set({ role, quantile: '0.5' }, proc.eventLoopDelayMs.p50 / 1000);
    this.#loopDelay.set({ role, quantile: '0.99' }, proc.eventLoopDelayMs.p99 / 1000);
    this.#loopDelayMax.set({ role }, proc.eventLoopDelayMs.max / 1000);
    this.#cpu.set({ role }, proc.cpuPercent / 100);
    this.#uptime.set({ role }, proc.uptimeS);

    for (const counter of this.#counters) counter.end();
  }

  #outbound(role: string, out: OutboundStatus): void {
    const labels = { role, stream: out.stream, direction: 'out' };
    this.#sessionState(labels, out.session);
    this.#flowing.set(labels, out.producing ? 1 : 0);
    this.#framesPerS.set(labels, out.framesPerS);
    this.#bitrate.set(labels, out.bitrateBps);
    this.#targetBitrate.set(labels, out.targetBitrateBps);
    this.#packets.observe(labels, out.packetsSent);
    this.#keyframeRequests.observe(labels, out.keyframeRequests);
    if (out.rttMs !== null) this.#rtt.set(labels, out.rttMs / 1000);
  }

  #inbound(role: string, inbound: InboundStatus): void {
    const labels = { role, stream: inbound.stream, direction: 'in' };
    this.#sessionState(labels, inbound.session);
    this.#flowing.set(labels, inbound.flowing ? 1 : 0);
    this.#framesPerS.set(labels, inbound.framesPerS);
    this.#bitrate.set(labels, inbound.bitrateBps);
    this.#loss.set(labels, inbound.lossPercent / 100);
    this.#packets.observe(labels, inbound.packetsReceived);
    this.#fecRecovered.observe(labels, inbound.fecRecovered);
    this.#retransmitted.observe(labels, inbound.retransmitted);
    this.#framesLost.observe(labels, inbound.framesLost);
    const { p50, p95 } = inbound.latencyMs;
    if (p50 !== null) this.#latency.set({ ...labels, quantile: '0.5' }, p50 / 1000);
    if (p95 !== null) this.#latency.set({ ...labels, quantile: '0.95' }, p95 / 1000);
    if (inbound.concealedPercent !== null) this.#concealed.set(labels, inbound.concealedPercent / 100);
    if (inbound.flowingSinceMs !== null) this.#flowingSince.set(labels, inbound.flowingSinceMs / 1000);
    if (inbound.lastHeardAgoMs !== null) this.#lastHeard.set(labels, inbound.lastHeardAgoMs / 1000);
  }

  #sessionState(labels: Readonly<Record<StreamLabel, string>>, current: SessionState): void {
    for (const state of SESSION_STATES) this.#session.set({ ...labels, state }, current === state ? 1 : 0);
  }

  #gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    const gauge = new Gauge({ name, help, labelNames, registers: [this.#registry] });
    this.#gauges.push(gauge);
    return gauge;
  }

  #counter<L extends string>(name: string, help: string, labelNames: readonly L[]): SnapshotCounter<L> {
    const counter = new SnapshotCounter(this.#registry, name, help, labelNames);
    this.#counters.push(counter);
    return counter;
  }
}
