/**
 * Echo cancellation through a real sound server: the engine plays far-end speech (the echo
 * harness's speech proxy) into the private PulseAudio's null sink, and its microphone is the
 * sink's monitor, turned down to ECHO_GAIN_DB like a room's echo return loss: what was played
 * comes back after the server's real buffering. The same setup is run twice. Without the
 * canceller the far end comes back whole: one steady delay, at ECHO_GAIN_DB. With it, after
 * convergence, at least 30 dB of that echo is gone and the canceller has found the delay itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PulseEngine, samples, type ClosedLine } from './support/pulse-engine.js';
import { MAX_LAG, RATE, db, echoLags, power } from './support/pulse-engine-signal.js';
import { SINK, pactl, startPulseAudio, type PulseAudio } from './support/pulseaudio.js';

const SECONDS = 12;
/** The canceller has converged by then; ERLE is judged from here to the end. */
const CONVERGED_S = 5;
const ECHO_GAIN_DB = -10;

interface Heard {
  closed: ClosedLine;
  /** The far end as queued, and the microphone as the engine sent it, block-aligned. */
  queued: Float32Array;
  heard: Float32Array;
  log: string;
}

async function runOnce(
  pulse: PulseAudio,
  echoCancel: boolean,
  retryOnXrun: boolean,
): Promise<Heard | { xrun: string }> {
  const engine = new PulseEngine(pulse, { signal: 'speech', depth: 12, echoCancel, recordSeconds: SECONDS });
  try {
    await engine.until(
      `${SECONDS} s of blocks`,
      () => engine.blocks() >= SECONDS * 100,
      (SECONDS + 10) * 1000,
    );
    // From the 50th block (0.5 s, before the first second judged) to the close, which may leave
    // the server's stream empty on its way out: a stream that starts on a loaded machine may
    // underrun once while it fills, before anything is measured.
    const from = engine.blocksAt(50) ?? Number.POSITIVE_INFINITY;
    const serverUnderruns = pulse.underrunTimes.filter((at) => at >= from).length;
    // Each as seconds after the 10th block, for the diagnostic of a run measured again.
    const tenth = engine.blocksAt(10) ?? 0;
    const underrunsAt = pulse.underrunTimes
      .filter((at) => at >= tenth)
      .map((at) => `${((at - tenth) / 1000).toFixed(2)} s`);
    const closed = await engine.close();
    assert.ok(closed.record !== undefined);
    const r = {
      closed,
      queued: samples(closed.record.queued),
      heard: samples(closed.record.heard),
      log: engine.log(),
    };
    // The port ran clean, so block n heard and block n played came from the same callback.
    const s = closed.stats;
    // A sound-server xrun breaks that alignment: the server's stream ran dry while the machine
    // stalled its client (reported by PortAudio, or only in the server's log: after a stall the
    // plugin often says nothing, and the echo path moves by tens of milliseconds). Such a run is
    // measured again, once; the duplex test holds the port to no xruns at all.
    // So does a stream that stopped as it started (PortAudio's ALSA capture poll failing on the
    // plugin, seen once under load) and was reacquired by the engine before its first block: the
    // blocks queued ahead went out around the restart. The reacquire test covers the recovery.
    const xruns = s.deviceXruns + serverUnderruns;
    const lostAtStart = engine.events().filter((e) => e.kind === 'lost' && e.blocks === 0).length;
    const restartedAtStart = lostAtStart > 0 && s.lost === lostAtStart && s.reacquired === lostAtStart;
    if (
      retryOnXrun &&
      (xruns > 0 || restartedAtStart) &&
      s.underruns + s.overruns === 0 &&
      (s.lost === 0 || restartedAtStart)
    ) {
      return {
        xrun:
          `${s.deviceXruns} xruns from PortAudio, ${serverUnderruns} in the server's log ` +
          `(server underruns at ${underrunsAt.join(', ')}), ${lostAtStart} restarts before the first block`,
      };
    }
    assert.deepEqual(
      [s.underruns, s.overruns, s.deviceXruns, serverUnderruns, s.lost, s.eventsDropped],
      [0, 0, 0, 0, 0, 0],
      `underruns, overruns, device xruns, server underruns, lost, events dropped: ` +
        `${JSON.stringify(s)}\n${r.log}`,
    );
    assert.equal(r.heard.length, SECONDS * RATE);
    return r;
  } finally {
    engine.kill();
  }
}

