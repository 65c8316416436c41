#pragma once
// A counting semaphore whose post() a real-time thread may call (no lock, no allocation, at most
// one system call): how the audio callback and device notifications wake the threads serving them.
// macOS has neither unnamed POSIX semaphores (sem_init fails with ENOSYS) nor sem_timedwait, so
// there it is a Mach semaphore (semaphore_signal is one kernel trap, fit for a CoreAudio IO proc).
#ifdef __APPLE__
#include <mach/mach.h>
#include <mach/semaphore.h>
#else
#include <semaphore.h>

#include <cerrno>
#include <ctime>
#endif

#include <stdexcept>

namespace syfala {

class WakeSemaphore {
 public:
  WakeSemaphore() {
#ifdef __APPLE__
    const bool made = semaphore_create(mach_task_self(), &s_, SYNC_POLICY_FIFO, 0) == KERN_SUCCESS;
#else
    const bool made = sem_init(&s_, 0, 0) == 0;
#endif
    // A dead semaphore would turn every wait into a busy loop.
    if (!made) throw std::runtime_error("wake semaphore: cannot be created");
  }
  ~WakeSemaphore() {
#ifdef __APPLE__
    semaphore_destroy(mach_task_self(), s_);
#else
    sem_destroy(&s_);
#endif
  }
  WakeSemaphore(const WakeSemaphore&) = delete;
  WakeSemaphore& operator=(const WakeSemaphore&) = delete;

  /** Real-time safe. */
  void post() {
#ifdef __APPLE__
    semaphore_signal(s_);
#else
    sem_post(&s_);
#endif
  }

  /** Blocks until posted (a signal does not end the wait). */
  void wait() {
#ifdef __APPLE__
    while (semaphore_wait(s_) == KERN_ABORTED) {
    }
#else
    while (sem_wait(&s_) != 0 && errno == EINTR) {
    }
#endif
  }

  /**
   * Blocks until posted or `ms` milliseconds pass; false on a timeout or a signal (a post is
   * never lost: the next wait takes it).
   */
  bool wait_for_ms(int ms) {
#ifdef __APPLE__
    // Relative, unlike sem_timedwait's deadline.
    mach_timespec_t timeout;
    timeout.tv_sec = static_cast<unsigned>(ms / 1000);
    timeout.tv_nsec = (ms % 1000) * 1000000;
    return semaphore_timedwait(s_, timeout) == KERN_SUCCESS;
#else
    timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += (ms % 1000) * 1000000L;
    deadline.tv_sec += ms / 1000 + deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    return sem_timedwait(&s_, &deadline) == 0;
#endif
  }

 private:
#ifdef __APPLE__
  semaphore_t s_;
#else
  sem_t s_;
#endif
};

}  // namespace syfala
