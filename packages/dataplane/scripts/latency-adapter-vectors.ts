/**
 * The content of vectors/latency-adapter.json: seeded runs of LatencyAdapter fed by a simulated
 * link on a clock of device periods (drifting sender, uniform jitter with a burst, duplicates,
 * runs ending inside frames, datagrams far too late, underruns, a reset, periods longer than a
 * block and empty ones), recorded op by op with the target and the jitter after each.
 * native/test/test_latency_adapter.cpp replays the ops and compares them exactly.
 */
import { LatencyAdapter } from '../src/index.js';
import type { LatencyAdapterOptions } from '../src/index.js';
import { Random } from './random.js';

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
  readonly resetAt: number;
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
  const random = new Random(link.seed);
  const recorder = new Recorder(link.options);
  const inFlight: { due: number; end: number }[] = [];
  let sentBytes = 0;
  let owedFrames = 0;
  for (let tick = 0; tick < link.ticks; tick++) {
    if (tick === link.resetAt) {
      recorder.reset();
      inFlight.length = 0;
      sentBytes = 0;
    }
    owedFrames += link.senderRate * link.options.periodFrames;
    const frames = Math.floor(owedFrames);
    owedFrames -= frames;
    sentBytes += frames * link.bytesPerFrame + random.int(-2, 2);
    const end = sentBytes / link.bytesPerFrame;
    const copies = random.chance(link.duplicate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const jitter = (2 * random.float() - 1) * link.jitterTicks(tick);
      const late = link.lateAt(tick) ? link.lateTicks : 0;
      inFlight.push({ due: Math.ceil(tick + link.delayTicks + jitter + late), end });
    }
    const due = inFlight.filter((f) => f.due <= tick);
    random.shuffle(due);
    for (const { end: runEnd } of due) recorder.arrival(runEnd);
    inFlight.splice(0, inFlight.length, ...inFlight.filter((f) => f.due > tick));
    recorder.period(link.pullFrames(tick), link.underrunAt(tick));
  }
  const { initialTargetFrames, safetyFrames, ...bounds } = link.options;
  return {
    name: link.name,
    ...bounds,
    ...(initialTargetFrames !== undefined && { initialTargetFrames }),
    ...(safetyFrames !== undefined && { safetyFrames }),
    ops: recorder.ops,
  };
}

export function latencyAdapterVectors(): object {
  return {
    description:
      'LatencyAdapter runs generated from packages/dataplane/src/latency-adapter.ts (scripts/generate-vectors.ts). Build a LatencyAdapter from sampleRate, periodFrames, minTargetFrames, maxTargetFrames and, when present, initialTargetFrames and safetyFrames (absent: the defaults), then replay the ops in order: ["arrival", runEndFrame, target, jitter], ["period", frames, underrun, target, jitter], ["reset", target, jitter]; after each, the target and the jitter frames must be exactly those given.',
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
    ],
  };
}
