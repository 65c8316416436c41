import { bytesPerFrame, type Format } from '@syfala/proto';
import { DriftController, MAX_DRIFT_PPM } from './drift-controller.js';
import { ResamplerError } from './errors.js';
import type { JitterBuffer, PullResult } from './jitter-buffer.js';
import type { LossConcealer } from './loss-concealer.js';
import { DriftResampler } from './resampler.js';
import { decodeSamples } from './sample-conversion.js';

export interface DriftCompensatedStreamOptions {
  /**
   * The controller holds its fill against drift. With `concealUnderruns`, an underrun is
   * concealed and the controller runs on through it. With `skipSurplus`, a step the resampler
   * would take seconds to undo (the receiver lost periods, in an xrun) is skipped at once; the
   * slip never fires while the controller holds the fill, whose lows are then below the target.
   */
  readonly buffer: JitterBuffer;
  readonly format: Format;
  /** The longest period pulled, in device frames. */
  readonly maxPeriodFrames: number;
  /** The device's nominal rate, Hz, when it is not the stream's (a 44.1 kHz device, 48 kHz stream). */
  readonly deviceSampleRate?: number;
  /** The controller's tracking bandwidth, Hz (DriftController's default otherwise). */
  readonly loopHz?: number;
  /** The controller's acquisition time, seconds (DriftController's default otherwise). */
  readonly acquireSeconds?: number;
  /** Fills gaps before resampling. */
  readonly concealer?: LossConcealer;
}

/**
 * A received stream played on a device whose clock is not the sender's: each period takes
 * slightly more or fewer sender frames from the jitter buffer than it plays, resampled, so that
 * the buffer's fill stays at its target however the two clocks drift apart. No slips, no
 * rebuffering from drift; `driftPpm` is the measured drift.
 *
 * The fill held is the one each period finds when it is due (before its pull, in stream
 * frames): the target means what it means to the buffer's priming and to the LatencyAdapter
 * (jitter + period + safety), not a period more.
 *
 * A device at another nominal rate is resampled by the same resampler: each device frame takes
 * nominal × ratio stream frames (nominal = stream rate / device rate). The controller works in
 * stream frames throughout. It restarts only when the buffer primes again, not on an underrun
 * it concealed (`concealUnderruns`), so the drift estimate survives a late packet.
 */
export class DriftCompensatedStream {
  readonly #buffer: JitterBuffer;
  readonly #format: Format;
  readonly #controller: DriftController;
  readonly #resampler: DriftResampler;
  /** Stream frames per device frame at the nominal rates. */
  readonly #nominalRatio: number;
  readonly #wire: Uint8Array;
  readonly #samples: Float32Array;
  readonly #missing: Uint8Array;
  readonly #concealer: LossConcealer | undefined;

  constructor({
    buffer,
    format,
    maxPeriodFrames,
    deviceSampleRate = format.sampleRate,
    loopHz,
    acquireSeconds,
    concealer,
  }: DriftCompensatedStreamOptions) {
    this.#buffer = buffer;
    this.#format = format;
    this.#concealer = concealer;
    this.#controller = new DriftController({
      sampleRate: format.sampleRate,
      setpointFrames: buffer.targetLatencyFrames,
      ...(loopHz !== undefined && { loopHz }),
      ...(acquireSeconds !== undefined && { acquireSeconds }),
    });
    if (!Number.isFinite(deviceSampleRate) || deviceSampleRate <= 0) {
      throw new ResamplerError(
        'BAD_SAMPLE_RATE',
        `drift-compensated stream: device sample rate must be positive and finite, got ${String(deviceSampleRate)}`,
      );
    }
    this.#nominalRatio = format.sampleRate / deviceSampleRate;
    this.#resampler = new DriftResampler(
      format.channels,
      maxPeriodFrames,
      this.#nominalRatio * (1 + MAX_DRIFT_PPM / 1e6),
    );
    // A period never needs more input than the resampler holds.
    const maxInput = this.#resampler.capacityFrames;
    this.#wire = new Uint8Array(maxInput * bytesPerFrame(format));
    this.#samples = new Float32Array(maxInput * format.channels);
    this.#missing = new Uint8Array(maxInput);
  }

  /**
   * Sender frames consumed per nominal stream frame now (1 + the drift correction); the
   * resampler reads nominal × this per device frame.
   */
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
    const ratio = this.#nominalRatio * controller.ratio;
    const needed = this.#resampler.inputFramesNeeded(frames, ratio);
    const due = this.#buffer.bufferedFrames;
    const result = this.#buffer.pull(this.#wire, 0, needed, this.#missing);
    const samples = needed * this.#format.channels;
    decodeSamples(this.#format.sampleType, this.#wire, 0, this.#samples, 0, samples);
    this.#concealer?.conceal(this.#samples, 0, needed, result, this.#missing);
    this.#resampler.write(this.#samples, 0, needed);
    this.#resampler.read(out, offset, frames, ratio);
    controller.setpointFrames = this.#buffer.targetLatencyFrames;
    if (result.playing) controller.update(due, frames * this.#nominalRatio);
    else if (result.underrun) controller.restart();
    return result;
  }
}
