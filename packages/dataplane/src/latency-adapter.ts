import { LatencyAdapterError } from './errors.js';

/** Length of one block of the sliding window, seconds of device time. */
const BLOCK_SECONDS = 0.25;
/** The jitter is the latest arrival over this many seconds (a whole number of blocks). */
export const JITTER_WINDOW_SECONDS = 4;
/** The target shrinks only once it has had headroom for this long (a whole number of blocks). */
export const SHRINK_HOLD_SECONDS = 8;
/** Then it shrinks by one SHRINK_STEP_MS step this often while the headroom lasts. */
export const SHRINK_INTERVAL_SECONDS = 1;
/** One shrink step, ms of audio (at least a frame). */
export const SHRINK_STEP_MS = 0.25;
/**
 * Blocks of the window whose lateness the jitter leaves out, the latest ones: a stall this rare
 * (at most 3 blocks in 4 s) is cheaper as a glitch than as latency for every other period.
 */
export const TOLERATED_BLOCKS = 3;
/** Underruns further apart than this (seconds of device time) are tolerated; closer, they raise. */
export const UNDERRUN_SPACING_SECONDS = 1;

const WINDOW_BLOCKS = JITTER_WINDOW_SECONDS / BLOCK_SECONDS;
const HOLD_BLOCKS = SHRINK_HOLD_SECONDS / BLOCK_SECONDS;
const INTERVAL_BLOCKS = SHRINK_INTERVAL_SECONDS / BLOCK_SECONDS;

export interface LatencyAdapterOptions {
  /** The stream's sample rate, Hz: the window and the steps are in seconds of device time. */
  readonly sampleRate: number;
  /** The device period, frames: a period is pulled whole, so it must have arrived whole. */
  readonly periodFrames: number;
  /** Bounds of the target, frames: 1 ≤ min ≤ max; max is the jitter buffer's capacity / 2. */
  readonly minTargetFrames: number;
  readonly maxTargetFrames: number;
  /** The target before anything is measured, frames, within the bounds. Default the minimum. */
  readonly initialTargetFrames?: number;
  /** Frames kept above the measured jitter and the period. Default a quarter of the period. */
  readonly safetyFrames?: number;
}

/**
 * Adaptive target latency for a jitter buffer (issue #7): measures how late datagrams arrive
 * relative to the best of their neighbours, on the receiver's device clock, and proposes the
 * smallest target that covers it. Fed per datagram (`arrival`) and per pulled period (`period`);
 * it never reads a wall clock, so it works as well on a device that runs faster than real time.
 *
 * - Arrival offset: the run's end (stream frames) minus the device clock (frames pulled so far,
 *   priming and underruns included). It is the arrival margin (run end − playhead) plus a term
 *   that only the playhead's jumps change (priming pauses, slips, resyncs), so those jumps,
 *   which are not network jitter, never show up in it.
 * - Lateness: the best (highest) offset of the current and previous block, 0.25 to 0.5 s of
 *   device time, minus this arrival's. The short reference detrends clock drift: offsets slope
 *   by the drift (1000 ppm is 24 frames over 0.5 s at 48 kHz), and an absolute minimum over the
 *   whole window would count the slope as jitter.
 * - Jitter: the largest lateness over JITTER_WINDOW_SECONDS but for the TOLERATED_BLOCKS latest
 *   blocks (16 blocks of 0.25 s, one maximum each: no allocation; the blocks are ranked only
 *   when one's maximum grows). A device that stalls now and then (an xrun: JACK without
 *   real-time scheduling has several a second) delays whole bursts by milliseconds; covering
 *   each would cost that latency on every period, while leaving out the latest 3 blocks in 16
 *   costs at most about one glitch a second, concealed. Lateness is clamped to the maximum
 *   target.
 * - Period granularity: the device clock moves a period at a time and arrivals are seen between
 *   pulls, so offsets (like margins) come in steps of the period: lateness measures exactly what
 *   decides whether a period is whole when pulled. A period is pulled whole, hence the need:
 *   jitter + period + safety. Priming ends at the target, so arrivals as late as the jitter
 *   still leave a period's margin.
 * - Quick to grow: an arrival that makes the jitter's need exceed the target raises it at once;
 *   an underrun (which detrended lateness cannot see: a slower sender's drift, a delay step)
 *   less than UNDERRUN_SPACING_SECONDS after the last adds a period, once per run of underruns
 *   in a row. Rarer underruns are the stalls the jitter leaves out.
 * - Slow to shrink: after SHRINK_HOLD_SECONDS with headroom of at least two steps (blocks without
 *   arrivals prove nothing and do not count), one SHRINK_STEP_MS step per
 *   SHRINK_INTERVAL_SECONDS. The two-step margin keeps the target from hunting when the jitter
 *   moves by a step.
 *
 * The buffer decides what the target does. Played straight, a JitterBuffer takes it only when it
 * primes: a raise waits for the next underrun, a cut for a slip. Through a
 * DriftCompensatedStream the target is the fill each period finds when due, which the resampler
 * holds there, followed both ways within seconds: the same level priming ends at, so the need is
 * the same in both modes.
 */
