// Replays packages/dataplane/vectors/latency-adapter.json, which the TS LatencyAdapter generated,
// through the C++ one: the target and the jitter after every op must be exactly the same, and
// nothing may allocate. Then what the TS rejects with a LatencyAdapterError: here the
// constructor throws, and arrival() ignores what is not a number (no throwing on the audio
// thread).
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/latency_adapter.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

LatencyAdapterOptions options_of(const test::Json& scenario) {
  LatencyAdapterOptions o;
  o.sample_rate = scenario["sampleRate"].number();
  o.period_frames = scenario["periodFrames"].u64();
  o.min_target_frames = scenario["minTargetFrames"].u64();
  o.max_target_frames = scenario["maxTargetFrames"].u64();
  if (scenario.has("initialTargetFrames")) {
    o.initial_target_frames = scenario["initialTargetFrames"].u64();
  }
  if (scenario.has("safetyFrames")) o.safety_frames = scenario["safetyFrames"].u64();
  if (scenario.has("raiseOnUnderruns")) {
    o.raise_on_underruns = scenario["raiseOnUnderruns"].boolean();
  }
  return o;
}

/// Replays one scenario; stops at the first op that differs, since everything after would too.
void replay(const test::Json& scenario) {
  LatencyAdapter adapter(options_of(scenario));
  size_t index = 0;
  for (const test::Json& op : scenario["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op[0].str());
    const std::string& kind = op[0].str();
    const size_t before = test::allocations();
    size_t expected_at = 0;
    if (kind == "arrival") {
      CHECK_EQ(adapter.arrival(op[1].number()), op[2].u64());
      expected_at = 2;
    } else if (kind == "period") {
      CHECK_EQ(adapter.period(op[1].u64(), op[2].boolean()), op[3].u64());
      expected_at = 3;
    } else if (kind == "reset") {
      adapter.reset();
      expected_at = 1;
    } else {
      REQUIRE(!"unknown op");
    }
    CHECK_EQ(test::allocations(), before);
    CHECK_EQ(adapter.target_frames(), op[expected_at].u64());
    CHECK_EQ(adapter.jitter_frames(), op[expected_at + 1].number());
    if (test::failures() > 0) return;
  }
}

LatencyAdapterOptions valid() {
  LatencyAdapterOptions o;
  o.sample_rate = 48000;
  o.period_frames = 64;
  o.min_target_frames = 1;
  o.max_target_frames = 6000;
  return o;
}

}  // namespace

TEST(latency_adapter_replays_exactly_as_the_ts) {
  const test::Json file =
      test::Json::parse_file(test::repo_path("packages/dataplane/vectors/latency-adapter.json"));
  CHECK(file["scenarios"].size() >= 3);
  for (const test::Json& scenario : file["scenarios"].items()) {
    SCOPE(scenario["name"].str());
    replay(scenario);
  }
}

TEST(latency_adapter_rejects_options_out_of_range) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const double rate : {0.0, -1.0, nan, std::numeric_limits<double>::infinity()}) {
    LatencyAdapterOptions o = valid();
    o.sample_rate = rate;
    CHECK_THROWS(LatencyAdapter{o}, std::invalid_argument);
  }
  LatencyAdapterOptions o = valid();
  o.period_frames = 0;
  CHECK_THROWS(LatencyAdapter{o}, std::invalid_argument);
  o = valid();
  o.min_target_frames = 0;
  CHECK_THROWS(LatencyAdapter{o}, std::invalid_argument);
  o = valid();
  o.max_target_frames = o.min_target_frames = 100;
  o.max_target_frames = 99;
  CHECK_THROWS(LatencyAdapter{o}, std::invalid_argument);
  for (const size_t initial : {size_t(0), size_t(6001)}) {
    o = valid();
    o.initial_target_frames = initial;
    CHECK_THROWS(LatencyAdapter{o}, std::invalid_argument);
  }
  o = valid();
  o.initial_target_frames = 6000;
  CHECK_EQ(LatencyAdapter{o}.target_frames(), size_t(6000));
}