/** A run, and why it was measured again when it was. */
async function run(pulse: PulseAudio, echoCancel: boolean): Promise<Heard & { again?: string }> {
  const first = await runOnce(pulse, echoCancel, true);
  if (!('xrun' in first)) return first;
  const second = await runOnce(pulse, echoCancel, false);
  assert.ok(!('xrun' in second));
  return { ...second, again: first.xrun };
}

/** Echo (the far end at `lag`, scaled by the path's gain) over what is left, from CONVERGED_S on. */
function erleDb(r: Heard, lag: number, gainDb: number): number {
  const from = CONVERGED_S * RATE;
  const to = r.heard.length;
  const echo = power(r.queued, from - lag, to - lag) * 10 ** (gainDb / 10);
  return db(echo / power(r.heard, from, to));
}

describe('echo cancellation through a PulseAudio null sink and its monitor', () => {
  let pulse: PulseAudio | undefined;

  before(async () => {
    pulse = await startPulseAudio();
    await pactl(pulse.clientEnv, ['set-source-volume', `${SINK}.monitor`, `${ECHO_GAIN_DB}dB`]);
  });

  after(async () => {
    await pulse?.close();
  });

  it('hears the echo whole without the canceller, and 30 dB less with it', async (t) => {
    assert.ok(pulse !== undefined, 'the PulseAudio server did not start');
    const off = await run(pulse, false);
    const on = await run(pulse, true);

    // Without the canceller: the far end, one steady delay, at the monitor's gain. Checked on
    // every second that has speech in it, so a slip anywhere in the path would show.
    const lags = echoLags(off.queued, off.heard);
    const lag = lags[0]?.lag ?? -1;
    const level = db(
      power(off.heard, RATE, off.heard.length) / power(off.queued, RATE - lag, off.heard.length - lag),
    );
    const offErle = erleDb(off, lag, ECHO_GAIN_DB);
    const onErle = erleDb(on, lag, ECHO_GAIN_DB);
    const found = on.closed.stats.echo?.delayEstimateMs;
    t.diagnostic(
      `echo ${lag / 48} ms at ${level.toFixed(2)} dB (correlation ${Math.min(...lags.map((l) => l.correlation)).toFixed(4)} ` +
        `or better in ${lags.length} s); ERLE without the canceller ${offErle.toFixed(1)} dB, with it ` +
        `${onErle.toFixed(1)} dB; delay found ${String(found)} ms`,
    );
    for (const [name, r] of [
      ['without', off],
      ['with', on],
    ] as const) {
      if (r.again !== undefined) t.diagnostic(`the run ${name} the canceller was measured again: ${r.again}`);
    }
    assert.ok(lags.length >= 6, `speech in only ${lags.length} s`);
    assert.ok(lag > 0 && lag < MAX_LAG, `echo delay ${lag} samples`);
    for (const l of lags) {
      assert.ok(l.correlation >= 0.99 && Math.abs(l.lag - lag) <= 2, JSON.stringify(lags));
    }
    assert.ok(Math.abs(level - ECHO_GAIN_DB) <= 1, `echo at ${level} dB`);
    assert.ok(Math.abs(offErle) <= 1, `ERLE ${offErle} dB without the canceller`);

    assert.ok(onErle >= 30, `ERLE ${onErle} dB`);
    // Found by the canceller itself (delay-agnostic) and within its extended filter's 128 ms. Not
    // compared with the delay measured without it: APM counts it from its own alignment of the far
    // end, which our hint (the port's latencies, 90 ms here) seeds: 40 ms found at a 70 ms echo.
    assert.ok(found !== undefined && found >= 0 && found <= 128, `delay found ${String(found)} ms`);
  });
});
