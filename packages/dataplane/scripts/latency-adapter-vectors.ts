/**
 * The content of vectors/latency-adapter.json: seeded runs of LatencyAdapter fed by a simulated
 * link on a clock of device periods (drifting sender, uniform jitter with a burst, duplicates,
 * runs ending inside frames, datagrams far too late, underruns, a reset, periods longer than a
 * block and empty ones, periods cut in many datagrams), recorded op by op with the target and the
 * jitter after each.
 * native/test/test_latency_adapter.cpp replays the ops and compares them exactly.
 */
import { LatencyAdapter } from '../src/index.js';
import type { LatencyAdapterOptions } from '../src/index.js';
import { SeededRandom } from '@syfala/proto';

/** [op, ...arguments, target after, jitter after]. */
type Op =
  | ['arrival', number, number, number]
  | ['period', number, boolean, number, number]
  | ['reset', number, number];

interface Link {
  readonly name: string;
  readonly seed: number;
  readonly options: LatencyAdapterOptions;
  readonly ticks: number;
  /** Sender frames per device period, over 1: its clock runs fast. */
  readonly senderRate: number;
  /** The run's byte count is this many bytes per frame, ± 2: runs end inside frames. */
  readonly bytesPerFrame: number;
  /** Base delay and ± uniform jitter of the tick, in ticks. */
  readonly delayTicks: number;
  readonly jitterTicks: (tick: number) => number;
  readonly duplicate: number;
  /** The datagram sent at the tick comes `lateTicks` later still. */
  readonly lateAt: (tick: number) => boolean;
  readonly lateTicks: number;
  /** Frames pulled at the tick (0 while the device is stopped). */
  readonly pullFrames: (tick: number) => number;
  readonly underrunAt: (tick: number) => boolean;
  /**
   * The device stalls at the tick: its pull waits for the next tick's, and the two run back to
   * back (a JACK server catching up); absent: never.
   */
  readonly stalledAt?: (tick: number) => boolean;
  readonly resetAt: number;
  /**
   * Datagrams each tick's run is cut into, sent together and arriving in order (a period of many
   * channels); absent: one, and what arrives at a tick comes in any order.
   */
  readonly datagramsPerTick?: number;
}

class Recorder {
  readonly ops: Op[] = [];
  readonly #adapter: LatencyAdapter;

  constructor(options: LatencyAdapterOptions) {
    this.#adapter = new LatencyAdapter(options);
  }

