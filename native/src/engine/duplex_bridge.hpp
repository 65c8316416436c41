#pragma once
// A duplex stream's data plane: the device's real-time callback copies each period's input
// planes into a ring and the output planes of the period before out of another; a worker thread
// (JS, through the addon) takes each captured period, computes its output and gives it back.
//
// Latency: the output the worker computes from period n plays in period n + 1, so the worker has
// a whole period to run and the bridge adds exactly one period. An output not given back by its
// period's turn is replaced by silence (output_underflows) and dropped when it arrives
// (late_outputs); the next one that is on time plays on time, so the latency never grows. A
// captured period that finds the input ring full (the worker many periods behind) is dropped
// (input_overflows). Rings hold kDuplexRingPeriods periods each way.
#include <atomic>
#include <cstdint>
#include <vector>

#include "../core/spsc_ring.hpp"
#include "period_callback.hpp"
#include "wake_semaphore.hpp"

namespace syfala {

inline constexpr size_t kDuplexRingPeriods = 16;

/** A captured period's place on the device clock, as the worker gets it. */
struct PeriodStamp {
  /** Periods captured before this one since the bridge started. */
  uint64_t index;
  /**
   * Frames the device ran the bridge for before this period: consecutive periods by construction. Not
   * JACK's frame counter, which stands still or jumps when the server resyncs after an xrun;
   * time lost to an xrun shows in cycle_start_ns.
   */
  uint64_t frame_index;
  /** When its capture completed (the device cycle began), CLOCK_MONOTONIC ns (0: unknown). */
  int64_t cycle_start_ns;
  /** The device's estimate of one period, ns (0: unknown). */
  int64_t period_ns;
};

/** Counters, read from any thread. */
struct DuplexCounters {
  std::atomic<uint64_t> periods{0};
  std::atomic<uint64_t> input_overflows{0};
  std::atomic<uint64_t> output_underflows{0};
  std::atomic<uint64_t> late_outputs{0};
  /** Periods of another size than the bridge's (the device changed its period): silence. */
  std::atomic<uint64_t> resized_periods{0};
};

class DuplexBridge final : public PeriodCallback {
 public:
  enum class Take { kPeriod, kTimeout, kClosed };

  /** Channels per input and output stream, and the device's period (every period's size). */
  DuplexBridge(std::vector<uint32_t> inputs, std::vector<uint32_t> outputs, uint32_t period_frames);

  /** Real-time: queues the captured period, plays the worker's output for the one before. */
  void process(const DevicePeriod& period) override;
  /** The bridge's period is reported by the device as part of its own. */
  uint32_t latency_frames() const override { return 0; }

  /**
   * Worker: waits up to `timeout_ms` for the oldest captured period, then copies it into
   * `inputs`: the streams one after another, each interleaved (period × channels floats).
   */
  Take take(int timeout_ms, PeriodStamp& stamp, float* inputs);
  /**
   * Worker: queues the output of period `index` from `outputs` (streams one after another,
   * interleaved). False when the output ring is full (the device stopped taking outputs).
   */
  bool give(uint64_t index, const float* outputs);
  /** Any thread: take() returns kClosed from now on. */
  void close();

  uint32_t period_frames() const { return period_frames_; }
  /** Floats in take()'s and give()'s blocks. */
  size_t input_block_floats() const { return size_t(in_channels_) * period_frames_; }
  size_t output_block_floats() const { return size_t(out_channels_) * period_frames_; }
  const DuplexCounters& counters() const { return counters_; }

 private:
  /** Slots start with this header, a cache line so the planes after it stay aligned. */
  static constexpr size_t kHeaderBytes = kCacheLineBytes;

  void play(uint64_t wanted, const DevicePeriod& period);

  const std::vector<uint32_t> inputs_;
  const std::vector<uint32_t> outputs_;
  const uint32_t in_channels_;
  const uint32_t out_channels_;
  const uint32_t period_frames_;
  /** Captured periods (PeriodStamp, then channel planes), device → worker. */
  DatagramRing captured_;
  /** Outputs (period index, then channel planes), worker → device. */
  DatagramRing rendered_;
  WakeSemaphore wake_;
  std::atomic<bool> closed_{false};
  DuplexCounters counters_;
  // The audio thread's own.
  uint64_t next_index_ = 0;
  uint64_t frame_index_ = 0;
};

}  // namespace syfala
