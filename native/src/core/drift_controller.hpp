// Clock-drift estimate and resampling ratio from the jitter buffer's fill, with exactly the
// arithmetic of packages/utils/src/drift-controller.ts (the reference; packages/utils/vectors/
// drift.json holds its exact results): a PI controller (a second-order delay-locked loop) on the
// low-passed fill, critically damped.
//
// Model: consuming `ratio` sender frames per (nominal) stream frame, the fill changes by
// sample_rate × (drift − (ratio − 1)) frames a second. With ratio − 1 = Kp·e + Ki·∫e (e = fill −
// setpoint) the loop is x'' + fs·Kp·x' + fs·Ki·x = fs·drift (x = ∫e): ωn = √(fs·Ki),
// ζ = fs·Kp / (2ωn) = 1. In steady state the integral term equals the drift (drift_ppm()).
//
// Nothing here allocates, locks, throws or logs; one thread calls it.
#pragma once

#include <algorithm>
#include <cmath>

#include "exact_fp_begin.hpp"

namespace syfala {

/// Default loop bandwidth, Hz: slow enough to ignore arrival jitter, fast enough to settle in a
/// minute.
inline constexpr double kDriftLoopHz = 0.02;
/// The ratio is held within ±this: crystals are tens of ppm apart, ±1000 is a fault.
inline constexpr double kMaxDriftPpm = 1000;
/// Time constant of the fill's low-pass, seconds: it smooths the sawtooth of packet arrivals.
inline constexpr double kFillSmoothingSeconds = 0.5;
/// Time constant of the reported drift's average, seconds: the integral wanders by a few ppm.
inline constexpr double kReportSmoothingSeconds = 20;

class DriftController {
 public:
  /// `sample_rate`: the stream's, Hz; `setpoint_frames`: the fill to hold (the jitter buffer's
  /// target latency); `loop_hz`: the loop's natural frequency.
  DriftController(double sample_rate, double setpoint_frames, double loop_hz = kDriftLoopHz) {
    SYFALA_EXACT_FP
    const double omega = 2 * kPi * loop_hz;
    sample_rate_ = sample_rate;
    ki_ = (omega * omega) / sample_rate;
    kp_ = (2 * omega) / sample_rate;  // ζ = 1
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

  /// After a period of `frames` stream frames played with `fill_frames` left buffered; returns
  /// the new ratio.
  double update(double fill_frames, double frames) {
    SYFALA_EXACT_FP
    const double dt = frames / sample_rate_;
    if (!has_fill_) {
      fill_ = fill_frames;
      has_fill_ = true;
    } else {
      fill_ += (fill_frames - fill_) * std::min(1.0, dt / kFillSmoothingSeconds);
    }
    const double error = fill_ - setpoint_;
    const double limit = kMaxDriftPpm / 1e6;
    // Anti-windup: while the ratio is pinned at its limit, integrating would only store up an
    // overshoot (a start far from the setpoint is drained by the proportional term alone).
    const bool pinned = std::fabs(integral_ + kp_ * error) >= limit;
    if (!pinned) integral_ = clamp(integral_ + ki_ * error * dt, limit);
    ratio_ = 1 + clamp(integral_ + kp_ * error, limit);
    reported_ += (integral_ - reported_) * std::min(1.0, dt / kReportSmoothingSeconds);
    return ratio_;
  }

  /// Forgets the fill (after a restart or a re-prime), keeps the drift estimate.
  void restart() {
    SYFALA_EXACT_FP
    has_fill_ = false;
    ratio_ = 1 + integral_;
  }

 private:
  /// Math.PI.
  static constexpr double kPi = 3.141592653589793;

  static double clamp(double value, double limit) {
    return std::max(-limit, std::min(limit, value));
  }

  double sample_rate_;
  double kp_;
  double ki_;
  double setpoint_;
  double fill_ = 0;
  bool has_fill_ = false;
  double integral_ = 0;
  double reported_ = 0;
  double ratio_ = 1;
};

}  // namespace syfala

#include "exact_fp_end.hpp"
