import { describe, expect, it } from 'vitest';
import {
  JITTER_WINDOW_SECONDS,
  LatencyAdapter,
  SHRINK_HOLD_SECONDS,
  SHRINK_INTERVAL_SECONDS,
  SHRINK_STEP_MS,
  TOLERATED_BLOCKS,
} from '../src/index.js';
import { runDriftingLink } from './fixtures/drifting-link.js';
import type { DriftingLinkOptions, LinkSecond } from './fixtures/drifting-link.js';

const FS = 48_000;
const P = 64;
/** Frames of a ± jitter's whole spread. */
const spreadFrames = (jitterMs: number): number => (2 * jitterMs * FS) / 1000;
const STEP_FRAMES = Math.round((FS * SHRINK_STEP_MS) / 1000);
/** Seconds the adapter is given to settle before it is judged. */
const SETTLE_SECONDS = 30;

// Both ways an engine plays a stream: straight from the jitter buffer (its target is the priming
// level) and through a DriftCompensatedStream (its target is the fill the resampler holds).
const MODES = [
  { mode: 'straight from the buffer', compensateDrift: false },
  { mode: 'drift-compensated', compensateDrift: true },
];

function link(options: Partial<DriftingLinkOptions>): readonly LinkSecond[] {
  return runDriftingLink({
    skewPpm: 0,
    baseDelayMs: 8,
    jitterMs: 2,
    seconds: 120,
    periodFrames: P,
    targetLatencyFrames: P,
    capacityFrames: FS / 4, // the TS engine's 0.25 s
    adaptive: true,
    seed: 7,
    ...options,
  }).seconds;
}

const at = (seconds: readonly LinkSecond[], t: number): LinkSecond =>
  seconds.find((s) => s.at === t)!;
