/**
 * A speaker whose JS thread stalls while the far end keeps sending: 10 ms PCM blocks delivered
 * from this thread, as a transport here would, through three 60 ms stalls.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AudioReceivePipeline, type AudioReceiveStats } from '../../src/audio/index.js';
import type { AudioPortOptions } from '../../src/media/index.js';
import { micros } from '../../src/units/index.js';
import { loadAudio } from './audio-addon.js';

export const STALLED_BLOCK_FRAMES = 480;
const BLOCK_US = 10_000;

/** Keeps the JS thread busy: no timer, no I/O, no native wake-up is served meanwhile. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy on purpose.
  }
}

/**
 * Plays `packets` blocks (`payload(seq)`, PCM) through `port`. The far end captured on time; this
 * thread delivers whatever is due every 2 ms, late after a stall. Half a second in, it stalls
 * three times for 60 ms, `betweenMs` apart. Resolves with the speaker's stats once all played out.
 */
export async function playThroughStalls(o: {
  readonly port: AudioPortOptions;
  readonly packets: number;
  readonly payload: (seq: number) => Uint8Array;
  readonly betweenMs: number;
}): Promise<AudioReceiveStats> {
  // µs on the realtime clock, as the engine reports.
  const clock = (): number => (performance.timeOrigin + performance.now()) * 1000;
  const speaker = new AudioReceivePipeline({
    addon: loadAudio(),
    port: o.port,
    codec: 'pcm',
    blockFrames: STALLED_BLOCK_FRAMES,
    clock,
    // At least eight packets held (the start waits for the target less the expand band): more
    // than a stall needs.
    jitter: {
      minDelayUs: micros(140_000),
      initialTargetUs: micros(140_000),
      expandBelowUs: micros(60_000),
    },
  });
  speaker.start();
  const startUs = clock();
  let sent = 0;
  const deliver = (): void => {
    const now = clock();
    while (sent < o.packets && startUs + sent * BLOCK_US <= now) {
      speaker.accept(sent, startUs + sent * BLOCK_US, o.payload(sent));
      sent++;
    }
  };
  const timer = setInterval(deliver, 2);
  try {
    await sleep(500);
    for (let i = 0; i < 3; i++) {
      stall(60);
      await sleep(o.betweenMs);
    }
    while (sent < o.packets) await sleep(20);
    // Played out.
    await sleep(300);
  } finally {
    clearInterval(timer);
  }
  const stats = speaker.stats();
  speaker.close();
  return stats;
}
