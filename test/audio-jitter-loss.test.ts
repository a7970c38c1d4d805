/**
 * Loss: a missing packet is concealed from the next packet's FEC when that is here, by PLC when
 * not; a retransmission that comes before its slot plays; one that comes after is late.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { micros } from '../src/units/index.js';
import { BLOCK_US, T0, TRANSIT_US, buffer, capture, run, stream, type Step } from './support/audio-jitter.js';

const without = (arrivals: { at: number; seq: number }[], ...seqs: number[]): { at: number; seq: number }[] =>
  arrivals.filter((a) => !seqs.includes(a.seq));
const around = (steps: Step[], from: number, to: number): (string | number | null)[][] =>
  steps.filter((s) => s.at >= capture(from) && s.at < capture(to)).map((s) => [s.kind, s.seq]);

describe('audio jitter buffer: loss', () => {
  it('conceals with FEC from the next packet when it is already here', () => {
    // 12 ms least delay: the playout runs 13 ms behind the transit floor, so packet 11 is held
    // (it arrived 30 ms after 10's capture) when 10's slot comes at 33 ms.
    const buf = buffer({ minDelayUs: micros(12_000) });
    const steps = run(buf, without(stream(0, 20), 10), T0 + 3_000, T0 + 20 * BLOCK_US);
    assert.deepEqual(around(steps, 12, 15), [
      ['play', 9],
      ['conceal', 11],
      ['play', 11],
    ]);
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.fecMs, s.concealedMs], [1, 0, 10, 0]);
  });

  it('conceals by PLC when nothing later is here, and charges the loss when the next packet comes', () => {
    const buf = buffer();
    const steps = run(buf, without(stream(0, 20), 10), T0 + 3_000, T0 + 20 * BLOCK_US);
    assert.deepEqual(around(steps, 11, 14), [
      ['play', 9],
      ['conceal', null],
      ['play', 11],
    ]);
    assert.ok(steps.filter((s) => s.kind === 'play').every((s) => s.addedDelayUs === 3_000));
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.fecMs, s.concealedMs], [1, 0, 0, 10]);
  });

  it('conceals a run of missing packets by PLC, then FEC for the one just before the next', () => {
    const buf = buffer({ minDelayUs: micros(22_000) });
    const steps = run(buf, without(stream(0, 20), 10, 11), T0 + 3_000, T0 + 20 * BLOCK_US);
    assert.deepEqual(around(steps, 13, 17), [
      ['play', 9],
      ['conceal', null],
      ['conceal', 12],
      ['play', 12],
    ]);
    assert.equal(buf.stats.lost, 2);
  });

  it('plays a retransmission that arrives before its slot, even after the next packet', () => {
    const buf = buffer({ minDelayUs: micros(12_000) });
    const arrivals = [...without(stream(0, 20), 10), { at: capture(10) + 32_000, seq: 10 }];
    const steps = run(buf, arrivals, T0 + 3_000, T0 + 20 * BLOCK_US);
    assert.deepEqual(around(steps, 12, 15), [
      ['play', 9],
      ['play', 10],
      ['play', 11],
    ]);
    assert.deepEqual([buf.stats.lost, buf.stats.late, buf.stats.concealedMs], [0, 0, 0]);
  });

  it('drops as late a retransmission that arrives after its slot was concealed', () => {
    const buf = buffer();
    // 60 packets first, so one slow transit does not move the 95th percentile.
    const arrivals = [...without(stream(0, 80), 60), { at: capture(60) + 28_000, seq: 60 }];
    const steps = run(buf, arrivals, T0 + 3_000, T0 + 80 * BLOCK_US);
    assert.deepEqual(around(steps, 61, 64), [
      ['play', 59],
      ['conceal', null],
      ['play', 61],
    ]);
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.concealedMs], [0, 1, 10]);
  });

  it('plays on after a short sender pause without counting anything lost or late', () => {
    const buf = buffer();
    // Packets from 10 on were captured 50 ms later than a steady clock would say.
    const arrivals = stream(0, 30).map((a) =>
      a.seq < 10 ? a : { ...a, at: a.at + 50_000, captureUs: capture(a.seq) + 50_000 },
    );
    const steps = run(buf, arrivals, T0 + 3_000, T0 + 365_000);
    assert.deepEqual(
      steps.filter((s) => s.kind === 'conceal').map((s) => s.seq),
      [null, null, null, null, null],
    );
    assert.deepEqual(
      steps.filter((s) => s.kind === 'play').map((s) => s.seq),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.ok(steps.filter((s) => s.kind === 'play').every((s) => s.addedDelayUs === 3_000));
    const s = buf.stats;
    assert.deepEqual([s.lost, s.late, s.concealedMs], [0, 0, 50]);
    assert.equal(s.transitFloorMs, TRANSIT_US / 1000);
  });
});
