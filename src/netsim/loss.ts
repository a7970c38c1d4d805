import type { Rng } from '../rng/index.js';
import type { LossModel } from './config.js';

/** The per-packet loss decision, with the Gilbert-Elliott state carried between packets. */
export class LossProcess {
  readonly #rng: Rng;
  #model: LossModel = { kind: 'none' };
  #bad = false;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  /** A new model starts in the good state. */
  setModel(model: LossModel): void {
    this.#model = model;
    this.#bad = false;
  }

  /** Decides one packet's fate and steps the chain. */
  lost(): boolean {
    const m = this.#model;
    switch (m.kind) {
      case 'none':
        return false;
      case 'bernoulli':
        return this.#rng.chance(m.p);
      case 'gilbert-elliott': {
        const rng = this.#rng;
        const lost = rng.chance(this.#bad ? m.lossBad : m.lossGood);
        this.#bad = this.#bad ? !rng.chance(m.pBadToGood) : rng.chance(m.pGoodToBad);
        return lost;
      }
    }
  }
}
