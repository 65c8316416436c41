// Bounds the steps of a drift-compensated stream's fill that are not drift (issue #14). A device
// that loses time (an xrun after which its clock starts again: JACK's timed drivers, ALSA) makes
// a step in both directions' fills: its own receiver finds that much more buffered (the sender
// went on), its peer that much less (nothing was sent meanwhile). Audio programs on such a device
// made continuous audio across the loss (they did not run either), so the stream carries the step
// rather than a gap or a skip: losses on the two sides, which on a machine that stalls both come
// close together, then cancel without a sound, where skipping and concealing each would be a
// break in the audio (on the JACK rig, that made twice JackTrip's heard glitches:
// bench/RESULTS.md).
//
// What does not cancel is bounded: when the fill, low-passed over kStepSmoothingSeconds (the
// datagrams' coming and going, a period, averages out), stays more than kStepBoundPeriods
// periods off the target for kStepHoldSeconds, the surplus is skipped or, for a shortfall, the
// buffer primes again: one break, and the latency is back. The drift controller follows the
// fill throughout: steps that cancel, or last a quarter second, barely move its estimate.
//
// Nothing here allocates, locks, throws or logs; the stream's owner thread calls it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "exact_fp_begin.hpp"

namespace syfala {

/** Time constant of the fill's low-pass, seconds. */
inline constexpr double kStepSmoothingSeconds = 0.05;
/** How far off the target the low-passed fill may stay, in periods. */
inline constexpr double kStepBoundPeriods = 1.5;
/** How long it may stay beyond that before the step is corrected, seconds. */
inline constexpr double kStepHoldSeconds = 0.25;

/** What a period's fill calls for. */
struct StepCorrection {
  enum class Kind { None, Skip, Prime };
  Kind kind = Kind::None;
  size_t frames = 0;  ///< Skip: the surplus to skip
};

class FillStepBound {
 public:
  explicit FillStepBound(double sample_rate) : sample_rate_(sample_rate) {}

  /// A period of `period` stream frames found `due` frames buffered against `target`.
  StepCorrection observe(double due, double target, double period) {
    SYFALA_EXACT_FP
    smoothed_ = has_fill_ ? smoothed_ + (due - smoothed_) *
                                            std::min(1.0, period / (kStepSmoothingSeconds *
                                                                    sample_rate_))
                          : due;
    has_fill_ = true;
    const double error = smoothed_ - target;
    beyond_frames_ = std::fabs(error) > kStepBoundPeriods * period ? beyond_frames_ + period : 0;
    if (beyond_frames_ < kStepHoldSeconds * sample_rate_) return {};
    forget();
    if (error < 0) return {StepCorrection::Kind::Prime, 0};
    return {StepCorrection::Kind::Skip, size_t(std::lround(error))};
  }

  /// The fill low-passed over kStepSmoothingSeconds (the last observed where none was yet).
  double smoothed_fill(double due) const { return has_fill_ ? smoothed_ : due; }

  /// Starts afresh: the buffer primed again, or a step was corrected.
  void forget() {
    has_fill_ = false;
    beyond_frames_ = 0;
  }

 private:
  const double sample_rate_;
  bool has_fill_ = false;
  double smoothed_ = 0;
  /// Stream frames the low-passed fill has stayed beyond the bound.
  double beyond_frames_ = 0;
};

}  // namespace syfala

#include "exact_fp_end.hpp"
