// Clock-drift estimate and resampling ratio from the jitter buffer's fill, for both engines (the
// TS one through packages/dataplane/src/drift-controller.ts, which wraps its WebAssembly build;
// packages/dataplane/vectors/drift.json holds its exact results): a PI controller (a
// second-order delay-locked loop) on the low-passed fill, critically damped.
//
// Model: consuming `ratio` sender frames per (nominal) stream frame, the fill changes by
// sample_rate × (drift − (ratio − 1)) frames a second. With ratio − 1 = Kp·e + Ki·∫e (e = fill −
// setpoint) the loop is x'' + fs·Kp·x' + fs·Ki·x = fs·drift (x = ∫e): ωn = √(fs·Ki),
// ζ = fs·Kp / (2ωn) = 1. In steady state the integral term equals the drift (drift_ppm()).
//
// Gear shifting: a loop narrow enough to ignore jitter takes a minute to learn a large drift,
// and meanwhile a slow sender drains a small target. So the loop starts kAcquireBandwidthFactor
// times wider than it tracks (at most kAcquireMaxLoopHz: 5× for the default) and narrows
// linearly to the tracking bandwidth over acquire_seconds of stream. The gains change a little
// every period and the integral (the drift estimate) carries over, so the ratio never steps.
// Measured on the drifting link of packages/dataplane/test/drift.test.ts (±500 ppm, ±1.5 ms
// jitter, 64-frame periods at 48 kHz, the fill due held at 192 frames, 120 s, seeds 5–7):
// settled (fill within a period, drift within 50 ppm) after 4–10 s and 0–9 concealed underruns,
// against 60–70 s and up to 1,650 underruns with one fixed 0.02 Hz loop; without drift the
// ratio stays within ±35 ppm once tracking (as with the fixed loop). A 0.2 Hz start settles in
// 5–8 s but swings the ratio by ±140 ppm 10 s in; 0.05 Hz takes 12–27 s and lets 15–48
// underruns through; narrowing over 10 s cuts the acquisition short (23–30 s to settle), over
// 40 s keeps the ratio swinging ±60 ppm for 30 s.
//
// restart() keeps the estimate and the gear: a re-prime resets the fill to the target and leaves
// the clocks as they were, so there is nothing to acquire again, and a wider loop would only let
// jitter in.
//
// Nothing here allocates, locks, throws or logs; one thread calls it.
#pragma once

#include <algorithm>
#include <cmath>

#include "exact_fp_begin.hpp"

namespace syfala {

/// Default tracking bandwidth, Hz: slow enough that arrival jitter barely moves the ratio, once
/// the loop has acquired the drift at its wider starting bandwidth.
inline constexpr double kDriftLoopHz = 0.02;
/// Seconds of stream over which the loop narrows from its acquisition bandwidth to the tracking
/// one.
inline constexpr double kDriftAcquireSeconds = 25;
/// The loop starts this many times wider than it tracks...
inline constexpr double kAcquireBandwidthFactor = 10;
/// ...but no wider than this, Hz: 45° of phase margin with the fill's 0.5 s low-pass.
inline constexpr double kAcquireMaxLoopHz = 0.1;
/// The ratio is held within ±this. Crystals are tens of ppm apart, but a device that loses time
/// (a JACK server's xruns) loses hundreds of ppm of it on average, and a step of the fill drains
/// at what that leaves of the limit: on the JACK rig a receiver's estimate sat at +350 ppm, and
/// at ±1000 its steps drained at 30 frames a second, the round trip wandering by a period for
/// seconds after each (issue #14, bench/RESULTS.md). ±2000 ppm is 3.5 cents of pitch, reached
/// only while a device keeps losing time that fast or a step drains.
inline constexpr double kMaxDriftPpm = 2000;
/// The proportional term alone is held within ±this: a fill far off the setpoint (a start on a
/// jittery link) is drained no faster, or the acquisition overshoots into underruns.
inline constexpr double kMaxProportionalPpm = 1000;
/// Time constant of the fill's low-pass, seconds: it smooths the sawtooth of packet arrivals.
inline constexpr double kFillSmoothingSeconds = 0.5;
/// Time constant of the reported drift's average, in cycles of the loop's current bandwidth (5 s
/// when tracking at 0.02 Hz): the integral wanders by a few ppm, the average follows acquisition.
inline constexpr double kReportSmoothingCycles = 0.1;

class DriftController {
 public:
  /// `sample_rate`: the stream's, Hz; `setpoint_frames`: the fill to hold when a period is due
  /// (before its pull: the jitter buffer's target latency, as its priming meets it); `loop_hz`:
  /// the loop's natural frequency once it tracks; `acquire_seconds`: how long it narrows to it.
  DriftController(double sample_rate, double setpoint_frames, double loop_hz = kDriftLoopHz,
                  double acquire_seconds = kDriftAcquireSeconds) {
    SYFALA_EXACT_FP
    sample_rate_ = sample_rate;
    track_hz_ = loop_hz;
    // Never narrower than tracking: a loop asked to track wider than the cap does not shift.
    acquire_hz_ = std::max(loop_hz, std::min(kAcquireBandwidthFactor * loop_hz, kAcquireMaxLoopHz));
    acquire_seconds_ = acquire_seconds;
    setpoint_ = setpoint_frames;
  }

