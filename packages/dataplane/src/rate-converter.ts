import { ResamplerError } from './errors.js';
import { DriftResampler } from './resampler.js';

export interface RateConverterOptions {
  readonly channels: number;
  /** Rate of the frames written (the device's), Hz. */
  readonly inputSampleRate: number;
  /** Rate of the frames read (the stream's), Hz. */
  readonly outputSampleRate: number;
  /** The most frames one write brings (a device period). */
  readonly maxWriteFrames: number;
}

/**
 * A fixed-ratio converter for the send direction: the device's periods are written in, and as
 * many frames at the stream's nominal rate as they make are read out (`outputFramesAvailable`),
 * so a 44.1 kHz device feeds a 48 kHz stream. A DriftResampler at inputRate / outputRate input
 * frames per output frame, with its quality limits. Reading all that is available after each write
 * keeps it within its storage; nothing allocates after construction.
 */
export class RateConverter {
  readonly #resampler: DriftResampler;
  readonly #ratio: number;

  constructor({
    channels,
    inputSampleRate,
    outputSampleRate,
    maxWriteFrames,
  }: RateConverterOptions) {
    for (const rate of [inputSampleRate, outputSampleRate]) {
      if (!Number.isFinite(rate) || rate <= 0) {
        throw new ResamplerError(
          'BAD_SAMPLE_RATE',
          `rate converter: sample rates must be positive and finite, got ${String(rate)}`,
        );
      }
    }
    this.#ratio = inputSampleRate / outputSampleRate;
    // After all available output is read at most 3 input frames stay held, so a whole write fits.
    this.#resampler = new DriftResampler(
      channels,
      Math.ceil(maxWriteFrames / this.#ratio),
      this.#ratio,
    );
  }

  /** Input frames per output frame. */
  get ratio(): number {
    return this.#ratio;
  }

  /** Output frames the input written so far makes and that have not been read. */
  get outputFramesAvailable(): number {
    return this.#resampler.outputFramesAvailable(this.#ratio);
  }

  /** Appends `frames` interleaved input frames from `source` at `offset` (in samples). */
  write(source: Float32Array, offset: number, frames: number): void {
    this.#resampler.write(source, offset, frames);
  }

  /** Reads `frames` (at most `outputFramesAvailable`) output frames into `out` at `offset`. */
  read(out: Float32Array, offset: number, frames: number): void {
    this.#resampler.read(out, offset, frames, this.#ratio);
  }
}