TEST(latency_adapter_ignores_an_arrival_that_is_not_a_number) {
  LatencyAdapter adapter(valid());
  adapter.arrival(1000);
  const size_t target = adapter.target_frames();
  const double jitter = adapter.jitter_frames();
  for (const double end : {std::numeric_limits<double>::quiet_NaN(),
                           -std::numeric_limits<double>::infinity()}) {
    CHECK_EQ(adapter.arrival(end), target);
    CHECK_EQ(adapter.jitter_frames(), jitter);
  }
  // Real arrivals after them are measured against the best one, as if they never came: late by
  // 200 frames in more 0.25 s blocks than are tolerated, the jitter is 200.
  double clock = 0;
  for (size_t block = 0; block <= kToleratedBlocks; ++block, clock += 12000) {
    adapter.arrival(clock + 1000);
    adapter.arrival(clock + 1000 - 200);
    adapter.period(12000, false);
  }
  CHECK_EQ(adapter.jitter_frames(), 200.0);
  CHECK_EQ(adapter.target_frames(), size_t(200 + 64 + 16));
}

namespace {

/**
 * Feeds `periods` 64-frame periods of a 64-channel f32 stream (13 datagrams a period, in order,
 * as the packetizer cuts it at a 1,400-byte budget), each arriving before the pull at the clock
 * it was sent, but for the periods `late` says, which arrive `late` periods later together with
 * those due then.
 */
/** valid() starting at 128 frames, as the engine's adaptive streams do. */
LatencyAdapterOptions from_128() {
  LatencyAdapterOptions o = valid();
  o.initial_target_frames = 128;
  return o;
}

template <class Late>
void feed_many_datagram_periods(LatencyAdapter& adapter, size_t periods, Late late) {
  constexpr double kPeriod = 64;
  std::vector<std::vector<double>> due(periods + 8);
  for (size_t k = 0; k < periods; ++k) {
    const size_t at = k + late(k);
    for (int i = 1; i <= 12; ++i) due[at].push_back(kPeriod * double(k) + 5 * i);
    due[at].push_back(kPeriod * double(k + 1));
  }
  for (size_t k = 0; k < periods; ++k) {
    for (const double end : due[k]) adapter.arrival(end);
    adapter.period(64, false);
  }
}

}  // namespace

TEST(latency_adapter_measures_a_period_cut_in_many_datagrams_as_one_arrival) {
  // Measured one by one, the first datagram of each period ends 59 frames before the last that
  // came with it: the jitter read 59 frames, and the target rose to 139 for a link that needs 80.
  LatencyAdapter adapter(from_128());
  feed_many_datagram_periods(adapter, 3000, [](size_t) { return 0; });
  CHECK_EQ(adapter.jitter_frames(), 0.0);
  CHECK_EQ(adapter.target_frames(), size_t(128));
}

TEST(latency_adapter_still_sees_a_period_of_many_datagrams_arrive_late) {
  // A period 3 periods late in every 0.25 s block arrives with the two after it and the one due:
  // each is measured on its own (they end a period or more apart), the oldest 3 periods late.
  LatencyAdapter adapter(from_128());
  feed_many_datagram_periods(adapter, 3000, [](size_t k) { return k % 150 == 100 ? 3 : 0; });
  CHECK_EQ(adapter.jitter_frames(), 3 * 64.0);
  CHECK_EQ(adapter.target_frames(), size_t(3 * 64 + 64 + 16));
}

