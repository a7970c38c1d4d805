/**
 * The clocked port's synthetic room: what the speaker plays reaches the microphone after the room's
 * delay at its gain, so one engine that plays and captures hears its own echo; with the echo
 * canceller on, the same engine removes it, because its far end is exactly what it played.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaError } from '../src/errors/index.js';
import { loadAudio } from './support/audio-addon.js';
import { until } from './support/video.js';

const addon = loadAudio();
const FRAMES = 240;
const CHANNELS = 2;
const BLOCK_MS = 5;

/**
 * Seeded bursts of white noise at about -20 dBFS with pauses between, as 16-bit PCM blocks (the
 * engine's `pcm` codec): talk-like on and off, so the canceller's comfort noise does not take a
 * stationary far end for background noise.
 */
function burstBlocks(count: number, seed: number): Uint8Array[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const amplitude = 0.1 * Math.sqrt(3);
  let talking = true;
  let left = 40;
  return Array.from({ length: count }, () => {
    if (--left <= 0) {
      talking = !talking;
      left = talking ? 20 + Math.floor(random() * 40) : 10 + Math.floor(random() * 30);
    }
    const bytes = new Uint8Array(FRAMES * CHANNELS * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < FRAMES * CHANNELS; i++) {
      const sample = talking ? (random() - 0.5) * 2 * amplitude : 0;
      view.setInt16(2 * i, Math.round(sample * 32767), true);
    }
    return bytes;
  });
}

function energy(packet: Uint8Array): number {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  let sum = 0;
  for (let i = 0; i < packet.length / 2; i++) sum += (view.getInt16(2 * i, true) / 32767) ** 2;
  return sum;
}

interface RoomRun {
  /** Energy the microphone captured over the last 1.5 s against what the speaker played, dB. */
  readonly echoDb: number;
  /** Blocks between the first played and the first captured block with sound in it. */
  readonly lagBlocks: number;
}

/** Plays talk-like noise through one engine in a room for `seconds`; what did its microphone hear? */
async function runRoom(echoCancel: boolean, seconds: number): Promise<RoomRun> {
  const talk = burstBlocks(2000, 7);
  const captured: number[] = [];
  const played: number[] = [];
  let firstHeard = -1;
  const play = (): void => {
    const block = talk[played.length % talk.length] ?? new Uint8Array(0);
    played.push(energy(block));
    engine.play(block);
  };
  const engine = addon.createEngine(
    {
      port: 'clocked',
      source: 'silence',
      sinkLatencyFrames: 240,
      roomEchoDelayMs: 20,
      roomEchoGainDb: -6,
      codec: 'pcm',
      blockFrames: FRAMES,
      echoCancel,
    },
    (event) => {
      if (event.kind !== 'block' || event.packet === null) return;
      const heard = energy(event.packet);
      if (firstHeard < 0 && heard > 1e-3) firstHeard = captured.length;
      captured.push(heard);
      // Keep two blocks queued behind the one playing, so the speaker never runs dry.
      while (event.queued + (played.length - captured.length) < 2) play();
    },
  );
  play();
  play();
  engine.start();
  const blocks = (seconds * 1000) / BLOCK_MS;
  try {
    await until(`${blocks} blocks`, () => captured.length >= blocks, seconds * 1000 + 5000);
  } finally {
    engine.close();
  }
  const window = 1500 / BLOCK_MS;
  const sum = (values: number[]): number => values.reduce((a, v) => a + v, 0);
  const from = captured.length - window;
  const ratio = sum(captured.slice(from)) / sum(played.slice(from, captured.length));
  return { echoDb: 10 * Math.log10(Math.max(ratio, 1e-12)), lagBlocks: firstHeard };
}

describe('a clocked port with a synthetic room', () => {
  it('hears what it played, at the room gain, after the sink latency and the room delay', async (t) => {
    const run = await runRoom(false, 2);
    t.diagnostic(`echo ${run.echoDb.toFixed(1)} dB after ${run.lagBlocks} blocks`);
    assert.ok(Math.abs(run.echoDb - -6) < 1.5, `echo at ${run.echoDb.toFixed(1)} dB, room gain -6 dB`);
    // 5 ms of sink latency plus 20 ms of room: five 5 ms blocks, give or take the block edge.
    assert.ok(run.lagBlocks >= 4 && run.lagBlocks <= 6, `first echo after ${run.lagBlocks} blocks`);
  });

  it('with the echo canceller on, the same engine removes its own echo', async (t) => {
    const run = await runRoom(true, 4);
    t.diagnostic(`residual echo ${run.echoDb.toFixed(1)} dB`);
    // The room returns -6 dB; with the doorway's chain (canceller, suppression, gain control) at
    // least 24 dB more must be gone once it has converged. Measured: about -45 dB.
    assert.ok(run.echoDb < -30, `residual echo ${run.echoDb.toFixed(1)} dB`);
  });

  it('refuses a room delay out of range in one line', () => {
    assert.throws(
      () => addon.createEngine({ port: 'clocked', roomEchoDelayMs: 900 }, () => undefined),
      (err: unknown) =>
        err instanceof MediaError && err.message.includes('roomEchoDelayMs must be an integer in -1..500'),
    );
  });
});
