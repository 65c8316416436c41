/**
 * The content of vectors/drift.json: the TS drift controller, resampler, rate converter and
 * drift-compensated stream, op by op with their exact results, for native/test/test_drift.cpp.
 * Controllers: update(fill, frames) → ratio and drift ppm, restarts and setpoint changes, on a
 * simulated buffer whose sender drifts. Resamplers: writes of random floats, the needed and
 * available queries, reads at drift and nominal-rate ratios with their exact float output.
 * Converters: device periods written at one rate, what is available read at the other.
 * Streams: a sender on a skewed clock (and another nominal rate) over a network that delays and
 * loses runs, into a JitterBuffer (skipSurplus false) played by a DriftCompensatedStream, with and
 * without a LossConcealer, with underruns concealed or priming again: every output sample and the
 * ratio and drift after each pull.
 */
import { SeededRandom, bytesPerFrame, makeFormat } from '@syfala/proto';
import type { Format, SampleType } from '@syfala/proto';

import {
  DriftCompensatedStream,
  DriftController,
  DriftResampler,
  JitterBuffer,
  LossConcealer,
  RateConverter,
  encodeSamples,
} from '../src/index.js';
import { chord, tone } from '../test/fixtures/lossy-tone.js';
import type { Signal } from '../test/fixtures/lossy-tone.js';
import { hex } from './vector-json.js';

type Op = (string | number | boolean)[];

/** Interleaved f32 samples as the vector files write them: little-endian bytes in hex. */
const floats = (samples: Float32Array): string =>
  hex(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));

function controllerRun(
  name: string,
  seed: number,
  options: {
    sampleRate: number;
    setpointFrames: number;
    loopHz: number;
    acquireSeconds: number;
    skewPpm: number;
  },
  startFill: number,
  periods: number,
): object {
  const { sampleRate, setpointFrames, loopHz, acquireSeconds, skewPpm } = options;
  const random = new SeededRandom('dataplane vectors', seed);
  const controller = new DriftController({ sampleRate, setpointFrames, loopHz, acquireSeconds });
  const ops: Op[] = [];
  let fill = startFill;
  let setpoint = setpointFrames;
  for (let p = 0; p < periods; p++) {
    if (p === Math.floor(periods / 2)) {
      controller.restart();
      ops.push(['restart', controller.ratio]);
    }
    if (p === Math.floor((periods * 3) / 4)) {
      setpoint = Math.round(setpoint * 0.75);
      controller.setpointFrames = setpoint;
      ops.push(['setpoint', setpoint]);
    }
    // Periods of 64 frames, or 64 device frames at 44.1 kHz in stream frames (fractional).
    const frames = random.chance(0.3) ? (64 * 48000) / 44100 : 64;
    fill += frames * (1 + skewPpm / 1e6) - frames * controller.ratio;
    // What a pull sees: the fill give or take the arrivals' jitter.
    const seen = Math.max(0, Math.floor(fill + (random.next() - 0.5) * 8));
    controller.update(seen, frames);
    ops.push(['update', seen, frames, controller.ratio, controller.driftPpm]);
  }
  return { name, ...options, ops };
}

function resamplerRun(name: string, seed: number, channels: number, ratios: number[]): object {
  const random = new SeededRandom('dataplane vectors', seed);
  const maxFrames = 48;
  const maxRatio = Math.max(...ratios) * 1.001;
  const resampler = new DriftResampler(channels, maxFrames, maxRatio);
  const ops: Op[] = [];
  for (let i = 0; i < 120; i++) {
    const ratio = ratios[i % ratios.length]! * (1 + (random.next() - 0.5) * 1e-3);
    const frames = random.int(0, maxFrames);
    const needed = resampler.inputFramesNeeded(frames, ratio);
    ops.push(['needed', frames, ratio, needed]);
    // Sometimes a few frames more than needed, as a converter's writes bring: they fit when the
    // read is 4 frames short of the longest and held no more than it needs.
    const extra = needed > 0 && frames <= maxFrames - 4 ? random.int(0, 3) : 0;
    const input = Float32Array.from({ length: (needed + extra) * channels }, () =>
      Math.fround(2 * random.next() - 1),
    );
    resampler.write(input, 0, input.length / channels);
    ops.push(['write', floats(input)]);
    ops.push(['available', ratio, resampler.outputFramesAvailable(ratio)]);
    const out = new Float32Array(frames * channels);
    resampler.read(out, 0, frames, ratio);
    ops.push(['read', frames, ratio, floats(out)]);
  }
  return { name, channels, maxFrames, maxRatio, capacityFrames: resampler.capacityFrames, ops };
}

