import { describe, expect, it } from 'vitest';
import {
  audioRun,
  byteIndexOf,
  copiesBalance,
  nearBinomial,
  peer,
  pump,
  relayTo,
} from './harness.js';

const BYTES = 16;
const indicesOf = (received: readonly Buffer[]): number[] =>
  received.map((datagram) => byteIndexOf(datagram)! / BYTES);

describe('duplication', () => {
  it('sends the datagrams it picks twice, as often as asked, and names them', async () => {
    const n = 20_000;
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { duplicate: 0.05 }, 3);
    const report = (await pump(source, relay, audioRun(n, BYTES), target)).toTarget;

    expect(nearBinomial(report.duplicated, n, 0.05)).toBe(true);
    expect(report.sent).toBe(n + report.duplicated);
    expect(copiesBalance(report)).toBe(true);
    const seen = new Map<number, number>();
    for (const index of indicesOf(target.received)) seen.set(index, (seen.get(index) ?? 0) + 1);
    const twice = [...seen].filter(([, times]) => times === 2).map(([index]) => index);
    expect(seen.size).toBe(n);
    expect(twice).toEqual(report.streams[0]!.duplicated.map(([start]) => start / BYTES));
    expect(report.streams[0]!.undelivered).toEqual([]);
  });
});

describe('reordering', () => {
  it('holds a datagram back until k later ones have gone, then sends it right after them', async () => {
    const n = 10_000;
    const k = 3;
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { reorder: { probability: 0.02, positions: k } }, 9);
    const report = (await pump(source, relay, audioRun(n, BYTES), target)).toTarget;

    expect(nearBinomial(report.reordered, n, 0.02)).toBe(true);
    // The last few held may still wait for followers that never came.
    expect(report.sent + report.held).toBe(n);
    expect(copiesBalance(report)).toBe(true);
    const reordered = new Set(report.streams[0]!.reordered.map(([start]) => start / BYTES));
    const arrivals = indicesOf(target.received);
    const inOrder = arrivals.filter((index) => !reordered.has(index));
    expect(inOrder).toEqual([...inOrder].sort((a, b) => a - b));
    arrivals.forEach((index, position) => {
      if (!reordered.has(index)) return;
      const overtakenBy = arrivals
        .slice(0, position)
        .filter((earlier) => earlier > index && !reordered.has(earlier)).length;
      expect(overtakenBy).toBe(k);
    });
  });

  it('or holds it back by a delay while the ones behind it go on', async () => {
    const n = 5_000;
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { reorder: { probability: 0.02, delayMs: 20 } }, 9);
    const report = (await pump(source, relay, audioRun(n, BYTES), target)).toTarget;

    expect(nearBinomial(report.reordered, n, 0.02)).toBe(true);
    expect(report.sent).toBe(n);
    expect(report.delay).toEqual({ count: n, minMs: 0, medianMs: 0, maxMs: 20 });
    expect(report.timing.transit.maxMs).toBeGreaterThanOrEqual(20);
    const reordered = new Set(report.streams[0]!.reordered.map(([start]) => start / BYTES));
    const arrivals = indicesOf(target.received);
    expect(new Set(arrivals).size).toBe(n);
    const inOrder = arrivals.filter((index) => !reordered.has(index));
    expect(inOrder).toEqual([...inOrder].sort((a, b) => a - b));
  });
});
