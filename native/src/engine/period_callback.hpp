#pragma once
// What a sound-card layer (JACK, CoreAudio) drives once per period on its real-time thread: the
// network engine, or the duplex bridge that hands the period to a JS worker.
#include <cstdint>
#include <ctime>
#include <vector>

namespace syfala {

/** One period of a device: per stream, one plane per channel; outputs arrive zeroed. */
struct DevicePeriod {
  const std::vector<std::vector<const float*>>* inputs;
  const std::vector<std::vector<float*>>* outputs;
  uint32_t frames;
  /**
   * When this period's capture completed and the cycle began, CLOCK_MONOTONIC ns, and the
   * device's estimate of a period, ns; both 0 from a layer that does not know them.
   */
  int64_t cycle_start_ns = 0;
  int64_t period_ns = 0;
  /**
   * When the callback ran, CLOCK_MONOTONIC ns; 0 from a layer that does not say. The engine
   * watches it for time the device lost (LostTimeWatch).
   */
  int64_t callback_ns = 0;
};

/** CLOCK_MONOTONIC now, ns: a DevicePeriod's callback_ns (real-time safe: no system call). */
inline int64_t monotonic_now_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

class PeriodCallback {
 public:
  virtual ~PeriodCallback() = default;
  /** Real-time: once per period. No allocation, no lock, no logging. */
  virtual void process(const DevicePeriod& period) = 0;
  /** Frames this callback adds between what the device captures and plays, beyond a period. */
  virtual uint32_t latency_frames() const = 0;
};

}  // namespace syfala