  /// Sender frames to consume per nominal stream frame.
  double ratio() const { return ratio_; }

  /// The estimated drift, ppm: positive when the sender's clock runs faster than ours.
  double drift_ppm() const {
    SYFALA_EXACT_FP
    return reported_ * 1e6;
  }

  void set_setpoint_frames(double frames) { setpoint_ = frames; }

  /// After a period of `frames` stream frames that found `fill_frames` buffered when it was due;
  /// returns the new ratio. With `integrate` false the drift estimate holds (the fill is off by a
  /// step known not to be drift, which the caller drains).
  double update(double fill_frames, double frames, bool integrate = true) {
    SYFALA_EXACT_FP
    const double dt = frames / sample_rate_;
    const double hz = loop_hz();
    elapsed_ = std::min(acquire_seconds_, elapsed_ + dt);
    const double omega = 2 * kPi * hz;
    const double ki = (omega * omega) / sample_rate_;
    const double kp = (2 * omega) / sample_rate_;  // ζ = 1
    if (!has_fill_) {
      fill_ = fill_frames;
      has_fill_ = true;
    } else {
      fill_ += (fill_frames - fill_) * std::min(1.0, dt / kFillSmoothingSeconds);
    }
    const double error = fill_ - setpoint_;
    const double limit = kMaxDriftPpm / 1e6;
    const double proportional = kp * error;
    const double held = clamp(proportional, kMaxProportionalPpm / 1e6);
    // Anti-windup: while either term is pinned at its limit, integrating would only store up an
    // overshoot (a start far from the setpoint is drained by the proportional term alone; a drift
    // beyond that limit is learnt once the fill is back within it, as the step bound brings it).
    const bool pinned = held != proportional || std::fabs(integral_ + held) >= limit;
    if (integrate && !pinned) integral_ = clamp(integral_ + ki * error * dt, limit);
    ratio_ = 1 + clamp(integral_ + held, limit);
    reported_ += (integral_ - reported_) * std::min(1.0, (dt * hz) / kReportSmoothingCycles);
    return ratio_;
  }

  /// Forgets the fill (after the buffer primed again), keeps the drift estimate and the gear.
  void restart() {
    SYFALA_EXACT_FP
    has_fill_ = false;
    ratio_ = 1 + integral_;
  }

 private:
  /// π as a double (Math.PI).
  static constexpr double kPi = 3.141592653589793;

  static double clamp(double value, double limit) {
    return std::max(-limit, std::min(limit, value));
  }

  /// The loop's bandwidth now, Hz: from the acquisition one down to the tracking one.
  double loop_hz() const {
    SYFALA_EXACT_FP
    if (elapsed_ >= acquire_seconds_) return track_hz_;
    const double left = 1 - elapsed_ / acquire_seconds_;
    return track_hz_ + (acquire_hz_ - track_hz_) * left;
  }

  double sample_rate_;
  double track_hz_;
  double acquire_hz_;
  double acquire_seconds_;
  /// Seconds of stream the loop has run, up to the end of its acquisition.
  double elapsed_ = 0;
  double setpoint_;
  double fill_ = 0;
  bool has_fill_ = false;
  double integral_ = 0;
  double reported_ = 0;
  double ratio_ = 1;
};

}  // namespace syfala

#include "exact_fp_end.hpp"