export class LatencyAdapter {
  readonly #periodFrames: number;
  readonly #minTarget: number;
  readonly #maxTarget: number;
  readonly #safety: number;
  readonly #blockFrames: number;
  readonly #stepFrames: number;
  /** Largest lateness per block, ring of WINDOW_BLOCKS with the current one at `#head`. */
  readonly #blockLateness = new Float64Array(WINDOW_BLOCKS);
  /** Scratch for #rankedLateness: the largest block latenesses, descending. */
  readonly #top = new Float64Array(TOLERATED_BLOCKS + 1);
  #head = 0;
  /** Best offsets of the current and the previous block (−∞ when no arrival). */
  #currentBest = Number.NEGATIVE_INFINITY;
  #previousBest = Number.NEGATIVE_INFINITY;
  #arrivedInBlock = false;
  #jitter = 0;
  /** Device frames pulled so far, and those of the current block. */
  #clock = 0;
  #blockElapsed = 0;
  /** Blocks in a row that had headroom. */
  #headroomBlocks = 0;
  /** The last period pulled was an underrun: a run of them raises the target once. */
  #underranLast = false;
  /** Device clock at the last run of underruns (−∞: none yet), and the spacing that raises. */
  #lastUnderrunClock = Number.NEGATIVE_INFINITY;
  readonly #underrunSpacingFrames: number;
  #target: number;