function converterRun(
  name: string,
  seed: number,
  channels: number,
  inputSampleRate: number,
  outputSampleRate: number,
): object {
  const random = new SeededRandom('dataplane vectors', seed);
  const maxWriteFrames = 32;
  const converter = new RateConverter({
    channels,
    inputSampleRate,
    outputSampleRate,
    maxWriteFrames,
  });
  const signal = tone(inputSampleRate);
  const ops: Op[] = [];
  let frame = 0;
  for (let period = 0; period < 60; period++) {
    const frames = random.chance(0.2) ? random.int(1, maxWriteFrames) : maxWriteFrames;
    const input = new Float32Array(frames * channels);
    for (let f = 0; f < frames; f++, frame++) {
      for (let c = 0; c < channels; c++) input[f * channels + c] = signal(frame, c);
    }
    converter.write(input, 0, frames);
    ops.push(['write', floats(input)]);
    // All that is available, sometimes in several reads.
    let available = converter.outputFramesAvailable;
    ops.push(['available', available]);
    while (available > 0) {
      const n = random.chance(0.3) ? random.int(1, available) : available;
      const out = new Float32Array(n * channels);
      converter.read(out, 0, n);
      ops.push(['read', n, floats(out)]);
      available -= n;
    }
  }
  return { name, channels, inputSampleRate, outputSampleRate, maxWriteFrames, ops };
}

interface StreamSetup {
  readonly name: string;
  readonly seed: number;
  readonly sampleType: SampleType;
  readonly channels: number;
  readonly sampleRate: number;
  readonly deviceSampleRate: number;
  readonly capacityFrames: number;
  readonly targetLatencyFrames: number;
  readonly concealUnderruns: boolean;
  readonly concealer: boolean;
  readonly periodFrames: number;
  readonly loopHz: number;
  readonly acquireSeconds: number;
  readonly signal: (sampleRate: number) => Signal;
  /** The sender's clock against the device's, ppm. */
  readonly skewPpm: number;
  readonly loss: number;
  /** Chance a run is held back 1 to maxDelayTicks device periods. */
  readonly delay: number;
  readonly maxDelayTicks: number;
  /** Device periods during which the sender sends nothing (and then catches up). */
  readonly stall?: readonly [number, number];
  readonly pulls: number;
}

