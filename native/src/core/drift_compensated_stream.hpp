// A received stream played on a device whose clock is not the sender's, for the native engine and,
// compiled to WebAssembly, the TS one (packages/dataplane/src/drift-compensated-stream.ts wraps
// it; packages/dataplane/vectors/drift.json holds the exact results its TS original gave): each period takes slightly more or fewer sender
// frames from the jitter buffer than it plays, resampled, so that the buffer's fill stays at its
// target however the two clocks drift apart. No slips, no rebuffering from drift. The fill held
// is the one each period finds when it is due (before its pull): the target means what it means
// to the buffer's priming and to the latency adapter (jitter + period + safety), not a period more.
//
// A device at another nominal rate is resampled by the same resampler: each device frame takes
// nominal × ratio stream frames (nominal = stream rate / device rate). The controller works in
// stream frames throughout. It restarts (keeping its drift estimate) when the buffer primes again
// or slips, whose steps are not drift, but not on an underrun it concealed
// (JitterBufferOptions::conceal_underruns), so the fill survives a late packet. A restart plays
// from the target: what priming buffered past it is skipped. With bound_steps, steps of the fill
// that are not drift (time a device lost, on either side) stay in the stream within a bound
// (FillStepBound), corrected at once beyond it. Time the device itself lost (lost_time(), from
// the engine's LostTimeWatch) is such a step, known for one: one large enough that the peer, at
// a like target, ran dry and primed again is drained at kLostTimeSlewPpm beyond the controller's
// ratio, its drift estimate held meanwhile.
//
// Everything is allocated in the constructor; pull() allocates, locks, throws and logs nothing.
// One thread (the buffer's owner) calls it.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "drift_controller.hpp"
#include "drift_resampler.hpp"
#include "fill_step_bound.hpp"
#include "format.hpp"
#include "jitter_buffer.hpp"
#include "loss_concealer.hpp"
#include "pull_samples.hpp"

#include "exact_fp_begin.hpp"

namespace syfala {

/// How much faster than the drift loop's ratio a step of the device's own lost time is drained,
/// ppm (the sum within ±kMaxDriftPpm): a period of 64 frames in about a second at 48 kHz, where
/// the loop's proportional term takes four (issue #14: on the JACK rig such a step, its peer
/// primed again, held the round trip a period up for seconds).
inline constexpr double kLostTimeSlewPpm = 1500;

struct DriftCompensatedStreamOptions {
  /// The longest period pulled, in device frames.
  size_t max_period_frames;
  /// The device's nominal rate, Hz; 0: the stream's.
  double device_sample_rate = 0;
  /// The controller's tracking bandwidth, Hz.
  double loop_hz = kDriftLoopHz;
  /// The controller's acquisition time, seconds.
  double acquire_seconds = kDriftAcquireSeconds;
  /// Bound the fill's steps (FillStepBound): for a device that loses time (the native engine's).
  bool bound_steps = false;
};

class DriftCompensatedStream {
 public:
  /// The controller holds `buffer`'s fill against drift; with conceal_underruns an underrun is
  /// concealed, with skip_surplus a surplus held for a slip window is skipped;
  /// `concealer` (nullable) fills
  /// gaps before resampling. Both must outlive the stream. Throws std::invalid_argument for a
  /// device rate that is negative or not finite.
  DriftCompensatedStream(JitterBuffer& buffer, const Format& format,
                         const DriftCompensatedStreamOptions& o, LossConcealer* concealer)
      : buffer_(buffer),
        format_(format),
        concealer_(concealer),
        max_period_frames_(o.max_period_frames),
        nominal_ratio_(nominal_ratio_of(format, o.device_sample_rate)),
        controller_(format.sample_rate, double(buffer.target_latency_frames()), o.loop_hz,
                    o.acquire_seconds),
        resampler_(format.channels, o.max_period_frames, max_ratio(nominal_ratio_)),
        primed_target_(buffer.target_latency_frames()),
        step_bound_(o.bound_steps ? std::optional<FillStepBound>(format.sample_rate)
                                  : std::nullopt) {
    // A period never needs more input than the resampler holds.
    const size_t max_input = resampler_.capacity_frames();
    wire_.reset(new uint8_t[max_input * bytes_per_frame(format)]());
    missing_.reset(new uint8_t[max_input]());
  }

