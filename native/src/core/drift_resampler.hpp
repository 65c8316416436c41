// Variable-ratio resampling of interleaved float frames, for both engines (the TS one through
// packages/dataplane/src/resampler.ts and rate-converter.ts, which wrap its WebAssembly build;
// packages/dataplane/vectors/drift.json holds its exact results): 4-point cubic (Catmull-Rom)
// interpolation at a fractional read position that advances by `ratio` input frames per output
// frame; output frame k of a read is interpolated at start + k × ratio. At ratio 1 from an
// integral position samples pass through unchanged.
//
// It tracks clock drift (ratios within ±0.1 % of 1) and converts between nominal rates (44.1 ↔
// 48 kHz, times the drift; RateConverter for the send direction). Quality is a 4-point cubic's:
// no anti-alias filter, so downsampling (ratio > 1) folds what lies above the output's Nyquist
// frequency back into the band, and content near Nyquist leaves images near −40 dB (below −80 dB
// for 1 kHz at 48 kHz). Fine for drift and ordinary program material, not mastering grade.
//
// Samples are stored as float; the cubic's weights are computed in double once per output frame
// and applied in float (64 channels resampled cost 13 % of a JACK client's CPU when each sample
// computed its own coefficients in double; bench/RESULTS.md, issue #14).
// Storage is allocated in the constructor; write, read and the queries allocate, lock, throw and
// log nothing (a write that does not fit or a read without its input returns false, unchanged).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "exact_fp_begin.hpp"

namespace syfala {

/// The most samples a resampler holds: 256 MiB of floats, far above any period's needs.
inline constexpr size_t kMaxResamplerSamples = size_t(1) << 26;

class DriftResampler {
 public:
  /// `max_frames`: the longest read; `max_ratio`: the largest ratio it will be read at.
  /// Throws std::length_error for sizes no stream has: more than kMaxResamplerSamples held (on
  /// wasm32 the product would wrap a 32-bit size_t into a small buffer).
  DriftResampler(size_t channels, size_t max_frames, double max_ratio)
      : channels_(channels), capacity_frames_(capacity_for(max_frames, max_ratio)) {
    if (channels_ > kMaxResamplerSamples / capacity_frames_) {
      throw std::length_error("drift resampler: channels × frames held exceeds 2^26 samples");
    }
    buffer_.reset(new float[capacity_frames_ * channels_]());
  }

  DriftResampler(const DriftResampler&) = delete;
  DriftResampler& operator=(const DriftResampler&) = delete;

  /// The most input frames it holds: what one write may bring at most.
  size_t capacity_frames() const { return capacity_frames_; }

  /// Input frames a write may bring now.
  size_t free_frames() const { return capacity_frames_ - held_; }

  /// Input frames to write before reading `frames` frames at `ratio`.
  size_t input_frames_needed(size_t frames, double ratio) const {
    SYFALA_EXACT_FP
    if (frames == 0) return 0;
    const double last = position_ + double(frames - 1) * ratio;
    const double needed = std::floor(last) + 3 - double(held_);
    return needed > 0 ? size_t(needed) : 0;
  }

  /// Output frames the input written allows to read at `ratio` (a positive ratio).
  size_t output_frames_available(double ratio) const {
    SYFALA_EXACT_FP
    // Reading k + 1 frames needs floor(position + k × ratio) + 3 ≤ held: estimate k, then settle
    // it on the exact test, which rounding in the estimate may miss by one.
    if (input_frames_needed(1, ratio) > 0) return 0;
    size_t frames = size_t(std::floor((double(held_) - 2 - position_) / ratio)) + 1;
    while (frames > 0 && input_frames_needed(frames, ratio) > 0) --frames;
    while (input_frames_needed(frames + 1, ratio) == 0) ++frames;
    return frames;
  }

  /// Appends `frames` interleaved frames; false (nothing written) when they do not fit.
  bool write(const float* source, size_t frames) {
    if (frames > free_frames()) return false;
    if (frames > 0) std::memcpy(input_area(), source, frames * channels_ * sizeof(float));
    commit(frames);
    return true;
  }

  /// Where the next input frames go, room for free_frames(): a producer may write them there
  /// itself, then commit() them, instead of handing write() a copy.
  float* input_area() { return buffer_.get() + held_ * channels_; }

  /// Appends the `frames` frames written at input_area(), at most free_frames().
  void commit(size_t frames) { held_ += frames; }

