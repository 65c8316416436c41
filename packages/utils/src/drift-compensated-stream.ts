import { bytesPerFrame, type Format } from '@syfala/proto';
import { DriftController, MAX_DRIFT_PPM } from './drift-controller.js';
import type { JitterBuffer, PullResult } from './jitter-buffer.js';
import type { LossConcealer } from './loss-concealer.js';
import { DriftResampler } from './resampler.js';
import { decodeSamples } from './sample-conversion.js';

export interface DriftCompensatedStreamOptions {
  /** Built with `skipSurplus: false`: the controller, not the slip, holds its fill. */
  readonly buffer: JitterBuffer;
  readonly format: Format;
  /** The longest period pulled, in device frames. */
  readonly maxPeriodFrames: number;
  /** The controller's loop bandwidth, Hz (DriftController's default otherwise). */
  readonly loopHz?: number;
  /** Fills gaps before resampling. */
  readonly concealer?: LossConcealer;
}

/**
 * A received stream played on a device whose clock is not the sender's: each period takes
 * slightly more or fewer sender frames from the jitter buffer than it plays, resampled, so that
 * the buffer's fill stays at its target however the two clocks drift apart. No slips, no
 * rebuffering from drift; `driftPpm` is the measured drift.
 */
export class DriftCompensatedStream {
  readonly #buffer: JitterBuffer;
  readonly #format: Format;
  readonly #controller: DriftController;
  readonly #resampler: DriftResampler;
  readonly #wire: Uint8Array;
  readonly #samples: Float32Array;
  readonly #missing: Uint8Array;
  readonly #concealer: LossConcealer | undefined;

  constructor({
    buffer,
    format,
    maxPeriodFrames,
    loopHz,
    concealer,
  }: DriftCompensatedStreamOptions) {
    this.#buffer = buffer;
    this.#format = format;
    this.#concealer = concealer;
    this.#controller = new DriftController({
      sampleRate: format.sampleRate,
      setpointFrames: buffer.targetLatencyFrames,
      ...(loopHz !== undefined && { loopHz }),
    });
    this.#resampler = new DriftResampler(format.channels, maxPeriodFrames, 1 + MAX_DRIFT_PPM / 1e6);
    // A period never needs more input than the resampler holds.
    const maxInput = this.#resampler.capacityFrames;
    this.#wire = new Uint8Array(maxInput * bytesPerFrame(format));
    this.#samples = new Float32Array(maxInput * format.channels);
    this.#missing = new Uint8Array(maxInput);
  }

  /** Sender frames consumed per device frame now. */
  get ratio(): number {
    return this.#controller.ratio;
  }

  /** Measured drift, ppm: positive when the sender's clock runs faster than the device's. */
  get driftPpm(): number {
    return this.#controller.driftPpm;
  }

  /** Plays `frames` device frames into `out` (interleaved, at `offset` samples). */
  pull(out: Float32Array, offset: number, frames: number): Readonly<PullResult> {
    const controller = this.#controller;
    const needed = this.#resampler.inputFramesNeeded(frames, controller.ratio);
    const result = this.#buffer.pull(this.#wire, 0, needed, this.#missing);
    const samples = needed * this.#format.channels;
    decodeSamples(this.#format.sampleType, this.#wire, 0, this.#samples, 0, samples);
    this.#concealer?.conceal(this.#samples, 0, needed, result, this.#missing);
    this.#resampler.write(this.#samples, 0, needed);
    this.#resampler.read(out, offset, frames, controller.ratio);
    this.#controller.setpointFrames = this.#buffer.targetLatencyFrames;
    if (result.playing) controller.update(this.#buffer.bufferedFrames, frames);
    else if (result.underrun) controller.restart();
    return result;
  }
}
