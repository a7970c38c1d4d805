/**
 * The audio engine on the clocked synthetic port: it paces blocks on the realtime clock, encodes
 * the microphone with Opus or PCM, plays what it is given, and reports marker bursts at both ends.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { AudioEngineEvent } from '../src/media/index.js';
import { loadAudio } from './support/audio-addon.js';
import { until } from './support/video.js';

const addon = loadAudio();

describe('the audio engine on a clocked port', () => {
  it('paces 10 ms blocks in real time and encodes each with Opus', async () => {
    const sizes: number[] = [];
    const captures: number[] = [];
    const engine = addon.createEngine({ port: 'clocked', source: 'speech' }, (e) => {
      if (e.kind === 'block' && e.packet !== null) {
        sizes.push(e.packet.length);
        captures.push(e.captureUs);
      }
    });
    const started = performance.now();
    engine.start();
    await sleep(1000);
    engine.close();
    const elapsed = performance.now() - started;
    // One block per 10 ms of wall time (a few in flight at either end).
    assert.ok(Math.abs(sizes.length - elapsed / 10) <= 8, `${sizes.length} blocks in ${elapsed} ms`);
    const steps = captures.slice(1).map((c, i) => c - (captures[i] ?? 0));
    assert.ok(
      steps.every((s) => Math.abs(s - 10_000) < 1),
      'capture times step by exactly one block',
    );
    // Opus at 128 kbit/s: about 160 bytes per 10 ms, far below PCM's 1920.
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    assert.ok(mean > 40 && mean < 400, `mean packet ${mean} bytes`);
    assert.equal(engine.stats().encodeErrors, 0);
  });

  it('plays packets it is given, with no underrun once fed', async () => {
    let fed = 0;
    const player = addon.createEngine(
      { port: 'clocked', source: 'silence', codec: 'pcm', send: false },
      () => {
        // Engines are fed from the microphone engine below.
      },
    );
    const mic = addon.createEngine({ port: 'clocked', source: 'tone', codec: 'pcm' }, (e) => {
      if (e.kind === 'block' && e.packet !== null) {
        assert.equal(player.play(e.packet), 480);
        fed++;
      }
    });
    player.start();
    mic.start();
    await until('50 blocks fed', () => fed >= 50);
    const before = player.stats().underruns;
    await until('50 more', () => fed >= 100);
    const stats = player.stats();
    mic.close();
    player.close();
    assert.ok(stats.underruns - before <= 2, `underruns while fed: ${stats.underruns - before}`);
    assert.equal(stats.corruptPackets, 0);
    // The speaker started a moment after the microphone: a block or two behind what was fed.
    assert.ok(stats.playedBlocks >= 95, `played ${stats.playedBlocks}`);
  });

  it('conceals a packet it cannot decode instead of failing', () => {
    const player = addon.createEngine(
      { port: 'clocked', source: 'silence', codec: 'pcm', send: false },
      () => {
        // Not started: decoding needs no running port.
      },
    );
    assert.equal(player.play(new Uint8Array(7)), 480);
    assert.equal(player.conceal(null), 480);
    assert.equal(player.expand(), 480);
    assert.equal(player.stats().corruptPackets, 1);
    player.close();
  });

  it('reports each marker burst when captured and when its onset is played', async () => {
    const events: AudioEngineEvent[] = [];
    const speaker = addon.createEngine(
      { port: 'clocked', source: 'silence', markers: true, codec: 'pcm', send: false },
      (e) => {
        if (e.kind === 'marker-played') events.push(e);
      },
    );
    const mic = addon.createEngine(
      { port: 'clocked', source: 'markers', markers: true, codec: 'pcm' },
      (e) => {
        if (e.kind === 'marker-captured') events.push(e);
        if (e.kind === 'block' && e.packet !== null) speaker.play(e.packet);
      },
    );
    speaker.start();
    mic.start();
    await until(
      'two bursts played',
      () => events.filter((e) => e.kind === 'marker-played').length >= 2,
      3000,
    );
    mic.close();
    speaker.close();
    const captured = events.filter((e) => e.kind === 'marker-captured');
    const played = events.filter((e) => e.kind === 'marker-played');
    assert.ok(captured.length >= 2);
    const first = captured[0];
    const heard = played[0];
    assert.ok(first?.kind === 'marker-captured' && heard?.kind === 'marker-played');
    // Bursts every 500 ms; played within a few blocks of capture (PCM, one block queued).
    const latencyMs = (heard.dacUs - first.captureUs) / 1000;
    assert.ok(latencyMs > 5 && latencyMs < 60, `marker latency ${latencyMs} ms`);
  });

  it('refuses bad options with one line each, a bad source or sink when it starts', () => {
    const noop = (): void => undefined;
    const starting = (options: Parameters<typeof addon.createEngine>[0]) => () => {
      const engine = addon.createEngine(options, noop);
      try {
        engine.start();
      } finally {
        engine.close();
      }
    };
    assert.throws(starting({ port: 'clocked', source: 'nonsense' }), /unknown source "nonsense"/);
    assert.throws(
      starting({ port: 'clocked', source: 'file:/nonexistent/x.wav' }),
      /"\/nonexistent\/x\.wav": No such file/,
    );
    assert.throws(starting({ port: 'clocked', sink: 'bogus' }), /unknown sink "bogus"/);
    assert.throws(
      starting({ port: 'portaudio', capture: 'no-such-microphone' }),
      /audio device "no-such-microphone": no such capture device/,
    );
    assert.throws(
      () => addon.createEngine({ port: 'clocked', codec: 'mp3' as 'pcm' }, noop),
      /codec must be "opus" or "pcm"/,
    );
    assert.throws(
      () => addon.createEngine({ port: 'clocked', blockFrames: 300 as 240 }, noop),
      /blockFrames must be 240/,
    );
  });
});
