/**
 * Seeded, deterministic pseudo-random numbers. Randomness is an input to doorway's protocol core,
 * never `Math.random`: a test or simulation passes an `Rng`, and the same seed replays the same run.
 */
export { Rng, type Seed } from './rng.js';
export { RngArgumentError } from './errors.js';
