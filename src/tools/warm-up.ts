/**
 * Runs a short simulated exchange through the same code before the real one starts, so the
 * first real frames do not pay for JIT compilation: on a fresh process the first frames took
 * 30–40 ms longer than the rest and missed a 43 ms deadline.
 */
import { millis } from '../netsim/index.js';
import type { RepairCoder } from '../protocol/index.js';
import { simulateTransport } from './simulate.js';

export function warmUpTransport(bitrateBps: number, repair: RepairCoder): void {
  simulateTransport({
    forward: { delay: millis(1), loss: { kind: 'bernoulli', p: 0.02 } },
    durationS: 0.4,
    bitrateBps: Math.min(bitrateBps, 50e6),
    deadlineMs: 100,
    keyframeInterval: 10,
    repair,
  });
}
