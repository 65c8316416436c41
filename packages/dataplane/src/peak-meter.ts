import { ArgumentCopy, core, own } from './core/wasm-core.js';
import { checkRange } from './errors.js';

/** A meter's block: the peaks shown are those of the last this much audio (docs/OBSERVABILITY.md §3). */
export const METER_BLOCK_MS: number = core().meter_block_ms!();

export interface PeakMeterOptions {
  readonly channels: number;
  /** The stream's rate: a block is METER_BLOCK_MS of its frames. */
  readonly sampleRate: number;
}

/**
 * Per-channel peak meter of a stream: the largest |sample| (linear, full scale 1.0) of each
 * channel over the last complete block of at least METER_BLOCK_MS of the stream's frames. A
 * block ends only at the end of a period, so a period longer than the block is a block. Before
 * the first block ends, every peak is 0.
 *
 * The C++ core's (native/src/core/peak_meter.hpp), through the WebAssembly core: storage is
 * allocated in the constructor; `measure` and `endPeriod` allocate nothing (they run in the
 * period callback).
 */
export class PeakMeter {
  readonly #meter: number;
  readonly #channels: number;
  readonly #samples = new ArgumentCopy<Float32Array>();

  constructor({ channels, sampleRate }: PeakMeterOptions) {
    const meter = core().peak_meter_new!(channels, sampleRate);
    this.#meter = meter;
    own(this, () => core().peak_meter_free!(meter));
    this.#channels = channels;
  }

  /** Takes `frames` interleaved frames of `samples` from `offset` (in samples). */
  measure(samples: Float32Array, offset: number, frames: number): void {
    const count = frames * this.#channels;
    checkRange('peak meter: samples', samples.length, offset, count);
    core().peak_meter_measure!(this.#meter, this.#samples.copy(samples, offset, count), frames);
  }

  /** Ends a period: a block with METER_BLOCK_MS of frames becomes the one `peaks()` shows. */
  endPeriod(): void {
    core().peak_meter_end_period!(this.#meter);
  }

  /** The last complete block's peak per channel (a copy). */
  peaks(): number[] {
    return Array.from({ length: this.#channels }, (_, c) =>
      core().peak_meter_peak!(this.#meter, c),
    );
  }
}
