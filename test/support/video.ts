/** The video addon of the last `make build` (the ci profile under `make test`), for video tests. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VideoAddon } from '../../src/media/index.js';
import { readManifest, type BuildManifest } from '../../src/profiles/index.js';
import { HARDWARE, REPO } from './tree.js';

export function builtManifest(): BuildManifest {
  return readManifest(join(REPO, 'build', 'manifest.json'));
}

export function loadVideo(): VideoAddon {
  return VideoAddon.load(builtManifest(), REPO, HARDWARE);
}

/**
 * Waits until `done` holds, failing the test after `timeoutMs`. The addon's threads report
 * through callbacks that only run between awaits, so a test polls for them rather than blocking.
 */
export async function until(what: string, done: () => boolean, timeoutMs = 3000, pollMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}
