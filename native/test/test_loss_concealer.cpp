// Replays packages/dataplane/vectors/concealment.json, which the TS jitter buffer and loss concealer
// generated, through the C++ ones: every PullResult, missing-frame mask and concealed f32 sample
// must be the same, bit for bit, and pull and conceal must not allocate.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "bytes_util.hpp"
#include "core/jitter_buffer.hpp"
#include "core/loss_concealer.hpp"
#include "core/sample_convert.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

std::string mask_digits(const std::vector<uint8_t>& mask) {
  std::string digits;
  for (uint8_t m : mask) digits += char('0' + m);
  return digits;
}

/// Replays one scenario; stops at the first op that differs, since everything after would too.
void replay(const test::Json& scenario) {
  const uint32_t channels = uint32_t(scenario["channels"].u64());
  const Format format{uint32_t(scenario["sampleRate"].u64()), channels, SampleType::F32};
  JitterBuffer buffer(format, scenario["capacityFrames"].u64(),
                      scenario["targetLatencyFrames"].u64());
  LossConcealer concealer(channels, format.sample_rate);
  const size_t period = scenario["periodFrames"].u64();
  std::vector<uint8_t> wire(period * bytes_per_frame(format));
  std::vector<uint8_t> missing(period);
  std::vector<float> samples(period * channels);
  std::vector<uint8_t> out(wire.size());
  size_t index = 0;
  for (const test::Json& op : scenario["ops"].items()) {
    SCOPE("op " + std::to_string(index++) + " " + op["op"].str());
    const std::string& kind = op["op"].str();
    if (kind == "push") {
      const std::vector<uint8_t> payload = test::from_hex(op["payload"].str());
      buffer.push(op["at"].u64(), payload.data(), payload.size());
    } else if (kind == "pull") {
      const size_t frames = op["frames"].u64();
      REQUIRE(frames == period);
      const size_t before = test::allocations();
      const PullResult& result = buffer.pull(wire.data(), frames, missing.data());
      decode_samples(SampleType::F32, wire.data(), frames * channels, samples.data());
      concealer.conceal(samples.data(), frames, result, missing.data());
      CHECK_EQ(test::allocations(), before);
      CHECK_EQ(result.playing, op["playing"].boolean());
      CHECK_EQ(result.underrun, op["underrun"].boolean());
      CHECK_EQ(result.skipped_frames, op["skippedFrames"].u64());
      CHECK_EQ(mask_digits(missing), op["missing"].str());
      encode_samples(SampleType::F32, samples.data(), frames * channels, out.data());
      CHECK_EQ(test::to_hex(out), op["out"].str());
    } else if (kind == "reset") {
      buffer.reset();
      concealer.reset();
    } else {
      REQUIRE(!"unknown op");
    }
    if (test::failures() > 0) return;
  }
  CHECK_EQ(concealer.gaps(), scenario["gaps"].u64());
}

}  // namespace

TEST(loss_concealer_replays_the_ts_scenarios_bit_for_bit) {
  const test::Json file =
      test::Json::parse_file(test::repo_path("packages/dataplane/vectors/concealment.json"));
  CHECK(file["scenarios"].size() >= 3);
  for (const test::Json& scenario : file["scenarios"].items()) {
    SCOPE(scenario["name"].str());
    replay(scenario);
  }
}

TEST(loss_concealer_leaves_a_stream_that_loses_nothing_untouched) {
  LossConcealer concealer(2, 48000);
  const PullResult played{true, 0, false, 0};
  const PullResult priming{false, 0, false, 0};
  const std::vector<uint8_t> none(64, 0);
  for (int p = 0; p < 20; ++p) {
    std::vector<float> period(128);
    for (size_t i = 0; i < period.size(); ++i) period[i] = float(std::sin(double(p * 128 + i)));
    const std::vector<float> original = period;
    // Priming periods before the stream first plays are not gaps either.
    concealer.conceal(period.data(), 64, p < 3 ? priming : played, none.data());
    CHECK(period == original);
  }
  CHECK_EQ(concealer.gaps(), 0u);
}

TEST(loss_concealer_rejects_bad_parameters) {
  CHECK_THROWS(LossConcealer(0, 48000), std::invalid_argument);
  CHECK_THROWS(LossConcealer(65536, 48000), std::invalid_argument);
  CHECK_THROWS(LossConcealer(2, 0), std::invalid_argument);
  CHECK_THROWS(LossConcealer(2, -1), std::invalid_argument);
  CHECK_THROWS(LossConcealer(2, std::numeric_limits<double>::infinity()), std::invalid_argument);
  CHECK_THROWS(LossConcealer(2, std::numeric_limits<double>::quiet_NaN()), std::invalid_argument);
}

TEST(concealment_modes_have_the_ts_names) {
  ConcealmentMode mode = ConcealmentMode::Silence;
  CHECK(concealment_mode_from_name("fade", mode));
  CHECK(mode == ConcealmentMode::Fade);
  CHECK(concealment_mode_from_name("silence", mode));
  CHECK(mode == ConcealmentMode::Silence);
  CHECK(!concealment_mode_from_name("Fade", mode));
  CHECK(!concealment_mode_from_name("", mode));
  CHECK(mode == ConcealmentMode::Silence);
}
