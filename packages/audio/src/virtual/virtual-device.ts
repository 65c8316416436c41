import { performance } from 'node:perf_hooks';

import type { Format } from '@syfala/proto';

import type {
  AudioDevice,
  DeviceStats,
  DeviceStreams,
  PeriodInfo,
  ProcessCallback,
  SinkFailure,
} from '../backend.js';
import { AudioError } from '../errors.js';
import type { WavWriter } from '../wav/wav-writer.js';
import type { ResolvedOptions, VirtualClock } from './options.js';
import type { RingWriter } from './ring-ends.js';
import type { Source } from './sources.js';

/**
 * How often the realtime clock wakes. Node timers have 1 ms granularity, below a 32-frame period
 * at 48 kHz (0.67 ms), so each wake runs every period that is due by then.
 */
const WAKE_INTERVAL_MS = 1;
/**
 * How late a period may run before the card counts an xrun (once per stall, however many periods
 * it delays): one period, but never less than what
 * the 1 ms timer itself adds (a wake lands up to ~2 ms after the deadline on an idle machine),
 * else every short period would count.
 */
const TIMER_SLACK_NS = 2_000_000;
/** Fast clock: periods run for this long before the thread gets its event loop back. */
const FAST_BATCH_MS = 4;

/*
 * Host time in nanoseconds on CLOCK_MONOTONIC, the clock JACK and the network code read, and the
 * same in every thread. hrtime.bigint() allocates a BigInt per call, so it only anchors
 * performance.now(), which reads the same clock without allocating.
 */
const HRTIME_ANCHOR_NS = Number(process.hrtime.bigint());
const PERFORMANCE_ANCHOR_MS = performance.now();

function hostNowNs(): number {
  return HRTIME_ANCHOR_NS + (performance.now() - PERFORMANCE_ANCHOR_MS) * 1e6;
}

/**
 * One stream's share of each period. A stream at rate r on a device clock at R gets
 * periodFrames × r / R frames per period; the fraction carries over in an accumulator, so after
 * n periods it has had floor(n × periodFrames × r / R) frames and never loses one. Each period is
 * therefore `minFrames` or `minFrames + 1` frames, and both buffers (views of one allocation)
 * exist up front.
 */
class Lane {
  readonly channels: number;
  /** Frames in the current period. */
  frames = 0;
  readonly #perPeriod: number;
  readonly #deviceRate: number;
  readonly #minFrames: number;
  readonly #short: Float32Array;
  readonly #long: Float32Array;
  /** Frames owed × device rate, in [0, deviceRate). */
  #carry = 0;

  constructor(format: Format, periodFrames: number, deviceRate: number) {
    this.channels = format.channels;
    this.#perPeriod = periodFrames * format.sampleRate;
    this.#deviceRate = deviceRate;
    this.#minFrames = Math.floor(this.#perPeriod / deviceRate);
    this.#long = new Float32Array((this.#minFrames + 1) * format.channels);
    this.#short = this.#long.subarray(0, this.#minFrames * format.channels);
  }

