import type { Jitter } from './options.js';
import type { SeededRandom } from '@syfala/proto';

export interface DelayDraw {
  readonly ms: number;
  readonly spiked: boolean;
}

/** Draws each copy's delay: base ± uniform (clamped at 0), plus a spike now and then. */
export class JitterModel {
  readonly #baseMs: number;
  readonly #uniformMs: number;
  readonly #spikeProbability: number;
  readonly #spikeMs: number;
  readonly #random: SeededRandom;

  constructor(jitter: Jitter, random: SeededRandom) {
    this.#baseMs = jitter.baseMs ?? 0;
    this.#uniformMs = jitter.uniformMs ?? 0;
    this.#spikeProbability = jitter.spikeProbability ?? 0;
    this.#spikeMs = jitter.spikeMs ?? 0;
    this.#random = random;
  }

  draw(): DelayDraw {
    let ms = this.#baseMs;
    if (this.#uniformMs > 0) ms += (2 * this.#random.next() - 1) * this.#uniformMs;
    const spiked = this.#spikeProbability > 0 && this.#random.chance(this.#spikeProbability);
    return { ms: Math.max(0, ms) + (spiked ? this.#spikeMs : 0), spiked };
  }
}
