/**
 * Echo from the far room. Site A's microphone is silent but sits in a synthetic room with its
 * speaker, so everything A sends back is the echo of site B's talker. The audio role opens one
 * port for both directions, which makes what A's speaker played the canceller's far end: B hears
 * almost none of itself. With the canceller turned off in A's site file, the same room returns the
 * echo at about the room's gain; that also shows the microphone really hears A's own speaker.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { writeSitePair } from '../src/tools/site-pair.js';
import { RecordingNotifier, startSiteInProcess, until } from './support/in-process-site.js';
import { builtProfile } from './support/site-pair.js';
import { scratch } from './support/tree.js';
import { meanEnergy, readFloatWav } from './support/wav.js';

const ROOM = { echoDelayMs: 20, echoGainDb: -6 };
/** How long media flows before the levels are read, and the span read at its end. */
const RUN_S = 6;
const MEASURED_S = 3;

const tmp = scratch('echo');
after(() => {
  tmp.remove();
});

interface EchoRun {
  /** What B heard of A (the echo of B) against what A's speaker played of B, dB. */
  readonly echoReturnDb: number;
  /** Level of B's talker at A's speaker, dBFS. */
  readonly farEndDbfs: number;
}

async function runRooms(name: string, echoCancel: boolean | undefined): Promise<EchoRun> {
  const dir = join(tmp.dir, name);
  const heard = (site: string): string => join(dir, site, 'heard.wav');
  const pair = await writeSitePair({
    dir,
    profile: builtProfile(),
    capture: (site) => (site === 'site-a' ? 'synthetic:silence' : 'synthetic:speech'),
    playback: (site) => `file:${heard(site)}`,
    audio: (site) =>
      site === 'site-a' ? { syntheticRoom: ROOM, ...(echoCancel === undefined ? {} : { echoCancel }) } : {},
  });
  const a = await startSiteInProcess(pair.a, new RecordingNotifier(null), null, 'audio');
  const b = await startSiteInProcess(pair.b, new RecordingNotifier(null), null, 'audio');
  try {
    const inbound = (status: ReturnType<typeof a.service.status>): boolean =>
      status.inbound.some((i) => i.stream === 'audio' && i.flowing);
    await until(
      'audio flowing both ways',
      () => (inbound(a.service.status()) && inbound(b.service.status()) ? true : null),
      15_000,
    );
    await sleep(RUN_S * 1000);
  } finally {
    await a.service.stop();
    await b.service.stop();
  }
  const atA = readFloatWav(heard('site-a'));
  const atB = readFloatWav(heard('site-b'));
  // Both files end within a few ms of each other: compare the same last seconds of each.
  const last = (wav: typeof atA): [number, number] => {
    const seconds = wav.samples.length / wav.channels / wav.sampleRate;
    return [seconds - MEASURED_S, seconds];
  };
  const farEnd = meanEnergy(atA, ...last(atA));
  const echo = meanEnergy(atB, ...last(atB));
  assert.ok(farEnd > 1e-5, `A's speaker played B's talker (${farEnd})`);
  return {
    echoReturnDb: 10 * Math.log10(Math.max(echo, 1e-12) / farEnd),
    farEndDbfs: 10 * Math.log10(farEnd),
  };
}

test('without echo cancellation the far room returns the talker at about its gain', async (t) => {
  const run = await runRooms('off', false);
  t.diagnostic(`far end ${run.farEndDbfs.toFixed(1)} dBFS, echo returned ${run.echoReturnDb.toFixed(1)} dB`);
  // The room's -6 dB, give or take what Opus and the jitter buffer do to level and timing.
  assert.ok(
    Math.abs(run.echoReturnDb - ROOM.echoGainDb) < 3,
    `echo returned at ${run.echoReturnDb.toFixed(1)} dB`,
  );
});

test('with one duplex port the canceller removes the echo of what the speaker played', async (t) => {
  const run = await runRooms('on', undefined);
  t.diagnostic(`far end ${run.farEndDbfs.toFixed(1)} dBFS, echo returned ${run.echoReturnDb.toFixed(1)} dB`);
  // At least 20 dB below the room's echo once the canceller has converged.
  assert.ok(run.echoReturnDb < ROOM.echoGainDb - 20, `echo returned at ${run.echoReturnDb.toFixed(1)} dB`);
});
