/**
 * The content of vectors/jitter-scenarios.json: seeded runs of StreamPacketizer → an impaired
 * network (loss, duplicates, reordering, late arrivals, re-cut overlapping runs) → JitterBuffer,
 * with sender clocks that stall, run slow (underruns that prime again) and run fast (slips),
 * recorded op by op with everything the core gave: each packetize call's cuts, each push's return,
 * and after each pull the bytes played, the PullResult and the full stats; at the end the
 * concealed ranges. native/test/test_jitter_scenarios.cpp replays the ops and compares it all.
 */
import {
  SeededRandom,
  bytesPerFrame,
  createAudioHeader,
  makeFormat,
  readAudioHeader,
} from '@syfala/proto';
import type { Format, SampleType } from '@syfala/proto';

import { JitterBuffer, StreamPacketizer } from '../src/index.js';
import { JITTER_STATS_FIELDS } from '../src/jitter-stats.generated.js';
import { hex } from './vector-json.js';

type Op =
  /** The sender handed `bytes` bytes over; the datagrams carried `counts` bytes each from `from`. */
  | { op: 'packetize'; from: number; bytes: number; counts: number[] }
  | { op: 'push'; at: number; payload: string; stored: number }
  | {
      op: 'pull';
      frames: number;
      out: string;
      playing: boolean;
      concealedBytes: number;
      underrun: boolean;
      stats: number[];
    }
  /** An I/O restart: the packetizer and the jitter buffer both start again at byte 0. */
  | { op: 'reset' }
  | { op: 'target'; frames: number };

interface Setup {
  readonly name: string;
  readonly seed: number;
  readonly sampleType: SampleType;
  readonly channels: number;
  /** 48 kHz unless the scenario needs a short slip window (SLIP_WINDOW_SECONDS of it). */
  readonly sampleRate?: number;
  readonly capacityFrames: number;
  readonly targetLatencyFrames: number;
  readonly datagramBudgetBytes: number;
  /** JitterBufferOptions; default true and false. */
  readonly skipSurplus?: boolean;
  readonly concealUnderruns?: boolean;
  /** JitterBufferOptions.skipCoveredGaps; default false. */
  readonly skipCoveredGaps?: boolean;
}

interface Impairment {
  readonly loss: number;
  readonly duplicate: number;
  /** Chance that a datagram is held back 1 to maxDelayTicks periods. */
  readonly delay: number;
  readonly maxDelayTicks: number;
}

const CLEAN: Impairment = { loss: 0, duplicate: 0, delay: 0, maxDelayTicks: 0 };

interface Run {
  readonly at: number;
  readonly payload: Uint8Array;
}

const STREAM_INDEX = 2;

/** One scenario's sender, network and receiver, on a clock of ticks (device periods). */
class Simulation {
  readonly ops: Op[] = [];
  readonly random: SeededRandom;
  readonly #setup: Setup;
  readonly #format: Format;
  readonly #buffer: JitterBuffer;
  readonly #packetizer: StreamPacketizer;
  /** Everything sent since the last restart, for re-cut runs. */
  #sent: number[] = [];
  #inFlight: { due: number; run: Run }[] = [];
  #tick = 0;