const between = (seconds: readonly LinkSecond[], from: number, to: number): LinkSecond[] =>
  seconds.filter((s) => s.at > from && s.at <= to);
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('LatencyAdapter on a link of virtual clocks (real packetizer and jitter buffer)', () => {
  it.each(MODES)(
    '$mode, ±2 ms uniform jitter: settles on a target that covers it, underruns rare, well below a conservative fixed target',
    ({ compensateDrift }) => {
      const spread = spreadFrames(2);
      const seconds = link({ compensateDrift, seconds: 180 });
      const settled = between(seconds, SETTLE_SECONDS, 180);
      for (const s of settled) {
        // Arrivals are seen between pulls: the measure is the spread to within a period.
        expect(Math.abs(s.jitterFrames - spread)).toBeLessThanOrEqual(P);
        // The target covers the measured spread and a period, with little more.
        expect(s.targetFrames).toBeGreaterThanOrEqual(s.jitterFrames + P);
        expect(s.targetFrames).toBeLessThanOrEqual(spread + 2 * P);
      }
      const end = seconds.at(-1)!;
      const start = at(seconds, SETTLE_SECONDS);
      const minutes = (end.at - start.at) / 60;
      expect((end.underruns - start.underruns) / minutes).toBeLessThan(1);
      // Bounded jitter, covered: no datagram late.
      expect(end.lostFrames - start.lostFrames).toBe(0);

      // A conservative fixed target: 2.5 times the spread (10 ms here, as drift.test.ts sets).
      const conservative = 2.5 * spread;
      const fixed = link({
        compensateDrift,
        seconds: 180,
        adaptive: false,
        targetLatencyFrames: conservative,
      });
      const fixedSettled = between(fixed, SETTLE_SECONDS, 180);
      expect(fixed.at(-1)!.underruns).toBe(0);
      expect(Math.max(...settled.map((s) => s.targetFrames))).toBeLessThan(conservative - P);
      if (compensateDrift) {
        // Here the target is the fill, so the latency itself is that much lower.
        const fill = mean(settled.map((s) => s.fillFrames));
        expect(fill).toBeLessThan(mean(fixedSettled.map((s) => s.fillFrames)) - P);
      }
    },
    60_000,
  );

  it.each(MODES)(
    '$mode: a burst of ±6 ms raises the target at once; after it, the target holds, then comes down by small steps',
    ({ compensateDrift }) => {
      const [burstFrom, burstTo] = [60, 90];
      const seconds = link({
        compensateDrift,
        seconds: 150,
        jitterMsAt: (t) => (t >= burstFrom && t < burstTo ? 6 : 2),
      });
      const before = at(seconds, burstFrom).targetFrames;
      expect(before).toBeLessThanOrEqual(spreadFrames(2) + 2 * P);

      // Once the burst has lasted longer than the tolerated blocks (from the second second of it
      // on), the target covers its spread and a period.
      const burstSpread = spreadFrames(6);
      for (const s of between(seconds, burstFrom + 2, burstTo)) {
        expect(Math.abs(s.jitterFrames - burstSpread)).toBeLessThanOrEqual(P);
        expect(s.targetFrames).toBeGreaterThanOrEqual(burstSpread + P);
      }

      // After it: nothing shrinks until the burst has left the window (but for the tolerated
      // blocks) and the hold has passed.
      const raised = at(seconds, burstTo).targetFrames;
      const holdEnd = burstTo + JITTER_WINDOW_SECONDS - TOLERATED_BLOCKS / 4 + SHRINK_HOLD_SECONDS;
      for (const s of between(seconds, burstTo, holdEnd - 1)) expect(s.targetFrames).toBe(raised);
      // Then never more than a step per interval, down to within two steps (the hysteresis) of
      // where it was before the burst: the need is the same again.
      const maxPerSecond = STEP_FRAMES * Math.ceil(1 / SHRINK_INTERVAL_SECONDS);
      const after = between(seconds, holdEnd - 1, 150);
      after.forEach((s, i) => {
        const previous = i === 0 ? raised : after[i - 1]!.targetFrames;
        expect(s.targetFrames).toBeLessThanOrEqual(previous);
        expect(previous - s.targetFrames).toBeLessThanOrEqual(maxPerSecond);
      });
      expect(after.at(-1)!.targetFrames).toBeLessThan(before + 2 * STEP_FRAMES);
    },
    60_000,
  );

  it.each([
    { drift: 'the slope of a sender 500 ppm fast', skewPpm: 500, compensateDrift: true },
    { drift: 'the slope of a sender 500 ppm slow', skewPpm: -500, compensateDrift: true },
    { drift: 'the slips of a sender 500 ppm fast', skewPpm: 500, compensateDrift: false },
  ])('does not count $drift as jitter', ({ skewPpm, compensateDrift }) => {
    const seconds = link({ compensateDrift, skewPpm, seconds: 90 });
    for (const s of between(seconds, SETTLE_SECONDS, 90)) {
      expect(Math.abs(s.jitterFrames - spreadFrames(2))).toBeLessThanOrEqual(P);
    }
  });

  it.each(MODES)('$mode: a fixed target (no adapter) plays as before', ({ compensateDrift }) => {
    const target = 2.5 * spreadFrames(2);
    const seconds = link({ compensateDrift, adaptive: false, targetLatencyFrames: target });
    expect(new Set(seconds.map((s) => s.targetFrames))).toEqual(new Set([target]));
    expect(seconds.every((s) => Number.isNaN(s.jitterFrames))).toBe(true);
    expect(seconds.at(-1)).toMatchObject({ underruns: 0, lostFrames: 0 });
  });
});

