/** The demo's latency histogram: bucket counts, and a PNG of the asked size. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bucketCounts, MARKER_COLOURS, writeLatencyHistogram } from '../src/tools/histogram.js';
import { scratch } from './support/tree.js';

describe('latency histogram', () => {
  it('counts per bucket and skips values that are not latencies', () => {
    assert.deepEqual(bucketCounts([0.2, 0.9, 1.1, 4.5, -1, Number.NaN], 1), [2, 1, 0, 0, 1]);
    assert.deepEqual(bucketCounts([3, 7], 5), [1, 1]);
    assert.deepEqual(bucketCounts([], 1), []);
  });

  it('writes a PNG with the asked width and height and the marker colours in it', () => {
    const { dir, remove } = scratch('histogram');
    try {
      const file = join(dir, 'h.png');
      writeLatencyHistogram(file, [5, 6, 6, 7, 12], {
        width: 320,
        height: 120,
        markers: [{ ms: 9, colour: MARKER_COLOURS.deadline }],
      });
      const png = readFileSync(file);
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
      assert.equal(png.readUInt32BE(16), 320);
      assert.equal(png.readUInt32BE(20), 120);
    } finally {
      remove();
    }
  });
});
