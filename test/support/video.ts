/** The video addon of the last `make build` (the ci profile under `make test`), for video tests. */
import { join } from 'node:path';
import { VideoAddon } from '../../src/media/index.js';
import { readManifest, type BuildManifest } from '../../src/profiles/index.js';
import { HARDWARE, REPO } from './tree.js';

export function builtManifest(): BuildManifest {
  return readManifest(join(REPO, 'build', 'manifest.json'));
}

export function loadVideo(): VideoAddon {
  return VideoAddon.load(builtManifest(), REPO, HARDWARE);
}