  /// Writes `frames` interleaved output frames to `out`, advancing by `ratio`; false (nothing
  /// read) when the input written is not enough.
  bool read(float* out, size_t frames, double ratio) {
    SYFALA_EXACT_FP
    if (input_frames_needed(frames, ratio) > 0) return false;
    const float* x = buffer_.get();
    const size_t channels = channels_;
    const double start = position_;
    for (size_t k = 0; k < frames; ++k) {
      const double position = start + double(k) * ratio;
      const double whole = std::floor(position);
      const double t = position - whole;
      // The cubic's weights of the four neighbours, once per frame; each channel then takes four
      // products, in float, independent of one another (the compiler may run them side by side).
      const double t2 = t * t;
      const double t3 = t2 * t;
      const float w0 = float(0.5 * (2 * t2 - t3 - t));
      const float w1 = float(0.5 * (3 * t3 - 5 * t2) + 1);
      const float w2 = float(0.5 * (4 * t2 - 3 * t3 + t));
      const float w3 = float(0.5 * (t3 - t2));
      const float* __restrict y0 = x + (size_t(whole) - 1) * channels;
      const float* __restrict y1 = y0 + channels;
      const float* __restrict y2 = y1 + channels;
      const float* __restrict y3 = y2 + channels;
      float* __restrict o = out + k * channels;
      // At t = 0 the weights are 0, 1, 0, 0: y1 first, so a sample passes through unchanged.
      for (size_t c = 0; c < channels; ++c) o[c] = w1 * y1[c] + w0 * y0[c] + w2 * y2[c] + w3 * y3[c];
    }
    const double position = start + double(frames) * ratio;
    // Keep one frame of history before the next read position.
    const size_t consumed = size_t(std::floor(position)) - 1;
    std::memmove(buffer_.get(), buffer_.get() + consumed * channels,
                 (held_ - consumed) * channels * sizeof(float));
    held_ -= consumed;
    position_ = position - double(consumed);
    return true;
  }

 private:
  static size_t capacity_for(size_t max_frames, double max_ratio) {
    SYFALA_EXACT_FP
    const double frames = std::ceil(double(max_frames) * max_ratio);
    if (!(frames <= double(kMaxResamplerSamples))) {
      throw std::length_error("drift resampler: max_frames × max_ratio exceeds 2^26 frames");
    }
    return size_t(frames) + 4;
  }

  const size_t channels_;
  const size_t capacity_frames_;
  std::unique_ptr<float[]> buffer_;
  /// Frames held, from index 0; one frame of silence as history, read from the next: the first
  /// output is the first input.
  size_t held_ = 1;
  /// Where the next output frame is read, in input frames from index 0; ≥ 1.
  double position_ = 1;
};

/// The send direction's fixed-ratio converter: device periods are written in,
/// and as many frames at the stream's nominal rate as they make are read out. Reading all that is
/// available after each write keeps it within its storage.
class RateConverter {
 public:
  /// `max_write_frames`: the most frames one write brings (a device period).
  RateConverter(size_t channels, double input_sample_rate, double output_sample_rate,
                size_t max_write_frames)
      : ratio_(ratio_of(input_sample_rate, output_sample_rate)),
        // After all available output is read at most 3 input frames stay held, so a whole write
        // fits.
        resampler_(channels, frames_for(max_write_frames, ratio_), ratio_) {}

  /// Input frames per output frame.
  double ratio() const { return ratio_; }

  /// Output frames the input written so far makes and that have not been read.
  size_t output_frames_available() const { return resampler_.output_frames_available(ratio_); }

  /// Input frames a write may bring now.
  size_t free_frames() const { return resampler_.free_frames(); }

  /// Appends `frames` interleaved input frames; false (nothing written) when they do not fit.
  bool write(const float* source, size_t frames) { return resampler_.write(source, frames); }

  /// Reads `frames` (at most output_frames_available()) output frames; false (nothing read)
  /// for more.
  bool read(float* out, size_t frames) { return resampler_.read(out, frames, ratio_); }

 private:
  /// Throws std::invalid_argument unless both rates are positive and finite.
  static double ratio_of(double input_rate, double output_rate) {
    SYFALA_EXACT_FP
    if (!(std::isfinite(input_rate) && input_rate > 0 && std::isfinite(output_rate) &&
          output_rate > 0)) {
      throw std::invalid_argument("rate converter: sample rates must be positive and finite");
    }
    return input_rate / output_rate;
  }

  static size_t frames_for(size_t max_write_frames, double ratio) {
    SYFALA_EXACT_FP
    return size_t(std::ceil(double(max_write_frames) / ratio));
  }

  const double ratio_;
  DriftResampler resampler_;
};

}  // namespace syfala

#include "exact_fp_end.hpp"
