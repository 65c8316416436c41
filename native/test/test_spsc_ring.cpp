// SpscRing and DatagramRing on one thread: capacity rules, full and empty, order, wrap-around.
// test_threads.cpp moves millions of items between two threads.
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "core/spsc_ring.hpp"
#include "harness.hpp"

using namespace syfala;

TEST(spsc_ring_capacity_is_a_power_of_two) {
  CHECK_THROWS(SpscRing<int>(0), std::invalid_argument);
  CHECK_THROWS(SpscRing<int>(3), std::invalid_argument);
  CHECK_THROWS(SpscRing<int>(1000), std::invalid_argument);
  CHECK_EQ(SpscRing<int>(1).capacity(), 1u);
  CHECK_EQ(SpscRing<int>(1024).capacity(), 1024u);
}

TEST(spsc_ring_holds_exactly_its_capacity_first_in_first_out) {
  SpscRing<int> ring(4);
  int out = -1;
  CHECK(!ring.pop(out));
  for (int i = 0; i < 4; ++i) CHECK(ring.push(i));
  CHECK(!ring.push(99));
  CHECK_EQ(ring.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    CHECK(ring.pop(out));
    CHECK_EQ(out, i);
  }
  CHECK(!ring.pop(out));
  CHECK_EQ(ring.size(), 0u);
}

TEST(spsc_ring_keeps_order_across_many_wraps) {
  SpscRing<uint32_t> ring(8);
  uint32_t next_in = 0;
  uint32_t next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    const int burst = 1 + round % 8;
    for (int i = 0; i < burst; ++i) CHECK(ring.push(next_in++));
    for (int i = 0; i < burst; ++i) {
      uint32_t v = 0;
      CHECK(ring.pop(v));
      CHECK_EQ(v, next_out++);
    }
  }
}

TEST(spsc_ring_of_one_alternates_full_and_empty) {
  SpscRing<int> ring(1);
  int out = 0;
  for (int i = 0; i < 10; ++i) {
    CHECK(ring.push(i));
    CHECK(!ring.push(i));
    CHECK(ring.pop(out));
    CHECK_EQ(out, i);
    CHECK(!ring.pop(out));
  }
}

TEST(spsc_ring_push_and_pop_allocate_nothing) {
  if (!test::allocations_counted()) return;
  SpscRing<uint64_t> ring(16);
  const size_t before = test::allocations();
  uint64_t v = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    ring.push(i);
    ring.pop(v);
  }
  CHECK_EQ(test::allocations(), before);
}

TEST(spsc_ring_moves_runs_all_or_nothing_across_wraps) {
  SpscRing<int> ring(8);
  int in[8];
  int out[8];
  int next_in = 0;
  int next_out = 0;
  for (int round = 0; round < 200; ++round) {
    const size_t n = 1 + round % 5;
    for (size_t i = 0; i < n; ++i) in[i] = next_in + int(i);
    if (ring.push_all(in, n)) next_in += int(n);
    if (round % 3 == 2) continue;  // let the ring fill up now and then
    const size_t m = 1 + round % 4;
    if (ring.pop_all(out, m)) {
      for (size_t i = 0; i < m; ++i) CHECK_EQ(out[i], next_out + int(i));
      next_out += int(m);
    }
  }
  CHECK(next_out > 100);
  CHECK_EQ(ring.size(), size_t(next_in - next_out));
  // A run larger than the free space (or the fill) moves nothing.
  SpscRing<int> small(4);
  CHECK(small.push_all(in, 3));
  CHECK(!small.push_all(in, 2));
  CHECK_EQ(small.size(), 3u);
  CHECK(!small.pop_all(out, 4));
  CHECK_EQ(small.size(), 3u);
}

TEST(spsc_ring_skip_drops_the_oldest_up_to_the_fill) {
  SpscRing<int> ring(8);
  const int in[6] = {0, 1, 2, 3, 4, 5};
  CHECK(ring.push_all(in, 6));
  CHECK_EQ(ring.skip(4), 4u);
  int out = -1;
  CHECK(ring.pop(out));
  CHECK_EQ(out, 4);
  CHECK_EQ(ring.skip(10), 1u);
  CHECK_EQ(ring.size(), 0u);
}

TEST(datagram_ring_rejects_bad_sizes) {
  CHECK_THROWS(DatagramRing(0, 1500), std::invalid_argument);
  CHECK_THROWS(DatagramRing(6, 1500), std::invalid_argument);
  CHECK_THROWS(DatagramRing(8, 0), std::invalid_argument);
}

TEST(datagram_ring_is_empty_then_full_then_empty) {
  DatagramRing ring(4, 1500);
  CHECK_EQ(ring.slot_bytes(), 1500u);
  CHECK_EQ(ring.slots(), 4u);
  size_t len = 0;
  CHECK(ring.read_slot(len) == nullptr);
  for (size_t i = 0; i < 4; ++i) {
    uint8_t* slot = ring.write_slot();
    REQUIRE(slot != nullptr);
    std::memset(slot, int(i + 1), 100 + i);
    ring.commit(100 + i);
  }
  CHECK(ring.write_slot() == nullptr);
  CHECK_EQ(ring.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const uint8_t* slot = ring.read_slot(len);
    REQUIRE(slot != nullptr);
    CHECK_EQ(len, 100 + i);
    CHECK_EQ(slot[0], i + 1);
    CHECK_EQ(slot[len - 1], i + 1);
    ring.release();
  }
  CHECK(ring.read_slot(len) == nullptr);
  CHECK(ring.write_slot() != nullptr);
}

TEST(datagram_ring_hands_out_the_same_slot_until_it_is_committed) {
  // A producer whose receive came back empty asks again later without committing.
  DatagramRing ring(2, 64);
  uint8_t* first = ring.write_slot();
  CHECK(ring.write_slot() == first);
  ring.commit(1);
  CHECK(ring.write_slot() != first);
}

TEST(datagram_ring_reads_the_same_slot_until_it_is_released) {
  DatagramRing ring(2, 64);
  ring.write_slot()[0] = 7;
  ring.commit(1);
  size_t len = 0;
  const uint8_t* first = ring.read_slot(len);
  CHECK(ring.read_slot(len) == first);
  ring.release();
  CHECK(ring.read_slot(len) == nullptr);
}

TEST(datagram_ring_cuts_a_length_beyond_the_slot_and_aligns_slots) {
  DatagramRing ring(4, 1500);
  for (int i = 0; i < 4; ++i) {
    uint8_t* slot = ring.write_slot();
    // Cache-line aligned, so the payload after the 24-byte audio header is 8-aligned.
    CHECK_EQ(reinterpret_cast<uintptr_t>(slot) % kCacheLineBytes, 0u);
    ring.commit(i == 0 ? 70000 : 10);
  }
  size_t len = 0;
  ring.read_slot(len);
  CHECK_EQ(len, 1500u);
}

TEST(datagram_ring_slot_calls_allocate_nothing) {
  if (!test::allocations_counted()) return;
  DatagramRing ring(8, 1500);
  const size_t before = test::allocations();
  size_t len = 0;
  for (int i = 0; i < 1000; ++i) {
    if (uint8_t* slot = ring.write_slot()) {
      slot[0] = uint8_t(i);
      ring.commit(1);
    }
    if (ring.read_slot(len) != nullptr) ring.release();
  }
  CHECK_EQ(test::allocations(), before);
}
