import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./fixtures/actors-child.js', import.meta.url));

test('past the restart intensity the process exits non-zero, so that systemd restarts it', async () => {
  const child = fork(CHILD, ['escalate'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 1);
  const lines = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { level: number; actor?: string; msg: string });
  assert.equal(lines.filter((line) => line.level === 50 && line.actor === 'doomed').length, 3);
  assert.ok(
    lines.some(
      (line) =>
        line.level === 60 &&
        line.msg === "actor 'doomed' exceeded the restart intensity (2 restarts in 10000 ms)",
    ),
  );
});
