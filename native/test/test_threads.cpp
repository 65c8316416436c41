// Two threads at once, the way the engine uses the core: a producer and a consumer moving
// millions of items and datagrams through the rings (nothing lost, duplicated, reordered or
// torn), and a stats reader beside a jitter buffer's owner. `make tsan` runs these under
// ThreadSanitizer, which slows them down, so they move fewer items there.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "core/jitter_buffer.hpp"
#include "core/spsc_ring.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

#if defined(SYFALA_TSAN)
constexpr uint64_t kItems = 2'000'000;
constexpr uint64_t kDatagrams = 500'000;
#else
constexpr uint64_t kItems = 10'000'000;
constexpr uint64_t kDatagrams = 2'000'000;
#endif

/// Several words that must arrive together: a torn copy breaks the relation between them.
struct Item {
  uint64_t sequence;
  uint64_t square;
  uint64_t inverted;
};

Item item_of(uint64_t n) { return {n, n * n, ~n}; }

/// A datagram's length (8 to slot_bytes) and content follow from its sequence number: the
/// number itself, then its low byte repeated.
size_t length_of(uint64_t n, size_t slot_bytes) { return 8 + (n * 7919) % (slot_bytes - 7); }

void fill(uint8_t* slot, uint64_t n, size_t len) {
  std::memcpy(slot, &n, sizeof n);
  std::memset(slot + sizeof n, int(n & 0xff), len - sizeof n);
}

bool holds(const uint8_t* slot, uint64_t n, size_t len) {
  uint64_t head = 0;
  std::memcpy(&head, slot, sizeof head);
  if (head != n) return false;
  for (size_t i = sizeof n; i < len; i += 61) {
    if (slot[i] != uint8_t(n & 0xff)) return false;
  }
  return len == sizeof n || slot[len - 1] == uint8_t(n & 0xff);
}

}  // namespace

TEST(threads_spsc_ring_moves_runs_whole_and_in_order) {
  // Interleaved frames between two device threads (CoreAudio's two-device bridge): runs of
  // varying length, all or nothing.
  SpscRing<uint64_t> ring(4096);
  constexpr size_t kMaxRun = 1000;
  std::thread producer([&] {
    std::vector<uint64_t> run(kMaxRun);
    for (uint64_t n = 0; n < kItems;) {
      const size_t length = std::min<uint64_t>(1 + n % kMaxRun, kItems - n);
      for (size_t i = 0; i < length; ++i) run[i] = n + i;
      if (ring.push_all(run.data(), length)) {
        n += length;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::vector<uint64_t> run(kMaxRun);
  uint64_t expected = 0;
  uint64_t bad = 0;
  size_t length = 1;
  while (expected < kItems) {
    length = std::min<uint64_t>(1 + (length * 7) % kMaxRun, kItems - expected);
    if (!ring.pop_all(run.data(), length)) {
      std::this_thread::yield();
      continue;
    }
    for (size_t i = 0; i < length; ++i) bad += run[i] != expected + i;
    expected += length;
  }
  producer.join();
  CHECK_EQ(bad, 0u);
  CHECK_EQ(ring.size(), 0u);
}

TEST(threads_spsc_ring_moves_every_item_in_order_and_whole) {
  SpscRing<Item> ring(1024);
  std::thread producer([&] {
    for (uint64_t n = 0; n < kItems;) {
      if (ring.push(item_of(n))) {
        ++n;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint64_t expected = 0;
  uint64_t bad = 0;
  while (expected < kItems) {
    Item item{};
    if (!ring.pop(item)) {
      std::this_thread::yield();
      continue;
    }
    const Item want = item_of(expected);
    if (item.sequence != want.sequence || item.square != want.square ||
        item.inverted != want.inverted) {
      ++bad;
    }
    ++expected;
  }
  producer.join();
  CHECK_EQ(bad, 0u);
  CHECK_EQ(ring.size(), 0u);
}

TEST(threads_datagram_ring_moves_every_datagram_in_order_with_its_length_and_bytes) {
  DatagramRing ring(256, 1500);
  std::atomic<uint64_t> overruns{0};
  std::thread producer([&] {
    for (uint64_t n = 0; n < kDatagrams;) {
      uint8_t* slot = ring.write_slot();
      if (slot == nullptr) {
        overruns.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::yield();
        continue;
      }
      const size_t len = length_of(n, ring.slot_bytes());
      fill(slot, n, len);
      ring.commit(len);
      ++n;
    }
  });
  uint64_t bad = 0;
  for (uint64_t n = 0; n < kDatagrams;) {
    size_t len = 0;
    const uint8_t* slot = ring.read_slot(len);
    if (slot == nullptr) {
      std::this_thread::yield();
      continue;
    }
    if (len != length_of(n, ring.slot_bytes()) || !holds(slot, n, len)) ++bad;
    ring.release();
    ++n;
  }
  producer.join();
  CHECK_EQ(bad, 0u);
  CHECK_EQ(ring.size(), 0u);
}

TEST(threads_jitter_stats_can_be_read_while_the_owner_pushes_and_pulls) {
  JitterBuffer jb(Format{48000, 2, SampleType::F32}, 256, 32);
  std::atomic<bool> done{false};
  uint64_t regressions = 0;
  uint64_t reads = 0;
  std::thread reader([&] {
    JitterStatsSnapshot last{};
    while (!done.load(std::memory_order_acquire)) {
      const JitterStatsSnapshot s = jb.stats().snapshot();
      if (s.received_bytes < last.received_bytes || s.datagrams < last.datagrams ||
          s.lost_bytes < last.lost_bytes) {
        ++regressions;
      }
      last = s;
      ++reads;
    }
  });
  std::vector<uint8_t> payload(64 * 8, 0x11);
  std::vector<uint8_t> out(64 * 8);
  for (uint64_t period = 0; period < 100'000; ++period) {
    if (period % 10 != 3) jb.push(period * payload.size(), payload.data(), payload.size());
    jb.pull(out.data(), 64);
  }
  done.store(true, std::memory_order_release);
  reader.join();
  CHECK_EQ(regressions, 0u);
  CHECK(reads > 0);
  CHECK_EQ(jb.stats().datagrams.load(), 90'000u);
}

TEST(threads_allocation_counts_are_the_calling_threads_own) {
  if (!test::allocations_counted()) return;  // ASan: its own allocator
  // An engine's key thread sets itself up while the audio thread is being measured.
  const size_t before = test::allocations();
  std::thread other([] { delete new std::vector<uint8_t>(64); });
  const size_t spawned = test::allocations();
  other.join();
  CHECK_EQ(test::allocations(), spawned);
  CHECK(spawned >= before);
}
