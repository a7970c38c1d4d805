/**
 * `devices.audio.playbackLatencyMs`, for a speaker behind a sound server: a bad value is a
 * one-line ConfigError naming the field; a good one reaches the playback port's engine options,
 * shared port included; left out, the port asks the device for its own low latency.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { planRole } from '../src/appliance/index.js';
import { loadSiteConfig } from '../src/config/index.js';
import { writeSitePair } from '../src/tools/site-pair.js';
import { builtProfile } from './support/site-pair.js';
import { assertConfigErrorNaming, audioVariants } from './support/site-audio.js';
import { HARDWARE, scratch } from './support/tree.js';

const tmp = scratch('doorway-playback-latency-');
after(() => {
  tmp.remove();
});
const pair = await writeSitePair({ dir: tmp.dir, profile: builtProfile() });

/** Site A on sound-card devices named `pulse`, with `audio` merged into devices.audio. */
const variant = audioVariants(tmp.dir, pair.a.file);
const siteWithAudio = (name: string, audio: Record<string, unknown>): string =>
  variant(name, { capture: 'pulse', playback: 'pulse', echoCancel: false, ...audio });

for (const bad of [501, -1, 12.5, '60']) {
  it(`playbackLatencyMs ${JSON.stringify(bad)} is a one-line ConfigError naming the field`, () => {
    const file = siteWithAudio(`bad-${String(bad)}`, { playbackLatencyMs: bad });
    assertConfigErrorNaming(file, 'devices.audio.playbackLatencyMs');
  });
}

it('60 ms reaches the playback port and the shared port', () => {
  const plan = planRole(
    loadSiteConfig(siteWithAudio('sixty', { playbackLatencyMs: 60 }), { hardwareDir: HARDWARE }),
    'all',
  );
  const inbound = plan.inbound.find((i) => i.stream === 'audio');
  assert.deepEqual(inbound?.port, { port: 'portaudio', playback: 'pulse', playbackLatencyMs: 60 });
  assert.deepEqual(plan.duplexAudio?.port, {
    port: 'portaudio',
    capture: 'pulse',
    playback: 'pulse',
    playbackLatencyMs: 60,
  });
  // The microphone's leg has no speaker to ask it of.
  const outbound = plan.outbound.find((o) => o.stream === 'audio');
  assert.deepEqual(outbound?.port, { port: 'portaudio', capture: 'pulse' });
});

it('left out, no port asks for more than the device gives', () => {
  const plan = planRole(loadSiteConfig(siteWithAudio('default', {}), { hardwareDir: HARDWARE }), 'all');
  const inbound = plan.inbound.find((i) => i.stream === 'audio');
  assert.deepEqual(inbound?.port, { port: 'portaudio', playback: 'pulse' });
  assert.deepEqual(plan.duplexAudio?.port, { port: 'portaudio', capture: 'pulse', playback: 'pulse' });
});
