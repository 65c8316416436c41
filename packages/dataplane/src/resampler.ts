import { ArgumentCopy, core, coreView, own, scratch } from './core/wasm-core.js';
import { BoundsError, checkRange } from './errors.js';

/**
 * A variable-ratio resampler for interleaved float frames: 4-point cubic (Catmull-Rom)
 * interpolation at a fractional read position that advances by `ratio` input frames per output
 * frame. At ratio 1 from an integral position it passes samples through unchanged.
 *
 * It tracks clock drift (ratios within ±0.1 % of 1) and converts between nominal rates (44.1 ↔
 * 48 kHz, ratios near 1.088 or 0.919, times the drift). Quality is a 4-point cubic's, no more:
 * no anti-alias filter, so downsampling (ratio > 1) folds whatever lies above the output's Nyquist
 * frequency back into the band, and any ratio leaves images of the top octave near −40 dB for
 * content close to Nyquist (below −80 dB at 1 kHz at 48 kHz). Fine for drift and for program
 * material with little energy at the top; not a mastering-grade converter.
 *
 * Input is written in runs, then read as output; `inputFramesNeeded` says how many input frames
 * the next read needs, `outputFramesAvailable` how many the input written allows. Output frame k
 * of a read is interpolated at start + k × ratio (not a running sum: both queries and the read
 * agree on every position). The C++ core's (native/src/core/drift_resampler.hpp), through the
 * WebAssembly core: storage is allocated in the constructor; nothing allocates afterwards.
 */
export class DriftResampler {
  readonly #resampler: number;
  readonly #frames: FrameCopies;
  readonly #capacityFrames: number;

  /** `maxFrames`: the longest read; `maxRatio`: the largest ratio it will be read at. */
  constructor(channels: number, maxFrames: number, maxRatio: number) {
    const resampler = core().drift_resampler_new!(channels, maxFrames, maxRatio);
    this.#resampler = resampler;
    own(this, () => core().drift_resampler_free!(resampler));
    this.#frames = new FrameCopies(channels);
    this.#capacityFrames = core().drift_resampler_capacity!(resampler) >>> 0;
  }

  /** The most input frames it holds: what one write may bring at most. */
  get capacityFrames(): number {
    return this.#capacityFrames;
  }

  /** Input frames to write before reading `frames` frames at `ratio`. */
  inputFramesNeeded(frames: number, ratio: number): number {
    return core().drift_resampler_input_needed!(this.#resampler, frames, ratio) >>> 0;
  }

  /** Output frames the input written allows to read at `ratio` (a positive ratio). */
  outputFramesAvailable(ratio: number): number {
    return core().drift_resampler_output_available!(this.#resampler, ratio) >>> 0;
  }

  /** Appends `frames` interleaved frames from `source` at `offset` (in samples). */
  write(source: Float32Array, offset: number, frames: number): void {
    const c = core();
    const at = this.#frames.input(source, offset, frames);
    if (c.drift_resampler_write!(this.#resampler, at, frames) === 0) {
      throw noRoom(frames, c.drift_resampler_free_frames!(this.#resampler));
    }
  }

  /** Writes `frames` interleaved output frames to `out` at `offset`, advancing by `ratio`. */
  read(out: Float32Array, offset: number, frames: number, ratio: number): void {
    const at = this.#frames.outputAt(out, offset, frames);
    const read = core().drift_resampler_read!(this.#resampler, at, frames, ratio);
    this.#frames.output(read, at, out, offset, frames);
  }
}

/**
 * A resampler's frames into and out of the core, checked, through views it keeps (coreView): a
 * period of the same size as the last allocates nothing.
 */
export class FrameCopies {
  readonly #channels: number;
  readonly #input = new ArgumentCopy<Float32Array>();
  #output: Float32Array | undefined;

  constructor(channels: number) {
    this.#channels = channels;
  }

  /** Copies `frames` interleaved frames of `source` from `offset` to the core; their address. */
  input(source: Float32Array, offset: number, frames: number): number {
    const count = frames * this.#channels;
    checkRange('resampler write: source', source.length, offset, count);
    return this.#input.copy(source, offset, count);
  }

  /** Checks that `out` holds `frames` frames from `offset`; returns where the core reads them to. */
  outputAt(out: Float32Array, offset: number, frames: number): number {
    const count = frames * this.#channels;
    checkRange('resampler read: destination', out.length, offset, count);
    return scratch(count * Float32Array.BYTES_PER_ELEMENT);
  }

  /** Copies the `frames` frames a core read (`read` ≠ 0) at `at` to `out` at `offset`. */
  output(read: number, at: number, out: Float32Array, offset: number, frames: number): void {
    if (read === 0) {
      throw new BoundsError('OUT_OF_BOUNDS', 'resampler read: not enough input written');
    }
    this.#output = coreView(Float32Array, this.#output, at, frames * this.#channels);
    out.set(this.#output, offset);
  }
}

/** A write of `frames` frames to a resampler with `free` frames of room. */
export function noRoom(frames: number, free: number): BoundsError {
  return new BoundsError(
    'OUT_OF_BOUNDS',
    `resampler write: ${frames} frames do not fit (${free} free)`,
  );
}
