/**
 * Camera loss on the appliance: site A's video role is a real `doorway run --role video` whose
 * camera is the emulated V4L2 camera (preloaded), configured with `whenLost: "pattern"`. The camera
 * is unplugged after 11 s of frames and can be opened again 3 s later. Site B sees A's video all
 * along: A's pictures, then placeholder pictures with no pause, then A's pictures again. A says the
 * camera was lost (its last error, its log), keeps feeding systemd's watchdog, and reacquires the
 * camera when it returns, with no restart of the process or of any part of it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RoleStatus } from '../src/ops/index.js';
import { RestartLoop } from '../src/tools/restart-loop.js';
import { fetchStatus, roleLoop, runArgs, writeSitePair } from '../src/tools/site-pair.js';
import { EMULATED_CAMERA, emulatedCameraEnv, prepareCameraEmulator } from './support/camera-emulator.js';
import { NotifyListener } from './support/notify-listener.js';
import { builtProfile, flowingSince, receiving, setSiteCamera } from './support/site-pair.js';
import { CLI, scratch } from './support/tree.js';
import { loadVideo } from './support/video.js';

const FPS = 30;
/**
 * Frames before the unplug: 11 s. The service feeds the watchdog for its first 10 s whatever its
 * encoder does (startup grace), so only a loss after that tests the watchdog verdict for real;
 * site B is receiving long before it.
 */
const LOSE_AFTER_FRAMES = 11 * FPS;
/** How long the camera stays away; long enough for a few once-a-second samples inside the loss. */
const BACK_MS = 3000;
/** How long site B is watched after the camera is back. */
const AFTER_MS = 2000;
/** systemd's WatchdogSec for site A: the service feeds it every half of this while healthy. */
const WATCHDOG_USEC = 1_000_000;

const video = loadVideo();
const emulator = video.features.includes('v4l2')
  ? prepareCameraEmulator()
  : { skip: 'this build has no v4l2 feature' };
const skip = 'skip' in emulator ? emulator.skip : false;

/** A line of a `doorway run` process's JSON log that matters here. */
interface LogLine {
  readonly atMs: number;
  readonly msg: string;
  readonly device: string | null;
  readonly detail: string | null;
}

function parseLogLine(line: string): LogLine | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const fields = json as Record<string, unknown>;
  if (typeof fields.time !== 'string' || typeof fields.msg !== 'string') return null;
  return {
    atMs: Date.parse(fields.time),
    msg: fields.msg,
    device: typeof fields.device === 'string' ? fields.device : null,
    detail: typeof fields.detail === 'string' ? fields.detail : null,
  };
}

/** Polls `find` until it gives something, failing after `timeoutMs` with `what`. */
async function waitFor<T>(
  what: string | (() => string),
  find: () => T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      assert.fail(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await sleep(50);
  }
}

function inboundVideo(status: RoleStatus): RoleStatus['inbound'][number] {
  const inbound = status.inbound.find((i) => i.stream === 'video');
  assert.ok(inbound !== undefined, `${status.site} has an inbound video stream`);
  return inbound;
}

