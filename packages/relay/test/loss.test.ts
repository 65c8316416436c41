import { describe, expect, it } from 'vitest';
import { audioRun, copiesBalance, gaps, nearBinomial, peer, pump, relayTo } from './harness.js';

const N = 20_000;
const BYTES = 16;

describe('loss', () => {
  it('drops datagrams at random at the rate asked, and reports exactly the ranges the target missed', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { loss: 0.05 }, 11);
    const report = (await pump(source, relay, audioRun(N, BYTES), target)).toTarget;

    expect(nearBinomial(report.dropped, N, 0.05)).toBe(true);
    expect(report).toMatchObject({ received: N, audio: N, other: 0, burstDropped: 0 });
    expect(report.sent).toBe(N - report.dropped);
    expect(target.received).toHaveLength(report.sent);
    expect(copiesBalance(report)).toBe(true);
    const fates = report.streams[0]!;
    expect(fates.dropped).toHaveLength(report.dropped);
    expect(fates.undelivered).toEqual(gaps(target.received, N * BYTES));
  });

  it('drops in bursts with the Gilbert–Elliott model: long-run rate p/(p+r), mean burst 1/r', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { burstLoss: { goodToBad: 0.01, badToGood: 0.25 } }, 5);
    const report = (await pump(source, relay, audioRun(N, BYTES), target)).toTarget;

    // Stationary loss 0.01 / 0.26 = 3.8 %; a burst lasts 1 / 0.25 = 4 datagrams on average.
    expect(report.dropped / N).toBeGreaterThan(0.025);
    expect(report.dropped / N).toBeLessThan(0.055);
    expect(report.burstDropped).toBe(report.dropped);
    const bursts = burstLengths(report.streams[0]!.dropped.map(([start]) => start / BYTES));
    const mean = bursts.reduce((a, b) => a + b, 0) / bursts.length;
    expect(mean).toBeGreaterThan(3);
    expect(mean).toBeLessThan(5.5);
    expect(report.streams[0]!.undelivered).toEqual(gaps(target.received, N * BYTES));
  });

  it('loses nothing in the good state of a chain that never leaves it', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { burstLoss: { goodToBad: 0, badToGood: 1 } });
    const report = (await pump(source, relay, audioRun(1000, BYTES), target)).toTarget;
    expect(report.dropped).toBe(0);
    expect(target.received).toHaveLength(1000);
  });
});

/** Lengths of the runs of consecutive indices. */
function burstLengths(indices: readonly number[]): number[] {
  const lengths: number[] = [];
  let previous = -2;
  for (const index of indices) {
    if (index === previous + 1) lengths[lengths.length - 1]!++;
    else lengths.push(1);
    previous = index;
  }
  return lengths;
}
