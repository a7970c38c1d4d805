/**
 * The rescue when the port's own thread is starved too: it wakes past the half block where it
 * checks for an empty queue (a busy machine's scheduler). It must still play the held packets
 * itself, at once, rather than skip the check and let the device take silence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAudio } from './support/audio-addon.js';
import { constantPcmBlock } from './support/pcm.js';
import { playThroughStalls, STALLED_BLOCK_FRAMES as BLOCK_FRAMES } from './support/audio-stalls.js';

const PACKETS = 120;

const pcmBlock = (): Uint8Array => constantPcmBlock(BLOCK_FRAMES, 3000);

describe('the rescue from a late service thread', () => {
  it('plays held packets through three 60 ms stalls although the thread always wakes past its check', async () => {
    const stats = await playThroughStalls({
      // 7 ms after every tick: the half-block check (5 ms) is always overdue when the thread runs.
      port: { port: 'clocked', source: 'silence', sink: 'null', serviceLateUs: 7000 },
      packets: PACKETS,
      payload: pcmBlock,
      betweenMs: 200,
    });

    const said = JSON.stringify({ ...stats, markersPlayedUs: undefined });
    assert.equal(stats.gapBlocks, 0, said);
    assert.ok(stats.engine.rescuedBlocks >= 9, `rescued ${stats.engine.rescuedBlocks}; ${said}`);
    assert.equal(stats.engine.heldMissing, 0, said);
  });

  it('refuses a lateness of a block or more, naming the option', () => {
    assert.throws(
      () =>
        loadAudio().createEngine(
          { port: 'clocked', source: 'silence', serviceLateUs: 10_000, blockFrames: BLOCK_FRAMES },
          () => undefined,
        ),
      /serviceLateUs/,
    );
  });
});
