#pragma once
// Device callbacks (xruns, shutdown, rate and period changes, from JACK or CoreAudio) may run on
// threads where nothing but atomics and a semaphore post is safe; a watcher thread collects them.
#include <atomic>
#include <cstdint>

#include "wake_semaphore.hpp"

namespace syfala {

enum DeviceEvent : uint32_t {
  kEventXrun = 1u << 0,
  kEventShutdown = 1u << 1,
  kEventSampleRate = 1u << 2,
  kEventBufferSize = 1u << 3,
  /** The engine's latency_frames() changed: the addon has the device report it again. */
  kEventLatency = 1u << 4,
  /** Not a device event: tells the watcher to stop. */
  kEventClose = 1u << 31,
};

class DeviceEvents {
 public:
  void raise(uint32_t events) {
    pending_.fetch_or(events, std::memory_order_release);
    wake_.post();
  }

  /** Blocks until something is raised; returns and clears everything raised so far. */
  uint32_t wait() {
    wake_.wait();
    return pending_.exchange(0, std::memory_order_acquire);
  }

 private:
  std::atomic<uint32_t> pending_{0};
  WakeSemaphore wake_;
};

}  // namespace syfala
