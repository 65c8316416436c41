// Replays packages/dataplane/vectors/jitter-scenarios.json, which the TS packetizer and jitter
// buffer generated, through the C++ ones: every cut, push result, pulled byte, PullResult and
// stats value must be the same, and push/pull must not allocate.
#include <string>
#include <vector>

#include "bytes_util.hpp"
#include "core/jitter_buffer.hpp"
#include "core/packetizer.hpp"
#include "harness.hpp"
#include "jitter_stats_values.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

void check_stats(const JitterStats& stats, const test::Json& expected) {
  const std::vector<uint64_t> actual = test::stats_values(stats.snapshot());
  REQUIRE(expected.size() == actual.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    SCOPE(test::kJitterStatsNames[i]);
    CHECK_EQ(actual[i], expected[i].u64());
  }
}

/// Replays one scenario; stops at the first op that differs, since everything after would too.
void replay(const test::Json& scenario) {
  SampleType type{};
  REQUIRE(sample_type_from_name(scenario["sampleType"].str(), type));
  const Format format{uint32_t(scenario["sampleRate"].u64()), uint32_t(scenario["channels"].u64()),
                      type};
  JitterBufferOptions options;
  options.skip_surplus = scenario["skipSurplus"].boolean();
  options.conceal_underruns = scenario["concealUnderruns"].boolean();
  options.skip_covered_gaps = scenario["skipCoveredGaps"].boolean();
  JitterBuffer buffer(format, scenario["capacityFrames"].u64(),
                      scenario["targetLatencyFrames"].u64(), options);
  StreamPacketizer packetizer(uint32_t(scenario["streamIndex"].u64()), bytes_per_frame(format),
                              scenario["datagramBudgetBytes"].u64());
  std::vector<uint8_t> period;
  size_t index = 0;
  for (const test::Json& op : scenario["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op["op"].str());
    const std::string& kind = op["op"].str();
    if (kind == "packetize") {
      CHECK_EQ(packetizer.byte_index(), op["from"].u64());
      period.assign(op["bytes"].u64(), 0);
      std::vector<uint64_t> counts;
      uint64_t next = op["from"].u64();
      packetizer.packetize(period.data(), period.size(),
                           [&](const AudioHeader& h, const uint8_t*, size_t n, uint8_t) {
                             CHECK_EQ(h.stream, scenario["streamIndex"].u64());
                             CHECK_EQ(h.byte_index, next);
                             next += n;
                             counts.push_back(n);
                           });
      CHECK_EQ(counts.size(), op["counts"].size());
      for (size_t k = 0; k < counts.size() && k < op["counts"].size(); ++k) {
        CHECK_EQ(counts[k], op["counts"][k].u64());
      }
    } else if (kind == "push") {
      const std::vector<uint8_t> payload = test::from_hex(op["payload"].str());
      const size_t before = test::allocations();
      CHECK_EQ(buffer.push(op["at"].u64(), payload.data(), payload.size()), op["stored"].u64());
      CHECK_EQ(test::allocations(), before);
    } else if (kind == "pull") {
      std::vector<uint8_t> out(op["frames"].u64() * bytes_per_frame(format), 0xee);
      const size_t before = test::allocations();
      const PullResult& result = buffer.pull(out.data(), op["frames"].u64());
      CHECK_EQ(test::allocations(), before);
      CHECK_EQ(test::to_hex(out), op["out"].str());
      CHECK_EQ(result.playing, op["playing"].boolean());
      CHECK_EQ(result.concealed_bytes, op["concealedBytes"].u64());
      CHECK_EQ(result.underrun, op["underrun"].boolean());
      CHECK_EQ(buffer.playing(), op["playing"].boolean());
      check_stats(buffer.stats(), op["stats"]);
    } else if (kind == "reset") {
      buffer.reset();
      packetizer.reset();
    } else if (kind == "target") {
      CHECK(buffer.set_target_latency_frames(op["frames"].u64()));
    } else {
      REQUIRE(!"unknown op");
    }
    if (test::failures() > 0) return;
  }
  check_stats(buffer.stats(), scenario["finalStats"]);
  std::vector<std::pair<uint64_t, uint64_t>> ranges(kConcealedRangeHistory + 1);
  ranges.resize(buffer.concealed_ranges(ranges.data(), ranges.size()));
  const test::Json& expected = scenario["concealedRanges"];
  REQUIRE(ranges.size() == expected.size());
  for (size_t k = 0; k < ranges.size(); ++k) {
    CHECK_EQ(ranges[k].first, expected[k][0].u64());
    CHECK_EQ(ranges[k].second, expected[k][1].u64());
  }
}

}  // namespace

TEST(jitter_scenarios_replay_exactly_as_the_ts) {
  const test::Json file =
      test::Json::parse_file(test::repo_path("packages/dataplane/vectors/jitter-scenarios.json"));
  const test::Json& fields = file["statsFields"];
  REQUIRE(fields.size() == std::size(test::kJitterStatsNames));
  for (size_t i = 0; i < fields.size(); ++i) {
    CHECK_EQ(fields[i].str(), std::string(test::kJitterStatsNames[i]));
  }
  CHECK(file["scenarios"].size() >= 4);
  for (const test::Json& scenario : file["scenarios"].items()) {
    SCOPE(scenario["name"].str());
    replay(scenario);
  }
}
