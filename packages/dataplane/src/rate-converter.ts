import { core, own } from './core/wasm-core.js';
import { ResamplerError } from './errors.js';
import { FrameCopies, noRoom } from './resampler.js';

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
 * keeps it within its storage; nothing allocates after construction. The C++ core's
 * (native/src/core/drift_resampler.hpp), through the WebAssembly core.
 */
export class RateConverter {
  readonly #converter: number;
  readonly #frames: FrameCopies;
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
    const converter = core().rate_converter_new!(
      channels,
      inputSampleRate,
      outputSampleRate,
      maxWriteFrames,
    );
    this.#converter = converter;
    own(this, () => core().rate_converter_free!(converter));
    this.#frames = new FrameCopies(channels);
    this.#ratio = core().rate_converter_ratio!(converter);
  }

  /** Input frames per output frame. */
  get ratio(): number {
    return this.#ratio;
  }

  /** Output frames the input written so far makes and that have not been read. */
  get outputFramesAvailable(): number {
    return core().rate_converter_output_available!(this.#converter) >>> 0;
  }

  /** Appends `frames` interleaved input frames from `source` at `offset` (in samples). */
  write(source: Float32Array, offset: number, frames: number): void {
    const c = core();
    const at = this.#frames.input(source, offset, frames);
    if (c.rate_converter_write!(this.#converter, at, frames) === 0) {
      throw noRoom(frames, c.rate_converter_free_frames!(this.#converter));
    }
  }

  /** Reads `frames` (at most `outputFramesAvailable`) output frames into `out` at `offset`. */
  read(out: Float32Array, offset: number, frames: number): void {
    const at = this.#frames.outputAt(out, offset, frames);
    const read = core().rate_converter_read!(this.#converter, at, frames);
    this.#frames.output(read, at, out, offset, frames);
  }
}
