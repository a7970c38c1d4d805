/**
 * Which AEAD this process hands its sealers and openers: OpenSSL's, from native/fec as the build
 * manifest names it (every profile builds it), else node:crypto's. src/seal never looks one up:
 * whoever builds a session passes `chooseAead().backend` in, so sealing stays free of the build
 * and of native code, and the choice is made here, once per process.
 */
import { appRoot, manifestPath } from '../paths/index.js';
import { readManifest } from '../profiles/index.js';
import { NODE_AEAD, type AeadBackend } from '../seal/index.js';
import { loadSealAead } from './fec-addon.js';

export interface AeadChoice {
  readonly backend: AeadBackend;
  /** Why the OpenSSL backend could not be loaded (no native build, say); null when it is in use. */
  readonly fallbackReason: string | null;
}

let chosen: AeadChoice | undefined;

function choose(): AeadChoice {
  try {
    const root = appRoot();
    return { backend: loadSealAead(readManifest(manifestPath(root)), root), fallbackReason: null };
  } catch (err) {
    // A tree without a native build still seals, ~2× slower per packet; callers can report this.
    return { backend: NODE_AEAD, fallbackReason: err instanceof Error ? err.message : String(err) };
  }
}

/** The process-wide choice, resolved on first use. */
export function chooseAead(): AeadChoice {
  chosen ??= choose();
  return chosen;
}
