/**
 * A packet now and then later than the path's usual jitter, but well inside the buffer's added
 * delay: the speaker must play it, not a concealment. The pipeline used to decide a block with no
 * packet a block before the device played it (the queue runs one block ahead), and concealed such
 * packets unless the buffer's margin covered that lead; now nothing is decided without a packet
 * and only the port's thread conceals, at the last moment.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { AudioReceivePipeline } from '../src/audio/index.js';
import { loadAudio } from './support/audio-addon.js';
import { constantPcmBlock } from './support/pcm.js';

// 10 ms blocks, where the old early decision cost the most: it concealed any packet that was not
// held a block (10 ms) before the speaker played it.
const BLOCK_FRAMES = 480;
const BLOCK_US = 10_000;
const PACKETS = 400;
/** One packet in this many arrives `LATE_US` after the others' transit (3 %, under the p95). */
const LATE_EVERY = 33;
/**
 * Above the usual jitter of this 1 ms sender, and 3 ms or more inside what the buffer can still
 * play (about 6.5 ms here), so a busy machine's late timer turn does not push it past.
 */
const LATE_US = 3000;

const pcmBlock = (): Uint8Array => constantPcmBlock(BLOCK_FRAMES, 3000);

describe('a late packet within the added delay', () => {
  it('is played, not concealed, though the queue runs a block ahead', async () => {
    const clock = (): number => (performance.timeOrigin + performance.now()) * 1000;
    const speaker = new AudioReceivePipeline({
      addon: loadAudio(),
      port: { port: 'clocked', source: 'silence', sink: 'null' },
      codec: 'pcm',
      blockFrames: BLOCK_FRAMES,
      clock,
    });
    speaker.start();
    const startUs = clock();
    const due = (seq: number): number => startUs + seq * BLOCK_US + (seq % LATE_EVERY === 7 ? LATE_US : 0);
    let sent = 0;
    const pending = new Set<number>();
    const timer = setInterval(() => {
      const now = clock();
      while (sent < PACKETS && startUs + sent * BLOCK_US <= now) pending.add(sent++);
      for (const seq of pending) {
        if (due(seq) > now) continue;
        pending.delete(seq);
        speaker.accept(seq, startUs + seq * BLOCK_US, pcmBlock());
      }
    }, 1);
    try {
      while (sent < PACKETS || pending.size > 0) await sleep(20);
      // Past the buffer's idle time: what it concealed after the last packet is the stream's end.
      await sleep(500);
    } finally {
      clearInterval(timer);
    }
    const stats = speaker.stats();
    speaker.close();
    const said = JSON.stringify({ ...stats, markersPlayedUs: undefined });
    assert.equal(stats.jitter.late, 0, said);
    assert.equal(stats.jitter.concealedMs, 0, said);
    assert.equal(stats.gapBlocks, 0, said);
  });
});
