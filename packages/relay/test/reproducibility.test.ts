import { describe, expect, it } from 'vitest';
import { audio, copiesBalance, gaps, peer, pump, relayTo } from './harness.js';
import type { DirectionReport, Impairments } from '../src/index.js';

const EVERYTHING: Impairments = {
  loss: 0.03,
  burstLoss: { goodToBad: 0.005, badToGood: 0.3 },
  duplicate: 0.03,
  truncate: 0.03,
  reorder: { probability: 0.03, positions: 2 },
  jitter: { baseMs: 2, uniformMs: 2, spikeProbability: 0.01, spikeMs: 10 },
};
const PER_STREAM = 5_000;
const BYTES = 16;

/** Two streams interleaved, as a sender of two streams sends them each period. */
const twoStreams = Array.from({ length: PER_STREAM }, (_, i) => [
  audio(i, BYTES, 0),
  audio(i, BYTES, 1),
]).flat();

/** Everything through one relay; closing it discards (and reports) copies still held back. */
async function run(seed: number): Promise<{ report: DirectionReport; received: Buffer[] }> {
  const [source, target] = [await peer(), await peer()];
  const relay = await relayTo(target, EVERYTHING, seed);
  await pump(source, relay, twoStreams, target);
  await relay.close();
  return { report: relay.report().toTarget, received: target.received };
}

/** The report without what was measured: that alone differs from run to run. */
const fates = ({ timing: _timing, ...rest }: DirectionReport): Omit<DirectionReport, 'timing'> =>
  rest;

describe('reproducibility', () => {
  it('deals the same fates for the same seed and input, and reports exactly what each stream missed', async () => {
    const a = await run(42);
    const b = await run(42);
    expect(fates(b.report)).toEqual(fates(a.report));
    const c = await run(43);
    expect(fates(c.report)).not.toEqual(fates(a.report));

    const { report, received } = a;
    expect(report.audio).toBe(2 * PER_STREAM);
    for (const count of [
      'dropped',
      'burstDropped',
      'duplicated',
      'truncated',
      'reordered',
      'spiked',
    ] as const) {
      expect(report[count], count).toBeGreaterThan(0);
    }
    expect(copiesBalance(report)).toBe(true);
    for (const stream of [0, 1]) {
      expect(report.streams[stream]!.undelivered).toEqual(
        gaps(received, PER_STREAM * BYTES, stream),
      );
    }
  });
});