  /** Moves to the next period; returns its buffer, frames × channels long. */
  next(): Float32Array {
    this.#carry += this.#perPeriod;
    let frames = Math.floor(this.#carry / this.#deviceRate);
    // With non-integer rates, rounding can put the quotient one step outside [min, min + 1];
    // the carry keeps the difference, so nothing is lost.
    if (frames < this.#minFrames) frames = this.#minFrames;
    else if (frames > this.#minFrames + 1) frames = this.#minFrames + 1;
    this.#carry -= frames * this.#deviceRate;
    this.frames = frames;
    return frames === this.#minFrames ? this.#short : this.#long;
  }
}

/** Where an output stream's frames go: a WAV file, or a ring another thread drains. */
export type Sink = WavWriter | RingWriter;

type MutablePeriodInfo = { -readonly [K in keyof PeriodInfo]: PeriodInfo[K] };

/** The resolved options, with sources and sinks opened. */
export interface VirtualDeviceConfig extends Omit<ResolvedOptions, 'sources' | 'sinks'> {
  /** One per input stream. */
  readonly sources: readonly Source[];
  /** One per output stream; undefined = discard. */
  readonly sinks: readonly (Sink | undefined)[];
}

/**
 * The virtual sound card: a software clock that calls the process callback once per period, in
 * the thread that opened it, with no allocation per period.
 *
 * Timing: period n captures from inputTimeNs(n) = start + n × T on the host clock, where
 * T = periodFrames / sampleRate / (1 + skewPpm / 10^6) (a fast clock has shorter periods), and its
 * callback runs once the capture is complete, at inputTimeNs(n + 1). Deadlines are computed from
 * the start, never accumulated, so they don't drift. The realtime clock wakes every 1 ms and runs
 * every period that is due, one per event-loop turn when it is behind (so what arrived meanwhile
 * is delivered between them); with `speed` s, host time is read
 * as s × now. The fast clock ignores host time and runs period after period, giving the thread
 * back every 4 ms; its timestamps still advance by T.
 */
export class VirtualDevice implements AudioDevice {
  readonly streams: DeviceStreams;
  readonly sampleRate: number;
  readonly periodFrames: number;
  readonly #clock: VirtualClock;
  readonly #speed: number;
  /** One period on the (scaled) host clock, ns. */
  readonly #periodNs: number;
  readonly #xrunLatenessNs: number;
  readonly #inputLanes: readonly Lane[];
  readonly #outputLanes: readonly Lane[];
  readonly #inputs: Float32Array[];
  readonly #outputs: Float32Array[];
  readonly #sources: readonly Source[];
  /** A sink that failed is taken out (undefined) while its file is finalised. */
  readonly #sinks: (Sink | undefined)[];
  /** Failed sinks being finalised; these never reject. */
  readonly #finalising: Promise<void>[] = [];
  #onSinkFailed: ((failure: SinkFailure) => void) | undefined;
  /** A failed sink's error when no one was told of it: close() rejects with it. */
  #unreported: Error | undefined;
  /** Per input: whether its source runs (setCapturing). */
  readonly #capturing: boolean[];
  /** Handed to every callback; valid only during the call. */
  readonly #info: MutablePeriodInfo;
  #process: ProcessCallback = () => undefined;
  #running = false;
  /** Periods run so far; also the index of the next one. */
  #period = 0;
  #startPeriod = 0;
  #startNs = 0;
  #xruns = 0;
  /** The last period ran late: the periods of one stall count as one xrun, as a card reports it. */
  #behind = false;
  #interval: ReturnType<typeof setInterval> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #closing: Promise<void> | undefined;

  constructor(config: VirtualDeviceConfig) {
    const { streams, sampleRate, periodFrames } = config;
    this.streams = streams;
    this.sampleRate = sampleRate;
    this.periodFrames = periodFrames;
    this.#clock = config.clock;
    this.#speed = config.speed;
    this.#periodNs = ((periodFrames / sampleRate) * 1e9) / (1 + config.skewPpm / 1e6);
    this.#xrunLatenessNs = Math.max(this.#periodNs, TIMER_SLACK_NS * this.#speed);
    this.#inputLanes = streams.inputs.map((f) => new Lane(f, periodFrames, sampleRate));
    this.#outputLanes = streams.outputs.map((f) => new Lane(f, periodFrames, sampleRate));
    this.#inputs = this.#inputLanes.map(() => new Float32Array(0));
    this.#outputs = this.#outputLanes.map(() => new Float32Array(0));
    this.#sources = config.sources;
    this.#sinks = [...config.sinks];
    this.#capturing = this.#inputLanes.map(() => true);
    this.#info = { frameIndex: 0, sampleRate, inputTimeNs: 0, outputTimeNs: 0, lateNs: 0 };
  }

  /**
   * Starts the clock; after a stop() it resumes where it stopped (frame index, tone phase, file
   * positions), with timestamps from now on. A callback may call stop() or close(): no period
   * runs after the one that called it.
   */
  start(process: ProcessCallback, onSinkFailed?: (failure: SinkFailure) => void): void {
    if (this.#closing !== undefined) {
      throw new AudioError('BAD_STATE', 'virtual device: start() after close()');
    }
    if (this.#running) throw new AudioError('BAD_STATE', 'virtual device: already started');
    this.#process = process;
    this.#onSinkFailed = onSinkFailed;
    this.#running = true;
    this.#startPeriod = this.#period;
    this.#startNs = this.#nowNs();
    if (this.#clock === 'fast') this.#immediate = setImmediate(this.#runFast);
    else this.#interval = setInterval(this.#runDue, WAKE_INTERVAL_MS);
  }

  setCapturing(index: number, capturing: boolean): void {
    if (this.#capturing[index] === undefined) {
      throw new AudioError('BAD_OPTION', `virtual device: input ${index} does not exist`);
    }
    this.#capturing[index] = capturing;
  }

  stop(): Promise<void> {
    // Callbacks run on this thread, so once the flag is down none is running or will run.
    this.#running = false;
    clearInterval(this.#interval);
    clearImmediate(this.#immediate);
    this.#interval = undefined;
    this.#immediate = undefined;
    return Promise.resolve();
  }

  stats(): DeviceStats {
    return { periods: this.#period, xruns: this.#xruns };
  }

  /**
   * Stops, then closes sources and WAV sinks (patching their headers); rejects with the first
   * failure, or that of a sink that stopped earlier unless onSinkFailed was told of it.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#release());
  }

  async #release(): Promise<void> {
    await this.stop();
    const closing = [
      ...this.#sources.map((source) => source.close()),
      ...this.#sinks.map((sink) => sink?.close()),
      ...this.#finalising,
    ];
    const failure = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    if (this.#unreported !== undefined) throw this.#unreported;
  }

  /**
   * Takes a sink whose file system refused a write out of the period loop: the clock, the other
   * streams and whatever the callback feeds go on. Its file is finalised now, not at close, so
   * it can be used (and its disk space is settled) while the device runs.
   */
  #stopSink(output: number, sink: WavWriter): void {
    this.#sinks[output] = undefined;
    const report = this.#onSinkFailed;
    const finalised = sink
      .close()
      .catch(() => undefined)
      .then(() => {
        const failure = sink.failure!;
        if (report === undefined) {
          this.#unreported ??= failure;
          return;
        }
        const cause = failure.cause;
        report({
          output,
          path: sink.path,
          savedFrames: sink.savedFrames ?? 0,
          reason: cause instanceof Error ? cause.message : String(cause),
        });
      });
    this.#finalising.push(finalised);
  }

  #nowNs(): number {
    return hostNowNs() * this.#speed;
  }

  /** Start of period n's capture on the (scaled) host clock. */
  #timeOf(period: number): number {
    return this.#startNs + (period - this.#startPeriod) * this.#periodNs;
  }

  /**
   * Realtime wake: runs the next period if its capture is complete by now, and comes back for the
   * next one after the event loop has had its turn. Behind (the thread stalled), periods thus run
   * one per loop turn, with what arrived meanwhile delivered between them, as a sound card's
   * callbacks see the network: run back to back, they would all see it as late as the stall (a
   * jitter buffer priming or underrunning), then a burst as early (a surplus it slips), though
   * nothing was late.
   */
  readonly #runDue = (): void => {
    this.#immediate = undefined;
    if (!this.#running) return;
    const now = this.#nowNs();
    const due = this.#timeOf(this.#period + 1);
    if (due > now) return;
    const late = now - due > this.#xrunLatenessNs;
    if (late && !this.#behind) this.#xruns++;
    this.#behind = late;
    this.#runPeriod();
    // A callback that stopped and restarted the device has already scheduled its own turn.
    if (this.#running && this.#immediate === undefined && this.#timeOf(this.#period + 1) <= now) {
      this.#immediate = setImmediate(this.#runDue);
    }
  };

  readonly #runFast = (): void => {
    this.#immediate = undefined;
    const until = performance.now() + FAST_BATCH_MS;
    do this.#runPeriod();
    while (this.#running && performance.now() < until);
    // A callback that stopped and restarted the device has already scheduled the next batch.
    if (this.#running && this.#immediate === undefined) {
      this.#immediate = setImmediate(this.#runFast);
    }
  };

  #runPeriod(): void {
    const info = this.#info;
    info.frameIndex = this.#period * this.periodFrames;
    info.inputTimeNs = this.#timeOf(this.#period);
    // What the callback writes now is played from the next period boundary on: the device
    // plays period n while it captures period n + 1, as a double-buffered card does.
    info.outputTimeNs = info.inputTimeNs + this.#periodNs;
    // The fast clock keeps no time to be late against.
    info.lateNs =
      this.#clock === 'fast' ? 0 : Math.max(0, this.#nowNs() - this.#timeOf(this.#period + 1));
    for (let i = 0; i < this.#inputLanes.length; i++) {
      const lane = this.#inputLanes[i]!;
      const buffer = lane.next();
      if (this.#capturing[i]) this.#sources[i]!.render(buffer, lane.frames);
      else buffer.fill(0, 0, lane.frames * lane.channels);
      this.#inputs[i] = buffer;
    }
    for (let i = 0; i < this.#outputLanes.length; i++) {
      const buffer = this.#outputLanes[i]!.next();
      buffer.fill(0);
      this.#outputs[i] = buffer;
    }
    this.#process(this.#inputs, this.#outputs, info);
    for (let i = 0; i < this.#sinks.length; i++) {
      const sink = this.#sinks[i];
      if (sink === undefined) continue;
      sink.write(this.#outputs[i]!, this.#outputLanes[i]!.frames);
      // A failed background write shows here a period or so after it happened.
      if (sink.failure !== undefined) this.#stopSink(i, sink);
    }
    this.#period++;
  }
}
