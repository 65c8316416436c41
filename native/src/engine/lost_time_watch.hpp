#pragma once
// Time the device itself lost. A device whose period ran past its deadline (an xrun) starts its
// clock again from there: JACK's timed drivers (dummy, net) re-anchor, ALSA restarts the PCM. The
// periods it missed never play, while the sender's clock went on, so every received stream's fill
// steps up by that much: a step, not drift, which DriftCompensatedStream::lost_time drains when
// its peer cannot take it back (issue #14).
//
// Seen as a step in the callbacks' lateness, callback time − device frames played ÷ rate, above
// the baseline: the earliest lateness of the last 50 ms window, which follows whatever lateness a
// device settles at, carried on along the slope from the window before it: a device clock slower
// than the monotonic one raises the lateness steadily, and a baseline a window behind would count
// that rise (about a frame at 250 ppm) into every step. A step is
// kConfirmCallbacks callbacks in a row at least half a period (and 0.5 ms) above it: a late
// callback the device catches up on (the next ones come quickly) is none. How late the latest
// callback ran, when that was at least as much, is what the latency adapter measures the
// arrivals it saw against (LatencyAdapter::pull_late_by).
//
// Nothing here allocates, locks or throws; the device's real-time thread calls it.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace syfala {

/** Length of the baseline's windows, seconds. */
inline constexpr double kLostTimeWindowSeconds = 0.05;
/** Callbacks in a row above the baseline that make a step. */
inline constexpr size_t kConfirmCallbacks = 3;
/** The smallest step taken for lost time, seconds (and half a period). */
inline constexpr double kLostTimeMinSeconds = 0.0005;
/** A rise of the lateness longer than this is a device that stopped and started, not an xrun. */
inline constexpr double kLostTimeMaxSeconds = 1;
/** The steepest baseline slope followed, ppm of the device's clock: steeper is a step's. */
inline constexpr double kLostTimeMaxSlopePpm = 1000;
/** Each window's share of the baseline's slope. */
inline constexpr double kLostTimeSlopeSmoothing = 0.25;

class LostTimeWatch {
 public:
  /** For a device at `sample_rate` Hz running `period_frames`-frame periods. */
  void configure(uint32_t sample_rate, uint32_t period_frames) {
    sample_rate_ = sample_rate;
    threshold_ns_ = std::max(kLostTimeMinSeconds * 1e9,
                             0.5 * double(period_frames) * 1e9 / double(sample_rate));
    window_frames_ = uint64_t(kLostTimeWindowSeconds * sample_rate);
    // The lateness seen so far is forgotten: the next windows measure it afresh.
    has_anchor_ = false;
    has_baseline_ = false;
    baseline_after_step_ = false;
    slope_ns_per_frame_ = 0;
    window_min_ns_ = INFINITY;
    window_played_ = 0;
    above_ = 0;
  }

  /**
   * A period of `frames` device frames whose callback ran at `now_ns` (a monotonic clock);
   * returns the device frames lost since the last step seen, 0 almost always.
   */
  uint64_t observe(int64_t now_ns, uint32_t frames) {
    late_ns_ = 0;
    if (sample_rate_ == 0 || now_ns == 0) return 0;
    if (!has_anchor_) {
      anchor_ns_ = now_ns;
      played_ = 0;
      has_anchor_ = true;
    }
    const uint64_t at = played_;
    const double lateness_ns =
        double(now_ns - anchor_ns_) - double(at) * 1e9 / double(sample_rate_);
    played_ += frames;
    if (has_baseline_) {
      const double rise_ns = lateness_ns - baseline_at(at);
      above_min_ns_ = above_ == 0 ? rise_ns : std::min(above_min_ns_, rise_ns);
      above_ = rise_ns >= threshold_ns_ ? above_ + 1 : 0;
      if (above_ > 0) late_ns_ = rise_ns;
      if (above_ == kConfirmCallbacks) {
        // Measured from here on: the window so far saw the lateness before the step.
        above_ = 0;
        window_min_ns_ = INFINITY;
        window_played_ = 0;
        baseline_ns_ = baseline_at(at) + above_min_ns_;
        baseline_played_ = at;
        baseline_after_step_ = true;
        late_ns_ = rise_ns - above_min_ns_;
        if (late_ns_ < threshold_ns_) late_ns_ = 0;
        if (above_min_ns_ > kLostTimeMaxSeconds * 1e9) return 0;
        return uint64_t(std::llround(above_min_ns_ * double(sample_rate_) / 1e9));
      }
    }
    if (lateness_ns < window_min_ns_) {
      window_min_ns_ = lateness_ns;
      window_min_played_ = at;
    }
    window_played_ += frames;
    if (window_played_ < window_frames_) return 0;
    // The slope between two windows' earliest callbacks at least a window apart, averaged over
    // windows: each one's jitter (tens of µs) over a few thousand frames is tens of ppm. Not from
    // a step's baseline: the smallest of its few rises still holds some of their jitter.
    if (has_baseline_ && !baseline_after_step_ &&
        window_min_played_ >= baseline_played_ + window_frames_) {
      const double steepest = kLostTimeMaxSlopePpm * 1e-6 * 1e9 / double(sample_rate_);
      const double slope =
          (window_min_ns_ - baseline_ns_) / double(window_min_played_ - baseline_played_);
      slope_ns_per_frame_ += (std::max(-steepest, std::min(steepest, slope)) -
                              slope_ns_per_frame_) * kLostTimeSlopeSmoothing;
    }
    // The window's earliest lateness is the device's: drift and sub-threshold rises are
    // followed, and so is a fall (callbacks coming earlier).
    baseline_ns_ = window_min_ns_;
    baseline_played_ = window_min_played_;
    baseline_after_step_ = false;
    has_baseline_ = true;
    window_min_ns_ = INFINITY;
    window_played_ = 0;
    return 0;
  }

  /**
   * How late the callback last observed ran after the device's schedule, device frames: 0 unless
   * by at least the step threshold (half a period, 0.5 ms). Time lost is late until confirmed.
   */
  double late_frames() const { return late_ns_ * double(sample_rate_) / 1e9; }

 private:
  /** The baseline carried on to the callback after `played` device frames. */
  double baseline_at(uint64_t played) const {
    return baseline_ns_ + slope_ns_per_frame_ * (double(played) - double(baseline_played_));
  }

  uint32_t sample_rate_ = 0;
  double threshold_ns_ = 0;
  uint64_t window_frames_ = 0;
  bool has_anchor_ = false;
  int64_t anchor_ns_ = 0;
  uint64_t played_ = 0;
  double window_min_ns_ = INFINITY;
  uint64_t window_played_ = 0;
  uint64_t window_min_played_ = 0;
  bool has_baseline_ = false;
  /// The baseline's lateness, at the callback after this many frames, and its slope.
  double baseline_ns_ = 0;
  uint64_t baseline_played_ = 0;
  bool baseline_after_step_ = false;
  double slope_ns_per_frame_ = 0;
  /// Callbacks in a row at least the threshold above the baseline, and their smallest rise.
  size_t above_ = 0;
  double above_min_ns_ = 0;
  /// The last callback's rise above the baseline, when at least the threshold.
  double late_ns_ = 0;
};

}  // namespace syfala
