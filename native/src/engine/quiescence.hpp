#pragma once
// Lock-free reclamation for a list read by a few long-lived threads: each reader marks the passes
// in which it may hold a pointer to the list; the writer, after publishing a new list, waits until
// every reader is outside any pass that began before, then frees the old one.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace syfala {

class Quiescence {
 public:
  /** Reader: before loading the published pointer. Odd = inside a pass. */
  void enter() { state_.fetch_add(1, std::memory_order_seq_cst); }
  /** Reader: once done with everything reached through the pointer. */
  void leave() { state_.fetch_add(1, std::memory_order_release); }

  /** Writer, after publishing: returns once any pass that could see the old pointer has ended. */
  void wait_for_reader() const {
    const uint64_t seen = state_.load(std::memory_order_seq_cst);
    if ((seen & 1) == 0) return;
    while (state_.load(std::memory_order_acquire) == seen) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

 private:
  std::atomic<uint64_t> state_{0};
};

/** Enter/leave for one scope of a reader thread. */
class ReadPass {
 public:
  explicit ReadPass(Quiescence& q) : q_(q) { q_.enter(); }
  ~ReadPass() { q_.leave(); }
  ReadPass(const ReadPass&) = delete;
  ReadPass& operator=(const ReadPass&) = delete;

 private:
  Quiescence& q_;
};

}  // namespace syfala
