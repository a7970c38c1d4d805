/**
 * The site's speakers and microphone decide the echo canceller's layout: a bad value is a one-line
 * ConfigError naming the field, the default is a doorway's (one speaker mix, one microphone), and
 * the choice reaches both the send leg's and the shared port's engine options.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { planRole } from '../src/appliance/index.js';
import { loadSiteConfig } from '../src/config/index.js';
import { writeSitePair } from '../src/tools/site-pair.js';
import { builtProfile } from './support/site-pair.js';
import { assertConfigErrorNaming, audioVariants } from './support/site-audio.js';
import { HARDWARE, scratch } from './support/tree.js';

const tmp = scratch('doorway-echo-layout-');
after(() => {
  tmp.remove();
});
const pair = await writeSitePair({ dir: tmp.dir, profile: builtProfile() });

const siteWithAudio = audioVariants(tmp.dir, pair.a.file);

it('a bad speakers value is a one-line ConfigError naming devices.audio.speakers', () => {
  assertConfigErrorNaming(siteWithAudio('bad-speakers', { speakers: 'quad' }), 'devices.audio.speakers');
});

it('a bad microphone value is a one-line ConfigError naming devices.audio.microphone', () => {
  assertConfigErrorNaming(siteWithAudio('bad-microphone', { microphone: 2 }), 'devices.audio.microphone');
});

for (const [speakers, microphone, expected] of [
  [undefined, undefined, { echoReference: 'mono', echoCapture: 'mono' }],
  ['stereo', undefined, { echoReference: 'stereo', echoCapture: 'mono' }],
  ['one-mix', 'stereo', { echoReference: 'mono', echoCapture: 'stereo' }],
] as const) {
  it(`speakers ${speakers ?? '(default)'}, microphone ${microphone ?? '(default)'} → ${expected.echoReference}/${expected.echoCapture}`, () => {
    const file = siteWithAudio(`layout-${speakers}-${microphone}`, {
      ...(speakers === undefined ? {} : { speakers }),
      ...(microphone === undefined ? {} : { microphone }),
    });
    const plan = planRole(loadSiteConfig(file, { hardwareDir: HARDWARE }), 'all');
    const audio = plan.outbound.find((o) => o.stream === 'audio');
    assert.ok(audio?.stream === 'audio');
    assert.deepEqual(audio.echoLayout, expected);
    if (plan.duplexAudio !== null) assert.deepEqual(plan.duplexAudio.echoLayout, expected);
  });
}
