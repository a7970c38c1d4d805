import type { Rng } from '../rng/index.js';
import type { RandomBytes } from './options.js';

/** A `RandomBytes` drawn from a seeded `Rng`: deterministic runs for tests and simulations only. */
export function rngRandomBytes(rng: Rng): RandomBytes {
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.nextInt(256);
    return out;
  };
}
