/**
 * A JS thread that stalls while the jitter buffer holds packets: the port's own thread plays
 * them (the rescue), in order, each once, and the speaker never plays silence. Every packet is a
 * PCM block at its own level, so the sink's recording shows what was played and in which order:
 * a repeat steps the level back, a gap is silence, a concealed block fades below its level.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constantPcmBlock } from './support/pcm.js';
import { playThroughStalls, STALLED_BLOCK_FRAMES as BLOCK_FRAMES } from './support/audio-stalls.js';
import { scratch } from './support/tree.js';
import { readFloatWav } from './support/wav.js';

const PACKETS = 160;
const levelOf = (seq: number): number => 0.05 + 0.005 * seq;

/** One 10 ms block at the packet's level. */
const pcmBlock = (seq: number): Uint8Array =>
  constantPcmBlock(BLOCK_FRAMES, Math.round(levelOf(seq) * 32767));

describe('the rescue plays held packets while the JS thread stalls', () => {
  it('plays every packet once, in order, with no gap through three 60 ms stalls', async () => {
    const dir = scratch('rescue-held');
    const sink = join(dir.dir, 'speaker.wav');
    const stats = await playThroughStalls({
      port: { port: 'clocked', source: 'silence', sink: `file:${sink}` },
      packets: PACKETS,
      payload: pcmBlock,
      betweenMs: 250,
    });

    const said = JSON.stringify({ ...stats, markersPlayedUs: undefined });
    assert.equal(stats.gapBlocks, 0, said);
    // Each stall outlasts the queue by about five blocks, which the port's thread played.
    assert.ok(stats.engine.rescuedBlocks >= 9, `rescued ${stats.engine.rescuedBlocks}; ${said}`);
    // (Concealment after the stream's last packet is the stream's end; the recording below shows
    // that none was played inside the stream.)
    // This thread's decisions for them came late and were skipped, not played twice.
    assert.ok(stats.engine.skippedDecisions >= 9, said);
    assert.equal(stats.engine.heldMissing, 0, said);

    // What the speaker played, block by block: each block one packet's level, levels only
    // rising. The exception is a block the buffer stretched (PCM's expand fades, a shortened block
    // crossfades two levels), which the jitter stats count: the playout starts right at the
    // expand threshold, so one or two expands are the buffer at work, not the rescue.
    const wav = readFloatWav(sink);
    dir.remove();
    const left: number[] = [];
    for (let i = 0; i < wav.samples.length; i += wav.channels) left.push(wav.samples[i] ?? 0);
    const first = left.findIndex((v) => v > 0.01);
    // The stream ends with its last packet; the concealment that fades out after it is its end.
    let last = left.length - 1;
    while (last > first && Math.abs((left[last] ?? 0) - levelOf(PACKETS - 1)) > 0.0005) last--;
    assert.ok(first >= 0, 'the speaker played the stream');
    const stretchedAllowed = Math.ceil((stats.jitter.expandedMs + stats.jitter.acceleratedMs) / 10) * 2;
    assert.ok(stretchedAllowed <= 4, `stretched ${stretchedAllowed / 2} blocks; ${said}`);
    let seq = 0;
    let stretched = 0;
    const seen = new Set<number>();
    for (let block = first; block <= last; block += BLOCK_FRAMES) {
      const samples = left.slice(block, Math.min(block + BLOCK_FRAMES, last + 1));
      const nearest = Math.round(((samples[0] ?? 0) - 0.05) / 0.005);
      if (!samples.every((v) => Math.abs(v - levelOf(nearest)) < 0.0005)) {
        // A gap or a concealment would be one too: counted against what the stats say was stretched.
        stretched++;
        continue;
      }
      assert.ok(
        nearest >= seq,
        `packet ${nearest} played again after ${seq} (block at ${block - first}); ${said}`,
      );
      seq = nearest;
      seen.add(nearest);
    }
    // A stretched block may straddle two of the speaker's blocks.
    assert.ok(stretched <= stretchedAllowed, `${stretched} blocks of no one packet's level; ${said}`);
    // Every packet reached the speaker except those the buffer shortened away entirely.
    assert.ok(seen.size >= PACKETS - 10, `${seen.size} of ${PACKETS} packets heard`);
    assert.equal(seq, PACKETS - 1);
  });
});
