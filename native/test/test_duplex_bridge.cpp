// DuplexBridge: the device thread and the worker on one thread, period by period (latency,
// layout, late and lost periods, the clock), then on two threads at once (`make tsan`).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "engine/duplex_bridge.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

constexpr uint32_t kFrames = 4;

/** A device's period buffers: inputs filled from (period, channel, frame), outputs zeroed. */
struct FakeDevice {
  FakeDevice(const std::vector<uint32_t>& inputs, const std::vector<uint32_t>& outputs) {
    for (uint32_t channels : inputs) {
      in_planes.emplace_back();
      for (uint32_t c = 0; c < channels; ++c) in_storage.emplace_back(kFrames, 0.0f);
    }
    for (uint32_t channels : outputs) {
      out_planes.emplace_back();
      for (uint32_t c = 0; c < channels; ++c) out_storage.emplace_back(kFrames, 0.0f);
    }
    size_t k = 0;
    for (size_t s = 0; s < inputs.size(); ++s)
      for (uint32_t c = 0; c < inputs[s]; ++c) in_planes[s].push_back(in_storage[k++].data());
    k = 0;
    for (size_t s = 0; s < outputs.size(); ++s)
      for (uint32_t c = 0; c < outputs[s]; ++c) out_planes[s].push_back(out_storage[k++].data());
  }

  /** Runs one period. */
  void run(DuplexBridge& bridge, uint64_t period) {
    for (size_t k = 0; k < in_storage.size(); ++k)
      for (uint32_t f = 0; f < kFrames; ++f) in_storage[k][f] = sample(period, k, f);
    for (auto& plane : out_storage) std::fill(plane.begin(), plane.end(), 0.0f);
    bridge.process({&in_planes, &out_planes, kFrames, int64_t(period) * 1000, 1000});
  }

  static float sample(uint64_t period, size_t channel, uint32_t frame) {
    return float(period * 100 + channel * 10 + frame + 1);
  }

  std::vector<std::vector<float>> in_storage, out_storage;
  std::vector<std::vector<const float*>> in_planes;
  std::vector<std::vector<float*>> out_planes;
};

}  // namespace

TEST(duplex_bridge_hands_interleaved_streams_and_plays_them_one_period_later) {
  // Streams: inputs stereo + mono, outputs mono + stereo.
  DuplexBridge bridge({2, 1}, {1, 2}, kFrames);
  FakeDevice device({2, 1}, {1, 2});
  std::vector<float> in(bridge.input_block_floats()), out(bridge.output_block_floats());
  PeriodStamp stamp{};
  for (uint64_t n = 0; n < 3; ++n) {
    device.run(bridge, n);
    if (n == 0) {
      for (const auto& plane : device.out_storage) CHECK(plane == std::vector<float>(kFrames, 0.0f));
    } else {
      // Output k (k = 0..2, across streams) carries input channel k of the period before, × 2.
      for (size_t k = 0; k < 3; ++k)
        for (uint32_t f = 0; f < kFrames; ++f)
          CHECK_EQ(device.out_storage[k][f], 2 * FakeDevice::sample(n - 1, k, f));
    }
    REQUIRE(bridge.take(0, stamp, in.data()) == DuplexBridge::Take::kPeriod);
    CHECK_EQ(stamp.index, n);
    CHECK_EQ(stamp.frame_index, n * kFrames);
    CHECK_EQ(stamp.cycle_start_ns, int64_t(n) * 1000);
    CHECK_EQ(stamp.period_ns, int64_t(1000));
    // Stream 0 interleaved (channels 0, 1), then stream 1 (channel 2).
    for (uint32_t f = 0; f < kFrames; ++f) {
      CHECK_EQ(in[f * 2], FakeDevice::sample(n, 0, f));
      CHECK_EQ(in[f * 2 + 1], FakeDevice::sample(n, 1, f));
      CHECK_EQ(in[2 * kFrames + f], FakeDevice::sample(n, 2, f));
    }
    // Same channel order out: stream 0 mono gets channel 0, stream 1 stereo gets channels 1, 2.
    for (uint32_t f = 0; f < kFrames; ++f) {
      out[f] = 2 * in[f * 2];
      out[kFrames + f * 2] = 2 * in[f * 2 + 1];
      out[kFrames + f * 2 + 1] = 2 * in[2 * kFrames + f];
    }
    CHECK(bridge.give(stamp.index, out.data()));
  }
  CHECK_EQ(bridge.counters().output_underflows.load(), 0u);
  CHECK_EQ(bridge.counters().late_outputs.load(), 0u);
}

TEST(duplex_bridge_plays_silence_for_a_late_output_and_drops_it_keeping_the_latency) {
  DuplexBridge bridge({1}, {1}, kFrames);
  FakeDevice device({1}, {1});
  std::vector<float> in(kFrames), out(kFrames);
  PeriodStamp stamp{};
  device.run(bridge, 0);
  device.run(bridge, 1);  // output 0 is not there: silence
  CHECK(device.out_storage[0] == std::vector<float>(kFrames, 0.0f));
  CHECK_EQ(bridge.counters().output_underflows.load(), 1u);
  for (int k = 0; k < 2; ++k) {  // the worker catches up with periods 0 and 1
    REQUIRE(bridge.take(0, stamp, in.data()) == DuplexBridge::Take::kPeriod);
    CHECK(bridge.give(stamp.index, in.data()));
  }
  device.run(bridge, 2);  // plays period 1, drops the late period 0
  for (uint32_t f = 0; f < kFrames; ++f) CHECK_EQ(device.out_storage[0][f], FakeDevice::sample(1, 0, f));
  CHECK_EQ(bridge.counters().late_outputs.load(), 1u);
  CHECK_EQ(bridge.counters().output_underflows.load(), 1u);
}

