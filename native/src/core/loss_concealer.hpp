// Repeat-and-fade concealment of a received stream's gaps, for the native engine and, compiled to
// WebAssembly, the TS one (packages/dataplane/src/loss-concealer.ts wraps it;
// packages/dataplane/vectors/concealment.json holds its exact results, which both builds
// reproduce): on interleaved f32 frames after the jitter buffer, a frame that never
// arrived (or a whole period the buffer could not play, an underrun) is filled by repeating the
// last cycle of what was played, found by normalized autocorrelation over the last
// kMaxCycleSeconds, eased in from where the waveform was (value and slope), held kHoldSeconds and
// faded to silence over kFadeSeconds (smoothstep); when audio resumes the repetition crossfades
// into it. A slip (the buffer skipping a faster sender's surplus) is a splice, crossfaded the
// same way. Until the stream first plays nothing is touched, and a stream that loses nothing
// passes through bit for bit.
//
// The same results, bit for bit, on every target (native and WebAssembly): the same operations in
// the same order in double precision, stored as float; no transcendental function (libm's differ
// from V8's); no fused multiply-add (exact_fp_begin.hpp).
//
// Everything is allocated in the constructor; conceal() and reset() allocate, lock, throw and log
// nothing. One thread (the owner) calls them; gaps() may be read from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "jitter_buffer.hpp"

#include "exact_fp_begin.hpp"

namespace syfala {

/// Shortest and longest cycle repeated over a gap: 400 Hz down to 50 Hz fundamentals.
inline constexpr double kMinCycleSeconds = 0.0025;
inline constexpr double kMaxCycleSeconds = 0.02;
/// A gap plays its repeated cycle at full level this long, then fades to silence over kFadeSeconds.
inline constexpr double kHoldSeconds = 0.005;
inline constexpr double kFadeSeconds = 0.02;
/// When audio comes back, the concealment hands over to it across this much.
inline constexpr double kCrossfadeSeconds = 0.002;
/// The repetition starts where the played waveform was, at its slope, and eases onto the repeated
/// cycle over this much: the cycle's first sample is rarely exactly there.
inline constexpr double kEaseSeconds = 0.001;

/// find_cycle's coarse search looks at every kDecimation-th lag, on frames summed this many at a
/// time.
inline constexpr size_t kDecimation = 4;

/// What plays where received audio is missing: the format's zero, or LossConcealer's repetition.
enum class ConcealmentMode : uint8_t { Silence, Fade };

/// "silence" or "fade", the names of the TS ConcealmentMode.
inline bool concealment_mode_from_name(std::string_view name, ConcealmentMode& out) {
  if (name == "silence") {
    out = ConcealmentMode::Silence;
  } else if (name == "fade") {
    out = ConcealmentMode::Fade;
  } else {
    return false;
  }
  return true;
}

class LossConcealer {
 public:
  /// Throws std::invalid_argument for channels outside 1 to 65,535 or a sample rate that is not
  /// positive and finite.
  LossConcealer(size_t channels, double sample_rate)
      : channels_(checked_channels(channels)),
        min_cycle_(frames_of(checked_rate(sample_rate) * kMinCycleSeconds, 2)),
        max_cycle_(std::max(min_cycle_, frames_of(sample_rate * kMaxCycleSeconds, 0))),
        hold_frames_(frames_of(sample_rate * kHoldSeconds, 0)),
        fade_frames_(frames_of(sample_rate * kFadeSeconds, 1)),
        crossfade_frames_(frames_of(sample_rate * kCrossfadeSeconds, 1)),
        ease_frames_(frames_of(sample_rate * kEaseSeconds, 1)),
        // The search compares the newest max_cycle / 2 frames with the same span a cycle earlier.
        history_frames_(max_cycle_ + (max_cycle_ >> 1)),
        offset_(new double[channels_]()),
        slope_(new double[channels_]()),
        history_(new float[history_frames_ * channels_]()),
        mono_(new double[history_frames_]()),
        coarse_(new double[history_frames_ / kDecimation]()),
        cycle_(new float[max_cycle_ * channels_]()) {}

  LossConcealer(const LossConcealer&) = delete;
  LossConcealer& operator=(const LossConcealer&) = delete;

  /// Gaps (underruns included) and slips concealed so far, for statistics.
  uint64_t gaps() const { return gaps_.load(std::memory_order_relaxed); }

