#pragma once
// Time the device itself lost. A device whose period ran past its deadline (an xrun) starts its
// clock again from there: JACK's timed drivers (dummy, net) re-anchor, ALSA restarts the PCM. The
// periods it missed never play, while the sender's clock went on, so every jitter buffer holds
// that many frames more than its target: latency a drift controller would take seconds to draw
// down (at most 1,000 ppm, 48 frames a second), its drift estimate dragged up meanwhile (issue #14:
// +200 to +400 ppm on both sides of two JACK servers sharing one clock).
//
// Seen as a step in the callbacks' lateness, callback time − device frames played ÷ rate. A late
// callback that the device catches up on (the next ones come quickly) is no step: the earliest
// callback of a window has the device's own lateness, and only a rise of that minimum from one
// window to the next, of half a period or more, is time lost. Slow drift between the device's
// clock and the monotonic one moves the minimum by microseconds a window, and is followed.
//
// Nothing here allocates, locks or throws; the device's real-time thread calls it.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace syfala {

/** Length of a window of callbacks, seconds: detection comes one to two windows after the loss. */
inline constexpr double kLostTimeWindowSeconds = 0.05;
/** A rise of the lateness longer than this is a device that stopped and started, not an xrun. */
inline constexpr double kLostTimeMaxSeconds = 1;

class LostTimeWatch {
 public:
  /** For a device at `sample_rate` Hz running `period_frames`-frame periods. */
  void configure(uint32_t sample_rate, uint32_t period_frames) {
    sample_rate_ = sample_rate;
    threshold_ns_ = 0.5 * double(period_frames) * 1e9 / double(sample_rate);
    window_frames_ = uint64_t(kLostTimeWindowSeconds * sample_rate);
    reset();
  }

  /** Forgets the lateness seen: the next windows measure it afresh. */
  void reset() {
    has_anchor_ = false;
    has_baseline_ = false;
    window_min_ns_ = INFINITY;
    window_played_ = 0;
  }

  /**
   * A period of `frames` device frames whose callback ran at `now_ns` (a monotonic clock);
   * returns the device frames lost since the last step seen, 0 almost always.
   */
  uint64_t observe(int64_t now_ns, uint32_t frames) {
    if (sample_rate_ == 0 || now_ns == 0) return 0;
    if (!has_anchor_) {
      anchor_ns_ = now_ns;
      played_ = 0;
      has_anchor_ = true;
    }
    const double lateness_ns =
        double(now_ns - anchor_ns_) - double(played_) * 1e9 / double(sample_rate_);
    played_ += frames;
    window_min_ns_ = std::min(window_min_ns_, lateness_ns);
    window_played_ += frames;
    if (window_played_ < window_frames_) return 0;
    const double window_min_ns = window_min_ns_;
    window_min_ns_ = INFINITY;
    window_played_ = 0;
    if (!has_baseline_) {
      baseline_ns_ = window_min_ns;
      has_baseline_ = true;
      return 0;
    }
    const double rise_ns = window_min_ns - baseline_ns_;
    baseline_ns_ = window_min_ns;
    if (rise_ns < threshold_ns_ || rise_ns > kLostTimeMaxSeconds * 1e9) return 0;
    return uint64_t(std::llround(rise_ns * double(sample_rate_) / 1e9));
  }

 private:
  uint32_t sample_rate_ = 0;
  double threshold_ns_ = 0;
  uint64_t window_frames_ = 0;
  bool has_anchor_ = false;
  int64_t anchor_ns_ = 0;
  uint64_t played_ = 0;
  double window_min_ns_ = INFINITY;
  uint64_t window_played_ = 0;
  bool has_baseline_ = false;
  double baseline_ns_ = 0;
};

}  // namespace syfala