  arrival(runEndFrame: number): void {
    const target = this.#adapter.arrival(runEndFrame);
    this.ops.push(['arrival', runEndFrame, target, this.#adapter.jitterFrames]);
  }

  period(frames: number, underrun: boolean): void {
    const target = this.#adapter.period(frames, underrun);
    this.ops.push(['period', frames, underrun, target, this.#adapter.jitterFrames]);
  }

  reset(): void {
    this.#adapter.reset();
    this.ops.push(['reset', this.#adapter.targetFrames, this.#adapter.jitterFrames]);
  }
}

function simulate(link: Link): object {
  const random = new SeededRandom('dataplane vectors', link.seed);
  const recorder = new Recorder(link.options);
  const inFlight: { due: number; end: number }[] = [];
  let sentBytes = 0;
  let owedFrames = 0;
  let stalledPulls = 0;
  for (let tick = 0; tick < link.ticks; tick++) {
    if (tick === link.resetAt) {
      recorder.reset();
      inFlight.length = 0;
      sentBytes = 0;
    }
    owedFrames += link.senderRate * link.options.periodFrames;
    const frames = Math.floor(owedFrames);
    owedFrames -= frames;
    const start = sentBytes / link.bytesPerFrame;
    sentBytes += frames * link.bytesPerFrame + random.int(-2, 2);
    const end = sentBytes / link.bytesPerFrame;
    const cuts = link.datagramsPerTick ?? 1;
    const copies = random.chance(link.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const jitter = (2 * random.next() - 1) * link.jitterTicks(tick);
      const late = link.lateAt(tick) ? link.lateTicks : 0;
      const arrives = Math.ceil(tick + link.delayTicks + jitter + late);
      for (let i = 1; i <= cuts; i++) {
        inFlight.push({ due: arrives, end: start + ((end - start) * i) / cuts });
      }
    }
    const due = inFlight.filter((f) => f.due <= tick);
    if (link.datagramsPerTick === undefined) random.shuffle(due);
    for (const { end: runEnd } of due) recorder.arrival(runEnd);
    inFlight.splice(0, inFlight.length, ...inFlight.filter((f) => f.due > tick));
    if (link.stalledAt?.(tick)) {
      stalledPulls++;
      continue;
    }
    for (; stalledPulls > 0; stalledPulls--) recorder.period(link.pullFrames(tick), false);
    recorder.period(link.pullFrames(tick), link.underrunAt(tick));
  }
  const { initialTargetFrames, safetyFrames, raiseOnUnderruns, ...bounds } = link.options;
  return {
    name: link.name,
    ...bounds,
    ...(initialTargetFrames !== undefined && { initialTargetFrames }),
    ...(safetyFrames !== undefined && { safetyFrames }),
    ...(raiseOnUnderruns !== undefined && { raiseOnUnderruns }),
    ops: recorder.ops,
  };
}

/** 48 kHz, 64-frame periods, as the JACK path's adaptive streams start (the fill held against drift). */
const JACK_DEFAULTS: LatencyAdapterOptions = {
  sampleRate: 48_000,
  periodFrames: 64,
  minTargetFrames: 1,
  maxTargetFrames: 4800,
  initialTargetFrames: 128,
  raiseOnUnderruns: false,
};

export function latencyAdapterVectors(): object {
  return {
    description:
      'LatencyAdapter runs generated by running the data plane core (native/src/core, through the WebAssembly build of @syfala/dataplane; scripts/generate-vectors.ts). Build a LatencyAdapter from sampleRate, periodFrames, minTargetFrames, maxTargetFrames and, when present, initialTargetFrames, safetyFrames (absent: the defaults) and raiseOnUnderruns (absent: true), then replay the ops in order: ["arrival", runEndFrame, target, jitter], ["period", frames, underrun, target, jitter], ["reset", target, jitter]; after each, the target and the jitter frames must be exactly those given.',
    scenarios: [
      simulate({
        name: '16 kHz, 160-frame periods, sender 300 ppm fast: calm, an underrun, a reset, a burst of 4x jitter (grows at once), two underruns in a row (one period more), calm again (holds, then shrinks by steps), then a datagram later than the maximum target; duplicates, runs ending inside frames',
        seed: 1,
        options: {
          sampleRate: 16_000,
          periodFrames: 160,
          minTargetFrames: 1,
          maxTargetFrames: 2500,
          initialTargetFrames: 200,
        },
        ticks: 3300,
        senderRate: 1.0003,
        bytesPerFrame: 4,
        delayTicks: 8,
        jitterTicks: (tick) => (tick >= 700 && tick < 1200 ? 6 : 1.5),
        duplicate: 0.02,
        lateAt: (tick) => tick === 3200,
        lateTicks: 30,
        pullFrames: () => 160,
        underrunAt: (tick) => tick === 200 || tick === 1500 || tick === 1501,
        resetAt: 300,
      }),
      simulate({
        name: '1 kHz, 300-frame periods (longer than a block), no safety, a minimum above the need: shrinks from the maximum to within two steps of the minimum; the device stops for a while (empty pulls), the sender 500 ppm slow',
        seed: 2,
        options: {
          sampleRate: 1000,
          periodFrames: 300,
          minTargetFrames: 700,
          maxTargetFrames: 760,
          initialTargetFrames: 760,
          safetyFrames: 0,
        },
        ticks: 400,
        senderRate: 0.9995,
        bytesPerFrame: 3,
        delayTicks: 2,
        jitterTicks: () => 0.8,
        duplicate: 0.05,
        lateAt: () => false,
        lateTicks: 0,
        pullFrames: (tick) => (tick >= 100 && tick < 110 ? 0 : 300),
        underrunAt: () => false,
        resetAt: -1,
      }),
      simulate({
        name: '48 kHz, 64-frame periods, the fill held against drift (raiseOnUnderruns false): runs of underruns less than a second apart, as a stalling JACK server makes, leave the target where the jitter sets it; a burst of jitter, and a datagram 4 periods late every 700 periods (once 4 blocks of 16 hold one), still raise it',
        seed: 3,
        options: JACK_DEFAULTS,
        ticks: 6000,
        senderRate: 1,
        bytesPerFrame: 8,
        delayTicks: 2,
        jitterTicks: (tick) => (tick >= 4000 && tick < 4400 ? 3 : 0.6),
        duplicate: 0.01,
        lateAt: (tick) => tick % 700 === 350,
        lateTicks: 4,
        pullFrames: () => 64,
        underrunAt: (tick) => tick % 700 === 354 || tick % 700 === 355 || tick % 700 === 600,
        resetAt: -1,
      }),
      simulate({
        name: '48 kHz, 64-frame periods of 64 f32 channels, each cut in 13 datagrams sent together: a period arriving whole is one arrival (the jitter stays within a period, not a period more), while a period 3 periods late every 0.2 s still shows as 3 periods late once 4 blocks of 16 hold one',
        seed: 4,
        options: JACK_DEFAULTS,
        ticks: 900,
        senderRate: 1,
        bytesPerFrame: 256,
        delayTicks: 1,
        jitterTicks: () => 0.4,
        duplicate: 0,
        lateAt: (tick) => tick % 150 === 100,
        lateTicks: 3,
        pullFrames: () => 64,
        underrunAt: () => false,
        resetAt: -1,
        datagramsPerTick: 13,
      }),
      simulate({
        name: '48 kHz, 64-frame periods: the device stalls for a period or two and catches up (late pulls back to back, as dummy JACK servers do) about every 0.25 s, and a period arrives a pull late as often: what arrived during a stall reads early, and is left out of the reference, so on-time arrivals do not read late and the jitter stays at the period',
        seed: 5,
        options: JACK_DEFAULTS,
        ticks: 3000,
        senderRate: 1,
        bytesPerFrame: 8,
        delayTicks: 0,
        jitterTicks: () => 0,
        duplicate: 0,
        lateAt: (tick) => tick % 190 === 100,
        lateTicks: 1,
        pullFrames: () => 64,
        underrunAt: () => false,
        stalledAt: (tick) => tick % 190 === 10 || tick % 380 === 11,
        resetAt: -1,
      }),
    ],
  };
}
