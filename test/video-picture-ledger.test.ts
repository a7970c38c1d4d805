/**
 * The recv report when it decodes: capture time from the pixels where readable, else from the
 * transport; on time means decoded within the deadline; frames never decoded are lost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PictureLedger } from '../src/tools/report.js';

const transport = {
  packets: 0,
  fecRecovered: 0,
  retransmitted: 0,
  nacks: 0,
  keyframeRequests: 0,
  rttMs: 0,
  malformed: 0,
};
const video = { decoded: 3, decodeErrors: 1, codeReadFailures: 1, presented: 3 };

describe('PictureLedger', () => {
  it('measures from the pixel code, falls back to the transport, and counts lost frames', () => {
    const ledger = new PictureLedger(20);
    ledger.complete(0, 1_000_000, 1_003_000);
    ledger.decoded(0, 1_000_500, 1_008_500); // pixels say 1_000_500: 8 ms
    ledger.complete(1, 1_016_000, 1_019_000);
    ledger.decoded(1, null, 1_046_000); // no code: transport capture, 30 ms: late
    ledger.complete(2, 1_033_000, 1_036_000); // never decoded: lost
    ledger.decoded(3, 1_050_000, 1_060_000); // decoded without a complete event: 10 ms
    ledger.presented(0, 1_010_000);
    ledger.presented(0, 1_090_000); // a second present of the same frame is ignored
    const lines = ledger.lines();
    assert.deepEqual(
      lines.map((l) => [l.id, l.status, l.fromPixels]),
      [
        [0, 'on-time', true],
        [1, 'late', false],
        [2, 'lost', false],
        [3, 'on-time', true],
      ],
    );
    assert.equal(lines[0]?.presentedUs, 1_010_000);
    const report = ledger.report(transport, 1, video, true);
    assert.deepEqual(report.frames, { expected: 4, received: 3, onTime: 2, late: 1, lost: 1, corrupt: 1 });
    assert.equal(report.latencyMs.p50, 10);
    assert.equal(report.latencyMs.max, 30);
    assert.equal(report.presentedLatencyMs?.p50, 9.5);
    assert.deepEqual(report.video, video);
    assert.equal(ledger.report(transport, 1, video, false).presentedLatencyMs, undefined);
  });
});
