/**
 * `playbackDueUs()` on the clocked port: when the port next checks its queue (1 ms before a tick),
 * one block later per block queued, one block later per tick, NaN before the port runs.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { loadAudio } from './support/audio-addon.js';

const addon = loadAudio();
const nowUs = (): number => performance.timeOrigin * 1000 + performance.now() * 1000;

describe('the audio engine: playback due time', () => {
  it('follows the port’s ticks and its queue', async () => {
    let ticks = 0;
    const dueAtTick: number[] = [];
    const engine = addon.createEngine(
      { port: 'clocked', source: 'silence', codec: 'pcm', send: false },
      (e) => {
        if (e.kind !== 'block') return;
        ticks++;
        if (engine.queued() === 0) dueAtTick.push(engine.playbackDueUs());
      },
    );
    assert.ok(Number.isNaN(engine.playbackDueUs()), 'NaN before the port runs');
    engine.start();
    try {
      await sleep(300);
      // With nothing queued the next check is at most a block away, and never long past (it may
      // be just past: between the check and the tick).
      const ahead = engine.playbackDueUs() - nowUs();
      assert.ok(ahead > -2_000 && ahead <= 10_000, `due ${ahead} µs from now`);
      // Each tick moves it by exactly one 10 ms block.
      const steps = dueAtTick.slice(1).map((d, i) => d - (dueAtTick[i] ?? 0));
      assert.ok(steps.length >= 10, `${ticks} ticks`);
      assert.ok(
        steps.every((s) => s % 10_000 === 0 && s > 0),
        `steps ${steps.join(' ')}`,
      );
      // Each queued block moves it one block later. (A tick between the reads pops one block and
      // moves the check by one, which cancels out, unless it falls before the first block is
      // queued: then the figure is a block more, and the test tries again.)
      let moved = Number.NaN;
      for (let tries = 0; tries < 5 && moved !== 20_000; tries++) {
        engine.clearPlayback();
        const before = engine.playbackDueUs();
        engine.expand();
        engine.expand();
        moved = engine.playbackDueUs() - before;
        await sleep(1);
      }
      assert.equal(moved, 20_000);
    } finally {
      engine.close();
    }
  });
});
