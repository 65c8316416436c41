import {
  ArgumentCopy,
  core,
  corePointer,
  coreView,
  own,
  scratch,
  type CoreObject,
} from './core/wasm-core.js';
import { BoundsError, ConcealerError, checkRange } from './errors.js';
import type { PullResult } from './jitter-buffer.js';

/** Shortest and longest cycle repeated over a gap: 400 Hz down to 50 Hz fundamentals. */
export const MIN_CYCLE_SECONDS = core().min_cycle_seconds!();
export const MAX_CYCLE_SECONDS = core().max_cycle_seconds!();
/** A gap plays its repeated cycle at full level this long, then fades to silence over FADE_SECONDS. */
export const HOLD_SECONDS = core().hold_seconds!();
export const FADE_SECONDS = core().fade_seconds!();
/** When audio comes back, the concealment hands over to it across this much. */
export const CROSSFADE_SECONDS = core().crossfade_seconds!();
/**
 * The repetition starts where the played waveform was, at its slope, and eases onto the repeated
 * cycle over this much: the cycle's first sample is rarely exactly there.
 */
export const EASE_SECONDS = core().ease_seconds!();

export type ConcealmentMode = 'silence' | 'fade';

export interface LossConcealerOptions {
  readonly channels: number;
  readonly sampleRate: number;
}

/**
 * Repeat-and-fade concealment of a received stream's gaps, on interleaved float frames after the
 * jitter buffer: a frame that never arrived (or a whole period the buffer could not play, an
 * underrun) is filled by repeating the last cycle of what was played, found by autocorrelation
 * over the last MAX_CYCLE_SECONDS (so a pitched sound continues in phase), held HOLD_SECONDS and
 * then faded to silence over FADE_SECONDS. When audio resumes, the repetition crossfades into it.
 * Silence instead would cut the waveform at both edges of every gap: two clicks. A slip (the
 * buffer skipping a faster sender's surplus) is a splice, crossfaded the same way.
 *
 * Until the stream first plays (priming at start, or after `reset`) nothing is touched, and a
 * stream that loses nothing passes through bit for bit.
 *
 * The concealer is the core's (native/src/core/loss_concealer.hpp, compiled to WebAssembly; its
 * arithmetic is exact, so packages/dataplane/vectors/concealment.json holds its results): this
 * class checks its arguments and copies the period in and out. `conceal` allocates nothing.
 */
export class LossConcealer implements CoreObject {
  readonly [corePointer]: number;
  readonly #channels: number;
  readonly #samples = new ArgumentCopy<Float32Array>();
  readonly #mask = new ArgumentCopy<Uint8Array>();
  /** A view of the concealed period in the scratch block, kept (coreView). */
  #concealed: Float32Array | undefined;

  constructor({ channels, sampleRate }: LossConcealerOptions) {
    if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) {
      throw new ConcealerError(
        'BAD_CHANNELS',
        `loss concealer: channels must be an integer from 1 to 65535, got ${String(channels)}`,
      );
    }
    if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
      throw new ConcealerError(
        'BAD_SAMPLE_RATE',
        `loss concealer: sample rate must be positive and finite, got ${String(sampleRate)}`,
      );
    }
    this.#channels = channels;
    const pointer = core().loss_concealer_new!(channels, sampleRate);
    this[corePointer] = pointer;
    own(this, () => core().loss_concealer_free!(pointer));
  }

  /** Gaps (underruns included) and slips concealed so far, for statistics. */
  get gaps(): number {
    return core().loss_concealer_gaps!(this[corePointer]);
  }

  /**
   * Conceals in place the period of `frames` frames at `offset` (in samples) of `samples`, as the
   * jitter buffer gave it: `pull` is what its pull returned, and `missing[i]` is 1 for each frame
   * it concealed with silence (`JitterBuffer.pull`'s mask).
   */
  conceal(
    samples: Float32Array,
    offset: number,
    frames: number,
    pull: Readonly<Pick<PullResult, 'playing' | 'skippedFrames'>>,
    missing: Uint8Array,
  ): void {
    const count = frames * this.#channels;
    checkRange('loss concealer: samples', samples.length, offset, count);
    if (frames > missing.length) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `loss concealer: the mask holds ${missing.length} frames, the period has ${frames}`,
      );
    }
    const at = scratch(count * 4 + frames);
    const mask = this.#mask.copy(missing, 0, frames, at + count * 4);
    this.#samples.copy(samples, offset, count, at);
    core().loss_concealer_conceal!(
      this[corePointer],
      at,
      frames,
      pull.playing ? 1 : 0,
      pull.skippedFrames,
      mask,
    );
    this.#concealed = coreView(Float32Array, this.#concealed, at, count);
    samples.set(this.#concealed, offset);
  }

  /** Forgets everything: the next period that plays starts the stream afresh. */
  reset(): void {
    core().loss_concealer_reset!(this[corePointer]);
  }
}
