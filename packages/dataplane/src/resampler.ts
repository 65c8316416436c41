import { copyIn, copyOut, core, own, scratch } from './core/wasm-core.js';
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
  readonly #channels: number;
  readonly #capacityFrames: number;

  /** `maxFrames`: the longest read; `maxRatio`: the largest ratio it will be read at. */
  constructor(channels: number, maxFrames: number, maxRatio: number) {
    const resampler = core().drift_resampler_new!(channels, maxFrames, maxRatio);
    this.#resampler = resampler;
    own(this, () => core().drift_resampler_free!(resampler));
    this.#channels = channels;
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
    writeFrames(
      c.drift_resampler_write!,
      c.drift_resampler_free_frames!,
      this.#resampler,
      this.#channels,
      source,
      offset,
      frames,
    );
  }

  /** Writes `frames` interleaved output frames to `out` at `offset`, advancing by `ratio`. */
  read(out: Float32Array, offset: number, frames: number, ratio: number): void {
    const count = frames * this.#channels;
    const at = readTarget(out, offset, count);
    const read = core().drift_resampler_read!(this.#resampler, at, frames, ratio);
    readResult(read, at, out, offset, count);
  }
}

/**
 * Copies `frames` interleaved frames of `source` from `offset` into a resampler of the core
 * (`write(handle, pointer, frames)`, 0 when they do not fit: `freeFrames(handle)` say why).
 */
export function writeFrames(
  write: (handle: number, pointer: number, frames: number) => number,
  freeFrames: (handle: number) => number,
  handle: number,
  channels: number,
  source: Float32Array,
  offset: number,
  frames: number,
): void {
  const count = frames * channels;
  checkRange('resampler write: source', source.length, offset, count);
  if (write(handle, copyIn(source, offset, count), frames) === 0) {
    throw new BoundsError(
      'OUT_OF_BOUNDS',
      `resampler write: ${frames} frames do not fit (${freeFrames(handle)} free)`,
    );
  }
}

/** Checks that `out` holds `count` samples from `offset`; returns where the core reads them to. */
export function readTarget(out: Float32Array, offset: number, count: number): number {
  checkRange('resampler read: destination', out.length, offset, count);
  return scratch(count * Float32Array.BYTES_PER_ELEMENT);
}

/** Copies the `count` samples a core read (`read` ≠ 0) at `pointer` to `out` at `offset`. */
export function readResult(
  read: number,
  pointer: number,
  out: Float32Array,
  offset: number,
  count: number,
): void {
  if (read === 0)
    throw new BoundsError('OUT_OF_BOUNDS', 'resampler read: not enough input written');
  copyOut(pointer, out, offset, count);
}
