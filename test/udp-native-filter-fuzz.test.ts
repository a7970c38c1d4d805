/**
 * native/udp's datagram filter under libFuzzer for 20 s (scripts/fuzz-native.sh, ASan and UBSan
 * on): no invariant of native/udp/fuzz/datagram_filter_fuzz.cc broken, and a run that really
 * exercised the parser. Needs clang-14 and libclang-rt-14-dev (hardware/features.json's test
 * packages).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, scratch } from './support/tree.js';

const SECONDS = 20;

function fuzz(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync('bash', [join(REPO, 'scripts', 'fuzz-native.sh'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** A `stat::NAME: N` line of libFuzzer's final statistics (-print_final_stats=1). */
function stat(stderr: string, name: string): number {
  const match = new RegExp(`^stat::${name}:\\s+(\\d+)$`, 'm').exec(stderr);
  assert.ok(match?.[1] !== undefined, `no stat::${name} in the fuzzer's output:\n${stderr.slice(-4000)}`);
  return Number(match[1]);
}

describe('scripts/fuzz-native.sh on the datagram filter', () => {
  const tmp = scratch('fuzz-native');
  let run: SpawnSyncReturns<string>;

  before(() => {
    run = fuzz(String(SECONDS), tmp.dir);
  });
  after(() => {
    tmp.remove();
  });

  it('builds the target and finds nothing in 20 seconds', () => {
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.status, 0, run.stderr.slice(-8000));
    assert.doesNotMatch(run.stderr, /ERROR: (libFuzzer|AddressSanitizer)|runtime error:/);
    const artifacts = readdirSync(tmp.dir).filter((name) => /^(crash|leak|timeout|oom)-/.test(name));
    assert.deepEqual(artifacts, []);
  });

  it('ran the parser many times and reached beyond the seeds', () => {
    const executions = stat(run.stderr, 'number_of_executed_units');
    assert.ok(executions >= 10_000, `only ${executions} executions`);
    const done = /^#\d+\s+DONE\s+cov: (\d+) ft: (\d+)/m.exec(run.stderr);
    assert.ok(done?.[1] !== undefined, run.stderr.slice(-4000));
    assert.ok(Number(done[1]) > 100, `coverage only ${done[1]}`);
    const corpus = readdirSync(join(tmp.dir, 'corpus'));
    const seeds = corpus.filter((name) => name.startsWith('seed-'));
    assert.ok(seeds.length >= 8, `seeds: ${seeds.join(', ')}`);
    // Cookie replies pass only for one of the filter's indices: a seed on each side of that rule.
    for (const name of ['seed-cookie-reply', 'seed-cookie-reply-unknown-index']) {
      assert.ok(seeds.includes(name), `no ${name} in ${seeds.join(', ')}`);
    }
    assert.ok(corpus.length > seeds.length, 'the corpus did not grow past its seeds');
    assert.ok(stat(run.stderr, 'new_units_added') > 0);
  });
});

describe('scripts/fuzz-native.sh arguments', () => {
  it('refuses a SECONDS that is not a whole number, in one line and before building', () => {
    const tmp = scratch('fuzz-native-args');
    try {
      const refused = fuzz('soon', tmp.dir);
      assert.equal(refused.status, 2, refused.stderr);
      assert.equal(refused.stdout, '');
      assert.match(
        refused.stderr,
        /^fuzz-native: SECONDS must be a whole number above 0, not 'soon'; usage: .*\n$/,
      );
      assert.deepEqual(readdirSync(tmp.dir), []);
    } finally {
      tmp.remove();
    }
  });

  it('refuses no arguments and too many', () => {
    for (const args of [[], ['5', 'out', 'extra']]) {
      const refused = fuzz(...args);
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, /^fuzz-native: expected one or two arguments; usage: .*\n$/);
    }
  });
});