function streamRun(setup: StreamSetup): object {
  const random = new SeededRandom('dataplane vectors', setup.seed);
  const format: Format = makeFormat(
    {
      sampleType: setup.sampleType,
      channels: setup.channels,
      sampleRate: setup.sampleRate,
      bufferFrames: 0,
    },
    'any',
  );
  const frameBytes = bytesPerFrame(format);
  const buffer = new JitterBuffer({
    format,
    capacityFrames: setup.capacityFrames,
    targetLatencyFrames: setup.targetLatencyFrames,
    skipSurplus: false,
    concealUnderruns: setup.concealUnderruns,
  });
  const concealer = setup.concealer
    ? new LossConcealer({ channels: setup.channels, sampleRate: setup.sampleRate })
    : undefined;
  const stream = new DriftCompensatedStream({
    buffer,
    format,
    maxPeriodFrames: setup.periodFrames,
    deviceSampleRate: setup.deviceSampleRate,
    loopHz: setup.loopHz,
    acquireSeconds: setup.acquireSeconds,
    ...(concealer && { concealer }),
  });
  const signal = setup.signal(setup.sampleRate);
  const ops: Op[] = [];
  const runFrames = 7;
  let inFlight: { due: number; at: number; payload: Uint8Array }[] = [];
  let owed = 0;
  let sentFrames = 0;
  // Stream frames the sender makes per device period.
  const perTick =
    ((setup.periodFrames * setup.sampleRate) / setup.deviceSampleRate) * (1 + setup.skewPpm / 1e6);
  const out = new Float32Array(setup.periodFrames * setup.channels);
  for (let tick = 0; tick < setup.pulls; tick++) {
    owed += perTick;
    const stalled = setup.stall !== undefined && tick >= setup.stall[0] && tick < setup.stall[1];
    const frames = stalled ? 0 : Math.floor(owed);
    owed -= frames;
    for (let f = 0; f < frames; f += runFrames) {
      const n = Math.min(runFrames, frames - f);
      const samples = new Float32Array(n * setup.channels);
      for (let k = 0; k < n; k++) {
        for (let c = 0; c < setup.channels; c++) {
          samples[k * setup.channels + c] = signal(sentFrames + k, c);
        }
      }
      const payload = new Uint8Array(n * frameBytes);
      encodeSamples(setup.sampleType, samples, 0, payload, 0, samples.length);
      if (!random.chance(setup.loss)) {
        const held = random.chance(setup.delay) ? random.int(1, setup.maxDelayTicks) : 0;
        inFlight.push({ due: tick + held, at: sentFrames * frameBytes, payload });
      }
      sentFrames += n;
    }
    const due = inFlight.filter((r) => r.due <= tick);
    inFlight = inFlight.filter((r) => r.due > tick);
    random.shuffle(due);
    for (const { at, payload } of due) {
      buffer.push(at, payload, 0, payload.length);
      ops.push(['push', at, hex(payload)]);
    }
    const result = stream.pull(out, 0, setup.periodFrames);
    ops.push([
      'pull',
      setup.periodFrames,
      floats(out),
      result.playing,
      result.underrun,
      result.concealedBytes,
      stream.ratio,
      stream.driftPpm,
    ]);
  }
  const stats = buffer.stats();
  const { name, sampleType, channels, sampleRate, deviceSampleRate, capacityFrames } = setup;
  const { targetLatencyFrames, concealUnderruns, periodFrames, loopHz, acquireSeconds } = setup;
  const { skewPpm, loss } = setup;
  return {
    name,
    sampleType,
    channels,
    sampleRate,
    deviceSampleRate,
    capacityFrames,
    targetLatencyFrames,
    concealUnderruns,
    concealer: setup.concealer,
    periodFrames,
    loopHz,
    acquireSeconds,
    skewPpm,
    loss,
    ops,
    final: {
      underruns: stats.underruns,
      lostBytes: stats.lostBytes,
      late: stats.late,
      playheadByte: stats.playheadByte,
    },
  };
}

const STREAM_DEFAULTS = {
  capacityFrames: 256,
  targetLatencyFrames: 48,
  periodFrames: 16,
  // The default tracking bandwidth, reached within the run: the acquisition's wider loop pins the
  // ratio on the fill's period-sized sawtooth at these low rates (the clamp exercised), then lets go.
  loopHz: 0.02,
  acquireSeconds: 0.3,
  delay: 0.2,
  maxDelayTicks: 2,
  pulls: 300,
} as const;

