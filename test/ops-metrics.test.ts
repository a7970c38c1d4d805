import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register } from 'prom-client';
import { DoorwayMetrics } from '../src/ops/index.js';
import { audioRole, videoRole } from './support/ops-status.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (version 0.0.4). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = pair[2] ?? '';
    }
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The one sample with exactly these labels; fails if there is none or more than one. */
function value(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>>): number {
  const wanted = Object.entries(labels);
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === wanted.length &&
      wanted.every(([key, v]) => s.labels[key] === v),
  );
  assert.equal(found.length, 1, `${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0]?.value ?? NaN;
}

function names(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}

const videoIn = { role: 'video', stream: 'video', direction: 'in' };
const videoOut = { role: 'video', stream: 'video', direction: 'out' };

describe('DoorwayMetrics', () => {
  it('exposes a snapshot with Prometheus names, units and labels', async () => {
    const metrics = new DoorwayMetrics();
    metrics.update(videoRole({ atMs: 1_700_000_000_000 }));
    const text = await metrics.text();
    const s = parseExposition(text);

    assert.equal(value(s, 'doorway_transport_bitrate_bits_per_second', videoIn), 6_200_000);
    assert.equal(value(s, 'doorway_transport_bitrate_bits_per_second', videoOut), 5_800_000);
    assert.equal(value(s, 'doorway_transport_target_bitrate_bits_per_second', videoOut), 6_000_000);
    assert.equal(value(s, 'doorway_transport_packets_total', videoIn), 80_000);
    assert.equal(value(s, 'doorway_transport_packets_total', videoOut), 81_234);
    assert.equal(value(s, 'doorway_transport_loss_ratio', videoIn), 0.004);
    assert.equal(value(s, 'doorway_transport_fec_recovered_total', videoIn), 120);
    assert.equal(value(s, 'doorway_transport_retransmitted_total', videoIn), 14);
    assert.equal(value(s, 'doorway_transport_frames_lost_total', videoIn), 1);
    assert.equal(value(s, 'doorway_transport_rtt_seconds', videoOut), 0.0185);
    assert.equal(value(s, 'doorway_transport_keyframe_requests_total', videoOut), 3);
    assert.equal(value(s, 'doorway_codec_frames_per_second', videoIn), 30);
    assert.equal(value(s, 'doorway_media_latency_seconds', { ...videoIn, quantile: '0.5' }), 0.042);
    assert.equal(value(s, 'doorway_media_latency_seconds', { ...videoIn, quantile: '0.95' }), 0.061);
    assert.equal(value(s, 'doorway_media_flowing', videoIn), 1);
    assert.equal(value(s, 'doorway_peer_last_heard_seconds', videoIn), 0.012);
    assert.equal(value(s, 'doorway_media_flowing_since_timestamp_seconds', videoIn), 1_699_999_940);
    assert.equal(value(s, 'doorway_media_both_ways', { role: 'video' }), 1);
    assert.equal(value(s, 'doorway_status_timestamp_seconds', { role: 'video' }), 1_700_000_000);

    // One series per session state: 1 for the current one, 0 for the rest.
    assert.equal(value(s, 'doorway_session_state', { ...videoIn, state: 'established' }), 1);
    assert.equal(value(s, 'doorway_session_state', { ...videoIn, state: 'handshaking' }), 0);
    assert.equal(names(s, 'doorway_session_state').length, 8);

    assert.equal(value(s, 'doorway_security_handshakes_total', { role: 'video' }), 2);
    assert.equal(value(s, 'doorway_security_rekeys_total', { role: 'video' }), 5);
    assert.equal(value(s, 'doorway_security_rejected_total', { role: 'video', reason: 'auth' }), 1);
    assert.equal(value(s, 'doorway_security_rejected_total', { role: 'video', reason: 'replay' }), 7);
    assert.equal(value(s, 'doorway_security_rejected_total', { role: 'video', reason: 'malformed' }), 3);

    const encoder = { role: 'video', part: 'encoder' };
    assert.equal(value(s, 'doorway_part_state', { ...encoder, state: 'running' }), 1);
    assert.equal(value(s, 'doorway_part_state', { ...encoder, state: 'failed' }), 0);
    assert.equal(value(s, 'doorway_part_handled_total', encoder), 5400);
    assert.equal(value(s, 'doorway_part_dropped_total', encoder), 2);
    assert.equal(value(s, 'doorway_part_restarts_total', { role: 'video', part: 'decoder' }), 1);
    assert.equal(value(s, 'doorway_part_handle_p99_seconds', encoder), 0.00085);

    assert.equal(value(s, 'doorway_process_resident_memory_bytes', { role: 'video' }), 210 * 1024 * 1024);
    assert.equal(value(s, 'doorway_process_heap_used_bytes', { role: 'video' }), 48 * 1024 * 1024);
    assert.equal(value(s, 'doorway_event_loop_delay_seconds', { role: 'video', quantile: '0.5' }), 0.0015);
    assert.equal(value(s, 'doorway_event_loop_delay_seconds', { role: 'video', quantile: '0.99' }), 0.009);
    assert.equal(value(s, 'doorway_event_loop_delay_max_seconds', { role: 'video' }), 0.031);
    assert.equal(value(s, 'doorway_process_cpu_ratio', { role: 'video' }), 0.375);
    assert.equal(value(s, 'doorway_process_uptime_seconds', { role: 'video' }), 3725);

    // Totals are counters (rate() works on them); figures of the moment are gauges.
    assert.match(text, /^# TYPE doorway_transport_packets_total counter$/m);
    assert.match(text, /^# TYPE doorway_part_handled_total counter$/m);
    assert.match(text, /^# TYPE doorway_transport_bitrate_bits_per_second gauge$/m);
    assert.doesNotMatch(text, /^# TYPE doorway_\S+_total gauge$/m);
  });

  it('leaves out figures the snapshot does not have yet, rather than reporting zero', async () => {
    const metrics = new DoorwayMetrics();
    metrics.update(audioRole(1_700_000_000_000, false));
    const s = parseExposition(await metrics.text());
    const audioIn = { role: 'audio', stream: 'audio', direction: 'in' };
    assert.equal(names(s, 'doorway_transport_rtt_seconds').length, 0);
    assert.equal(names(s, 'doorway_media_latency_seconds').length, 0);
    assert.equal(names(s, 'doorway_peer_last_heard_seconds').length, 0);
    assert.equal(names(s, 'doorway_media_flowing_since_timestamp_seconds').length, 0);
    assert.equal(value(s, 'doorway_media_flowing', audioIn), 0);
    assert.equal(value(s, 'doorway_audio_concealed_ratio', audioIn), 0);
    assert.equal(value(s, 'doorway_media_both_ways', { role: 'audio' }), 0);
    assert.equal(value(s, 'doorway_session_state', { ...audioIn, state: 'handshaking' }), 1);
    assert.equal(value(s, 'doorway_session_state', { ...audioIn, state: 'established' }), 0);
  });

  it('moves with the next snapshot: counters by the growth, gauges to the new value', async () => {
    const metrics = new DoorwayMetrics();
    metrics.update(videoRole({ atMs: 1_700_000_000_000 }));
    metrics.update(
      videoRole({
        atMs: 1_700_000_001_000,
        latencyP50Ms: 57,
        packetsReceived: 80_500,
        lastError: { atMs: 1_700_000_000_500, message: 'decoder restarted' },
        parts: [
          // The encoder restarted and counts from zero again; the decoder went away.
          { name: 'encoder', state: 'restarting', restarts: 1, handled: 40, dropped: 0, handleP99Us: 900 },
        ],
      }),
    );
    const s = parseExposition(await metrics.text());
    assert.equal(value(s, 'doorway_transport_packets_total', videoIn), 80_500);
    assert.equal(value(s, 'doorway_media_latency_seconds', { ...videoIn, quantile: '0.5' }), 0.057);
    assert.equal(value(s, 'doorway_status_timestamp_seconds', { role: 'video' }), 1_700_000_001);
    assert.equal(value(s, 'doorway_last_error_timestamp_seconds', { role: 'video' }), 1_700_000_000.5);

    const encoder = { role: 'video', part: 'encoder' };
    // A total that went down was a restart at zero: all 40 are new, and the counter never decreases.
    assert.equal(value(s, 'doorway_part_handled_total', encoder), 5440);
    assert.equal(value(s, 'doorway_part_dropped_total', encoder), 2);
    assert.equal(value(s, 'doorway_part_restarts_total', encoder), 1);
    assert.equal(value(s, 'doorway_part_state', { ...encoder, state: 'restarting' }), 1);
    assert.equal(value(s, 'doorway_part_state', { ...encoder, state: 'running' }), 0);
    assert.equal(
      s.filter((x) => x.labels.part === 'decoder').length,
      0,
      'a part that is gone has no series left',
    );
  });

  it('registers prom-client default process metrics on its own registry, not the global one', async () => {
    const before = (await register.metrics()).length;
    const metrics = new DoorwayMetrics();
    const other = new DoorwayMetrics(); // a second instance must not collide on names
    metrics.update(videoRole({ atMs: 1_700_000_000_000 }));
    other.update(audioRole(1_700_000_000_000, true));
    const s = parseExposition(await metrics.text());
    assert.ok(value(s, 'process_cpu_user_seconds_total', {}) >= 0);
    assert.ok(value(s, 'process_resident_memory_bytes', {}) > 0);
    assert.ok(value(s, 'nodejs_heap_size_used_bytes', {}) > 0);
    assert.ok(names(s, 'nodejs_eventloop_lag_p99_seconds').length === 1);
    assert.equal(names(s, 'doorway_process_uptime_seconds').length, 1, 'the other instance is separate');
    assert.equal(metrics.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal((await register.metrics()).length, before, 'the global registry is untouched');
  });
});