  /// Conceals in place the period of `frames` interleaved frames at `samples`, as the jitter
  /// buffer gave it: `pull` is what its pull returned, and `missing[i]` is 1 for each frame it
  /// concealed with silence (JitterBuffer::pull's mask; read only when the period played).
  void conceal(float* samples, size_t frames, const PullResult& pull, const uint8_t* missing) {
    const bool played = pull.playing;
    if (splice_ && played && state_ != State::Idle && state_ != State::Concealing) begin_gap();
    if (frames > 0) splice_ = pull.skipped_frames > 0;
    float* at = samples;
    for (size_t f = 0; f < frames; ++f, at += channels_) {
      const bool lost = !played || missing[f] == 1;
      if (state_ == State::Idle) {
        if (!played) continue;
        state_ = State::Playing;
      }
      if (lost) {
        if (state_ != State::Concealing) begin_gap();
        write_concealment(at);
      } else if (state_ == State::Concealing || state_ == State::Recovering) {
        crossfade(at);
      }
      remember(at);
    }
  }

  /// Forgets everything: the next period that plays starts the stream afresh.
  void reset() {
    state_ = State::Idle;
    splice_ = false;
    std::fill(history_.get(), history_.get() + history_frames_ * channels_, 0.0f);
    history_end_ = 0;
    history_filled_ = 0;
  }

 private:
  enum class State : uint8_t { Idle, Playing, Concealing, Recovering };

  static size_t checked_channels(size_t channels) {
    if (channels < 1 || channels > 0xffff) {
      throw std::invalid_argument("loss concealer: channels must be 1 to 65535");
    }
    return channels;
  }

  static double checked_rate(double sample_rate) {
    if (!(std::isfinite(sample_rate) && sample_rate > 0)) {
      throw std::invalid_argument("loss concealer: sample rate must be positive and finite");
    }
    return sample_rate;
  }

  /// Math.max(floor, Math.round(frames)) for frames ≥ 0: std::round's ties go up there too.
  static size_t frames_of(double frames, size_t floor) {
    return std::max(floor, size_t(std::round(frames)));
  }

  /// 0 to 1 with zero slope at both ends: ramps built on it put no kink in the waveform.
  static double smoothstep(double t) {
    SYFALA_EXACT_FP
    return t * t * (3 - 2 * t);
  }

  /// Index in history_ of the frame played `back` frames ago (1: the newest), 1 ≤ back ≤ size.
  size_t history_at(size_t back) const {
    return (history_end_ + history_frames_ - back) % history_frames_ * channels_;
  }

