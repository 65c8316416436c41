// LostTimeWatch on simulated callback times: a device at 48 kHz, 64-frame periods, whose clock
// runs 40 ppm off the monotonic one and whose callbacks come 0 to 400 µs late at random.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/lost_time_watch.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

constexpr uint32_t kRate = 48000;
constexpr uint32_t kPeriod = 64;
constexpr double kSkewPpm = 40;
constexpr double kPeriodNs = kPeriod * 1e9 / kRate * (1 + kSkewPpm / 1e6);

/** One xrun: before period `at`, the device's clock loses `frames` frames. */
struct Loss {
  uint64_t at;
  uint64_t frames;
};

struct Detected {
  uint64_t period;
  uint64_t frames;
};

/** Nothing to look at after each callback. */
void unseen(uint64_t, const LostTimeWatch&) {}

/**
 * `periods` callbacks through the watch; `late_ns(period)` is how late each runs beyond the
 * device's clock (a late callback does not move the next one's deadline); `seen(period, watch)`
 * after each.
 */
template <class Late, class Seen = decltype(&unseen)>
std::vector<Detected> run(uint64_t periods, const std::vector<Loss>& losses, Late late_ns,
                          double period_ns = kPeriodNs, Seen seen = &unseen) {
  LostTimeWatch watch;
  watch.configure(kRate, kPeriod);
  std::vector<Detected> detected;
  double clock_ns = 1e12;  // CLOCK_MONOTONIC is never near 0
  size_t next = 0;
  for (uint64_t p = 0; p < periods; ++p) {
    if (next < losses.size() && losses[next].at == p) {
      clock_ns += double(losses[next].frames) * period_ns / kPeriod;
      ++next;
    }
    const uint64_t lost = watch.observe(int64_t(clock_ns + late_ns(p)), kPeriod);
    if (lost > 0) detected.push_back({p, lost});
    seen(p, watch);
    clock_ns += period_ns;
  }
  return detected;
}

/** A minute of periods. */
constexpr uint64_t kMinute = 60 * kRate / kPeriod;

}  // namespace

TEST(lost_time_watch_sees_nothing_in_jittery_callbacks_of_a_drifting_clock) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> late(0, 400e3);
  const auto detected = run(kMinute, {}, [&](uint64_t) { return late(random); });
  CHECK_EQ(detected.size(), size_t(0));
}

TEST(lost_time_watch_takes_late_callbacks_caught_up_on_for_no_loss) {
  // Every second, one or two callbacks in a row three periods late; the next ones come at once,
  // on time again.
  const auto detected = run(kMinute, {}, [](uint64_t p) {
    return p % 750 == 100 || p % 1500 == 101 ? 3 * kPeriodNs : 0.0;
  });
  CHECK_EQ(detected.size(), size_t(0));
}

TEST(lost_time_watch_measures_each_xrun_within_a_few_periods) {
  std::mt19937_64 random(12);
  std::uniform_real_distribution<double> late(0, 400e3), unit(0, 1);
  std::vector<Loss> losses;
  for (uint64_t at = 500; at < kMinute; at += 300 + uint64_t(unit(random) * 900)) {
    losses.push_back({at, 32 + uint64_t(unit(random) * 400)});
  }
  const auto detected = run(kMinute, losses, [&](uint64_t) { return late(random); });
  CHECK_EQ(detected.size(), losses.size());
  for (size_t i = 0; i < std::min(detected.size(), losses.size()); ++i) {
    test::Scope scope("xrun " + std::to_string(i));
    CHECK(detected[i].period >= losses[i].at);
    CHECK(detected[i].period < losses[i].at + kConfirmCallbacks);
    // Measured from the earliest callback of the last window (at most 400 µs late) to the
    // earliest of the three after the loss: at most 400 µs (20 frames) more than was lost.
    CHECK(detected[i].frames + 1 >= losses[i].frames);
    CHECK(detected[i].frames <= losses[i].frames + 20);
  }
}

TEST(lost_time_watch_counts_no_drift_into_the_losses_of_a_slow_device) {
  // A device clock 250 ppm slower than the monotonic one: the lateness rises 12.5 µs (0.6 frames)
  // a window. A baseline a window or two behind added about a frame to each of 180 losses.
  std::vector<Loss> losses;
  for (uint64_t at = 500; at < kMinute - 10; at += 250) losses.push_back({at, 100});
  const double slow_period_ns = kPeriod * 1e9 / kRate * (1 + 250e-6);
  const auto detected = run(kMinute, losses, [](uint64_t) { return 0.0; }, slow_period_ns);
  CHECK_EQ(detected.size(), losses.size());
  uint64_t measured = 0, lost = 0;
  for (const Detected& d : detected) measured += d.frames;
  for (const Loss& l : losses) lost += l.frames;
  CHECK(measured + 3 >= lost);
  CHECK(measured <= lost + 3);
}

TEST(lost_time_watch_takes_a_device_stopped_for_seconds_for_a_restart) {
  const auto detected = run(kMinute, {{1000, 5 * kRate}}, [](uint64_t) { return 0.0; });
  CHECK_EQ(detected.size(), size_t(0));
}

TEST(lost_time_watch_ignores_a_layer_that_gives_no_time) {
  LostTimeWatch watch;
  watch.configure(kRate, kPeriod);
  for (int i = 0; i < 10000; ++i) CHECK_EQ(watch.observe(0, kPeriod), uint64_t(0));
}

TEST(lost_time_watch_says_how_late_a_stalled_callback_ran_and_nothing_of_jitter) {
  // Callbacks 0 to 400 µs late (under the half-period threshold) read 0. Once a second the device
  // stalls for two periods and catches up: that callback 128 frames late, the next 64, then 0.
  std::mt19937_64 random(13);
  std::uniform_real_distribution<double> jitter(0, 400e3);
  const auto behind = [](uint64_t p) -> uint64_t {
    return p % 750 == 600 ? 2 : p % 750 == 601 ? 1 : 0;
  };
  size_t stalls = 0;
  const auto detected = run(
      kMinute, {},
      [&](uint64_t p) { return behind(p) > 0 ? double(behind(p)) * kPeriodNs : jitter(random); },
      kPeriodNs,
      [&](uint64_t p, const LostTimeWatch& watch) {
        if (p < 750 || test::failures() > 0) return;  // the baseline's first windows
        SCOPE("period " + std::to_string(p));
        if (behind(p) == 0) {
          CHECK_EQ(watch.late_frames(), 0.0);
        } else {
          // Against the earliest callback of the last window (at most 400 µs, 20 frames, late).
          CHECK(watch.late_frames() <= double(behind(p) * kPeriod) + 1);
          CHECK(watch.late_frames() + 20 >= double(behind(p) * kPeriod));
          stalls += behind(p) == 2;
        }
      });
  CHECK_EQ(detected.size(), size_t(0));
  CHECK_EQ(stalls, size_t(kMinute / 750 - 1));
}
