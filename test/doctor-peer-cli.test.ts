import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, it } from 'node:test';
import { writePeerPair } from './support/doctor-peer.js';
import { CLI, scratch } from './support/tree.js';

const tmp = scratch('doctor-peer-cli');
after(tmp.remove);

interface JsonReport {
  readonly ok: boolean;
  readonly checks: readonly { readonly item: string; readonly verdict: string; readonly detail: string }[];
}

function doorway(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

it('doorway doctor --site probes the peer, reports it in --json, and --no-peer skips it', async () => {
  // Nobody runs site-b: the peer checks warn, and a warn alone never makes doctor fail.
  const { aSite, b } = await writePeerPair(tmp.dir);

  const probed = doorway('doctor', '--site', aSite.file, '--json');
  const report = JSON.parse(probed.stdout) as JsonReport;
  const peer = report.checks.filter((c) => c.item.startsWith('peer'));
  assert.deepEqual(
    peer.map((c) => [c.item, c.verdict]),
    [
      ['peer video', 'warn'],
      ['peer audio', 'warn'],
    ],
    probed.stdout,
  );
  assert.match(
    peer[0]?.detail ?? '',
    new RegExp(`site-b at 127\\.0\\.0\\.3:${b.mediaPort} failed: ECONNREFUSED`),
  );
  assert.equal(
    report.ok,
    report.checks.every((c) => c.verdict !== 'fail'),
  );
  assert.equal(probed.status, report.ok ? 0 : 1, probed.stderr);

  const skipped = doorway('doctor', '--site', aSite.file, '--no-peer');
  assert.match(skipped.stdout, /^ok +keys +/m);
  assert.doesNotMatch(skipped.stdout, /^\w+ +peer/m, skipped.stdout);
  assert.equal(skipped.status, probed.status, skipped.stderr);
});
