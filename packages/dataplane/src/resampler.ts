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
 * agree on every position). Storage is allocated in the constructor; nothing allocates afterwards.
 */
export class DriftResampler {
  readonly #channels: number;
  readonly #buffer: Float32Array;
  readonly #capacityFrames: number;
  /** Frames held, from index 0. */
  #held: number;
  /** Where the next output frame is read, in input frames from index 0; ≥ 1 (one frame of history). */
  #position: number;

  /** `maxFrames`: the longest read; `maxRatio`: the largest ratio it will be read at. */
  constructor(channels: number, maxFrames: number, maxRatio: number) {
    this.#channels = channels;
    this.#capacityFrames = Math.ceil(maxFrames * maxRatio) + 4;
    this.#buffer = new Float32Array(this.#capacityFrames * channels);
    // One frame of silence as history, read from the next: the first output is the first input.
    this.#held = 1;
    this.#position = 1;
  }

  /** The most input frames it holds: what one write may bring at most. */
  get capacityFrames(): number {
    return this.#capacityFrames;
  }

  /** Input frames to write before reading `frames` frames at `ratio`. */
  inputFramesNeeded(frames: number, ratio: number): number {
    if (frames === 0) return 0;
    const last = this.#position + (frames - 1) * ratio;
    return Math.max(0, Math.floor(last) + 3 - this.#held);
  }

  /** Output frames the input written allows to read at `ratio` (a positive ratio). */
  outputFramesAvailable(ratio: number): number {
    // Reading k + 1 frames needs floor(position + k × ratio) + 3 ≤ held: estimate k, then settle
    // it on the exact test, which rounding in the estimate may miss by one.
    if (this.inputFramesNeeded(1, ratio) > 0) return 0;
    let frames = Math.floor((this.#held - 2 - this.#position) / ratio) + 1;
    while (frames > 0 && this.inputFramesNeeded(frames, ratio) > 0) frames--;
    while (this.inputFramesNeeded(frames + 1, ratio) === 0) frames++;
    return frames;
  }

  /** Appends `frames` interleaved frames from `source` at `offset` (in samples). */
  write(source: Float32Array, offset: number, frames: number): void {
    const channels = this.#channels;
    checkRange('resampler write: source', source.length, offset, frames * channels);
    if (this.#held + frames > this.#capacityFrames) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `resampler write: ${frames} frames do not fit (${this.#capacityFrames - this.#held} free)`,
      );
    }
    this.#buffer.set(source.subarray(offset, offset + frames * channels), this.#held * channels);
    this.#held += frames;
  }

  /** Writes `frames` interleaved output frames to `out` at `offset`, advancing by `ratio`. */
  read(out: Float32Array, offset: number, frames: number, ratio: number): void {
    const channels = this.#channels;
    checkRange('resampler read: destination', out.length, offset, frames * channels);
    if (this.inputFramesNeeded(frames, ratio) > 0) {
      throw new BoundsError('OUT_OF_BOUNDS', 'resampler read: not enough input written');
    }
    const x = this.#buffer;
    const start = this.#position;
    let o = offset;
    for (let k = 0; k < frames; k++) {
      const position = start + k * ratio;
      const whole = Math.floor(position);
      const t = position - whole;
      const base = (whole - 1) * channels;
      for (let c = 0; c < channels; c++) {
        const y0 = x[base + c]!;
        const y1 = x[base + channels + c]!;
        const y2 = x[base + 2 * channels + c]!;
        const y3 = x[base + 3 * channels + c]!;
        const c1 = 0.5 * (y2 - y0);
        const c2 = y0 - 2.5 * y1 + 2 * y2 - 0.5 * y3;
        const c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2);
        out[o++] = ((c3 * t + c2) * t + c1) * t + y1;
      }
    }
    const position = start + frames * ratio;
    // Keep one frame of history before the next read position.
    const consumed = Math.floor(position) - 1;
    x.copyWithin(0, consumed * channels, this.#held * channels);
    this.#held -= consumed;
    this.#position = position - consumed;
  }
}
