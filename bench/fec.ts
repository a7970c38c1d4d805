/**
 * Erasure-code throughput: encode and worst-case decode (every repair shard used) of the frame
 * sizes doorway sends, in Mbit/s of source data. Several timed rounds per case; the median counts,
 * because the bench machine's two cores are shared.
 */
import { loadavg } from 'node:os';
import { blockShapes, ErasureCoder, repairCountFor } from '../src/fec/index.js';
import { publish, target, type Target } from './results.js';

const SHARD = 1200;
const ROUNDS = 9;
const ROUND_MS = 250;
const GOAL_MBPS = 100;

interface Case {
  readonly name: string;
  readonly label: string;
  readonly sources: number;
  readonly repairs: number;
}

const CASES: readonly Case[] = [
  { name: 'p-frame', label: '720p60 8 Mbit/s frame, 17 KB, 20% repair', sources: 14, repairs: 3 },
  { name: 'keyframe', label: 'keyframe, 150 KB, 20% repair', sources: 125, repairs: 25 },
  { name: '3k-keyframe', label: '3K keyframe, 1.5 MB, 10% repair', sources: 1250, repairs: 125 },
];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? Number.NaN;
}

/** Milliseconds per call of `fn`, one figure per round. */
function rounds(fn: () => void): number[] {
  const start = performance.now();
  while (performance.now() - start < ROUND_MS) fn(); // warm-up: let V8 optimise
  const perCall: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let calls = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      fn();
      calls++;
      elapsed = performance.now() - t0;
    } while (elapsed < ROUND_MS);
    perCall.push(elapsed / calls);
  }
  return perCall;
}

function randomShards(count: number): Uint8Array[] {
  let x = 0x12345678;
  return Array.from({ length: count }, () => {
    const shard = new Uint8Array(SHARD);
    for (let i = 0; i < SHARD; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      shard[i] = x >>> 24;
    }
    return shard;
  });
}

/** Loses, in every block, as many sources as it has repairs: decode has to use every repair. */
function worstCaseLoss(k: number, m: number): Uint8Array {
  const shapes = blockShapes(k, m);
  const received = new Uint8Array(k + m).fill(1);
  const lost = new Array<number>(shapes.length).fill(0);
  for (let g = 0; g < k; g++) {
    const b = g % shapes.length;
    if ((lost[b] ?? 0) < (shapes[b]?.repairs ?? 0)) {
      received[g] = 0;
      lost[b] = (lost[b] ?? 0) + 1;
    }
  }
  return received;
}

function measure(c: Case): { encodeMs: number[]; decodeMs: number[]; blocks: number } {
  const coder = new ErasureCoder({ shardLength: SHARD });
  const sources = randomShards(c.sources);
  const repair = Array.from({ length: c.repairs }, () => new Uint8Array(SHARD));
  const encodeMs = rounds(() => {
    coder.encodeInto(sources, repair);
  });

  const shards = [...sources.map((s) => Uint8Array.from(s)), ...repair];
  const received = worstCaseLoss(c.sources, c.repairs);
  for (let g = 0; g < c.sources; g++) if (received[g] === 0) shards[g]?.fill(0);
  const decodeMs = rounds(() => {
    const result = coder.decodeInto(shards, received, c.sources);
    if (!result.ok || result.recovered !== c.repairs)
      throw new Error(`decode failed: ${JSON.stringify(result)}`);
  });
  sources.forEach((s, g) => {
    if (Buffer.compare(s, shards[g] ?? new Uint8Array(0)) !== 0)
      throw new Error(`decode wrong at shard ${g}`);
  });
  return { encodeMs, decodeMs, blocks: blockShapes(c.sources, c.repairs).length };
}

// The bench machine is shared; record how busy it was so a low figure can be read for what it is.
const loadBefore = loadavg()[0] ?? 0;
const targets: Target[] = [];
const cases: Record<string, unknown>[] = [];
for (const c of CASES) {
  const { encodeMs, decodeMs, blocks } = measure(c);
  const megabits = (c.sources * SHARD * 8) / 1e6;
  const encodeMbps = encodeMs.map((ms) => megabits / (ms / 1000));
  const decodeMbps = decodeMs.map((ms) => megabits / (ms / 1000));
  targets.push(target(`${c.name} encode`, Math.round(median(encodeMbps)), 'Mbit/s', '>=', GOAL_MBPS));
  targets.push(
    target(`${c.name} decode (all repair used)`, Math.round(median(decodeMbps)), 'Mbit/s', '>=', GOAL_MBPS),
  );
  cases.push({
    name: c.name,
    label: c.label,
    sources: c.sources,
    repairs: c.repairs,
    shardBytes: SHARD,
    blocks,
    encodeMsPerFrame: Number(median(encodeMs).toFixed(3)),
    decodeMsPerFrame: Number(median(decodeMs).toFixed(3)),
    encodeMbpsRounds: encodeMbps.map((v) => Math.round(v)),
    decodeMbpsRounds: decodeMbps.map((v) => Math.round(v)),
  });
}

// What "overhead follows the measured loss" asks for at a 1e-4 residual, for reference.
const overhead = CASES.map((c) => ({
  name: c.name,
  sources: c.sources,
  repairsAtLoss: Object.fromEntries(
    [0.001, 0.01, 0.02, 0.05].map((p) => [p, repairCountFor(c.sources, p, 1e-4)]),
  ),
}));

publish('fec', targets, {
  rounds: ROUNDS,
  roundMs: ROUND_MS,
  statistic: 'median',
  loadAverage1m: { before: loadBefore, after: loadavg()[0] ?? 0 },
  cases,
  overhead,
});
