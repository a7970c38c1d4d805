import type { Rng } from '../rng/index.js';
import type { LinkConfig } from './config.js';
import { Link } from './link.js';

export interface PathConfig {
  readonly aToB: LinkConfig;
  /** Default: the same impairments as `aToB` (with its own random streams). */
  readonly bToA?: LinkConfig;
}

/** Both directions between two endpoints `a` and `b`: two independent links, each on its own `Rng` fork. */
export class Path {
  readonly aToB: Link;
  readonly bToA: Link;

  constructor(config: PathConfig, rng: Rng) {
    this.aToB = new Link(config.aToB, rng.fork('a->b'));
    this.bToA = new Link(config.bToA ?? config.aToB, rng.fork('b->a'));
  }
}
