import { core, own } from './core/wasm-core.js';
import { LatencyAdapterError } from './errors.js';

/** The jitter is the latest arrival over this many seconds (a whole number of blocks). */
export const JITTER_WINDOW_SECONDS: number = core().latency_jitter_window_seconds!();
/** The target shrinks only once it has had headroom for this long (a whole number of blocks). */
export const SHRINK_HOLD_SECONDS: number = core().latency_shrink_hold_seconds!();
/** Then it shrinks by one SHRINK_STEP_MS step this often while the headroom lasts. */
export const SHRINK_INTERVAL_SECONDS: number = core().latency_shrink_interval_seconds!();
/** One shrink step, ms of audio (at least a frame). */
export const SHRINK_STEP_MS: number = core().latency_shrink_step_ms!();
/**
 * Blocks of the window whose lateness the jitter leaves out, the latest ones: a stall this rare
 * (at most 3 blocks in 4 s) is cheaper as a glitch than as latency for every other period.
 */
export const TOLERATED_BLOCKS: number = core().latency_tolerated_blocks!();
/** Underruns further apart than this (seconds of device time) are tolerated; closer, they raise. */
export const UNDERRUN_SPACING_SECONDS: number = core().latency_underrun_spacing_seconds!();

/** The core takes frame counts as u32. */
const MAX_FRAMES = 0xffff_ffff;

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
  /**
   * Underruns less than UNDERRUN_SPACING_SECONDS apart add a period (default true): false where
   * a DriftCompensatedStream holds the fill against drift, so that only the measured jitter sets
   * the target (an underrun left there is a stall a period more would not have covered).
   */
  readonly raiseOnUnderruns?: boolean;
}

/**
 * Adaptive target latency for a jitter buffer (issue #7): measures how late datagrams arrive
 * relative to the best of their neighbours (but for the few a device's late pull saw early), on the
 * receiver's device clock, and proposes the smallest target that covers it: jitter + period + safety. Fed per datagram (`arrival`) and per
 * pulled period (`period`); it never reads a wall clock, so it works as well on a device that
 * runs faster than real time. Quick to grow (an arrival that needs more; underruns less than
 * UNDERRUN_SPACING_SECONDS apart add a period, unless raiseOnUnderruns is false), slow to
 * shrink (after SHRINK_HOLD_SECONDS with headroom, one SHRINK_STEP_MS step per
 * SHRINK_INTERVAL_SECONDS).
 *
 * The C++ core's (native/src/core/latency_adapter.hpp, where the measure and its choices are
 * explained), through the WebAssembly core; the arguments are checked here.
 *
 * The buffer decides what the target does. Played straight, a JitterBuffer takes it only when it
 * primes: a raise waits for the next underrun, a cut for a slip. Through a
 * DriftCompensatedStream the target is the fill each period finds when due, which the resampler
 * holds there: a raise of more than a period primes again at once (one gap), a smaller change
 * and every cut are followed by the resampler. It is the same level priming ends at, so the need
 * is the same in both modes.
 */
export class LatencyAdapter {
  readonly #adapter: number;

  constructor({
    sampleRate,
    periodFrames,
    minTargetFrames,
    maxTargetFrames,
    initialTargetFrames,
    safetyFrames,
    raiseOnUnderruns = true,
  }: LatencyAdapterOptions) {
    if (!(Number.isFinite(sampleRate) && sampleRate > 0)) {
      throw new LatencyAdapterError(
        'BAD_SAMPLE_RATE',
        `latency adapter: sample rate must be a finite number > 0, got ${String(sampleRate)}`,
      );
    }
    checkFrames('BAD_PERIOD', 'period', periodFrames, 1, MAX_FRAMES);
    checkFrames('BAD_TARGET', 'minimum target', minTargetFrames, 1, MAX_FRAMES);
    checkFrames('BAD_TARGET', 'maximum target', maxTargetFrames, minTargetFrames, MAX_FRAMES);
    if (initialTargetFrames !== undefined) {
      checkFrames(
        'BAD_TARGET',
        'initial target',
        initialTargetFrames,
        minTargetFrames,
        maxTargetFrames,
      );
    }
    if (safetyFrames !== undefined) {
      checkFrames('BAD_SAFETY', 'safety', safetyFrames, 0, MAX_FRAMES);
    }
    const adapter = core().latency_adapter_new!(
      sampleRate,
      periodFrames,
      minTargetFrames,
      maxTargetFrames,
      initialTargetFrames ?? Number.NaN,
      safetyFrames ?? Number.NaN,
      raiseOnUnderruns ? 1 : 0,
    );
    this.#adapter = adapter;
    own(this, () => core().latency_adapter_free!(adapter));
  }

  /** The proposed target latency, frames, within the bounds. */
  get targetFrames(): number {
    return core().latency_adapter_target!(this.#adapter) >>> 0;
  }

  /**
   * Measured arrival jitter, frames: how much later than the best of its neighbours (but for the
   * few a device's late pull saw early) datagrams arrived over the last JITTER_WINDOW_SECONDS, leaving out the TOLERATED_BLOCKS latest blocks.
   * In µs: jitterFrames × 1e6 / sampleRate.
   */
  get jitterFrames(): number {
    return core().latency_adapter_jitter!(this.#adapter);
  }

  /**
   * A datagram arrived whose run ends (exclusive) at `runEndFrame` stream frames:
   * (byteIndex + byteCount) / bytesPerFrame, fractional when it ends inside a frame. Call it for
   * every datagram pushed, late and duplicate ones too. Runs arriving before the same pull that
   * end less than a period after the first are one sender's period, measured together at the
   * next run outside them or the next period() (native/src/core/latency_adapter.hpp, Chains).
   * Returns the target.
   */
  arrival(runEndFrame: number): number {
    if (!Number.isFinite(runEndFrame)) {
      throw new LatencyAdapterError(
        'BAD_ARRIVAL',
        `latency adapter: a run's end must be a finite number of frames, got ${String(runEndFrame)}`,
      );
    }
    return core().latency_adapter_arrival!(this.#adapter, runEndFrame) >>> 0;
  }

  /**
   * A period of `frames` device frames was pulled (whether it played, primed or underran), and
   * whether it underran. Returns the target.
   */
  period(frames: number, underrun: boolean): number {
    checkFrames('BAD_FRAMES', 'pulled frames', frames, 0, MAX_FRAMES);
    return core().latency_adapter_period!(this.#adapter, frames, underrun ? 1 : 0) >>> 0;
  }

  /**
   * Forgets what was measured, keeping the target: call it with the jitter buffer's `reset()`
   * (an I/O restart, byte indices from 0 again).
   */
  reset(): void {
    core().latency_adapter_reset!(this.#adapter);
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
    throw new LatencyAdapterError(
      code,
      `latency adapter: ${what} must be an integer from ${min} to ${max} frames, got ${String(frames)}`,
    );
  }
}
