/**
 * Default tracking bandwidth, Hz: slow enough that arrival jitter barely moves the ratio (a few
 * ppm), once the loop has acquired the drift at its wider starting bandwidth.
 */
export const DRIFT_LOOP_HZ = 0.02;
/**
 * How long the loop takes to narrow from its acquisition bandwidth to the tracking one, seconds
 * of stream played: it has settled within the first half (see DriftController).
 */
export const DRIFT_ACQUIRE_SECONDS = 25;
/** The loop starts this many times wider than it tracks... */
const ACQUIRE_BANDWIDTH_FACTOR = 10;
/**
 * ...but no wider than this, Hz: 45° of phase margin with the fill's 0.5 s low-pass in the loop
 * (0.2 Hz would leave 28°, and ring).
 */
const ACQUIRE_MAX_LOOP_HZ = 0.1;
/** The ratio is held within ±this: crystals are tens of ppm apart, ±1000 is a fault. */
export const MAX_DRIFT_PPM = 1000;
/** Time constant of the fill's low-pass, seconds: it smooths the sawtooth of packet arrivals. */
const FILL_SMOOTHING_SECONDS = 0.5;
/**
 * Time constant of the reported drift's average, in cycles of the loop's current bandwidth (5 s
 * when tracking at 0.02 Hz, 1 s at 0.1 Hz): the integral wanders by a few ppm (±2 ppm reported
 * at ±2 ms jitter), and the average must follow the acquisition (0.4 cycles: 15–25 s to settle).
 */
const REPORT_SMOOTHING_CYCLES = 0.1;

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
 * second-order delay-locked loop) on the low-passed fill.
 *
 * Model: consuming `ratio` sender frames per device frame, the fill changes by
 * sampleRate × (drift − (ratio − 1)) frames a second. With ratio − 1 = Kp·e + Ki·∫e (e = fill −
 * setpoint) the loop is x'' + fs·Kp·x' + fs·Ki·x = fs·drift (x = ∫e): natural frequency
 * ωn = √(fs·Ki), damping ζ = fs·Kp / (2ωn), critically damped here. In steady state the
 * integral term equals the drift, which is what `driftPpm` reports.
 *
 * Gear shifting: a loop narrow enough to ignore jitter takes a minute to learn a large drift,
 * and meanwhile a slow sender drains a small target. So the loop starts ACQUIRE_BANDWIDTH_FACTOR
 * times wider (at most ACQUIRE_MAX_LOOP_HZ: 5× for the default) and narrows linearly to `loopHz`
 * over `acquireSeconds` of stream. The gains change a little every period and the integral (the
 * drift estimate) carries over, so the ratio never steps. Measured on the drifting link of
 * test/drift.test.ts (±500 ppm, ±1.5 ms jitter, 64-frame periods at 48 kHz, the fill due held at
 * 192 frames, 120 s, seeds 5–7): settled (fill within a period, drift within 50 ppm) after 5–11 s
 * and 0–6 concealed underruns, against 60–70 s and up to 1,650 underruns with one fixed 0.02 Hz
 * loop; without drift the ratio stays within ±35 ppm once tracking (as with the fixed loop). A
 * 0.2 Hz start settles in 5–8 s but swings the ratio by ±140 ppm 10 s in; 0.05 Hz takes 12–27 s
 * and lets 15–48 underruns through; narrowing over 10 s cuts the acquisition short (23–30 s to
 * settle), over 40 s keeps the ratio swinging ±60 ppm for 30 s.
 *
 * `restart()` keeps the estimate and the gear: a re-prime resets the fill to the target and
 * leaves the clocks as they were, so there is nothing to acquire again, and a wider loop would
 * only let jitter in.
 */
export class DriftController {
  readonly #sampleRate: number;
  readonly #trackHz: number;
  readonly #acquireHz: number;
  readonly #acquireSeconds: number;
  /** Seconds of stream the loop has run, up to the end of its acquisition. */
  #elapsed = 0;
  #setpoint: number;
  #fill = Number.NaN;
  #integral = 0;
  #reported = 0;
  #ratio = 1;

  constructor({
    sampleRate,
    setpointFrames,
    loopHz = DRIFT_LOOP_HZ,
    acquireSeconds = DRIFT_ACQUIRE_SECONDS,
  }: DriftControllerOptions) {
    this.#sampleRate = sampleRate;
    this.#trackHz = loopHz;
    // Never narrower than tracking: a loop asked to track wider than the cap does not shift.
    this.#acquireHz = Math.max(
      loopHz,
      Math.min(ACQUIRE_BANDWIDTH_FACTOR * loopHz, ACQUIRE_MAX_LOOP_HZ),
    );
    this.#acquireSeconds = acquireSeconds;
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

  /** After a period of `frames` frames that found `fillFrames` buffered when it was due. */
  update(fillFrames: number, frames: number): number {
    const dt = frames / this.#sampleRate;
    const hz = this.#loopHz();
    this.#elapsed = Math.min(this.#acquireSeconds, this.#elapsed + dt);
    const omega = 2 * Math.PI * hz;
    const ki = (omega * omega) / this.#sampleRate;
    const kp = (2 * omega) / this.#sampleRate; // ζ = 1
    if (Number.isNaN(this.#fill)) this.#fill = fillFrames;
    else this.#fill += (fillFrames - this.#fill) * Math.min(1, dt / FILL_SMOOTHING_SECONDS);
    const error = this.#fill - this.#setpoint;
    const limit = MAX_DRIFT_PPM / 1e6;
    // Anti-windup: while the ratio is pinned at its limit, integrating would only store up an
    // overshoot (a start far from the setpoint is drained by the proportional term alone).
    const pinned = Math.abs(this.#integral + kp * error) >= limit;
    if (!pinned) this.#integral = clamp(this.#integral + ki * error * dt, limit);
    this.#ratio = 1 + clamp(this.#integral + kp * error, limit);
    this.#reported +=
      (this.#integral - this.#reported) * Math.min(1, (dt * hz) / REPORT_SMOOTHING_CYCLES);
    return this.#ratio;
  }

  /** Forgets the fill (after the buffer primed again), keeps the drift estimate and the gear. */
  restart(): void {
    this.#fill = Number.NaN;
    this.#ratio = 1 + this.#integral;
  }

  /** The loop's bandwidth now, Hz: from the acquisition one down to the tracking one. */
  #loopHz(): number {
    if (this.#elapsed >= this.#acquireSeconds) return this.#trackHz;
    const left = 1 - this.#elapsed / this.#acquireSeconds;
    return this.#trackHz + (this.#acquireHz - this.#trackHz) * left;
  }
}

function clamp(value: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, value));
}
