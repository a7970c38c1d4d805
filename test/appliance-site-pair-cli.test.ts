/** `doorway site-pair` (what `make demo` runs): two sites, media both ways, a summary that says so. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { exited, startCli } from './support/processes.js';
import { scratch } from './support/tree.js';

test('site-pair runs both sites and reports video and audio flowing each way', async () => {
  const tmp = scratch('doorway-site-pair-');
  after(() => {
    tmp.remove();
  });
  const child = startCli(['site-pair', '--out', tmp.dir, '--duration', '7']);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  assert.equal(await exited(child), 0, err);
  for (const [from, to] of [
    ['site-a', 'site-b'],
    ['site-b', 'site-a'],
  ]) {
    assert.match(out, new RegExp(`${from} → ${to}: video flowing at [1-9][0-9.]* fps.*; audio flowing`));
  }
  assert.doesNotMatch(out, /Errors:|restarted/);
  // Each site's speaker wrote what it heard.
  assert.ok(existsSync(join(tmp.dir, 'site-a', 'heard.wav')));
  assert.ok(existsSync(join(tmp.dir, 'site-b', 'heard.wav')));
});
