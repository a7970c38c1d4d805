/**
 * kill -9 of a media process under a restart loop that behaves as systemd's Restart=always with
 * RestartSec=1: media in both directions resumes within 5 s, with no new handshake needed from an
 * operator, and the audio processes of both sites never notice.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { roleLoop, writeSitePair } from '../src/tools/site-pair.js';
import type { RestartLoop } from '../src/tools/restart-loop.js';
import { builtProfile, flowingSince, receiving, waitForStatus } from './support/site-pair.js';
import { CLI, scratch } from './support/tree.js';

test('a SIGKILLed video process is back with media both ways within 5 s; audio never stops', async (t) => {
  const tmp = scratch('doorway-kill-');
  const pair = await writeSitePair({
    dir: tmp.dir,
    profile: builtProfile(),
    camera: { width: 320, height: 180, fps: 30 },
  });
  const loops: RestartLoop[] = [];
  for (const site of [pair.a, pair.b]) {
    for (const role of ['video', 'audio'] as const) {
      const loop = roleLoop(CLI, site, role);
      loop.start();
      loops.push(loop);
    }
  }
  after(async () => {
    await Promise.all(loops.map((l) => l.stop()));
    tmp.remove();
  });
  const [aVideo, aAudio, , bAudio] = loops;
  assert.ok(aVideo !== undefined && aAudio !== undefined && bAudio !== undefined);

  for (const site of [pair.a, pair.b]) {
    await waitForStatus(site, 'video', receiving('video'), 30_000);
    await waitForStatus(site, 'audio', receiving('audio'), 30_000);
  }
  const audioBefore = await waitForStatus(pair.b, 'audio', receiving('audio'), 2000);

  for (let kill = 0; kill < 2; kill++) {
    const oldPid = aVideo.pid;
    const killedAt = Date.now();
    assert.ok(aVideo.kill('SIGKILL'), 'the video process of site A was running');
    // Site B hears video again: it has flowed since after the kill (a pause restarts the clock).
    const bBack = await waitForStatus(
      pair.b,
      'video',
      (s) => (flowingSince(s, 'video') ?? 0) > killedAt,
      15_000,
    );
    // Site A's new process (a new pid) receives B's video: B's session re-opened to it.
    const aBack = await waitForStatus(
      pair.a,
      'video',
      (s) => s.process.pid !== oldPid && flowingSince(s, 'video') !== null,
      15_000,
    );
    const resumedMs =
      Math.max(
        flowingSince(bBack.status, 'video') ?? Infinity,
        flowingSince(aBack.status, 'video') ?? Infinity,
      ) - killedAt;
    t.diagnostic(`kill ${kill + 1}: media both ways again ${resumedMs} ms after kill -9`);
    assert.ok(resumedMs <= 5000, `media both ways resumed ${resumedMs} ms after kill -9 (limit 5000)`);
    assert.equal(aVideo.starts, kill + 2, 'the restart loop started the video process again');
  }

  // The audio processes ran through it all: same processes, media flowing, no restart.
  assert.equal(aAudio.starts, 1);
  assert.equal(bAudio.starts, 1);
  const audioAfter = await waitForStatus(pair.b, 'audio', receiving('audio'), 2000);
  assert.equal(audioAfter.status.process.pid, audioBefore.status.process.pid);
  const heard = audioAfter.status.inbound.find((i) => i.stream === 'audio');
  assert.ok(heard !== undefined && heard.packetsReceived > 0);
});