  DriftCompensatedStream(const DriftCompensatedStream&) = delete;
  DriftCompensatedStream& operator=(const DriftCompensatedStream&) = delete;

  /// Plays `device_frames` interleaved frames into `out_interleaved`. More than
  /// max_period_frames plays silence and touches nothing else (a caller's bug).
  const PullResult& pull(float* out_interleaved, size_t device_frames) {
    SYFALA_EXACT_FP
    if (device_frames > max_period_frames_) {
      std::memset(out_interleaved, 0, device_frames * format_.channels * sizeof(float));
      return refused_;
    }
    // A target raised by more than a period (more jitter seen) primes again at once: one gap,
    // rather than the resampler's ±kMaxDriftPpm taking seconds to add tens of ms of fill, with
    // arrivals late all along. Smaller raises add up until they are a period; cuts are followed
    // by the resampler.
    const size_t target = buffer_.target_latency_frames();
    const double period = double(device_frames) * nominal_ratio_;
    if (target > primed_target_ + size_t(period)) {
      buffer_.prime_again();
      restart();
      primed_target_ = target;
    } else if (target < primed_target_) {
      primed_target_ = target;
    }
    const double consumed = consumed_ratio(period);
    const double ratio = nominal_ratio_ * consumed;
    const size_t needed = resampler_.input_frames_needed(device_frames, ratio);
    // The resampler is sized for the longest period at the largest ratio: never met, but its
    // input is written in place, so a ratio past that would write past it.
    if (needed > resampler_.free_frames()) {
      std::memset(out_interleaved, 0, device_frames * format_.channels * sizeof(float));
      return refused_;
    }
    // A restart (after an underrun) finds what the last datagram brought beyond the target: latency
    // nobody asked for, and an error the controller would hold for a minute, its drift estimate
    // off by tens of ppm each time. Played from the target instead.
    if (buffer_.restarts_with(needed)) {
      buffer_.skip_buffered(buffer_.buffered_frames() - std::max(target, needed));
    }
    if (step_bound_) bound_step(target, period);
    const size_t due = buffer_.buffered_frames();
    const double carried = carry_lost_time(double(due), double(target), period);
    // Pulled, decoded and concealed where the resampler reads its input: no copy in between.
    float* input = resampler_.input_area();
    const PullResult& result =
        pull_samples(buffer_, format_, needed, input, wire_.get(), missing_.get());
    if (concealer_ != nullptr) concealer_->conceal(input, needed, result, missing_.get());
    resampler_.commit(needed);
    resampler_.read(out_interleaved, device_frames, ratio);
    controller_.set_setpoint_frames(double(buffer_.target_latency_frames()));
    if (result.playing && result.skipped_frames == 0) {
      // What this period consumed beyond the drift estimate drained the step; less than a frame
      // left is drained.
      const double drained = (consumed - 1 - controller_.drift_ppm() / 1e6) * period;
      const double left = carried - std::max(0.0, drained);
      carried_ = left < 1 ? 0 : left;
      controller_.update(double(due), period, carried == 0);
    } else if (result.underrun || result.skipped_frames > 0) {
      // The fill moved by a slip or a re-prime, not by drift: measured afresh from the next period.
      restart();
    }
    return result;
  }

  /// The device lost `stream_frames` of time (an xrun after which its clock started again): what
  /// the sender sent meanwhile is that much more in the fill. Audio thread, before a pull.
  void lost_time(double stream_frames) { lost_pending_ += stream_frames; }

  /// Sender frames consumed per nominal stream frame now (1 + the drift correction, and the slew
  /// of a lost-time step); the resampler reads nominal × this per device frame.
  double ratio() const { return consumed_ratio(0); }

