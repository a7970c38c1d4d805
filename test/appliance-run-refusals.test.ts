/** `doorway run` refuses, in one line naming the file or flag, what it must not run with. */
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { writeSitePair } from '../src/tools/site-pair.js';
import { exited, startCli } from './support/processes.js';
import { builtProfile } from './support/site-pair.js';
import { scratch } from './support/tree.js';

const tmp = scratch('doorway-run-refusals-');
after(() => {
  tmp.remove();
});
const pair = await writeSitePair({ dir: tmp.dir, profile: builtProfile() });

async function run(args: string[]): Promise<{ code: number | null; err: string }> {
  const child = startCli(args);
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await exited(child);
  return { code, err };
}

it('refuses a private key others can read, naming the file', async () => {
  const key = join(tmp.dir, 'site-a', 'keys', 'private.key');
  chmodSync(key, 0o644);
  try {
    const { code, err } = await run(['run', '--site', pair.a.file, '--state-dir', pair.a.stateDir]);
    assert.notEqual(code, 0);
    assert.equal(err.trim().split('\n').length, 1, err);
    assert.match(err, new RegExp(`^doorway: .*${key.replaceAll('/', '\\/')}.*accessible to others`));
  } finally {
    chmodSync(key, 0o600);
  }
});

// A missing or invalid site file is not refused: the role waits for it (run-waits-for-site-config).
it('refuses an unknown role in one line', async () => {
  const role = await run(['run', '--site', pair.a.file, '--role', 'lights']);
  assert.equal(role.code, 2);
  assert.match(role.err, /^doorway: --role 'lights' is not one of video, audio\n$/);
});
