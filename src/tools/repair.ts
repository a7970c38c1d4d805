/**
 * The erasure code the tools run the transport with: on the native SIMD kernel when this build
 * has it (every profile builds native/fec), else on the JS one, which is ~10× slower.
 */
import type { Logger } from '../log/index.js';
import { loadFecKernel } from '../media/index.js';
import { appRoot, manifestPath } from '../paths/index.js';
import { readManifest } from '../profiles/index.js';
import { ReedSolomonRepair } from '../protocol/index.js';

export function transportRepair(log?: Logger): ReedSolomonRepair {
  try {
    const root = appRoot();
    const kernel = loadFecKernel(readManifest(manifestPath(root)), root);
    log?.debug({ kernel: kernel.name }, 'FEC on the native kernel');
    return new ReedSolomonRepair(kernel.accumulate);
  } catch (err) {
    log?.warn(
      { reason: err instanceof Error ? err.message : String(err) },
      'FEC on the JS kernel: native/fec not loaded',
    );
    return new ReedSolomonRepair();
  }
}