  /// Measured drift, ppm: positive when the sender's clock runs faster than the device's.
  double drift_ppm() const { return controller_.drift_ppm(); }

 private:
  static double nominal_ratio_of(const Format& format, double device_rate) {
    SYFALA_EXACT_FP
    if (device_rate == 0) return 1;
    if (!(std::isfinite(device_rate) && device_rate > 0)) {
      throw std::invalid_argument(
          "drift-compensated stream: device sample rate must be positive and finite");
    }
    return double(format.sample_rate) / device_rate;
  }

  /// Before a pull of `period` stream frames: a step of the fill beyond the bound is skipped, or
  /// primed again, and the controller measures afresh (it keeps its drift estimate).
  void bound_step(size_t target, double period) {
    if (!buffer_.playing()) {
      step_bound_->forget();
      return;
    }
    const size_t due = buffer_.buffered_frames();
    const StepCorrection c = step_bound_->observe(double(due), double(target), period);
    if (c.kind == StepCorrection::Kind::None) return;
    if (c.kind == StepCorrection::Kind::Skip) {
      buffer_.skip_buffered(std::min(c.frames, due - std::min(due, target)));
    } else {
      buffer_.prime_again();
    }
    restart();
  }

  /// The controller measures afresh (keeping its drift estimate); a lost-time step is gone with
  /// the fill it was in.
  void restart() {
    controller_.restart();
    carried_ = 0;
  }

  /// Sender frames a period of `period` stream frames consumes per nominal frame: the controller's
  /// ratio, and while a lost-time step is carried, kLostTimeSlewPpm more (no more than the step
  /// over this period; 0: the full slew), the sum within +kMaxDriftPpm.
  double consumed_ratio(double period) const {
    SYFALA_EXACT_FP
    const double base = controller_.ratio();
    if (carried_ <= 0) return base;
    double slew = kLostTimeSlewPpm / 1e6;
    if (period > 0) slew = std::min(slew, carried_ / period);
    return std::min(base + slew, 1 + kMaxDriftPpm / 1e6);
  }

  /// Takes the time lost since the last period as a step to drain when it is at least the target
  /// less a period: the peer, at a like target, ran dry and primed again, so the round trip keeps
  /// the whole step (a smaller one the peer's fill takes back as its own loop drains it). The step
  /// is drained once the fill, low-passed as the step bound sees it, is back at the target: the
  /// fill moves a datagram at a time, so what it shows of a step is not what was lost, and a peer
  /// that lost time too, or a skip, may have taken it back. Returns what is left to drain when
  /// the period is due.
  double carry_lost_time(double due, double target, double period) {
    SYFALA_EXACT_FP
    if (lost_pending_ >= target - period) carried_ += lost_pending_;
    lost_pending_ = 0;
    const double fill = step_bound_ ? step_bound_->smoothed_fill(due) : due;
    if (fill <= target) carried_ = 0;
    return carried_;
  }

  static double max_ratio(double nominal_ratio) {
    SYFALA_EXACT_FP
    return nominal_ratio * (1 + kMaxDriftPpm / 1e6);
  }

  JitterBuffer& buffer_;
  const Format format_;
  LossConcealer* const concealer_;
  const size_t max_period_frames_;
  /// Stream frames per device frame at the nominal rates.
  const double nominal_ratio_;
  DriftController controller_;
  DriftResampler resampler_;
  std::unique_ptr<uint8_t[]> wire_;
  std::unique_ptr<uint8_t[]> missing_;
  const PullResult refused_{false, 0, false, 0};
  /// The target the buffer last primed to, or followed down.
  size_t primed_target_;
  /// With bound_steps.
  std::optional<FillStepBound> step_bound_;
  /// Stream frames of lost time reported since the last period, and of a lost-time step still
  /// to drain (the drift estimate held meanwhile).
  double lost_pending_ = 0;
  double carried_ = 0;
};

}  // namespace syfala

#include "exact_fp_end.hpp"
