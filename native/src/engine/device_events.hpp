#pragma once
// Device callbacks (JACK's xrun, shutdown, rate and period changes) may run on threads where
// nothing but atomics and a semaphore post is safe; a watcher thread collects what they raised.
#include <semaphore.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>

namespace syfala {

enum DeviceEvent : uint32_t {
  kEventXrun = 1u << 0,
  kEventShutdown = 1u << 1,
  kEventSampleRate = 1u << 2,
  kEventBufferSize = 1u << 3,
  /** Not a device event: tells the watcher to stop. */
  kEventClose = 1u << 31,
};

class DeviceEvents {
 public:
  DeviceEvents() { sem_init(&wake_, 0, 0); }
  ~DeviceEvents() { sem_destroy(&wake_); }
  DeviceEvents(const DeviceEvents&) = delete;
  DeviceEvents& operator=(const DeviceEvents&) = delete;

  void raise(uint32_t events) {
    pending_.fetch_or(events, std::memory_order_release);
    sem_post(&wake_);
  }

  /** Blocks until something is raised; returns and clears everything raised so far. */
  uint32_t wait() {
    while (sem_wait(&wake_) != 0 && errno == EINTR) {
    }
    return pending_.exchange(0, std::memory_order_acquire);
  }

 private:
  std::atomic<uint32_t> pending_{0};
  sem_t wake_;
};

}  // namespace syfala
