import type { GilbertElliott } from './options.js';
import type { SeededRandom } from '@syfala/proto';

export type LossVerdict = 'kept' | 'dropped' | 'burst-dropped';

/** Random loss and the Gilbert–Elliott chain, each on its own generator. */
export class LossModel {
  readonly #loss: number;
  readonly #burst: GilbertElliott | undefined;
  readonly #lossRandom: SeededRandom;
  readonly #burstRandom: SeededRandom;
  #bad = false;

  constructor(
    loss: number,
    burst: GilbertElliott | undefined,
    lossRandom: SeededRandom,
    burstRandom: SeededRandom,
  ) {
    this.#loss = loss;
    this.#burst = burst;
    this.#lossRandom = lossRandom;
    this.#burstRandom = burstRandom;
  }

  /** The fate of the next datagram; the chain moves on every datagram, lost or not. */
  next(): LossVerdict {
    const randomLoss = this.#loss > 0 && this.#lossRandom.chance(this.#loss);
    return this.#burstLoss() ? 'burst-dropped' : randomLoss ? 'dropped' : 'kept';
  }

  /** Loss drawn in the state the datagram found, then the transition (as netem's gemodel). */
  #burstLoss(): boolean {
    const burst = this.#burst;
    if (burst === undefined) return false;
    const lost = this.#bad
      ? this.#burstRandom.chance(burst.lossInBad ?? 1)
      : this.#burstRandom.chance(burst.lossInGood ?? 0);
    this.#bad = this.#bad
      ? !this.#burstRandom.chance(burst.badToGood)
      : this.#burstRandom.chance(burst.goodToBad);
    return lost;
  }
}
