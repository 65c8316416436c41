/** A meter's block: the peaks shown are those of the last this much audio (docs/OBSERVABILITY.md §3). */
export const METER_BLOCK_MS = 50;

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
 * Storage is allocated in the constructor; `measure` and `endPeriod` allocate nothing (they run
 * in the period callback). The C++ twin is native/src/core/peak_meter.hpp.
 */
export class PeakMeter {
  readonly #channels: number;
  readonly #blockFrames: number;
  /** The block being measured, and its frames so far. */
  readonly #running: Float32Array;
  #frames = 0;
  /** The last complete block's peaks. */
  readonly #peak: Float32Array;

  constructor({ channels, sampleRate }: PeakMeterOptions) {
    this.#channels = channels;
    this.#blockFrames = Math.ceil((sampleRate * METER_BLOCK_MS) / 1000);
    this.#running = new Float32Array(channels);
    this.#peak = new Float32Array(channels);
  }

  /** Takes `frames` interleaved frames of `samples` from `offset` (in samples). */
  measure(samples: Float32Array, offset: number, frames: number): void {
    const channels = this.#channels;
    const running = this.#running;
    const end = offset + frames * channels;
    for (let c = 0; c < channels; c++) {
      let peak = running[c]!;
      for (let i = offset + c; i < end; i += channels) {
        const magnitude = Math.abs(samples[i]!);
        if (magnitude > peak) peak = magnitude;
      }
      running[c] = peak;
    }
    this.#frames += frames;
  }

  /** Ends a period: a block with METER_BLOCK_MS of frames becomes the one `peaks()` shows. */
  endPeriod(): void {
    if (this.#frames < this.#blockFrames) return;
    this.#peak.set(this.#running);
    this.#running.fill(0);
    this.#frames = 0;
  }

  /** The last complete block's peak per channel (a copy). */
  peaks(): number[] {
    return Array.from(this.#peak);
  }
}
