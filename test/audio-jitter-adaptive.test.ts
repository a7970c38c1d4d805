/** The target follows measured jitter: up at once when it grows, decaying after it is gone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { T0, after, buffer, capture, count, run, stream, TRANSIT_US } from './support/audio-jitter.js';

describe('audio jitter buffer: adaptive target', () => {
  it('raises the target with jitter (expanding to it) and lets it decay once the jitter is gone', () => {
    const buf = buffer();
    // 3 s quiet, 3 s with every fourth packet 15 ms slow (no reordering), then quiet again.
    const jittery = (seq: number): number => (seq >= 300 && seq < 600 && seq % 4 === 0 ? 15_000 : 0);
    const all = stream(0, 1700, (seq) => TRANSIT_US + jittery(seq));
    run(buf, all, T0 + 3_000, capture(300));
    assert.equal(buf.targetDelay, 2_000);
    const during = run(buf, after(all, capture(300)), capture(300), capture(600));
    assert.equal(buf.targetDelay, 17_000, '15 ms above the floor covers the 95th percentile, + margin');
    assert.ok(count(during, 'expand') >= 1, 'the playout moved to the new target by expanding');
    // The first dozen slow packets come too late: 5 % of the window must see the jitter first.
    const learning = during.filter((s) => s.kind === 'conceal');
    assert.ok(learning.length <= 12, `${learning.length} concealed`);
    assert.ok(
      learning.every((s) => s.at < capture(350)),
      'nothing concealed once the target covers the jitter',
    );
    assert.ok(buf.stats.late >= learning.length);
    const quiet = run(buf, after(all, capture(600)), capture(600), capture(1600));
    // Two seconds for the slow packets to leave the window, then a 2 s half-life.
    const target = buf.stats.targetDelayMs;
    assert.ok(target < 5, `${target} ms`);
    assert.ok(count(quiet, 'accelerate') >= 2, 'the playout followed the target down');
    assert.equal(count(quiet, 'conceal'), 0);
    assert.equal(count(quiet, 'expand'), 0);
    const lastPlay = quiet.filter((s) => s.kind === 'play' || s.kind === 'accelerate').at(-1);
    // Within a block (10 ms) of the target: shortening needs the next packet held.
    assert.ok((lastPlay?.addedDelayUs ?? Infinity) <= target * 1000 + 10_000);
  });
});
