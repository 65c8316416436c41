import { SAMPLE_TYPE_INFO, makeFormat, type Format } from '@syfala/proto';
import { core, corePointer, coreView, own, scratch } from './core/wasm-core.js';
import { DRIFT_ACQUIRE_SECONDS, DRIFT_LOOP_HZ } from './drift-controller.js';
import { BoundsError, ResamplerError, checkRange } from './errors.js';
import { PullResultReader, type JitterBuffer, type PullResult } from './jitter-buffer.js';
import type { LossConcealer } from './loss-concealer.js';

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

 *
 * The stream is the core's (native/src/core/drift_compensated_stream.hpp, compiled to
 * WebAssembly), over the core objects of `buffer` and `concealer`, kept alive while it lives.
 * `pull` allocates nothing.
 */
export class DriftCompensatedStream {
  readonly #pointer: number;
  readonly #channels: number;
  readonly #maxPeriodFrames: number;
  readonly #pullResult = new PullResultReader();
  /** A view of the period played in the scratch block, kept (coreView). */
  #played: Float32Array | undefined;

  constructor({
    buffer,
    format,
    maxPeriodFrames,
    deviceSampleRate = format.sampleRate,
    loopHz = DRIFT_LOOP_HZ,
    acquireSeconds = DRIFT_ACQUIRE_SECONDS,
    concealer,
  }: DriftCompensatedStreamOptions) {
    const valid = makeFormat(format, 'any');
    if (!Number.isFinite(deviceSampleRate) || deviceSampleRate <= 0) {
      throw new ResamplerError(
        'BAD_SAMPLE_RATE',
        `drift-compensated stream: device sample rate must be positive and finite, got ${String(deviceSampleRate)}`,
      );
    }
    if (
      !Number.isInteger(maxPeriodFrames) ||
      maxPeriodFrames < 0 ||
      maxPeriodFrames > 0xffff_ffff
    ) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `drift-compensated stream: the longest period must be a whole number of frames, got ${String(maxPeriodFrames)}`,
      );
    }
    this.#channels = valid.channels;
    this.#maxPeriodFrames = maxPeriodFrames;
    const pointer = core().drift_compensated_stream_new!(
      buffer[corePointer],
      valid.sampleRate,
      valid.channels,
      SAMPLE_TYPE_INFO[valid.sampleType].code,
      maxPeriodFrames,
      deviceSampleRate,
      loopHz,
      acquireSeconds,
      concealer?.[corePointer] ?? 0,
    );
    this.#pointer = pointer;
    const uses = concealer === undefined ? [buffer] : [buffer, concealer];
    own(this, () => core().drift_compensated_stream_free!(pointer), uses);
  }

  /**
   * Sender frames consumed per nominal stream frame now (1 + the drift correction); the
   * resampler reads nominal × this per device frame.
   */
  get ratio(): number {
    return core().drift_compensated_stream_ratio!(this.#pointer);
  }

  /** Measured drift, ppm: positive when the sender's clock runs faster than the device's. */
  get driftPpm(): number {
    return core().drift_compensated_stream_drift_ppm!(this.#pointer);
  }

  /** Plays `frames` device frames into `out` (interleaved, at `offset` samples), ≤ maxPeriodFrames. */
  pull(out: Float32Array, offset: number, frames: number): Readonly<PullResult> {
    if (!Number.isInteger(frames) || frames < 0 || frames > this.#maxPeriodFrames) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `drift-compensated stream pull: expected a whole number of frames up to ${this.#maxPeriodFrames}, got ${String(frames)}`,
      );
    }
    const count = frames * this.#channels;
    checkRange('drift-compensated stream pull: output', out.length, offset, count);
    const at = scratch(count * 4);
    core().drift_compensated_stream_pull!(this.#pointer, at, frames);
    this.#played = coreView(Float32Array, this.#played, at, count);
    out.set(this.#played, offset);
    return this.#pullResult.read();
  }
}
