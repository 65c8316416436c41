/** Default loop bandwidth: slow enough to ignore arrival jitter, fast enough to settle in a minute. */
export const DRIFT_LOOP_HZ = 0.02;
/** The ratio is held within ±this: crystals are tens of ppm apart, ±1000 is a fault. */
export const MAX_DRIFT_PPM = 1000;
/** Time constant of the fill's low-pass, seconds: it smooths the sawtooth of packet arrivals. */
const FILL_SMOOTHING_SECONDS = 0.5;
/** Time constant of the reported drift's average, seconds: the integral wanders by a few ppm. */
const REPORT_SMOOTHING_SECONDS = 20;

export interface DriftControllerOptions {
  readonly sampleRate: number;
  /** The buffer fill (frames) the controller holds: the jitter buffer's target latency. */
  readonly setpointFrames: number;
  /** Natural frequency of the loop, Hz. Default DRIFT_LOOP_HZ. */
  readonly loopHz?: number;
}

/**
 * Estimates how much faster the sender's clock runs than ours from the jitter buffer's fill, and
 * gives the resampling ratio that holds the fill at its setpoint: a PI controller (a
 * second-order delay-locked loop) on the low-passed fill.
 *
 * Model: consuming `ratio` sender frames per device frame, the fill changes by
 * sampleRate × (drift − (ratio − 1)) frames a second. With ratio − 1 = Kp·e + Ki·∫e (e = fill −
 * setpoint) the loop is x'' + fs·Kp·x' + fs·Ki·x = fs·drift (x = ∫e): natural frequency
 * ωn = √(fs·Ki), damping ζ = fs·Kp / (2ωn), critically damped here. In steady state the
 * integral term equals the drift, which is what `driftPpm` reports.
 */
export class DriftController {
  readonly #sampleRate: number;
  readonly #kp: number;
  readonly #ki: number;
  #setpoint: number;
  #fill = Number.NaN;
  #integral = 0;
  #reported = 0;
  #ratio = 1;

  constructor({ sampleRate, setpointFrames, loopHz = DRIFT_LOOP_HZ }: DriftControllerOptions) {
    const omega = 2 * Math.PI * loopHz;
    this.#sampleRate = sampleRate;
    this.#ki = (omega * omega) / sampleRate;
    this.#kp = (2 * omega) / sampleRate; // ζ = 1
    this.#setpoint = setpointFrames;
  }

  /** Sender frames to consume per device frame. */
  get ratio(): number {
    return this.#ratio;
  }

  /** The estimated drift, ppm: positive when the sender's clock runs faster than ours. */
  get driftPpm(): number {
    return this.#reported * 1e6;
  }

  set setpointFrames(frames: number) {
    this.#setpoint = frames;
  }

  /** After a period of `frames` frames played with `fillFrames` left buffered. */
  update(fillFrames: number, frames: number): number {
    const dt = frames / this.#sampleRate;
    if (Number.isNaN(this.#fill)) this.#fill = fillFrames;
    else this.#fill += (fillFrames - this.#fill) * Math.min(1, dt / FILL_SMOOTHING_SECONDS);
    const error = this.#fill - this.#setpoint;
    const limit = MAX_DRIFT_PPM / 1e6;
    // Anti-windup: while the ratio is pinned at its limit, integrating would only store up an
    // overshoot (a start far from the setpoint is drained by the proportional term alone).
    const pinned = Math.abs(this.#integral + this.#kp * error) >= limit;
    if (!pinned) this.#integral = clamp(this.#integral + this.#ki * error * dt, limit);
    this.#ratio = 1 + clamp(this.#integral + this.#kp * error, limit);
    this.#reported +=
      (this.#integral - this.#reported) * Math.min(1, dt / REPORT_SMOOTHING_SECONDS);
    return this.#ratio;
  }

  /** Forgets the fill (after a restart or an underrun), keeps the drift estimate. */
  restart(): void {
    this.#fill = Number.NaN;
    this.#ratio = 1 + this.#integral;
  }
}

function clamp(value: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, value));
}