  void begin_gap() {
    SYFALA_EXACT_FP
    gaps_.store(gaps_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    state_ = State::Concealing;
    gap_frame_ = 0;
    cycle_frames_ = find_cycle();
    // The cycle is the last L frames played, oldest first. Its last K frames blend into the K
    // frames played before it, which lead into its first frame: it wraps without a step.
    const size_t channels = channels_;
    const float* history = history_.get();
    float* cycle = cycle_.get();
    const size_t length = cycle_frames_;
    const ptrdiff_t blend = std::min(ptrdiff_t(length >> 2),
                                     ptrdiff_t(history_filled_) - ptrdiff_t(length));
    for (size_t f = 0; f < length; ++f) {
      const size_t from = history_at(length - f);
      for (size_t c = 0; c < channels; ++c) cycle[f * channels + c] = history[from + c];
    }
    for (ptrdiff_t j = 0; j < blend; ++j) {
      const double w = smoothstep(double(j + 1) / double(blend + 1));
      const size_t to = (length - size_t(blend) + size_t(j)) * channels;
      const size_t before = history_at(length + size_t(blend) - size_t(j));
      for (size_t c = 0; c < channels; ++c) {
        cycle[to + c] = float(double(cycle[to + c]) * (1 - w) + double(history[before + c]) * w);
      }
    }
    const size_t last = history_at(1);
    const size_t before_last = history_at(2);
    const size_t second = length > 1 ? channels : 0;
    double peak = 0;
    for (size_t i = 0; i < history_frames_ * channels; ++i) {
      peak = std::max(peak, std::fabs(double(history[i])));
    }
    for (size_t c = 0; c < channels; ++c) {
      const double step = double(history[last + c]) - double(history[before_last + c]);
      offset_[c] = double(history[last + c]) + step - double(cycle[c]);
      slope_[c] = step - (double(cycle[second + c]) - double(cycle[c]));
      hold_within(peak, c);
    }
  }

  /// Scales channel `c`'s ease down, as little as needed, so the repetition stays within `peak`
  /// (the largest magnitude played): eased from a noisy waveform's slope, it would reach several
  /// times full scale. One factor for the whole ease keeps it smooth; the cycle itself is made
  /// of played samples, so a factor of 0 always fits.
  void hold_within(double peak, size_t c) {
    SYFALA_EXACT_FP
    double scale = 1;
    for (size_t g = 0; g < ease_frames_; ++g) {
      const double sample = cycle_[(g % cycle_frames_) * channels_ + c];
      const double correction = (offset_[c] + slope_[c] * double(g)) *
                                (1 - smoothstep(double(g) / double(ease_frames_)));
      if (correction > 0) {
        scale = std::min(scale, (peak - sample) / correction);
      } else if (correction < 0) {
        scale = std::min(scale, (peak + sample) / -correction);
      }
    }
    scale = std::max(0.0, scale);
    offset_[c] *= scale;
    slope_[c] *= scale;
  }

  /// The lag, min_cycle_ to max_cycle_ frames, at which the newest half-window of the played mono
  /// mix best matches itself one lag earlier (normalized cross-correlation). A pitched sound
  /// repeats in phase at it; for noise any lag serves, the fade hides it. With too little
  /// history, the longest cycle the history holds.
  ///
  /// Searched coarse to fine, as it runs on the audio thread at the start of a gap, which is
  /// often a period already late: every kDecimation-th lag on the mix summed kDecimation frames
  /// at a time (cycles of 2.5 ms and more, 120 frames at 48 kHz, keep their shape at a quarter of
  /// the rate), then each lag within kDecimation of the best at full rate. A sixteenth of the
  /// work of trying every lag at full rate, which took a quarter of a 64-frame period.
  size_t find_cycle() {
    SYFALA_EXACT_FP
    const size_t history_frames = history_frames_;
    const size_t window = max_cycle_ >> 1;
    if (history_filled_ < min_cycle_ + window) {
      return std::max<size_t>(1, std::min(history_filled_, max_cycle_));
    }
    double* mono = mono_.get();
    const size_t channels = channels_;
    size_t at = history_end_;
    for (size_t f = 0; f < history_frames; ++f) {
      double sum = 0;
      for (size_t c = 0; c < channels; ++c) sum += double(history_[at * channels + c]);
      mono[f] = sum;
      if (++at == history_frames) at = 0;
    }
    const size_t max_lag = std::min(max_cycle_, history_filled_ - window);
    const size_t coarse_min = (min_cycle_ + kDecimation - 1) / kDecimation;
    const size_t coarse_max = max_lag / kDecimation;
    double best_score = -std::numeric_limits<double>::infinity();
    if (coarse_max < coarse_min + 2) {  // too few lags to skip any
      return best_lag(mono, history_frames, window, min_cycle_, max_lag, max_lag, best_score);
    }
    // The coarse mix, aligned on the newest frame (fewer than kDecimation of the oldest left out).
    double* coarse = coarse_.get();
    const size_t coarse_frames = history_frames / kDecimation;
    const size_t skipped = history_frames - coarse_frames * kDecimation;
    for (size_t k = 0; k < coarse_frames; ++k) {
      double sum = 0;
      for (size_t i = 0; i < kDecimation; ++i) sum += mono[skipped + k * kDecimation + i];
      coarse[k] = sum;
    }
    double coarse_score = -std::numeric_limits<double>::infinity();
    const size_t near = kDecimation * best_lag(coarse, coarse_frames, window / kDecimation,
                                               coarse_min, coarse_max, coarse_max, coarse_score);
    // A whole number of cycles matches as well as one at a quarter of the rate, and worse at full
    // rate when the cycle is not a whole number of frames: near and each of its fractions that
    // is still a cycle are refined, shortest first, and the best of them all wins.
    const size_t shortest = std::max<size_t>(1, min_cycle_ - std::min(min_cycle_, kDecimation - 1));
    size_t parts = 1;
    while (near / (parts + 1) >= shortest) ++parts;
    size_t best = max_lag;
    for (; parts >= 1; --parts) {
      const size_t centre = (near + parts / 2) / parts;
      best = best_lag(mono, history_frames, window,
                      std::max(min_cycle_, centre - std::min(centre, kDecimation - 1)),
                      std::min(max_lag, centre + kDecimation - 1), best, best_score);
    }
    return best;
  }

  /// Of the lags from `min_lag` to `max_lag`, the first at which the last `window` values of
  /// `signal` (`length` long) match those `lag` earlier better than `best_score` and any other:
  /// returns it and sets `best_score` to its score, or returns `best` when none beats it.
  static size_t best_lag(const double* signal, size_t length, size_t window, size_t min_lag,
                         size_t max_lag, size_t best, double& best_score) {
    SYFALA_EXACT_FP
    const size_t end = length;
    double recent_energy = 0;
    for (size_t n = end - window; n < end; ++n) recent_energy += signal[n] * signal[n];
    for (size_t lag = min_lag; lag <= max_lag; ++lag) {
      double cross = 0;
      double past_energy = 0;
      for (size_t n = end - window; n < end; ++n) {
        const double past = signal[n - lag];
        cross += signal[n] * past;
        past_energy += past * past;
      }
      const double denominator = recent_energy * past_energy;
      // cross / sqrt(denominator), compared squared with its sign kept: no square root needed.
      const double score = denominator > 0 ? (cross * std::fabs(cross)) / denominator : 0;
      if (score > best_score) {
        best_score = score;
        best = lag;
      }
    }
    return best;
  }

  /// Level of the repetition `gap_frame` frames into a gap: held, then faded to 0.
  double gain(uint64_t gap_frame) const {
    SYFALA_EXACT_FP
    if (gap_frame <= hold_frames_) return 1;
    const uint64_t into_fade = gap_frame - hold_frames_;
    return into_fade >= fade_frames_ ? 0 : 1 - smoothstep(double(into_fade) / double(fade_frames_));
  }

  /// The repetition's sample of `channel` at the gap's current frame, before its gain.
  double repeated(size_t channel) const {
    SYFALA_EXACT_FP
    const uint64_t gap_frame = gap_frame_;
    const double sample = cycle_[size_t(gap_frame % cycle_frames_) * channels_ + channel];
    if (gap_frame >= ease_frames_) return sample;
    const double correction = offset_[channel] + slope_[channel] * double(gap_frame);
    return sample + correction * (1 - smoothstep(double(gap_frame) / double(ease_frames_)));
  }

  /// Writes the next frame of the repetition over the frame at `at`.
  void write_concealment(float* at) {
    SYFALA_EXACT_FP
    const double level = gain(gap_frame_);
    for (size_t c = 0; c < channels_; ++c) at[c] = float(repeated(c) * level);
    ++gap_frame_;
  }

  /// Audio is back: blend from the repetition into it across kCrossfadeSeconds.
  void crossfade(float* at) {
    SYFALA_EXACT_FP
    if (state_ == State::Concealing) {
      state_ = State::Recovering;
      recover_frame_ = 0;
    }
    const double weight =
        smoothstep(double(recover_frame_ + 1) / double(crossfade_frames_ + 1));
    const double level = gain(gap_frame_) * (1 - weight);
    for (size_t c = 0; c < channels_; ++c) {
      at[c] = float(double(at[c]) * weight + repeated(c) * level);
    }
    ++gap_frame_;
    if (++recover_frame_ == crossfade_frames_) state_ = State::Playing;
  }

  void remember(const float* at) {
    std::copy(at, at + channels_, history_.get() + history_end_ * channels_);
    if (++history_end_ == history_frames_) history_end_ = 0;
    if (history_filled_ < history_frames_) ++history_filled_;
  }

  const size_t channels_;
  const size_t min_cycle_;
  const size_t max_cycle_;
  const size_t hold_frames_;
  const size_t fade_frames_;
  const size_t crossfade_frames_;
  const size_t ease_frames_;
  const size_t history_frames_;
  /// Per channel: where the waveform was heading minus where the cycle starts, and the same of
  /// their slopes; the correction they make is eased to 0.
  std::unique_ptr<double[]> offset_;
  std::unique_ptr<double[]> slope_;
  /// What was played, the last history_frames_ frames, interleaved, a ring from history_end_.
  std::unique_ptr<float[]> history_;
  size_t history_end_ = 0;
  size_t history_filled_ = 0;
  /// A mono mix of the history, oldest first, for the cycle search.
  std::unique_ptr<double[]> mono_;
  /// find_cycle's mix summed kDecimation frames at a time.
  std::unique_ptr<double[]> coarse_;
  /// The cycle being repeated, interleaved.
  std::unique_ptr<float[]> cycle_;
  size_t cycle_frames_ = 1;
  State state_ = State::Idle;
  /// Frames since the gap began (the repetition's clock) and since audio came back.
  uint64_t gap_frame_ = 0;
  size_t recover_frame_ = 0;
  std::atomic<uint64_t> gaps_{0};
  /// The last period ended in a slip: the next one does not continue it.
  bool splice_ = false;
};

}  // namespace syfala

#include "exact_fp_end.hpp"
