/**
 * How a frame of k source and m repair shards is split into independent GF(2^8) blocks.
 *
 * Shards are numbered 0..k+m-1 in send order, sources first. Shard g belongs to block g mod B and
 * is shard ⌊g / B⌋ of that block, with B = ⌈(k + m) / 256⌉ the fewest blocks that keep every block
 * within the 256 points of the field. Round-robin over the whole index space means:
 * - every block has ⌊n / B⌋ or ⌈n / B⌉ shards, its sources first, then its repairs;
 * - repair is spread evenly: each block gets ⌊m / B⌋ or ⌈m / B⌉ of it;
 * - a burst of L consecutive lost shards costs each block at most ⌈L / B⌉ of them.
 */
import { FIELD_SIZE } from './gf256.js';

/** Most shards (source + repair) in one block. */
export const MAX_BLOCK_SHARDS = FIELD_SIZE;

/** Hard ceiling on k + m: shard indices fit in 16 bits, and a frame has at most 256 blocks. */
export const MAX_SHARDS = 65535;

/** Number of blocks a frame of `totalShards` (k + m ≥ 1) is split into. */
export function blockCount(totalShards: number): number {
  return Math.max(1, Math.ceil(totalShards / MAX_BLOCK_SHARDS));
}

/** Shards (source + repair) in block `block` of a frame of `totalShards` split into `blocks`. */
export function shardsInBlock(totalShards: number, blocks: number, block: number): number {
  return Math.max(0, Math.ceil((totalShards - block) / blocks));
}

/** Source shards in block `block`; 0 only when m is so large that k < B. */
export function sourcesInBlock(sourceCount: number, blocks: number, block: number): number {
  return Math.max(0, Math.ceil((sourceCount - block) / blocks));
}

/** The shape of one block: its counts, which the decoder and the loss model both need. */
export interface BlockShape {
  readonly sources: number;
  readonly repairs: number;
}

/** The shapes of every block of a frame, in block order. */
export function blockShapes(sourceCount: number, repairCount: number): BlockShape[] {
  const total = sourceCount + repairCount;
  const blocks = blockCount(total);
  const shapes: BlockShape[] = [];
  for (let b = 0; b < blocks; b++) {
    const sources = sourcesInBlock(sourceCount, blocks, b);
    shapes.push({ sources, repairs: shardsInBlock(total, blocks, b) - sources });
  }
  return shapes;
}
