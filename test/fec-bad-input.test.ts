import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ErasureCoder,
  FecInputError,
  frameFailureProbability,
  repairCountFor,
  type FecProblem,
} from '../src/fec/index.js';

function throwsProblem(fn: () => unknown, problem: FecProblem, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof FecInputError);
    assert.equal(error.name, 'FecInputError');
    assert.equal(error.problem, problem);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'));
    return true;
  });
}

const shard = (length: number): Uint8Array => new Uint8Array(length);

describe('bad input', () => {
  const coder = new ErasureCoder({ maxShards: 300 });

  it('encode refuses k = 0', () => {
    throwsProblem(() => coder.encode([], 2), 'invalid-source-count', /at least one source/);
  });

  it('encode refuses a negative or fractional repair count', () => {
    throwsProblem(() => coder.encode([shard(4)], -1), 'invalid-repair-count', /got -1/);
    throwsProblem(() => coder.encode([shard(4)], 1.5), 'invalid-repair-count', /got 1.5/);
  });

  it('encode refuses more than maxShards', () => {
    throwsProblem(
      () => coder.encode([shard(4), shard(4)], 299),
      'too-many-shards',
      /2 source \+ 299 repair shards is more than maxShards 300/,
    );
  });

  it('encode names the first source of a different length', () => {
    throwsProblem(
      () => coder.encode([shard(4), shard(4), shard(5)], 1),
      'shard-length-mismatch',
      /source shard 2 is 5 bytes, expected 4/,
    );
  });

  it('encodeInto names a repair buffer of the wrong length', () => {
    throwsProblem(
      () => {
        coder.encodeInto([shard(4)], [shard(4), shard(3)]);
      },
      'shard-length-mismatch',
      /repair shard 1 is 3 bytes, expected 4/,
    );
  });

  it('the constructor refuses an impossible maxShards', () => {
    throwsProblem(() => new ErasureCoder({ maxShards: 0 }), 'too-many-shards', /1\.\.65535, got 0/);
    throwsProblem(() => new ErasureCoder({ maxShards: 70000 }), 'too-many-shards', /got 70000/);
  });

  it('decode returns failures instead of throwing', () => {
    const cases: [() => ReturnType<ErasureCoder['decode']>, string, RegExp][] = [
      [
        () => coder.decode([shard(4), shard(4)], 0),
        'invalid-source-count',
        /source count 0 is not in 1\.\.2/,
      ],
      [() => coder.decode([shard(4)], 2), 'invalid-source-count', /source count 2/],
      [() => coder.decode([shard(4), shard(4)], 1.5), 'invalid-source-count', /1\.5/],
      [() => coder.decode(new Array<null>(301).fill(null), 10), 'too-many-shards', /301 shards/],
      [
        () => coder.decode([shard(4), null, shard(5)], 2),
        'shard-length-mismatch',
        /shard 2 is 5 bytes, expected 4/,
      ],
      [() => coder.decode([null, null, shard(4)], 2), 'insufficient-shards', /block 0 of 1 lost 2/],
    ];
    for (const [run, problem, message] of cases) {
      const result = run();
      assert.ok(!result.ok);
      assert.equal(result.problem, problem);
      assert.match(result.message, message);
    }
  });

  it('decodeInto reports a missing or short buffer as a length mismatch', () => {
    const short = coder.decodeInto([shard(4), shard(3)], [1, 1], 1);
    assert.deepEqual(short.ok ? 'ok' : short.problem, 'shard-length-mismatch');
    const holes = new Array<Uint8Array>(3);
    holes[0] = shard(4);
    const hole = coder.decodeInto(holes, [1, 0, 0], 1);
    assert.ok(!hole.ok && hole.message.includes('shard 1 is absent'));
    const tooMany = coder.decodeInto(new Array<Uint8Array>(301).fill(shard(1)), [], 1);
    assert.deepEqual(tooMany.ok ? 'ok' : tooMany.problem, 'too-many-shards');
  });

  it('the loss model refuses probabilities out of range', () => {
    throwsProblem(
      () => repairCountFor(10, -0.1, 1e-4),
      'invalid-probability',
      /loss rate must be in \[0, 1\], got -0.1/,
    );
    throwsProblem(() => repairCountFor(10, Number.NaN, 1e-4), 'invalid-probability', /got NaN/);
    throwsProblem(
      () => repairCountFor(10, 0.1, 0),
      'invalid-probability',
      /target residual must be in \(0, 1\)/,
    );
    throwsProblem(() => repairCountFor(10, 0.1, 1), 'invalid-probability', /target residual/);
    throwsProblem(() => frameFailureProbability(10, 1, 1.5), 'invalid-probability', /got 1.5/);
  });

  it('the loss model refuses impossible shapes', () => {
    throwsProblem(() => repairCountFor(0, 0.1, 1e-4), 'invalid-source-count', /got 0/);
    throwsProblem(() => frameFailureProbability(10, -1, 0.1), 'invalid-repair-count', /got -1/);
    throwsProblem(() => frameFailureProbability(65535, 1, 0.1), 'too-many-shards', /more than 65535/);
    throwsProblem(
      () => repairCountFor(10, 0.1, 1e-4, { maxRepair: -2 }),
      'invalid-repair-count',
      /maxRepair/,
    );
  });
});
