import { core, own } from './core/wasm-core.js';

/**
 * Default tracking bandwidth, Hz: slow enough that arrival jitter barely moves the ratio (a few
 * ppm), once the loop has acquired the drift at its wider starting bandwidth.
 */
export const DRIFT_LOOP_HZ: number = core().drift_loop_hz!();
/**
 * How long the loop takes to narrow from its acquisition bandwidth to the tracking one, seconds
 * of stream played: it has settled within the first half (see DriftController).
 */
export const DRIFT_ACQUIRE_SECONDS: number = core().drift_acquire_seconds!();
/**
 * The ratio is held within ±this: crystals are tens of ppm apart, but a device that loses time
 * (xruns) loses hundreds of ppm on average, and steps of the fill drain at what that leaves of the
 * limit (native/src/core/drift_controller.hpp, kMaxDriftPpm).
 */
export const MAX_DRIFT_PPM: number = core().drift_max_ppm!();
/**
 * The proportional term alone is held within ±this: a fill far off the setpoint is drained no
 * faster (and the integral does not wind up meanwhile), or a start on a jittery link overshoots.
 */
export const MAX_PROPORTIONAL_PPM: number = core().drift_max_proportional_ppm!();

export interface DriftControllerOptions {
  readonly sampleRate: number;
  /**
   * The buffer fill (frames) the controller holds: the jitter buffer's target latency, met by
   * the fill when a period is due (before its pull), as the buffer's priming meets it.
   */
  readonly setpointFrames: number;
  /** Natural frequency of the loop once it tracks, Hz. Default DRIFT_LOOP_HZ. */
  readonly loopHz?: number;
  /** Seconds of stream over which the loop narrows to loopHz. Default DRIFT_ACQUIRE_SECONDS. */
  readonly acquireSeconds?: number;
}

/**
 * Estimates how much faster the sender's clock runs than ours from the jitter buffer's fill, and
 * gives the resampling ratio that holds the fill at its setpoint: a PI controller (a
 * second-order delay-locked loop, critically damped) on the low-passed fill, whose integral term
 * is the drift `driftPpm` reports. The loop starts wider and narrows to `loopHz` over
 * `acquireSeconds` of stream, so a large drift is learnt in seconds and jitter barely moves the
 * ratio afterwards.
 *
 * The C++ core's (native/src/core/drift_controller.hpp: the model, the gear shifting and the
 * measurements behind its constants), through the WebAssembly core.
 *
 * `restart()` keeps the estimate and the gear: a re-prime resets the fill to the target and
 * leaves the clocks as they were, so there is nothing to acquire again, and a wider loop would
 * only let jitter in.
 */
export class DriftController {
  readonly #controller: number;

  constructor({
    sampleRate,
    setpointFrames,
    loopHz = DRIFT_LOOP_HZ,
    acquireSeconds = DRIFT_ACQUIRE_SECONDS,
  }: DriftControllerOptions) {
    const controller = core().drift_controller_new!(
      sampleRate,
      setpointFrames,
      loopHz,
      acquireSeconds,
    );
    this.#controller = controller;
    own(this, () => core().drift_controller_free!(controller));
  }

  /** Sender frames to consume per device frame. */
  get ratio(): number {
    return core().drift_controller_ratio!(this.#controller);
  }

  /** The estimated drift, ppm: positive when the sender's clock runs faster than ours. */
  get driftPpm(): number {
    return core().drift_controller_drift_ppm!(this.#controller);
  }

  set setpointFrames(frames: number) {
    core().drift_controller_set_setpoint!(this.#controller, frames);
  }

  /** After a period of `frames` frames that found `fillFrames` buffered when it was due. */
  update(fillFrames: number, frames: number): number {
    return core().drift_controller_update!(this.#controller, fillFrames, frames);
  }

  /** Forgets the fill (after the buffer primed again), keeps the drift estimate and the gear. */
  restart(): void {
    core().drift_controller_restart!(this.#controller);
  }
}
