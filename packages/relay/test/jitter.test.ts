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

const N = 2_000;
const arrivalOrder = (received: readonly Buffer[]): number[] =>
  received.map((datagram) => byteIndexOf(datagram)!);
const inversions = (order: readonly number[]): number =>
  order.filter((value, i) => i > 0 && value < order[i - 1]!).length;

// Delays are checked on the relay's own schedule (what it drew, and when it actually sent),
// never against the clock of a test that a loaded machine may stall.
describe('delay and jitter', () => {
  it('draws base ± uniform plus occasional spikes, and keepOrder keeps every datagram in order', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, {
      jitter: { baseMs: 10, uniformMs: 5, spikeProbability: 0.02, spikeMs: 30, keepOrder: true },
    });
    const report = (await pump(source, relay, audioRun(N), target)).toTarget;

    expect(report.sent).toBe(N);
    expect(copiesBalance(report)).toBe(true);
    expect(nearBinomial(report.spiked, N, 0.02)).toBe(true);
    const { delay, timing } = report;
    expect(delay.count).toBe(N);
    expect(delay.minMs).toBeGreaterThanOrEqual(5);
    expect(delay.minMs).toBeLessThan(5.5);
    expect(delay.maxMs).toBeLessThanOrEqual(45);
    expect(delay.maxMs).toBeGreaterThan(40); // a spike on top of a long draw
    expect(delay.medianMs).toBeGreaterThan(9);
    expect(delay.medianMs).toBeLessThan(11.5);
    // Never sent before its time; keepOrder only ever adds to the drawn delay.
    expect(timing.transit.count).toBe(N);
    expect(timing.transit.minMs).toBeGreaterThanOrEqual(delay.minMs);
    expect(timing.lateness.minMs).toBeGreaterThanOrEqual(0);
    expect(inversions(arrivalOrder(target.received))).toBe(0);
  });

  it('reorders, as netem does, when jitter exceeds the gap between datagrams', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { jitter: { baseMs: 10, uniformMs: 5 } });
    const report = (await pump(source, relay, audioRun(N), target)).toTarget;

    expect(report.sent).toBe(N);
    expect(report.delay.minMs).toBeGreaterThanOrEqual(5);
    expect(report.delay.maxMs).toBeLessThanOrEqual(15);
    expect(report.timing.transit.minMs).toBeGreaterThanOrEqual(report.delay.minMs);
    const order = arrivalOrder(target.received);
    expect(new Set(order).size).toBe(N);
    // Datagrams arrive in bursts of 32 within a fraction of 10 ms: many must swap places.
    expect(inversions(order)).toBeGreaterThan(0);
  });

  it('keeps the order under a constant delay, and clamps jitter below zero at zero', async () => {
    const [source, target] = [await peer(), await peer()];
    const constant = await relayTo(target, { jitter: { baseMs: 3 } });
    const report = (await pump(source, constant, audioRun(N), target)).toTarget;
    expect(report.delay).toEqual({ count: N, minMs: 3, medianMs: 3, maxMs: 3 });
    expect(inversions(arrivalOrder(target.received))).toBe(0);

    const other = await peer();
    const clamped = await relayTo(other, { jitter: { baseMs: 1, uniformMs: 3 } });
    const delay = (await pump(source, clamped, audioRun(N), other)).toTarget.delay;
    // A third of the draws of 1 ± 3 ms fall below 0: they go at once; the median stays 1 ms.
    expect(delay.minMs).toBe(0);
    expect(delay.medianMs).toBeGreaterThan(0.7);
    expect(delay.medianMs).toBeLessThan(1.3);
    expect(delay.maxMs).toBeLessThanOrEqual(4);
  });
});
