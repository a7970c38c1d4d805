/** Late and duplicate packets are dropped and counted; neither disturbs the playout. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { micros } from '../src/units/index.js';
import { T0, TRANSIT_US, buffer, capture, packet } from './support/audio-jitter.js';

describe('audio jitter buffer: late and duplicate packets', () => {
  it('counts a second copy of a held packet and of a played one as duplicates', () => {
    const buf = buffer();
    const at = capture(1) + TRANSIT_US;
    buf.insert(micros(at), packet(0));
    buf.insert(micros(at), packet(1));
    buf.insert(micros(at), packet(1));
    assert.equal(buf.bufferedPackets, 2);
    const first = buf.next(micros(at));
    assert.equal(first.kind === 'play' && first.packet.seq, 0);
    buf.insert(micros(at + 1), packet(0));
    const s = buf.stats;
    assert.deepEqual([s.duplicates, s.late, s.inserted], [2, 0, 2]);
  });

  it('drops a packet whose slot has passed as late, and still measures its transit', () => {
    const buf = buffer();
    buf.insert(micros(capture(0) + TRANSIT_US), packet(0));
    buf.next(micros(capture(0) + TRANSIT_US));
    buf.output(480);
    buf.insert(micros(capture(2) + TRANSIT_US), packet(2));
    // Slot 1: missing while 2 is here: FEC from 2, and 1 is given up.
    const d = buf.next(micros(capture(1) + TRANSIT_US));
    assert.equal(d.kind === 'conceal' && d.fecFrom?.seq, 2);
    buf.output(480);
    buf.insert(micros(capture(1) + TRANSIT_US + 25_000), packet(1));
    const s = buf.stats;
    assert.deepEqual([s.late, s.lost, s.duplicates, s.bufferedPackets], [1, 1, 0, 1]);
    assert.ok((s.jitterMs ?? 0) >= 25, 'the late transit raised the measured jitter');
    assert.ok(buf.targetDelay >= 27_000);
  });

  it('takes packets in any order before their slots', () => {
    const buf = buffer();
    const at = capture(3) + TRANSIT_US;
    for (const seq of [2, 0, 3, 1]) buf.insert(micros(at), packet(seq));
    const seqs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const d = buf.next(micros(at + i * 10_000));
      if (d.kind === 'play' || d.kind === 'accelerate') seqs.push(d.packet.seq);
      buf.output(480);
    }
    assert.deepEqual(seqs, [0, 1, 2, 3]);
    assert.equal(T0, capture(0));
  });
});
