// Replays packages/dataplane/vectors/drift.json, which the TS drift controller, resampler, rate
// converter and drift-compensated stream generated, through the C++ ones: every ratio, drift
// estimate and output float must be the same bit for bit, and no op may allocate.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bytes_util.hpp"
#include "core/drift_compensated_stream.hpp"
#include "core/drift_controller.hpp"
#include "core/drift_resampler.hpp"
#include "core/jitter_buffer.hpp"
#include "core/loss_concealer.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

/// Doubles must match exactly; a failure shows both in full.
#define CHECK_SAME(actual, expected)                                                   \
  do {                                                                                 \
    const double a_ = (actual), e_ = (expected);                                       \
    if (std::memcmp(&a_, &e_, sizeof a_) != 0) {                                       \
      char text_[96];                                                                  \
      std::snprintf(text_, sizeof text_, "%.17g != %.17g", a_, e_);                    \
      test::fail(__FILE__, __LINE__, std::string(#actual " vs " #expected ": ") + text_); \
    }                                                                                  \
  } while (0)

std::string float_hex(const std::vector<float>& v) {
  return test::to_hex(reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> floats_of(const std::string& hex) {
  const std::vector<uint8_t> bytes = test::from_hex(hex);
  std::vector<float> out(bytes.size() / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

/// Runs `op` and checks that it allocated nothing.
template <class Fn>
void without_allocation(Fn&& op) {
  const size_t before = test::allocations();
  op();
  CHECK_EQ(test::allocations(), before);
}

void replay_controller(const test::Json& run) {
  DriftController controller(run["sampleRate"].number(), run["setpointFrames"].number(),
                             run["loopHz"].number(), run["acquireSeconds"].number());
  size_t index = 0;
  for (const test::Json& op : run["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op[0].str());
    const std::string& kind = op[0].str();
    if (kind == "update") {
      without_allocation([&] { controller.update(op[1].number(), op[2].number()); });
      CHECK_SAME(controller.ratio(), op[3].number());
      CHECK_SAME(controller.drift_ppm(), op[4].number());
    } else if (kind == "restart") {
      controller.restart();
      CHECK_SAME(controller.ratio(), op[1].number());
    } else if (kind == "setpoint") {
      controller.set_setpoint_frames(op[1].number());
    } else {
      REQUIRE(!"unknown op");
    }
    if (test::failures() > 0) return;
  }
}

void replay_resampler(const test::Json& run) {
  const size_t channels = run["channels"].u64();
  DriftResampler resampler(channels, run["maxFrames"].u64(), run["maxRatio"].number());
  CHECK_EQ(resampler.capacity_frames(), run["capacityFrames"].u64());
  size_t index = 0;
  for (const test::Json& op : run["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op[0].str());
    const std::string& kind = op[0].str();
    if (kind == "needed") {
      CHECK_EQ(resampler.input_frames_needed(op[1].u64(), op[2].number()), op[3].u64());
    } else if (kind == "write") {
      const std::vector<float> input = floats_of(op[1].str());
      without_allocation([&] { CHECK(resampler.write(input.data(), input.size() / channels)); });
    } else if (kind == "available") {
      CHECK_EQ(resampler.output_frames_available(op[1].number()), op[2].u64());
    } else if (kind == "read") {
      std::vector<float> out(op[1].u64() * channels);
      without_allocation([&] { CHECK(resampler.read(out.data(), op[1].u64(), op[2].number())); });
      CHECK_EQ(float_hex(out), op[3].str());
    } else {
      REQUIRE(!"unknown op");
    }
    if (test::failures() > 0) return;
  }
  // Past what was written: refused, nothing read; more than the room left: refused, and the
  // room is what a write may still bring.
  CHECK(!resampler.read(nullptr, 1000, 1.0));
  const size_t free = resampler.free_frames();
  CHECK(free < resampler.capacity_frames());
  CHECK(!resampler.write(nullptr, free + 1));
  std::vector<float> fill(free * channels);
  CHECK(resampler.write(fill.data(), free));
  CHECK_EQ(resampler.free_frames(), size_t(0));
}

void replay_converter(const test::Json& run) {
  const size_t channels = run["channels"].u64();
  RateConverter converter(channels, run["inputSampleRate"].number(),
                          run["outputSampleRate"].number(), run["maxWriteFrames"].u64());
  size_t index = 0;
  for (const test::Json& op : run["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op[0].str());
    const std::string& kind = op[0].str();
    if (kind == "write") {
      const std::vector<float> input = floats_of(op[1].str());
      without_allocation([&] { CHECK(converter.write(input.data(), input.size() / channels)); });
    } else if (kind == "available") {
      CHECK_EQ(converter.output_frames_available(), op[1].u64());
    } else if (kind == "read") {
      std::vector<float> out(op[1].u64() * channels);
      without_allocation([&] { CHECK(converter.read(out.data(), op[1].u64())); });
      CHECK_EQ(float_hex(out), op[2].str());
    } else {
      REQUIRE(!"unknown op");
    }
    if (test::failures() > 0) return;
  }
}

void replay_stream(const test::Json& run) {
  SampleType type{};
  REQUIRE(sample_type_from_name(run["sampleType"].str(), type));
  const size_t channels = run["channels"].u64();
  const Format format{uint32_t(run["sampleRate"].u64()), uint32_t(channels), type};
  JitterBufferOptions buffer_options;
  buffer_options.skip_surplus = false;
  buffer_options.conceal_underruns = run["concealUnderruns"].boolean();
  JitterBuffer buffer(format, run["capacityFrames"].u64(), run["targetLatencyFrames"].u64(),
                      buffer_options);
  std::unique_ptr<LossConcealer> concealer;
  if (run["concealer"].boolean()) {
    concealer.reset(new LossConcealer(channels, double(format.sample_rate)));
  }
  DriftCompensatedStreamOptions options{run["periodFrames"].u64()};
  options.device_sample_rate = run["deviceSampleRate"].number();
  options.loop_hz = run["loopHz"].number();
  options.acquire_seconds = run["acquireSeconds"].number();
  DriftCompensatedStream stream(buffer, format, options, concealer.get());
  size_t index = 0;
  for (const test::Json& op : run["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op[0].str());
    const std::string& kind = op[0].str();
    if (kind == "push") {
      const std::vector<uint8_t> payload = test::from_hex(op[2].str());
      without_allocation([&] { buffer.push(op[1].u64(), payload.data(), payload.size()); });
    } else if (kind == "pull") {
      std::vector<float> out(op[1].u64() * channels);
      const PullResult* result = nullptr;
      without_allocation([&] { result = &stream.pull(out.data(), op[1].u64()); });
      CHECK_EQ(float_hex(out), op[2].str());
      CHECK_EQ(result->playing, op[3].boolean());
      CHECK_EQ(result->underrun, op[4].boolean());
      CHECK_EQ(result->concealed_bytes, op[5].u64());
      CHECK_SAME(stream.ratio(), op[6].number());
      CHECK_SAME(stream.drift_ppm(), op[7].number());
    } else {
      REQUIRE(!"unknown op");
    }
    if (test::failures() > 0) return;
  }
  const JitterStatsSnapshot s = buffer.stats().snapshot();
  const test::Json& final = run["final"];
  CHECK_EQ(s.underruns, final["underruns"].u64());
  CHECK_EQ(s.lost_bytes, final["lostBytes"].u64());
  CHECK_EQ(s.late, final["late"].u64());
  CHECK_EQ(s.playhead_byte, final["playheadByte"].u64());
}

const test::Json& vectors() {
  static const test::Json file =
      test::Json::parse_file(test::repo_path("packages/dataplane/vectors/drift.json"));
  return file;
}

}  // namespace

TEST(drift_controller_replays_the_ts_exactly) {
  for (const test::Json& run : vectors()["controllers"].items()) {
    SCOPE(run["name"].str());
    replay_controller(run);
  }
}

TEST(drift_resampler_replays_the_ts_exactly) {
  for (const test::Json& run : vectors()["resamplers"].items()) {
    SCOPE(run["name"].str());
    replay_resampler(run);
  }
}

TEST(rate_converter_replays_the_ts_exactly) {
  for (const test::Json& run : vectors()["converters"].items()) {
    SCOPE(run["name"].str());
    replay_converter(run);
  }
}

TEST(drift_compensated_stream_replays_the_ts_exactly) {
  CHECK(vectors()["streams"].size() >= 5);
  for (const test::Json& run : vectors()["streams"].items()) {
    SCOPE(run["name"].str());
    replay_stream(run);
  }
}

TEST(drift_compensated_stream_refuses_a_period_longer_than_its_maximum_with_silence) {
  const Format format{48000, 1, SampleType::F32};
  JitterBuffer buffer(format, 64, 8);
  DriftCompensatedStream stream(buffer, format, DriftCompensatedStreamOptions{16}, nullptr);
  std::vector<float> out(32, 1.0f);
  const PullResult& result = stream.pull(out.data(), 32);
  CHECK(!result.playing);
  CHECK(out == std::vector<float>(32, 0.0f));
  CHECK_EQ(buffer.stats().priming_frames.load(), 0u);
}