  constructor(setup: Setup) {
    this.#setup = setup;
    this.random = new SeededRandom('dataplane vectors', setup.seed);
    this.#format = makeFormat(
      {
        sampleType: setup.sampleType,
        channels: setup.channels,
        sampleRate: setup.sampleRate ?? 48_000,
        bufferFrames: 0,
      },
      'any',
    );
    this.#buffer = new JitterBuffer({
      format: this.#format,
      capacityFrames: setup.capacityFrames,
      targetLatencyFrames: setup.targetLatencyFrames,
      skipSurplus: setup.skipSurplus ?? true,
      concealUnderruns: setup.concealUnderruns ?? false,
      skipCoveredGaps: setup.skipCoveredGaps ?? false,
    });
    this.#packetizer = new StreamPacketizer({
      streamIndex: STREAM_INDEX,
      format: this.#format,
      datagramBudgetBytes: setup.datagramBudgetBytes,
    });
  }

  get bytesPerFrame(): number {
    return bytesPerFrame(this.#format);
  }

  /** The sender hands over `bytes` fresh stream bytes; returns the runs it emitted. */
  send(bytes: number): Run[] {
    const from = this.#packetizer.byteIndex;
    const payload = this.random.bytes(bytes);
    const runs: Run[] = [];
    const header = createAudioHeader();
    this.#packetizer.packetize(payload, 0, bytes, {
      claim: (length) => new Uint8Array(length),
      send: (datagram, length) => {
        readAudioHeader(datagram, header, 0, length);
        runs.push({
          at: header.byteIndex,
          payload: datagram.subarray(header.payloadOffset, length),
        });
      },
    });
    this.#sent.push(...payload);
    this.ops.push({ op: 'packetize', from, bytes, counts: runs.map((r) => r.payload.length) });
    return runs;
  }

  /** Puts runs on the network: each may be lost, duplicated or held back a few ticks. */
  transmit(runs: Run[], impairment: Impairment): void {
    for (const run of runs) {
      if (this.random.chance(impairment.loss)) continue;
      const copies = this.random.chance(impairment.duplicate) ? 2 : 1;
      for (let c = 0; c < copies; c++) {
        const delayed = this.random.chance(impairment.delay);
        const due = this.#tick + (delayed ? this.random.int(1, impairment.maxDelayTicks) : 0);
        this.#inFlight.push({ due, run });
      }
    }
  }

  /** Pushes, in a shuffled order, every run due by now. */
  deliver(): void {
    const due = this.#inFlight.filter((f) => f.due <= this.#tick);
    this.#inFlight = this.#inFlight.filter((f) => f.due > this.#tick);
    this.random.shuffle(due);
    for (const { run } of due) this.push(run);
  }

  /** A run re-cut from what was sent lately, overlapping other runs (and maybe the playhead). */
  recut(lookBackBytes: number): void {
    const end = this.#sent.length - this.random.int(0, Math.min(lookBackBytes, this.#sent.length));
    const start = Math.max(0, end - this.random.int(1, lookBackBytes));
    if (end > start)
      this.push({ at: start, payload: Uint8Array.from(this.#sent.slice(start, end)) });
  }

  push({ at, payload }: Run): void {
    const stored = this.#buffer.push(at, payload, 0, payload.length);
    this.ops.push({ op: 'push', at, payload: hex(payload), stored });
  }

  pull(frames: number): void {
    const out = new Uint8Array(frames * this.bytesPerFrame).fill(0xee);
    const { playing, concealedBytes, underrun } = this.#buffer.pull(out, 0, frames);
    this.ops.push({
      op: 'pull',
      frames,
      out: hex(out),
      playing,
      concealedBytes,
      underrun,
      stats: this.stats(),
    });
  }

  reset(): void {
    this.#buffer.reset();
    this.#packetizer.reset();
    this.#sent = [];
    this.ops.push({ op: 'reset' });
  }

  target(frames: number): void {
    this.#buffer.targetLatencyFrames = frames;
    this.ops.push({ op: 'target', frames });
  }

  /** One device period: the sender's period goes out, whatever is due arrives, one pull. */
  period(sendBytes: number, pullFrames: number, impairment: Impairment): void {
    if (sendBytes > 0) this.transmit(this.send(sendBytes), impairment);
    this.deliver();
    if (pullFrames > 0) this.pull(pullFrames);
    this.#tick++;
  }

  stats(): number[] {
    const stats = this.#buffer.stats();
    return JITTER_STATS_FIELDS.map((field) => stats[field]);
  }

  result(): object {
    const { name, sampleType, channels, capacityFrames, targetLatencyFrames } = this.#setup;
    return {
      name,
      sampleType,
      channels,
      sampleRate: this.#format.sampleRate,
      capacityFrames,
      targetLatencyFrames,
      datagramBudgetBytes: this.#setup.datagramBudgetBytes,
      skipSurplus: this.#setup.skipSurplus ?? true,
      concealUnderruns: this.#setup.concealUnderruns ?? false,
      skipCoveredGaps: this.#setup.skipCoveredGaps ?? false,
      streamIndex: STREAM_INDEX,
      ops: this.ops,
      finalStats: this.stats(),
      concealedRanges: this.#buffer.concealedRanges(),
    };
  }
}

function lossyStereo(): object {
  // f32 stereo, 5 frames per datagram: a 12-frame period goes out as 40 + 40 + 16 bytes.
  const sim = new Simulation({
    name: 'f32 stereo: loss, duplicates, reordering past the window, re-cut overlapping runs',
    seed: 26,
    sampleType: 'f32',
    channels: 2,
    capacityFrames: 64,
    targetLatencyFrames: 16,
    datagramBudgetBytes: 24 + 40,
  });
  const net: Impairment = { loss: 0.06, duplicate: 0.05, delay: 0.15, maxDelayTicks: 4 };
  for (let tick = 0; tick < 160; tick++) {
    if (tick === 70) sim.target(24);
    if (tick === 100) sim.reset();
    if (tick === 130) sim.target(8);
    sim.period(12 * 8, 12, net);
    if (sim.random.chance(0.15)) sim.recut(200);
  }
  return sim.result();
}

function monoCutInsideSamples(): object {
  // i24 mono with 2 payload bytes per datagram: no frame fits, so runs end inside samples.
  const sim = new Simulation({
    name: 'i24 mono: 2-byte runs cut inside samples, reordered and lost',
    seed: 2,
    sampleType: 'i24',
    channels: 1,
    capacityFrames: 48,
    targetLatencyFrames: 12,
    datagramBudgetBytes: 24 + 2,
  });
  const net: Impairment = { loss: 0.05, duplicate: 0.03, delay: 0.2, maxDelayTicks: 2 };
  for (let tick = 0; tick < 70; tick++) sim.period(8 * 3, 8, net);
  return sim.result();
}

function unsignedGapsInsideFrames(): object {
  // u24 stereo with 4 payload bytes per datagram: losses start and end inside samples, so the
  // offset-binary silence (00 00 80) must be concealed from the right byte of the pattern.
  const sim = new Simulation({
    name: 'u24 stereo: 4-byte runs, gaps starting inside samples concealed with offset-binary zero',
    seed: 5,
    sampleType: 'u24',
    channels: 2,
    capacityFrames: 24,
    targetLatencyFrames: 6,
    datagramBudgetBytes: 24 + 4,
  });
  const net: Impairment = { loss: 0.15, duplicate: 0.05, delay: 0.1, maxDelayTicks: 2 };
  for (let tick = 0; tick < 40; tick++) sim.period(4 * 6, 4, net);
  return sim.result();
}

function quadStallsAndRestart(): object {
  // i16 4ch, 3 frames per datagram; the sender hands over odd byte counts (partial frames) that
  // average a period. The receiver stalls longer than its capacity (overruns, then resyncs to the
  // sender), then the sender stalls (underruns), then I/O
  // restarts with old datagrams still in flight, and the period size changes.
  const sim = new Simulation({
    name: 'i16 4ch: partial-frame hand-overs, receiver stall (overrun, resync), sender stall (underrun), restart',
    seed: 3,
    sampleType: 'i16',
    channels: 4,
    capacityFrames: 32,
    targetLatencyFrames: 8,
    datagramBudgetBytes: 24 + 30,
  });
  const net: Impairment = { loss: 0.03, duplicate: 0.02, delay: 0.1, maxDelayTicks: 3 };
  let owed = 0;
  for (let tick = 0; tick < 130; tick++) {
    const periodFrames = tick < 100 ? 8 : 5;
    owed += periodFrames * sim.bytesPerFrame;
    const jitter = sim.random.int(-5, 5);
    const sendBytes = tick >= 70 && tick < 85 ? 0 : Math.max(0, owed + jitter);
    if (sendBytes > 0) owed -= sendBytes;
    else owed = 0;
    if (tick === 85) sim.reset();
    if (tick === 86) sim.target(4);
    const pullFrames = tick >= 40 && tick < 55 ? 0 : periodFrames;
    sim.period(sendBytes, pullFrames, tick >= 85 && tick < 90 ? CLEAN : net);
  }
  return sim.result();
}

function unsignedHistoryOverflow(): object {
  // u8 mono, one byte per datagram, every other one lost: a concealed range per lost byte, more
  // than the history holds. The even ones are lost, so each period ends on a received byte and
  // plays (rather than underruns). Then runs from the past: late when they meet a concealed
  // range or reach back past the history, duplicate when all their bytes were received.
  const sim = new Simulation({
    name: 'u8 mono: concealed-range history overflow, late versus duplicate, unsigned silence',
    seed: 4,
    sampleType: 'u8',
    channels: 1,
    capacityFrames: 64,
    targetLatencyFrames: 16,
    datagramBudgetBytes: 24 + 1,
  });
  const everySecondLost = (runs: Run[]): Run[] => runs.filter((r) => r.at % 2 === 1);
  const ticks = 140;
  for (let tick = 0; tick < ticks; tick++) {
    sim.transmit(everySecondLost(sim.send(16)), CLEAN);
    sim.period(0, 16, CLEAN);
  }
  const old = (at: number, length: number): Run => ({ at, payload: new Uint8Array(length) });
  for (const run of [
    old(0, 1), // lost long ago, before the history: late
    old(1, 1), // received long ago, before the history: late too (no longer known)
    old(ticks * 16 - 100, 1), // lost, within the history: late
    old(ticks * 16 - 101, 1), // received, within the history: duplicate
    old(ticks * 16 - 101, 3), // received and lost bytes: late
    old(ticks * 16 + 200, 4), // beyond the capacity: overrun
  ]) {
    sim.push(run);
  }
  sim.pull(16);
  return sim.result();
}

function slowerSenderStallAndResume(): object {
  // u32 mono: the sender's clock runs 7 % slow, so the buffer drains and underruns every few
  // dozen periods; each underrun primes again and the stream plays on where it stopped. Then the
  // sender stalls for 15 periods and resumes where it left off: one underrun, nothing lost. Only
  // the network's own losses are concealed.
  const sim = new Simulation({
    name: 'u32 mono: slower sender clock and a sender stall: underruns prime again, nothing lost to them',
    seed: 6,
    sampleType: 'u32',
    channels: 1,
    capacityFrames: 48,
    targetLatencyFrames: 12,
    datagramBudgetBytes: 24 + 10,
  });
  const net: Impairment = { loss: 0.02, duplicate: 0.02, delay: 0.1, maxDelayTicks: 2 };
  let owedFrames = 0;
  for (let tick = 0; tick < 140; tick++) {
    const stalled = tick >= 80 && tick < 95;
    owedFrames = stalled ? 0 : owedFrames + 6 * 0.93;
    const frames = Math.floor(owedFrames);
    owedFrames -= frames;
    sim.period(frames * sim.bytesPerFrame, 6, net);
  }
  return sim.result();
}

function fasterSenderSlips(): object {
  // i16 mono at 1 kHz, so that a SLIP_WINDOW_SECONDS window is 500 frames (50 periods): the
  // sender's clock runs 20 % fast, the fill climbs, and each window whose lowest fill stayed above
  // the target skips back down to it, over lost datagrams too (concealed, counted lost). From
  // tick 155 the clocks agree: the window ending at tick 250 holds a surplus below the target
  // (lowest fill 18 frames, target 12), and skips it all the same.
  const sim = new Simulation({
    name: 'i16 mono at 1 kHz: faster sender clock, surplus skipped back to the target, over losses too, then a surplus below the target',
    seed: 7,
    sampleType: 'i16',
    channels: 1,
    sampleRate: 1000,
    capacityFrames: 256,
    targetLatencyFrames: 20,
    datagramBudgetBytes: 24 + 12,
  });
  const net: Impairment = { loss: 0.06, duplicate: 0.03, delay: 0.1, maxDelayTicks: 3 };
  let owedFrames = 0;
  for (let tick = 0; tick < 260; tick++) {
    if (tick === 150) sim.target(12);
    owedFrames += tick < 155 ? 10 * 1.2 : 10;
    const frames = Math.floor(owedFrames);
    owedFrames -= frames;
    sim.period(frames * sim.bytesPerFrame, 10, net);
  }
  return sim.result();
}

function stalledSenderBurstSkipped(): object {
  // i16 mono at 1 kHz (a SLIP_WINDOW_SECONDS window is 50 periods), clocks that agree: the
  // sender stalls for 6 periods, then sends what it owes at once. The buffer underruns, primes
  // again and starts with the burst on top of its target; a window later that surplus is skipped
  // and the latency is the target's again. The stream's first start, above the target too, keeps
  // its fill: that is latency it was given.
  const sim = new Simulation({
    name: 'i16 mono at 1 kHz: after an underrun a stalled sender burst is skipped back to the target, the first start keeps its fill',
    seed: 9,
    sampleType: 'i16',
    channels: 1,
    sampleRate: 1000,
    capacityFrames: 256,
    targetLatencyFrames: 16,
    datagramBudgetBytes: 24 + 12,
  });
  const net: Impairment = { loss: 0.02, duplicate: 0.02, delay: 0, maxDelayTicks: 0 };
  sim.period(3 * 10 * sim.bytesPerFrame, 0, net);
  for (let tick = 0; tick < 200; tick++) {
    const stalled = tick >= 70 && tick < 76;
    const frames = stalled ? 0 : tick === 76 ? 70 : 10;
    sim.period(frames * sim.bytesPerFrame, 10, net);
  }
  return sim.result();
}

function concealedUnderruns(): object {
  // i16 stereo, concealUnderruns and no slips (as under a DriftCompensatedStream): the sender runs
  // 6 % slow with jitter, so periods come due before they have all arrived; each plays what did,
  // the rest concealed, and the playhead moves on (the stragglers come late). Then the sender
  // stalls for 12 periods: once it is more than half the capacity behind, the buffer primes again
  // with the playhead held, and plays on once the resumed sender has caught up with it.
  const sim = new Simulation({
    name: 'i16 stereo, concealUnderruns: underruns concealed and played through, late stragglers, a stall past half the capacity primes again',
    seed: 8,
    sampleType: 'i16',
    channels: 2,
    capacityFrames: 48,
    targetLatencyFrames: 10,
    datagramBudgetBytes: 24 + 12,
    skipSurplus: false,
    concealUnderruns: true,
  });
  const net: Impairment = { loss: 0.03, duplicate: 0.02, delay: 0.25, maxDelayTicks: 2 };
  let owedFrames = 0;
  for (let tick = 0; tick < 150; tick++) {
    const stalled = tick >= 90 && tick < 102;
    owedFrames = stalled ? owedFrames : owedFrames + 8 * 0.94;
    const frames = stalled ? 0 : Math.floor(owedFrames);
    owedFrames -= frames;
    sim.period(frames * sim.bytesPerFrame, 8, net);
  }
  return sim.result();
}

function stalledSenderGapSkipped(): object {
  // i16 mono at 1 kHz, skipCoveredGaps and no slips (as under a native DriftCompensatedStream):
  // the sender's device stalls for 5 periods and loses that time. The buffer underruns and primes
  // again; 3 periods after resuming, the sender leaves the lost time out of its numbering (here:
  // 50 frames sent at once, none of them arriving). The buffer already waited that stall out, so
  // the gap is skipped as far as the fill beyond it is above the target, not played as 5 periods
  // of latency. Later, a datagram lost at the target's fill is concealed as ever.
  const sim = new Simulation({
    name: 'i16 mono at 1 kHz, skipCoveredGaps: a stalled sender that lost the time, its gap skipped after priming again, a later loss concealed',
    seed: 10,
    sampleType: 'i16',
    channels: 1,
    sampleRate: 1000,
    capacityFrames: 256,
    targetLatencyFrames: 24,
    datagramBudgetBytes: 24 + 20,
    skipSurplus: false,
    skipCoveredGaps: true,
  });
  const lostAll: Impairment = { loss: 1, duplicate: 0, delay: 0, maxDelayTicks: 0 };
  for (let tick = 0; tick < 120; tick++) {
    const stalled = tick >= 40 && tick < 45;
    if (tick === 48) sim.period(50 * sim.bytesPerFrame, 0, lostAll);
    sim.period(stalled ? 0 : 10 * sim.bytesPerFrame, 10, tick === 90 ? lostAll : CLEAN);
  }
  return sim.result();
}

export function jitterScenarios(): object {
  return {
    description:
      'Jitter buffer scenarios generated by running the data plane core (native/src/core, through the WebAssembly build of @syfala/dataplane; scripts/generate-vectors.ts). Replay ops in order on a StreamPacketizer(streamIndex, bytes per frame, datagramBudgetBytes) and a JitterBuffer(format of sampleType, channels and sampleRate, capacityFrames, targetLatencyFrames, skipSurplus, concealUnderruns, skipCoveredGaps). packetize: hand over `bytes` bytes, expect datagrams of `counts` bytes from byte index `from`; push: push `payload` at byte index `at`, expect `stored`; pull: pull `frames` into a buffer filled with 0xee, expect `out`, the PullResult and `stats` (in statsFields order); reset: reset both; target: set the target latency. At the end: finalStats and concealedRanges ([start, end) byte ranges, oldest first).',
    statsFields: JITTER_STATS_FIELDS,
    scenarios: [
      lossyStereo(),
      monoCutInsideSamples(),
      unsignedGapsInsideFrames(),
      quadStallsAndRestart(),
      unsignedHistoryOverflow(),
      slowerSenderStallAndResume(),
      fasterSenderSlips(),
      concealedUnderruns(),
      stalledSenderBurstSkipped(),
      stalledSenderGapSkipped(),
    ],
  };
}
