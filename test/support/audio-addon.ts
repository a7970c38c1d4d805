/** The audio addon of the last `make build` (the ci profile under `make test`), for audio tests. */
import { AudioAddon } from '../../src/media/index.js';
import { builtManifest } from './video.js';
import { HARDWARE, REPO } from './tree.js';

export function loadAudio(): AudioAddon {
  return AudioAddon.load(builtManifest(), REPO, HARDWARE);
}
