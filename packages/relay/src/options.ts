import { RelayError } from './errors.js';

/**
 * What happens to the datagrams of one direction. Probabilities are per datagram and independent
 * unless said otherwise; every field is optional and off by default. Stages run in this order:
 * loss, duplication, then for each copy truncation, corruption, reordering and delay.
 */
export interface Impairments {
  /** Probability that a datagram is lost (netem `loss random P`). */
  readonly loss?: number;
  /** Bursty loss from a two-state Markov chain (netem `loss gemodel`). */
  readonly burstLoss?: GilbertElliott;
  /** Probability that a datagram is sent twice; each copy then meets the later stages alone. */
  readonly duplicate?: number;
  readonly reorder?: Reorder;
  readonly jitter?: Jitter;
  /** Probability that a copy is cut to a uniform random shorter length, 0 to length − 1. */
  readonly truncate?: number;
  readonly corrupt?: Corruption;
  /** Datagrams that are not audio (AUDI, AUDE) pass unimpaired (still counted): control keeps flowing. */
  readonly audioOnly?: boolean;
}

/**
 * The Gilbert–Elliott model: a good and a bad state, a transition drawn per datagram, and a loss
 * probability in each. Mean burst length in the bad state is 1 / badToGood; with the defaults
 * the long-run loss is goodToBad / (goodToBad + badToGood). netem: `loss gemodel p r 1-h 1-k`.
 */
export interface GilbertElliott {
  readonly goodToBad: number;
  readonly badToGood: number;
  /** Default 1: every datagram in the bad state is lost. */
  readonly lossInBad?: number;
  /** Default 0. */
  readonly lossInGood?: number;
}

/**
 * Reordering (netem `reorder`, which sends some datagrams early instead): a chosen copy is held
 * back until `positions` later copies have been scheduled and goes right after the last of them,
 * or is sent `delayMs` later than its delay says, letting the copies behind it overtake.
 */
export type Reorder =
  | { readonly probability: number; readonly positions: number }
  | { readonly probability: number; readonly delayMs: number };

/**
 * Delay per copy: `baseMs` ± `uniformMs` (uniform, clamped at 0; netem `delay BASE JITTER`),
 * plus `spikeMs` with probability `spikeProbability` (bursty jitter: a stall of one copy, and of
 * everything behind it when `keepOrder` is set).
 */
export interface Jitter {
  readonly baseMs?: number;
  readonly uniformMs?: number;
  readonly spikeProbability?: number;
  readonly spikeMs?: number;
  /**
   * false (the default, as netem): a copy is sent when its delay is up, so it overtakes earlier
   * copies whose delay was longer whenever jitter exceeds the gap between arrivals. true: no copy
   * leaves before one that arrived earlier (a FIFO with variable service time; netem with `rate`).
   */
  readonly keepOrder?: boolean;
}

/** Bit flips: a copy chosen with `probability` gets 1 to `maxBits` (default 1) distinct bits flipped. */
export interface Corruption {
  readonly probability: number;
  readonly maxBits?: number;
}

/** Checks every field of one direction's impairments; throws RelayError BAD_OPTION. */
export function checkImpairments(impairments: Impairments, direction: string): void {
  const where = (field: string): string => `${direction}.${field}`;
  const { loss, burstLoss, duplicate, reorder, jitter, truncate, corrupt } = impairments;
  checkProbability(loss, where('loss'));
  checkProbability(duplicate, where('duplicate'));
  checkProbability(truncate, where('truncate'));
  if (burstLoss !== undefined) {
    checkProbability(burstLoss.goodToBad, where('burstLoss.goodToBad'));
    checkProbability(burstLoss.badToGood, where('burstLoss.badToGood'));
    checkProbability(burstLoss.lossInBad, where('burstLoss.lossInBad'));
    checkProbability(burstLoss.lossInGood, where('burstLoss.lossInGood'));
  }
  if (reorder !== undefined) {
    checkProbability(reorder.probability, where('reorder.probability'));
    if ('positions' in reorder === 'delayMs' in reorder) {
      throw new RelayError(
        'BAD_OPTION',
        `${where('reorder')}: give positions or delayMs, not both`,
      );
    }
    if ('positions' in reorder) {
      checkInteger(reorder.positions, 1, where('reorder.positions'));
    } else {
      checkMs(reorder.delayMs, where('reorder.delayMs'));
    }
  }
  if (jitter !== undefined) {
    checkMs(jitter.baseMs, where('jitter.baseMs'));
    checkMs(jitter.uniformMs, where('jitter.uniformMs'));
    checkProbability(jitter.spikeProbability, where('jitter.spikeProbability'));
    checkMs(jitter.spikeMs, where('jitter.spikeMs'));
  }
  if (corrupt !== undefined) {
    checkProbability(corrupt.probability, where('corrupt.probability'));
    if (corrupt.maxBits !== undefined) checkInteger(corrupt.maxBits, 1, where('corrupt.maxBits'));
  }
}

/** A seed is a uint32 (the CLI prints the one it picked, so a run can be repeated). */
export function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new RelayError('BAD_OPTION', `seed: an integer from 0 to 4294967295, got ${seed}`);
  }
}

function checkProbability(p: number | undefined, field: string): void {
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new RelayError('BAD_OPTION', `${field}: a probability from 0 to 1, got ${p}`);
  }
}

function checkMs(ms: number | undefined, field: string): void {
  if (ms !== undefined && !(ms >= 0 && Number.isFinite(ms))) {
    throw new RelayError('BAD_OPTION', `${field}: milliseconds, finite and at least 0, got ${ms}`);
  }
}

function checkInteger(n: number, min: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < min) {
    throw new RelayError('BAD_OPTION', `${field}: an integer of at least ${min}, got ${n}`);
  }
}
