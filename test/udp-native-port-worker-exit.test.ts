/**
 * Scenario: native UDP ports watched by the event loops of worker threads that end: with the port
 * still open, just after closing it, terminated from outside, and by an exception thrown from the
 * batch handler (which reaches the worker as its uncaught exception), one at a time and two at once.
 * Each worker's environment waits for its port's poll to close before it goes, so the process
 * survives and the main thread's own port still works (test/support/udp-port-worker-child.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { REPO } from './support/tree.js';

it('outlives worker threads that end while they own watched ports', () => {
  const child = spawnSync(
    process.execPath,
    [join(REPO, 'dist', 'test', 'support', 'udp-port-worker-child.js')],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(child.signal, null, `the child died of ${child.signal ?? ''}: ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim()) as {
    workers: { mode: string; received: number; length: number; exitCode: number; error: string }[];
    mainLength: number;
  };
  assert.deepEqual(
    result.workers.map((w) => [w.mode, w.received, w.length]),
    [
      ['open', 1, 100],
      ['closed', 1, 101],
      ['terminated', 1, 102],
      ['throws', 1, 103],
      ['open', 1, 110],
      ['terminated', 1, 111],
    ],
  );
  for (const w of result.workers) {
    assert.equal(
      w.exitCode,
      w.mode === 'open' || w.mode === 'closed' ? 0 : 1,
      `${w.mode} worker's exit code`,
    );
    assert.equal(w.error, w.mode === 'throws' ? 'the batch handler threw' : '', `${w.mode} worker's error`);
  }
  assert.equal(result.mainLength, 120);
});