  constructor({
    sampleRate,
    periodFrames,
    minTargetFrames,
    maxTargetFrames,
    initialTargetFrames = minTargetFrames,
    safetyFrames = Math.ceil(periodFrames / 4),
  }: LatencyAdapterOptions) {
    if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
      throw new LatencyAdapterError(
        'BAD_SAMPLE_RATE',
        `latency adapter: sample rate must be a finite number > 0, got ${String(sampleRate)}`,
      );
    }
    checkFrames('BAD_PERIOD', 'period', periodFrames, 1, Number.MAX_SAFE_INTEGER);
    checkFrames('BAD_TARGET', 'minimum target', minTargetFrames, 1, Number.MAX_SAFE_INTEGER);
    checkFrames(
      'BAD_TARGET',
      'maximum target',
      maxTargetFrames,
      minTargetFrames,
      Number.MAX_SAFE_INTEGER,
    );
    checkFrames(
      'BAD_TARGET',
      'initial target',
      initialTargetFrames,
      minTargetFrames,
      maxTargetFrames,
    );
    checkFrames('BAD_SAFETY', 'safety', safetyFrames, 0, Number.MAX_SAFE_INTEGER);
    this.#periodFrames = periodFrames;
    this.#minTarget = minTargetFrames;
    this.#maxTarget = maxTargetFrames;
    this.#safety = safetyFrames;
    this.#target = initialTargetFrames;
    this.#blockFrames = Math.ceil(sampleRate * BLOCK_SECONDS);
    this.#stepFrames = Math.max(1, Math.round((sampleRate * SHRINK_STEP_MS) / 1000));
    this.#underrunSpacingFrames = sampleRate * UNDERRUN_SPACING_SECONDS;
  }

  /** The proposed target latency, frames, within the bounds. */
  get targetFrames(): number {
    return this.#target;
  }

  /**
   * Measured arrival jitter, frames: how much later than the best of its neighbours datagrams
   * arrived over the last JITTER_WINDOW_SECONDS, leaving out the TOLERATED_BLOCKS latest blocks.
   * In µs: jitterFrames × 1e6 / sampleRate.
   */
  get jitterFrames(): number {
    return this.#jitter;
  }

  /**
   * A datagram arrived whose run ends (exclusive) at `runEndFrame` stream frames:
   * (byteIndex + byteCount) / bytesPerFrame, fractional when it ends inside a frame. Call it for
   * every datagram pushed, late and duplicate ones too. Returns the target.
   */
  arrival(runEndFrame: number): number {
    if (!Number.isFinite(runEndFrame)) {
      throw new LatencyAdapterError(
        'BAD_ARRIVAL',
        `latency adapter: a run's end must be a finite number of frames, got ${String(runEndFrame)}`,
      );
    }
    const offset = runEndFrame - this.#clock;
    if (offset > this.#currentBest) this.#currentBest = offset;
    const best = Math.max(this.#currentBest, this.#previousBest);
    const lateness = Math.min(best - offset, this.#maxTarget);
    this.#arrivedInBlock = true;
    if (lateness <= this.#blockLateness[this.#head]!) return this.#target;
    this.#blockLateness[this.#head] = lateness;
    this.#jitter = this.#rankedLateness();
    const need = this.#need(this.#jitter);
    if (need > this.#target) {
      this.#target = need;
      this.#headroomBlocks = 0;
    }
    return this.#target;
  }

  /**
   * A period of `frames` device frames was pulled (whether it played, primed or underran), and
   * whether it underran. Returns the target.
   */
  period(frames: number, underrun: boolean): number {
    checkFrames('BAD_FRAMES', 'pulled frames', frames, 0, Number.MAX_SAFE_INTEGER);
    // One period more per run of underruns: a concealed underrun and the priming that may follow
    // it (JitterBuffer concealUnderruns) are one shortfall, not two.
    if (underrun && !this.#underranLast) {
      if (this.#clock - this.#lastUnderrunClock < this.#underrunSpacingFrames) {
        this.#target = Math.min(this.#maxTarget, this.#target + this.#periodFrames);
        this.#headroomBlocks = 0;
      }
      this.#lastUnderrunClock = this.#clock;
    }
    this.#underranLast = underrun;
    this.#clock += frames;
    this.#blockElapsed += frames;
    while (this.#blockElapsed >= this.#blockFrames) {
      this.#blockElapsed -= this.#blockFrames;
      this.#endBlock();
    }
    return this.#target;
  }

  /**
   * Forgets what was measured, keeping the target: call it with the jitter buffer's `reset()`
   * (an I/O restart, byte indices from 0 again).
   */
  reset(): void {
    this.#blockLateness.fill(0);
    this.#currentBest = Number.NEGATIVE_INFINITY;
    this.#previousBest = Number.NEGATIVE_INFINITY;
    this.#arrivedInBlock = false;
    this.#jitter = 0;
    this.#clock = 0;
    this.#blockElapsed = 0;
    this.#headroomBlocks = 0;
    this.#underranLast = false;
    this.#lastUnderrunClock = Number.NEGATIVE_INFINITY;
  }

  /**
   * The (TOLERATED_BLOCKS + 1)-th largest block lateness of the window: insertion into a small
   * descending list, no allocation.
   */
  #rankedLateness(): number {
    const top = this.#top;
    top.fill(0);
    for (let b = 0; b < WINDOW_BLOCKS; b++) {
      let value = this.#blockLateness[b]!;
      for (let k = 0; k < top.length && value > 0; k++) {
        if (value > top[k]!) {
          const displaced = top[k]!;
          top[k] = value;
          value = displaced;
        }
      }
    }
    return top[TOLERATED_BLOCKS]!;
  }

  /** The smallest target that covers `lateness`, within the bounds. */
  #need(lateness: number): number {
    const need = Math.ceil(lateness + this.#periodFrames + this.#safety);
    return Math.min(this.#maxTarget, Math.max(this.#minTarget, need));
  }

  /** Moves the window on a block, then shrinks the target if it has had headroom long enough. */
  #endBlock(): void {
    if (this.#arrivedInBlock) {
      const step = this.#stepFrames;
      if (this.#target >= this.#need(this.#jitter) + 2 * step) this.#headroomBlocks++;
      else this.#headroomBlocks = 0;
      const held = this.#headroomBlocks - HOLD_BLOCKS;
      if (held >= 0 && held % INTERVAL_BLOCKS === 0) this.#target -= step;
    }
    this.#head = (this.#head + 1) % WINDOW_BLOCKS;
    this.#blockLateness[this.#head] = 0;
    this.#jitter = this.#rankedLateness();
    this.#previousBest = this.#currentBest;
    this.#currentBest = Number.NEGATIVE_INFINITY;
    this.#arrivedInBlock = false;
  }
}

function checkFrames(
  code: 'BAD_PERIOD' | 'BAD_TARGET' | 'BAD_SAFETY' | 'BAD_FRAMES',
  what: string,
  frames: number,
  min: number,
  max: number,
): void {
  if (!Number.isInteger(frames) || frames < min || frames > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new LatencyAdapterError(
      code,
      `latency adapter: ${what} must be an integer ${range} frames, got ${String(frames)}`,
    );
  }
}