TEST(duplex_bridge_drops_and_counts_captured_periods_the_worker_has_no_room_for) {
  DuplexBridge bridge({1}, {1}, kFrames);
  FakeDevice device({1}, {1});
  for (uint64_t n = 0; n < kDuplexRingPeriods + 3; ++n) device.run(bridge, n);
  CHECK_EQ(bridge.counters().input_overflows.load(), 3u);
  std::vector<float> in(kFrames);
  PeriodStamp stamp{};
  REQUIRE(bridge.take(0, stamp, in.data()) == DuplexBridge::Take::kPeriod);
  CHECK_EQ(stamp.index, 0u);  // the oldest are kept
}

TEST(duplex_bridge_frame_index_counts_the_frames_of_the_periods_it_was_given) {
  DuplexBridge bridge({1}, {1}, kFrames);
  FakeDevice device({1}, {1});
  std::vector<float> in(kFrames);
  PeriodStamp stamp{};
  for (uint64_t n = 0; n < kDuplexRingPeriods + 2; ++n) device.run(bridge, n);
  for (uint64_t n = 0; n < kDuplexRingPeriods; ++n) {
    REQUIRE(bridge.take(0, stamp, in.data()) == DuplexBridge::Take::kPeriod);
    CHECK_EQ(stamp.frame_index, n * kFrames);
  }
  // After two periods dropped for want of room, the next says how many frames went by.
  device.run(bridge, kDuplexRingPeriods + 2);
  REQUIRE(bridge.take(0, stamp, in.data()) == DuplexBridge::Take::kPeriod);
  CHECK_EQ(stamp.frame_index, (kDuplexRingPeriods + 2) * kFrames);
}

TEST(duplex_bridge_take_times_out_when_idle_and_ends_once_closed) {
  DuplexBridge bridge({1}, {1}, kFrames);
  std::vector<float> in(kFrames);
  PeriodStamp stamp{};
  CHECK(bridge.take(1, stamp, in.data()) == DuplexBridge::Take::kTimeout);
  std::thread closer([&] { bridge.close(); });
  // Closing wakes a take() that waits however long.
  CHECK(bridge.take(60'000, stamp, in.data()) == DuplexBridge::Take::kClosed);
  closer.join();
}

TEST(duplex_bridge_refuses_a_period_of_another_size_with_silence) {
  DuplexBridge bridge({1}, {1}, kFrames * 2);
  FakeDevice device({1}, {1});
  device.run(bridge, 0);
  CHECK_EQ(bridge.counters().resized_periods.load(), 1u);
  std::vector<float> in(kFrames * 2);
  PeriodStamp stamp{};
  CHECK(bridge.take(0, stamp, in.data()) == DuplexBridge::Take::kTimeout);
}

TEST(duplex_bridge_device_side_does_not_allocate) {
  if (!test::allocations_counted()) return;
  DuplexBridge bridge({2}, {2}, kFrames);
  FakeDevice device({2}, {2});
  std::vector<float> block(bridge.input_block_floats());
  PeriodStamp stamp{};
  const size_t before = test::allocations();
  for (uint64_t n = 0; n < 100; ++n) {
    device.run(bridge, n);
    if (n % 3 != 0) {  // some periods late, so every path runs
      while (bridge.take(0, stamp, block.data()) == DuplexBridge::Take::kPeriod) {
        bridge.give(stamp.index, block.data());
      }
    }
  }
  CHECK_EQ(test::allocations() - before, 0u);
}

TEST(duplex_bridge_on_two_threads_plays_every_on_time_output_exactly) {
#if defined(SYFALA_TSAN)
  constexpr uint64_t kPeriods = 20'000;
#else
  constexpr uint64_t kPeriods = 200'000;
#endif
  DuplexBridge bridge({2}, {2}, kFrames);
  std::atomic<bool> done{false};
  std::thread worker([&] {
    std::vector<float> block(bridge.input_block_floats());
    PeriodStamp stamp{};
    while (!done.load()) {
      if (bridge.take(10, stamp, block.data()) != DuplexBridge::Take::kPeriod) continue;
      for (float& sample : block) sample = -sample;
      while (!bridge.give(stamp.index, block.data()) && !done.load()) std::this_thread::yield();
    }
  });
  FakeDevice device({2}, {2});
  uint64_t exact = 0, silent = 0, wrong = 0;
  for (uint64_t n = 0; n < kPeriods; ++n) {
    device.run(bridge, n);
    if (n == 0) continue;
    bool all_exact = true, all_zero = true;
    for (size_t k = 0; k < 2; ++k)
      for (uint32_t f = 0; f < kFrames; ++f) {
        const float got = device.out_storage[k][f];
        all_exact &= got == -FakeDevice::sample(n - 1, k, f);
        all_zero &= got == 0.0f;
      }
    exact += all_exact;
    silent += all_zero;
    wrong += !all_exact && !all_zero;
    // Give the worker a chance: a device thread spinning without pause is nothing like JACK's.
    // Now and then it waits a whole millisecond, as a real clock would, so some periods are on
    // time however slowly the worker is scheduled (a TSan build on a loaded machine: none was).
    if (n % 8 == 0) std::this_thread::yield();
    if (n % 256 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  done = true;
  bridge.close();
  worker.join();
  // Every period played its own output exactly, or silence that was counted as late.
  CHECK_EQ(wrong, 0u);
  CHECK_EQ(exact + silent, kPeriods - 1);
  CHECK_EQ(silent, bridge.counters().output_underflows.load());
  CHECK(exact > 0);
}
