// Per-channel peak meter of a stream, for both engines (the TS one through
// packages/dataplane/src/peak-meter.ts, which wraps its WebAssembly build; docs/OBSERVABILITY.md
// §3): the largest |sample| (linear, full scale 1.0) of each channel over the last complete block
// of at least kMeterBlockMs of the stream's frames. A block ends only at the end of a period, so
// a period longer than the block is a block. Before the first block ends, every peak is 0.
//
// Everything is allocated in the constructor; measure_*() and end_period() allocate, lock and
// throw nothing (the audio thread calls them). peak() may be read from any thread: each channel
// is an atomic, so a reader may see channels of two neighbouring blocks, never a torn value.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace syfala {

inline constexpr uint32_t kMeterBlockMs = 50;

class PeakMeter {
 public:
  PeakMeter(uint32_t channels, uint32_t sample_rate)
      : channels_(channels),
        block_frames_((uint64_t(sample_rate) * kMeterBlockMs + 999) / 1000),
        running_(std::make_unique<float[]>(channels)),
        peak_(std::make_unique<std::atomic<float>[]>(channels)) {
    for (uint32_t c = 0; c < channels; ++c) {
      running_[c] = 0;
      peak_[c].store(0, std::memory_order_relaxed);
    }
  }

  /** Takes `frames` interleaved frames. */
  void measure_interleaved(const float* samples, size_t frames) {
    // Frame by frame, every channel's peak at once: contiguous, and no chain of dependent
    // comparisons (the compiler may compare channels side by side).
    float* __restrict running = running_.get();
    for (size_t f = 0; f < frames; ++f, samples += channels_) {
      for (uint32_t c = 0; c < channels_; ++c) running[c] = louder(running[c], samples[c]);
    }
    frames_ += frames;
  }

  /** Takes `frames` frames of one plane per channel. */
  void measure_planar(const float* const* planes, size_t frames) {
    for (uint32_t c = 0; c < channels_; ++c) {
      // kLanes running peaks, each frame's by its index mod kLanes, merged at the end: the same
      // maximum (louder() ignores NaN whichever comes first), compared kLanes at a time (the
      // compiler makes the inner loop two SSE maxps; one chain of scalar comparisons cost 6 % of
      // a JACK client's CPU at 64 channels, bench/RESULTS.md).
      float lanes[kLanes];
      for (size_t k = 0; k < kLanes; ++k) lanes[k] = running_[c];
      const float* s = planes[c];
      const size_t whole = frames - frames % kLanes;
      for (size_t f = 0; f < whole; f += kLanes) {
        for (size_t k = 0; k < kLanes; ++k) lanes[k] = louder(lanes[k], s[f + k]);
      }
      for (size_t f = whole; f < frames; ++f) lanes[0] = louder(lanes[0], s[f]);
      float peak = lanes[0];
      for (size_t k = 1; k < kLanes; ++k) peak = std::max(peak, lanes[k]);
      running_[c] = peak;
    }
    frames_ += frames;
  }

  /** Ends a period: a block with kMeterBlockMs of frames becomes the one peak() shows. */
  void end_period() {
    if (frames_ < block_frames_) return;
    for (uint32_t c = 0; c < channels_; ++c) {
      peak_[c].store(running_[c], std::memory_order_relaxed);
      running_[c] = 0;
    }
    frames_ = 0;
  }

  uint32_t channels() const { return channels_; }
  /** The last complete block's peak of `channel`. */
  float peak(uint32_t channel) const { return peak_[channel].load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kLanes = 8;

  /// The larger of `peak` and |sample|; a NaN sample is not louder. A comparison, not std::fmax,
  /// which WebAssembly has no instruction for (a libm call per sample).
  static float louder(float peak, float sample) {
    const float magnitude = std::fabs(sample);
    return magnitude > peak ? magnitude : peak;
  }

  const uint32_t channels_;
  const uint64_t block_frames_;
  std::unique_ptr<float[]> running_;
  uint64_t frames_ = 0;
  std::unique_ptr<std::atomic<float>[]> peak_;
};

}  // namespace syfala