function outboundVideo(status: RoleStatus): RoleStatus['outbound'][number] {
  const outbound = status.outbound.find((o) => o.stream === 'video');
  assert.ok(outbound !== undefined, `${status.site} has an outbound video stream`);
  return outbound;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

test(
  'camera unplugged at site A: placeholder video reaches site B without a pause, the watchdog is fed, the camera is reacquired',
  { skip },
  async (t) => {
    if ('skip' in emulator) return;
    const tmp = scratch('doorway-camera-loss-');
    const pair = await writeSitePair({
      dir: tmp.dir,
      profile: builtProfile(),
      // 320x240 at 30 fps is a mode the emulated camera offers (NV12).
      camera: { width: 320, height: 240, fps: FPS },
    });
    setSiteCamera(pair.a, {
      source: 'v4l2',
      device: EMULATED_CAMERA,
      width: 320,
      height: 240,
      fps: FPS,
      whenLost: 'pattern',
    });
    const notify = await NotifyListener.start(join(tmp.dir, 'notify.sock'));
    const aLog: LogLine[] = [];
    const aStderr: string[] = [];
    const aVideo = new RestartLoop({
      name: 'site-a/video',
      command: process.execPath,
      args: [CLI, ...runArgs(pair.a, 'video')],
      env: {
        ...process.env,
        ...emulatedCameraEnv(emulator.preload, {
          EMUCAM_LOSE_AFTER: String(LOSE_AFTER_FRAMES),
          EMUCAM_BACK_MS: String(BACK_MS),
        }),
        NOTIFY_SOCKET: join(tmp.dir, 'notify.sock'),
        WATCHDOG_USEC: String(WATCHDOG_USEC),
      },
      onStdout: (line) => {
        const parsed = parseLogLine(line);
        if (parsed !== null) aLog.push(parsed);
      },
      onStderr: (line) => aStderr.push(line),
    });
    const bVideo = roleLoop(CLI, pair.b, 'video');
    const startedAt = Date.now();
    aVideo.start();
    bVideo.start();

    // Both roles' snapshots (one a second each), collected all along and judged afterwards.
    const seen: { a: RoleStatus[]; b: RoleStatus[] } = { a: [], b: [] };
    const polling = new AbortController();
    const poller = (async () => {
      while (!polling.signal.aborted) {
        for (const [key, site] of [
          ['a', pair.a],
          ['b', pair.b],
        ] as const) {
          const status = await fetchStatus(site, 'video');
          const list = seen[key];
          if (status !== null && status.atMs !== list.at(-1)?.atMs) list.push(status);
        }
        await sleep(200);
      }
    })();
    after(async () => {
      polling.abort();
      await poller;
      await Promise.all([aVideo.stop(), bVideo.stop()]);
      notify.stop();
      tmp.remove();
    });

    const firstFlow = await waitFor(
      "site B receiving site A's video",
      () => seen.b.find(receiving('video')),
      15_000,
    );
    const lost = await waitFor(
      () => `site A to log the camera lost (its stderr: ${aStderr.join(' | ') || 'nothing'})`,
      () => aLog.find((l) => l.msg === 'device lost'),
      25_000,
    );
    const back = await waitFor(
      'site A to log the camera back',
      () => aLog.find((l) => l.msg === 'device back'),
      BACK_MS + 5000,
    );
    await waitFor(
      `${AFTER_MS} ms of site B after the camera came back`,
      () => seen.b.find((s) => s.atMs >= back.atMs + AFTER_MS),
      AFTER_MS + 3000,
    );
    polling.abort();
    await poller;
    const endedAt = Date.now();

    // Before the loss: B receives A's camera.
    const bBefore = seen.b.filter((s) => s.atMs < lost.atMs && receiving('video')(s));
    const bLastBefore = bBefore.at(-1);
    assert.ok(
      firstFlow.atMs < lost.atMs && bLastBefore !== undefined,
      'site B received site A video before the camera went away',
    );
    t.diagnostic(
      `before the loss: B received A's video ${firstFlow.atMs - startedAt} ms after start; ` +
        `B fps median ${median(bBefore.map((s) => inboundVideo(s).framesPerS))} over ${bBefore.length} samples`,
    );

    // The loss: one, named, in A's log and in A's status.
    const detail = `camera ${EMULATED_CAMERA}: VIDIOC_DQBUF: No such device`;
    assert.equal(lost.device, 'camera');
    assert.equal(lost.detail, detail);
    const aLost = seen.a.find(
      (s) => s.atMs >= lost.atMs && s.lastError?.message === `camera lost: ${detail}`,
    );
    assert.ok(aLost !== undefined, "site A's status names the lost camera as its last error");
    const reportedMs = aLost.atMs - lost.atMs;
    assert.ok(
      reportedMs <= 1500,
      `site A's status said so ${reportedMs} ms after the loss (sampled each 1 s)`,
    );
    // The service's startup grace runs from before it logs that it is up: a lower bound.
    const roleUp = aLog.find((l) => l.msg === 'doorway role up');
    assert.ok(roleUp !== undefined, "site A logged 'doorway role up'");
    const intoRunMs = lost.atMs - roleUp.atMs;
    assert.ok(
      intoRunMs >= 10_000,
      `the loss came ${intoRunMs} ms after site A was up, after the 10 s startup grace`,
    );
    t.diagnostic(
      `loss: camera lost ${lost.atMs - startedAt} ms after start (${intoRunMs} ms after A was up); ` +
        `A's status named it ${reportedMs} ms later; A's notFlowingBecause then: ${JSON.stringify(aLost.notFlowingBecause)}`,
    );

    // During the loss (a whole once-a-second window inside it): B still receives and decodes
    // A's video, now the placeholder; A still produces and sends it.
    const inLoss = (s: RoleStatus): boolean => s.atMs - 1000 >= lost.atMs && s.atMs <= back.atMs;
    const bDuring = seen.b.filter(inLoss);
    const aDuring = seen.a.filter(inLoss);
    assert.ok(bDuring.length >= 1 && aDuring.length >= 1, 'samples of both sites inside the loss');
    for (const s of bDuring) {
      const inbound = inboundVideo(s);
      assert.ok(
        inbound.flowing && inbound.framesPerS > 0,
        `B receives during the loss: ${JSON.stringify(inbound)}`,
      );
      assert.ok(
        inbound.latencyMs.p50 !== null,
        'B decodes the placeholder pictures (their pixel code is read)',
      );
    }
    for (const s of aDuring) {
      const outbound = outboundVideo(s);
      assert.ok(
        outbound.producing && outbound.framesPerS > 0 && outbound.session === 'established',
        `A sends the placeholder during the loss: ${JSON.stringify(outbound)}`,
      );
      assert.equal(outbound.deviceLost, true, "A's status says the camera is lost");
      assert.match(s.notFlowingBecause ?? '', /the camera is gone; sending a placeholder until it is back/);
    }
    const bFpsDuring = bDuring.map((s) => inboundVideo(s).framesPerS);
    t.diagnostic(
      `during the loss: B fps ${bFpsDuring.join(', ')}; B capture→decoded p50 ${bDuring.map((s) => inboundVideo(s).latencyMs.p50).join(', ')} ms; ` +
        `A sends ${aDuring.map((s) => outboundVideo(s).framesPerS).join(', ')} fps`,
    );

    // The watchdog: fed through the loss as at any time; never a gap systemd would act on.
    const feeds = notify.received.filter((n) => n.text === 'WATCHDOG=1').map((n) => n.atMs);
    assert.ok(
      notify.received.some((n) => n.text.startsWith('READY=1')),
      'site A told systemd it is ready',
    );
    const watched = feeds.filter((at) => at >= lost.atMs - 1000);
    const gaps = watched.slice(1).map((at, i) => at - (watched[i] ?? at));
    const maxGap = Math.max(...gaps);
    const fedDuring = feeds.filter((at) => at >= lost.atMs && at <= back.atMs).length;
    const expectedDuring = Math.floor((back.atMs - lost.atMs) / (WATCHDOG_USEC / 2000));
    assert.ok(
      watched.length >= 2 && maxGap < WATCHDOG_USEC / 1000,
      `watchdog fed from 1 s before the loss to the end with at most ${maxGap} ms between feeds (WatchdogSec ${WATCHDOG_USEC / 1000} ms)`,
    );
    assert.ok(
      fedDuring >= expectedDuring - 1,
      `watchdog fed ${fedDuring} times during the loss (about ${expectedDuring} expected)`,
    );
    const statusLines = notify.received.filter((n) => n.text.startsWith('STATUS=')).map((n) => n.text);
    t.diagnostic(
      `watchdog: ${fedDuring} feeds during the ${back.atMs - lost.atMs} ms loss, longest gap ${maxGap} ms; systemd status lines: ${JSON.stringify(statusLines)}`,
    );

    // Back: reopened once the device can be opened again (tried every 500 ms).
    const gapMs = back.atMs - lost.atMs;
    assert.equal(back.device, 'camera');
    assert.ok(
      gapMs >= BACK_MS - 100 && gapMs <= BACK_MS + 1500,
      `camera back ${gapMs} ms after lost (emulated camera away ${BACK_MS} ms)`,
    );
    const bAfter = seen.b.filter((s) => s.atMs - 1000 >= back.atMs);
    assert.ok(bAfter.length >= 1, 'samples of B after the camera came back');
    for (const s of bAfter) {
      const inbound = inboundVideo(s);
      assert.ok(
        inbound.flowing && inbound.framesPerS > 0 && inbound.latencyMs.p50 !== null,
        `B receives A's camera again: ${JSON.stringify(inbound)}`,
      );
    }
    const aLast = seen.a.at(-1);
    assert.ok(aLast !== undefined && outboundVideo(aLast).producing, 'A produces from its camera again');
    assert.equal(outboundVideo(aLast).deviceLost, false, "A's status says the camera is back");
    assert.equal(aLast.notFlowingBecause, null);
    t.diagnostic(
      `after: camera back ${gapMs} ms after lost (the emulated camera was away ${BACK_MS} ms; reopened every 500 ms); ` +
        `B fps ${bAfter.map((s) => inboundVideo(s).framesPerS).join(', ')}; A's lastError still ${JSON.stringify(aLast.lastError?.message ?? null)}`,
    );

    // No pause at B across the loss and the reacquire: "flowing since" never restarted.
    const since = flowingSince(bLastBefore, 'video');
    for (const s of seen.b.filter((x) => x.atMs > bLastBefore.atMs)) {
      assert.equal(
        flowingSince(s, 'video'),
        since,
        `B's video paused for more than 0.5 s (snapshot at ${s.atMs - lost.atMs} ms from the loss)`,
      );
    }
    const bErrors = seen.b.map((s) => s.lastError).filter((e) => e !== null && e.atMs >= lost.atMs);
    assert.deepEqual(bErrors, [], 'B reported no error through the loss and the reacquire');

    // Handled inside the leg: one loss, one reacquire, no process or part restarted.
    assert.deepEqual(
      aLog.filter((l) => l.msg === 'device lost' || l.msg === 'device back').map((l) => l.msg),
      ['device lost', 'device back'],
    );
    assert.equal(aVideo.starts, 1, 'site A video process never restarted');
    assert.equal(bVideo.starts, 1, 'site B video process never restarted');
    assert.deepEqual(
      aLast.parts.filter((p) => p.restarts > 0).map((p) => p.name),
      [],
      'no part of site A restarted',
    );
    t.diagnostic(`whole scenario ${endedAt - startedAt} ms`);
  },
);
