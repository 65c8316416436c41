import { SeededRandom } from '../../src/index.js';
import { Mismatch, type FuzzTarget, type RejectCode } from './targets.js';

export interface FuzzOptions {
  readonly seed: number;
  readonly inputs: number;
  /** Index of the first input: `start: i, inputs: 1` regenerates input i alone. */
  readonly start?: number;
  /** How many failures to keep with their hex (default 5); all are counted. */
  readonly keep?: number;
}

export interface FuzzFailure {
  readonly index: number;
  /**
   * `exception`: the decoder threw something other than a DecodeError of a known code;
   * `mismatch`: a round trip or a cross-check failed.
   */
  readonly kind: 'exception' | 'mismatch';
  readonly detail: string;
  readonly hex: string;
}

export interface FuzzReport {
  readonly target: string;
  readonly inputs: number;
  /** Decoded, and the round trip held. */
  readonly accepted: number;
  /** Accepted inputs that also re-encode to their own bytes. */
  readonly canonical: number;
  readonly rejected: Readonly<Partial<Record<RejectCode, number>>>;
  readonly exceptions: number;
  readonly mismatches: number;
  readonly failures: readonly FuzzFailure[];
  readonly seconds: number;
}

export function runFuzz(target: FuzzTarget, options: FuzzOptions): FuzzReport {
  const { seed, inputs, start = 0, keep = 5 } = options;
  const makeCase = target.prepare(new SeededRandom(seed, target.name));
  const rejected: Partial<Record<RejectCode, number>> = {};
  const failures: FuzzFailure[] = [];
  let accepted = 0;
  let canonical = 0;
  let exceptions = 0;
  let mismatches = 0;
  const began = performance.now();
  for (let index = start; index < start + inputs; index++) {
    const input = makeCase(new SeededRandom(seed, target.name, index));
    try {
      const verdict = input.check();
      if (verdict.accepted) {
        accepted++;
        if (verdict.canonical) canonical++;
      } else {
        rejected[verdict.code] = (rejected[verdict.code] ?? 0) + 1;
      }
    } catch (error) {
      const kind = error instanceof Mismatch ? 'mismatch' : 'exception';
      if (kind === 'mismatch') mismatches++;
      else exceptions++;
      if (failures.length < keep) {
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        failures.push({ index, kind, detail, hex: input.hex() });
      }
    }
  }
  const seconds = (performance.now() - began) / 1000;
  return {
    target: target.name,
    inputs,
    accepted,
    canonical,
    rejected,
    exceptions,
    mismatches,
    failures,
    seconds,
  };
}
