/**
 * The PortAudio port when its sound server dies and comes back: ALSA's "pulse" device against a
 * private PulseAudio (support/pulseaudio.ts). Killed (SIGKILL, as if it crashed), the device is
 * reported lost and no block flows; restarted, the port has it back and blocks flowing again
 * within 1 s of the server answering. Three times over, so one lucky reopen cannot pass it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PulseEngine } from './support/pulse-engine.js';
import { startPulseAudio, type PulseAudio } from './support/pulseaudio.js';

const CYCLES = 3;
/** From the server answering again to the device reacquired and blocks flowing. */
const REACQUIRE_WITHIN_MS = 1000;

describe('the PortAudio port when PulseAudio dies and comes back', () => {
  let pulse: PulseAudio | undefined;

  before(async () => {
    // Fails, with what is missing, when the test packages are not installed.
    pulse = await startPulseAudio();
  });

  after(async () => {
    await pulse?.close();
  });

  it(`reports it lost, and reacquired within ${REACQUIRE_WITHIN_MS} ms of its restart`, async (t) => {
    const server = pulse;
    assert.ok(server !== undefined, 'the PulseAudio server did not start');
    const engine = new PulseEngine(server, { signal: 'tone', depth: 12 });
    try {
      await engine.until('blocks from the running engine', () => engine.blocks() >= 50, 10_000);
      const figures: string[] = [];
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const killed = engine.mark(`cycle ${cycle}: killing the server`);
        await server.stop('SIGKILL');
        await engine.until('a lost event', () => engine.eventSince('lost', killed) !== undefined, 3_000);
        const lost = engine.eventSince('lost', killed);
        assert.ok(lost !== undefined);
        assert.match(lost.detail, /^audio device "pulse": lost \(/, engine.log());

        const restarting = engine.mark('restarting the server');
        await server.restart();
        // From the moment `pactl info` first got an answer, before the harness resumed the sink.
        const answers = server.answeredAt;
        engine.mark(`server answered at ${answers}, ready`);
        await engine.until(
          'a reacquired event',
          () => engine.eventSince('reacquired', restarting) !== undefined,
          5_000,
        );
        const reacquired = engine.eventSince('reacquired', restarting);
        assert.ok(reacquired !== undefined);
        assert.match(
          reacquired.detail,
          /^audio device "pulse": reacquired \(portaudio capture "pulse" \(2 ch\), playback "pulse"/,
          engine.log(),
        );
        // Nothing flowed while the device was gone.
        assert.equal(reacquired.blocks, lost.blocks, engine.log());
        await engine.until('blocks after the reacquire', () => engine.blocks() >= lost.blocks + 10, 5_000);
        const flowing = engine.blocksAt(lost.blocks + 10);
        assert.ok(flowing !== undefined);
        const reacquiredMs = reacquired.at - answers;
        const flowingMs = flowing - answers;
        figures.push(
          `cycle ${cycle}: lost ${lost.at - killed} ms after the kill, reacquired ${reacquiredMs} ms ` +
            `and 10 blocks played ${flowingMs} ms after the server answered`,
        );
        assert.ok(reacquiredMs <= REACQUIRE_WITHIN_MS, `${figures.join('; ')}\n${engine.log()}`);
        assert.ok(flowingMs <= REACQUIRE_WITHIN_MS, `${figures.join('; ')}\n${engine.log()}`);
        // Running again, not just reopened.
        await engine.until('50 blocks after the reacquire', () => engine.blocks() >= lost.blocks + 50, 5_000);
      }
      t.diagnostic(figures.join('; '));

      const closed = await engine.close();
      // The counters agree with the events: one loss and one reacquire a cycle.
      const seen = engine.events();
      assert.equal(closed.stats.lost, CYCLES, engine.log());
      assert.equal(closed.stats.reacquired, CYCLES, engine.log());
      assert.equal(seen.filter((l) => l.kind === 'lost').length, CYCLES, engine.log());
      assert.equal(seen.filter((l) => l.kind === 'reacquired').length, CYCLES, engine.log());
      assert.ok(closed.stats.capturedBlocks >= engine.blocks(), engine.log());
    } finally {
      engine.kill();
    }
  });
});
