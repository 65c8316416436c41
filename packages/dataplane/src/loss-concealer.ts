import { BoundsError, ConcealerError, checkRange } from './errors.js';
import type { PullResult } from './jitter-buffer.js';

/** Shortest and longest cycle repeated over a gap: 400 Hz down to 50 Hz fundamentals. */
export const MIN_CYCLE_SECONDS = 0.0025;
export const MAX_CYCLE_SECONDS = 0.02;
/** A gap plays its repeated cycle at full level this long, then fades to silence over FADE_SECONDS. */
export const HOLD_SECONDS = 0.005;
export const FADE_SECONDS = 0.02;
/** When audio comes back, the concealment hands over to it across this much. */
export const CROSSFADE_SECONDS = 0.002;
/**
 * The repetition starts where the played waveform was, at its slope, and eases onto the repeated
 * cycle over this much: the cycle's first sample is rarely exactly there.
 */
export const EASE_SECONDS = 0.001;

/** 0 to 1 with zero slope at both ends: ramps built on it put no kink in the waveform. */
const smoothstep = (t: number): number => t * t * (3 - 2 * t);

export type ConcealmentMode = 'silence' | 'fade';

export interface LossConcealerOptions {
  readonly channels: number;
  readonly sampleRate: number;
}

type State = 'idle' | 'playing' | 'concealing' | 'recovering';

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
 * All storage is allocated in the constructor; `conceal` allocates nothing. The arithmetic is
 * plain sums and linear ramps in double precision (no transcendental functions), so the C++ twin
 * (native/src/core/loss_concealer.hpp) gives the same float samples.
 */