export function driftVectors(): object {
  return {
    description:
      'Drift compensation generated by running the data plane core (native/src/core, through the WebAssembly build of @syfala/dataplane; scripts/generate-vectors.ts). Floats are interleaved f32, little-endian, in hex. controllers: DriftController(sampleRate, setpointFrames, loopHz, acquireSeconds); ["update", fill, frames, ratio, driftPpm] expects the ratio and drift after update(fill, frames); ["restart", ratio]; ["setpoint", frames]. resamplers: DriftResampler(channels, maxFrames, maxRatio) with capacityFrames; ["needed", frames, ratio, n]; ["write", floats]; ["available", ratio, n]; ["read", frames, ratio, floats]. converters: RateConverter(channels, inputSampleRate, outputSampleRate, maxWriteFrames); ["write", floats]; ["available", n]; ["read", frames, floats]. streams: a JitterBuffer(format of sampleType, channels, sampleRate; capacityFrames, targetLatencyFrames, skipSurplus false, concealUnderruns), a LossConcealer when concealer, and a DriftCompensatedStream(maxPeriodFrames = periodFrames, deviceSampleRate, loopHz, acquireSeconds); ["push", byteIndex, payload hex]; ["pull", frames, floats, playing, underrun, concealedBytes, ratio, driftPpm]; final: some buffer stats at the end.',
    controllers: [
      controllerRun(
        'sender 300 ppm fast, default loop narrowing over 0.4 s (across the restart), near the setpoint',
        11,
        { sampleRate: 48000, setpointFrames: 480, loopHz: 0.02, acquireSeconds: 0.4, skewPpm: 300 },
        480,
        500,
      ),
      controllerRun(
        'sender 700 ppm slow, fast loop (wider than acquisition: no gear shift), above the setpoint: pinned at both limits (anti-windup), a restart, a lower setpoint',
        12,
        { sampleRate: 48000, setpointFrames: 256, loopHz: 2, acquireSeconds: 0.5, skewPpm: -700 },
        270,
        1000,
      ),
    ],
    resamplers: [
      resamplerRun('stereo at drift ratios around 1', 21, 2, [1, 1 + 500e-6, 1 - 800e-6]),
      resamplerRun('mono at 44.1 ↔ 48 kHz nominal ratios', 22, 1, [48000 / 44100, 44100 / 48000]),
    ],
    converters: [
      converterRun('stereo 44.1 kHz device to a 48 kHz stream', 31, 2, 44100, 48000),
      converterRun('mono 48 kHz device to a 44.1 kHz stream', 32, 1, 48000, 44100),
    ],
    streams: [
      streamRun({
        ...STREAM_DEFAULTS,
        name: 'i16 stereo, sender 800 ppm fast, jitter, no concealer, no acquisition phase',
        seed: 41,
        acquireSeconds: 0,
        sampleType: 'i16',
        channels: 2,
        sampleRate: 8000,
        deviceSampleRate: 8000,
        concealUnderruns: false,
        concealer: false,
        signal: tone,
        skewPpm: 800,
        loss: 0,
      }),
      streamRun({
        ...STREAM_DEFAULTS,
        name: 'f32 mono, sender 500 ppm slow, 5 % loss concealed by the LossConcealer',
        seed: 42,
        sampleType: 'f32',
        channels: 1,
        sampleRate: 8000,
        deviceSampleRate: 8000,
        concealUnderruns: false,
        concealer: true,
        signal: chord,
        skewPpm: -500,
        loss: 0.05,
      }),
      streamRun({
        ...STREAM_DEFAULTS,
        name: 'i24 stereo, tight target, stalls: underruns concealed and played through, then one past half the capacity primes again (controller restarts)',
        seed: 43,
        sampleType: 'i24',
        channels: 2,
        sampleRate: 8000,
        deviceSampleRate: 8000,
        capacityFrames: 96,
        targetLatencyFrames: 20,
        concealUnderruns: true,
        concealer: true,
        signal: tone,
        skewPpm: -300,
        loss: 0.02,
        delay: 0.3,
        maxDelayTicks: 3,
        stall: [150, 156],
      }),
      streamRun({
        ...STREAM_DEFAULTS,
        name: 'i16 stereo, 44.1 kHz device against a 48 kHz stream (scaled to 4410 and 4800 Hz), sender 300 ppm fast, concealed underruns',
        seed: 44,
        sampleType: 'i16',
        channels: 2,
        sampleRate: 4800,
        deviceSampleRate: 4410,
        concealUnderruns: true,
        concealer: true,
        signal: tone,
        skewPpm: 300,
        loss: 0.02,
      }),
      streamRun({
        ...STREAM_DEFAULTS,
        name: 'f32 mono, 48 kHz device against a 44.1 kHz stream (scaled to 4800 and 4410 Hz), sender 600 ppm slow',
        seed: 45,
        sampleType: 'f32',
        channels: 1,
        sampleRate: 4410,
        deviceSampleRate: 4800,
        concealUnderruns: true,
        concealer: false,
        signal: chord,
        skewPpm: -600,
        loss: 0,
      }),
    ],
  };
}