describe('LatencyAdapter', () => {
  const valid = { sampleRate: FS, periodFrames: P, minTargetFrames: 1, maxTargetFrames: 6000 };

  /** Device frames in one 0.25 s block of the window. */
  const BLOCK = FS / 4;

  /**
   * Feeds `blocks` blocks in which one run arrives on time (offset 1000 on the device clock, the
   * frames pulled since `clock`) and one `lateness` frames later than it, each block ended by
   * pulling it whole. Returns the device clock after them.
   */
  function lateInBlocks(
    adapter: LatencyAdapter,
    clock: number,
    lateness: number,
    blocks: number,
  ): number {
    for (let b = 0; b < blocks; b++, clock += BLOCK) {
      adapter.arrival(clock + 1000);
      adapter.arrival(clock + 1000 - lateness);
      adapter.period(BLOCK, false);
    }
    return clock;
  }

  it('leaves out the latest TOLERATED_BLOCKS blocks, then grows to the need with the next pull', () => {
    const adapter = new LatencyAdapter({ ...valid, safetyFrames: 10 });
    expect(adapter.targetFrames).toBe(1);
    const clock = lateInBlocks(adapter, 0, 100.5, TOLERATED_BLOCKS);
    // Rare stalls are tolerated: the target covers only the period and the safety.
    expect(adapter.jitterFrames).toBe(0);
    expect(adapter.targetFrames).toBe(P + 10);
    // One block more with such an arrival: the jitter is now that lateness, the target its need,
    // once the pull after it has measured it (an arrival may be the start of a longer chain).
    adapter.arrival(clock + 1000);
    expect(adapter.arrival(clock + 1000 - 100.5)).toBe(P + 10);
    expect(adapter.period(0, false)).toBe(Math.ceil(100.5 + P + 10));
    expect(adapter.jitterFrames).toBe(100.5);
  });

  it('measures a period cut in many datagrams, arriving together, as one arrival', () => {
    // 64 channels of f32: 13 datagrams a period. One by one, the first ends 59 frames before the
    // last that came with it, and the jitter read 59 frames.
    const adapter = new LatencyAdapter({ ...valid, initialTargetFrames: 128 });
    for (let k = 0; k < 3000; k++) {
      for (let i = 1; i <= 12; i++) adapter.arrival(P * k + 5 * i);
      adapter.arrival(P * (k + 1));
      adapter.period(P, false);
    }
    expect(adapter.jitterFrames).toBe(0);
    expect(adapter.targetFrames).toBe(128);
  });

  it('does not count what arrived during a caught-up stall of the device as early', () => {
    // Once a block the device stalls a period and catches up: the period due then and the next
    // arrive before one late pull, the next pull follows at once, and the second reads a period
    // early. Once a block too, a period arrives a pull late. Against the early one, on-time
    // arrivals read a period late and the late one two: the jitter read 2 periods.
    const adapter = new LatencyAdapter({ ...valid, initialTargetFrames: 128 });
    for (let k = 0; k < 3000; k++) {
      const end = P * (k + 1);
      if (k % 187 === 50 || k % 187 === 120) {
        const stalled = k % 187 === 50;
        if (!stalled) adapter.period(P, false);
        adapter.arrival(end);
        adapter.arrival(end + P);
        adapter.period(P, false);
        if (stalled) adapter.period(P, false);
        k++;
      } else {
        adapter.arrival(end);
        adapter.period(P, false);
      }
    }
    expect(adapter.jitterFrames).toBe(P);
    expect(adapter.targetFrames).toBe(P + P + P / 4);
  });

  it('grows by a period on underruns less than a second apart, once per run of them', () => {
    const adapter = new LatencyAdapter({ ...valid, initialTargetFrames: 200 });
    // A lone underrun, and another more than a second later: tolerated.
    expect(adapter.period(P, true)).toBe(200);
    adapter.period(FS, false);
    expect(adapter.period(P, true)).toBe(200);
    // Then one within the second, twice in a row: one period more.
    adapter.period(P, false);
    expect(adapter.period(P, true)).toBe(200 + P);
    expect(adapter.period(P, true)).toBe(200 + P);
  });

  it('leaves the target to the jitter when underruns do not raise it (the fill held against drift)', () => {
    const adapter = new LatencyAdapter({
      ...valid,
      initialTargetFrames: 200,
      raiseOnUnderruns: false,
    });
    for (let i = 0; i < 4; i++) {
      expect(adapter.period(P, true)).toBe(200);
      adapter.period(P, false);
    }
  });

  it('measures lateness on the device clock: a pulled period makes the same run end later', () => {
    const adapter = new LatencyAdapter({ ...valid, safetyFrames: 0 });
    // Each block: a run, a period pulled, then a run that ends one period later: on time.
    let clock = 0;
    for (let b = 0; b <= TOLERATED_BLOCKS; b++, clock += BLOCK) {
      adapter.arrival(clock + 1000);
      adapter.period(P, false);
      adapter.arrival(clock + 1000 + P);
      adapter.period(BLOCK - P, false);
    }
    expect(adapter.jitterFrames).toBe(0);
    // The same run end without the period pulled is a period late, block after block.
    lateInBlocks(adapter, clock, P, TOLERATED_BLOCKS + 1);
    expect(adapter.jitterFrames).toBe(P);
  });

  it('clamps the target to its bounds and lateness to the maximum', () => {
    const adapter = new LatencyAdapter({ ...valid, minTargetFrames: 200, maxTargetFrames: 300 });
    adapter.arrival(0);
    expect(adapter.targetFrames).toBe(200);
    lateInBlocks(adapter, 0, 1e9, TOLERATED_BLOCKS + 1);
    expect(adapter.jitterFrames).toBe(300);
    expect(adapter.targetFrames).toBe(300);
    adapter.period(P, true);
    adapter.period(P, false);
    expect(adapter.period(P, true)).toBe(300);
  });

  it('forgets its measures on reset() and keeps its target', () => {
    const adapter = new LatencyAdapter(valid);
    lateInBlocks(adapter, 0, 500, TOLERATED_BLOCKS + 1);
    const target = adapter.targetFrames;
    expect(target).toBeGreaterThan(500);
    adapter.reset();
    expect(adapter.jitterFrames).toBe(0);
    expect(adapter.targetFrames).toBe(target);
    adapter.arrival(10);
    expect(adapter.jitterFrames).toBe(0);
  });

  it.each([
    [{ sampleRate: 0 }, 'BAD_SAMPLE_RATE'],
    [{ sampleRate: Number.NaN }, 'BAD_SAMPLE_RATE'],
    [{ periodFrames: 0 }, 'BAD_PERIOD'],
    [{ periodFrames: 1.5 }, 'BAD_PERIOD'],
    [{ minTargetFrames: 0 }, 'BAD_TARGET'],
    [{ minTargetFrames: 100, maxTargetFrames: 99 }, 'BAD_TARGET'],
    [{ initialTargetFrames: 6001 }, 'BAD_TARGET'],
    [{ minTargetFrames: 10, initialTargetFrames: 9 }, 'BAD_TARGET'],
    [{ safetyFrames: -1 }, 'BAD_SAFETY'],
  ])('rejects the options %o with %s', (bad, code) => {
    expect(() => new LatencyAdapter({ ...valid, ...bad })).toThrow(
      expect.objectContaining({ name: 'LatencyAdapterError', code }),
    );
  });

  it.each([
    ['an arrival', (a: LatencyAdapter) => a.arrival(Number.NaN), 'BAD_ARRIVAL'],
    ['an arrival', (a: LatencyAdapter) => a.arrival(Number.POSITIVE_INFINITY), 'BAD_ARRIVAL'],
    ['a period', (a: LatencyAdapter) => a.period(-1, false), 'BAD_FRAMES'],
    ['a period', (a: LatencyAdapter) => a.period(2.5, false), 'BAD_FRAMES'],
  ])('rejects %s that is not a number of frames, changing nothing', (_, call, code) => {
    const adapter = new LatencyAdapter(valid);
    adapter.arrival(1000);
    const before = [adapter.targetFrames, adapter.jitterFrames];
    expect(() => call(adapter)).toThrow(
      expect.objectContaining({ name: 'LatencyAdapterError', code }),
    );
    expect([adapter.targetFrames, adapter.jitterFrames]).toEqual(before);
  });
});