export class LossConcealer {
  readonly #channels: number;
  readonly #minCycle: number;
  readonly #maxCycle: number;
  readonly #holdFrames: number;
  readonly #fadeFrames: number;
  readonly #crossfadeFrames: number;
  readonly #easeFrames: number;
  /**
   * Per channel: where the waveform was heading minus where the cycle starts, and the same of
   * their slopes; the correction they make is eased to 0.
   */
  readonly #offset: Float64Array;
  readonly #slope: Float64Array;
  /** What was played, the last `#historyFrames` frames, interleaved, ring from `#historyEnd`. */
  readonly #history: Float32Array;
  readonly #historyFrames: number;
  #historyEnd = 0;
  #historyFilled = 0;
  /** A mono mix of the history, oldest first, for the cycle search. */
  readonly #mono: Float64Array;
  /** The cycle being repeated, interleaved. */
  readonly #cycle: Float32Array;
  #cycleFrames = 0;
  #state: State = 'idle';
  /** Frames since the gap began (the repetition's clock) and since audio came back. */
  #gapFrame = 0;
  #recoverFrame = 0;
  #gaps = 0;
  /** The last period ended in a slip: the next one does not continue it. */
  #splice = false;

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
    this.#minCycle = Math.max(2, Math.round(sampleRate * MIN_CYCLE_SECONDS));
    this.#maxCycle = Math.max(this.#minCycle, Math.round(sampleRate * MAX_CYCLE_SECONDS));
    this.#holdFrames = Math.round(sampleRate * HOLD_SECONDS);
    this.#fadeFrames = Math.max(1, Math.round(sampleRate * FADE_SECONDS));
    this.#crossfadeFrames = Math.max(1, Math.round(sampleRate * CROSSFADE_SECONDS));
    this.#easeFrames = Math.max(1, Math.round(sampleRate * EASE_SECONDS));
    this.#offset = new Float64Array(channels);
    this.#slope = new Float64Array(channels);
    // The search compares the newest maxCycle / 2 frames with the same span one cycle earlier.
    this.#historyFrames = this.#maxCycle + (this.#maxCycle >> 1);
    this.#history = new Float32Array(this.#historyFrames * channels);
    this.#mono = new Float64Array(this.#historyFrames);
    this.#cycle = new Float32Array(this.#maxCycle * channels);
  }

  /** Gaps (underruns included) and slips concealed so far, for statistics. */
  get gaps(): number {
    return this.#gaps;
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
    const channels = this.#channels;
    checkRange('loss concealer: samples', samples.length, offset, frames * channels);
    if (frames > missing.length) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `loss concealer: the mask holds ${missing.length} frames, the period has ${frames}`,
      );
    }
    const played = pull.playing;
    if (this.#splice && played && this.#state !== 'idle' && this.#state !== 'concealing') {
      this.#beginGap();
    }
    if (frames > 0) this.#splice = pull.skippedFrames > 0;
    for (let f = 0, at = offset; f < frames; f++, at += channels) {
      const lost = !played || missing[f] === 1;
      if (this.#state === 'idle') {
        if (!played) continue;
        this.#state = 'playing';
      }
      if (lost) {
        if (this.#state !== 'concealing') this.#beginGap();
        this.#writeConcealment(samples, at);
      } else if (this.#state === 'concealing' || this.#state === 'recovering') {
        this.#crossfade(samples, at);
      }
      this.#remember(samples, at);
    }
  }

  /** Forgets everything: the next period that plays starts the stream afresh. */
  reset(): void {
    this.#state = 'idle';
    this.#splice = false;
    this.#history.fill(0);
    this.#historyEnd = 0;
    this.#historyFilled = 0;
  }

  #beginGap(): void {
    this.#gaps++;
    this.#state = 'concealing';
    this.#gapFrame = 0;
    this.#cycleFrames = this.#findCycle();
    // The cycle is the last L frames played, oldest first. Its last K frames blend into the K
    // frames played before it, which lead into its first frame: it wraps without a step.
    const channels = this.#channels;
    const historyFrames = this.#historyFrames;
    const history = this.#history;
    const cycle = this.#cycle;
    const length = this.#cycleFrames;
    const blend = Math.min(length >> 2, this.#historyFilled - length);
    const at = (back: number): number =>
      ((this.#historyEnd - back + historyFrames) % historyFrames) * channels;
    for (let f = 0; f < length; f++) {
      const from = at(length - f);
      for (let c = 0; c < channels; c++) cycle[f * channels + c] = history[from + c]!;
    }
    for (let j = 0; j < blend; j++) {
      const w = smoothstep((j + 1) / (blend + 1));
      const to = (length - blend + j) * channels;
      const before = at(length + blend - j);
      for (let c = 0; c < channels; c++) {
        cycle[to + c] = cycle[to + c]! * (1 - w) + history[before + c]! * w;
      }
    }
    const last = at(1);
    const beforeLast = at(2);
    const second = length > 1 ? channels : 0;
    let peak = 0;
    for (const sample of history) peak = Math.max(peak, Math.abs(sample));
    for (let c = 0; c < channels; c++) {
      const step = history[last + c]! - history[beforeLast + c]!;
      this.#offset[c] = history[last + c]! + step - cycle[c]!;
      this.#slope[c] = step - (cycle[second + c]! - cycle[c]!);
      this.#holdWithin(peak, c);
    }
  }

  /**
   * Scales channel `c`'s ease down, as little as needed, so the repetition stays within `peak`
   * (the largest magnitude played): eased from a noisy waveform's slope, it would reach several
   * times full scale. One factor for the whole ease keeps it smooth; the cycle itself is made of
   * played samples, so a factor of 0 always fits.
   */
  #holdWithin(peak: number, c: number): void {
    const channels = this.#channels;
    let scale = 1;
    for (let g = 0; g < this.#easeFrames; g++) {
      const sample = this.#cycle[(g % this.#cycleFrames) * channels + c]!;
      const correction =
        (this.#offset[c]! + this.#slope[c]! * g) * (1 - smoothstep(g / this.#easeFrames));
      if (correction > 0) scale = Math.min(scale, (peak - sample) / correction);
      else if (correction < 0) scale = Math.min(scale, (peak + sample) / -correction);
    }
    scale = Math.max(0, scale);
    this.#offset[c] = this.#offset[c]! * scale;
    this.#slope[c] = this.#slope[c]! * scale;
  }

  /**
   * The lag, minCycle to maxCycle frames, at which the newest half-window of the played mono mix
   * best matches itself one lag earlier (normalized cross-correlation). A pitched sound repeats
   * in phase at it; for noise any lag serves, the fade hides it. With too little history, the
   * longest cycle the history holds.
   */
  #findCycle(): number {
    const historyFrames = this.#historyFrames;
    const window = this.#maxCycle >> 1;
    if (this.#historyFilled < this.#minCycle + window) {
      return Math.max(1, Math.min(this.#historyFilled, this.#maxCycle));
    }
    const mono = this.#mono;
    const channels = this.#channels;
    let at = this.#historyEnd;
    for (let f = 0; f < historyFrames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += this.#history[at * channels + c]!;
      mono[f] = sum;
      if (++at === historyFrames) at = 0;
    }
    const maxLag = Math.min(this.#maxCycle, this.#historyFilled - window);
    const end = historyFrames;
    let recentEnergy = 0;
    for (let n = end - window; n < end; n++) recentEnergy += mono[n]! * mono[n]!;
    let bestLag = maxLag;
    let bestScore = -Infinity;
    for (let lag = this.#minCycle; lag <= maxLag; lag++) {
      let cross = 0;
      let pastEnergy = 0;
      for (let n = end - window; n < end; n++) {
        const past = mono[n - lag]!;
        cross += mono[n]! * past;
        pastEnergy += past * past;
      }
      const denominator = recentEnergy * pastEnergy;
      // cross / sqrt(denominator), compared squared with its sign kept: no square root needed.
      const score = denominator > 0 ? (cross * Math.abs(cross)) / denominator : 0;
      if (score > bestScore) {
        bestScore = score;
        bestLag = lag;
      }
    }
    return bestLag;
  }

  /** Level of the repetition `gapFrame` frames into a gap: held, then faded to 0. */
  #gain(gapFrame: number): number {
    const intoFade = gapFrame - this.#holdFrames;
    if (intoFade <= 0) return 1;
    return intoFade >= this.#fadeFrames ? 0 : 1 - smoothstep(intoFade / this.#fadeFrames);
  }

  /** The repetition's sample of `channel` at the gap's current frame, before its gain. */
  #repeated(channel: number): number {
    const gapFrame = this.#gapFrame;
    const sample = this.#cycle[(gapFrame % this.#cycleFrames) * this.#channels + channel]!;
    if (gapFrame >= this.#easeFrames) return sample;
    const correction = this.#offset[channel]! + this.#slope[channel]! * gapFrame;
    return sample + correction * (1 - smoothstep(gapFrame / this.#easeFrames));
  }

  /** Writes the next frame of the repetition over the frame at `at`. */
  #writeConcealment(samples: Float32Array, at: number): void {
    const gain = this.#gain(this.#gapFrame);
    for (let c = 0; c < this.#channels; c++) samples[at + c] = this.#repeated(c) * gain;
    this.#gapFrame++;
  }

  /** Audio is back: blend from the repetition into it across CROSSFADE_SECONDS. */
  #crossfade(samples: Float32Array, at: number): void {
    if (this.#state === 'concealing') {
      this.#state = 'recovering';
      this.#recoverFrame = 0;
    }
    const weight = smoothstep((this.#recoverFrame + 1) / (this.#crossfadeFrames + 1));
    const gain = this.#gain(this.#gapFrame) * (1 - weight);
    for (let c = 0; c < this.#channels; c++) {
      samples[at + c] = samples[at + c]! * weight + this.#repeated(c) * gain;
    }
    this.#gapFrame++;
    if (++this.#recoverFrame === this.#crossfadeFrames) this.#state = 'playing';
  }

  #remember(samples: Float32Array, at: number): void {
    const channels = this.#channels;
    const to = this.#historyEnd * channels;
    for (let c = 0; c < channels; c++) this.#history[to + c] = samples[at + c]!;
    if (++this.#historyEnd === this.#historyFrames) this.#historyEnd = 0;
    if (this.#historyFilled < this.#historyFrames) this.#historyFilled++;
  }
}