TEST(latency_adapter_does_not_count_a_caught_up_stall_of_the_device_as_lateness) {
  // Once a 0.25 s block the device stalls for a period and catches up: the period due then and
  // the next arrive before one late pull, followed at once by the next pull; the second reads a
  // period early. Once a block too, a period arrives a pull late. Measured against the early
  // chain, every on-time arrival of the next 0.5 s read a period late and the late one two: the
  // jitter read 128 frames and the target rose to 208 (two dummy JACK servers, issue #14).
  LatencyAdapter adapter(from_128());
  constexpr double kPeriod = 64;
  for (size_t k = 0; k < 3000; ++k) {
    const double end = kPeriod * double(k + 1);
    if (k % 187 == 50) {
      adapter.arrival(end);
      adapter.arrival(end + kPeriod);
      adapter.period(64, false);
      adapter.period(64, false);
      ++k;
    } else if (k % 187 == 120) {
      adapter.period(64, false);
      adapter.arrival(end);
      adapter.arrival(end + kPeriod);
      adapter.period(64, false);
      ++k;
    } else {
      adapter.arrival(end);
      adapter.period(64, false);
    }
  }
  CHECK_EQ(adapter.jitter_frames(), kPeriod);
  CHECK_EQ(adapter.target_frames(), size_t(64 + 64 + 16));
}

TEST(latency_adapter_measures_a_burst_of_caught_up_stalls_as_of_when_each_pull_was_due) {
  // Bursts of xruns: for a second in every four the device stalls for a period every 15th and
  // catches up, a dozen times a block, more than the reference leaves out (4): on-time arrivals
  // read a period late against the early chains, and the target rose to 144. Told how late each
  // pull runs, the adapter measures the early chains as of when the pull was due.
  const auto run = [](bool told) {
    LatencyAdapter adapter(from_128());
    constexpr double kPeriod = 64;
    for (size_t k = 0; k < 3000; ++k) {
      const double end = kPeriod * double(k + 1);
      if (k % 750 < 187 && k % 15 == 7) {
        if (told) adapter.pull_late_by(kPeriod);
        adapter.arrival(end);
        adapter.arrival(end + kPeriod);
        adapter.period(64, false);
        if (told) adapter.pull_late_by(0);
        adapter.period(64, false);
        ++k;
      } else {
        adapter.arrival(end);
        adapter.period(64, false);
      }
    }
    return std::pair{adapter.jitter_frames(), adapter.target_frames()};
  };
  const auto [jitter_untold, target_untold] = run(false);
  CHECK_EQ(jitter_untold, 64.0);
  CHECK_EQ(target_untold, size_t(144));
  const auto [jitter, target] = run(true);
  CHECK_EQ(jitter, 0.0);
  CHECK_EQ(target, size_t(128));
}

TEST(latency_adapter_leaves_out_at_most_a_tenth_of_the_chains_and_where_few_none) {
  // 25 chains a block at 48 kHz and 480-frame periods: kCaughtUpSeconds allows one to be left
  // out (a 10 ms period), and a tenth of the two blocks' chains would allow more. A chain two
  // periods early every other block does not move the reference; one 100 frames late in every
  // block still reads 100.
  LatencyAdapterOptions o = valid();
  o.period_frames = 480;
  {
    LatencyAdapter adapter(o);
    double clock = 0;
    for (size_t k = 0; k < 400; ++k, clock += 480) {
      const bool early = k % 50 == 3;
      const bool late = k % 25 == 13;
      adapter.arrival(clock + 480 + (early ? 960 : 0) - (late ? 100 : 0));
      adapter.period(480, false);
    }
    CHECK_EQ(adapter.jitter_frames(), 100.0);
  }
  // One chain a block (periods of a block's length): too few to leave any out, so the early one
  // is the reference and on-time chains after it read 960 late, as before.
  o.period_frames = 12000;
  LatencyAdapter adapter(o);
  double clock = 0;
  for (size_t k = 0; k < 40; ++k, clock += 12000) {
    adapter.arrival(clock + 12000 + (k % 3 == 0 ? 960 : 0));
    adapter.period(12000, false);
  }
  CHECK_EQ(adapter.jitter_frames(), 960.0);
}

