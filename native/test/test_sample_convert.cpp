// Sample conversion against packages/dataplane/vectors/samples.json (the TS conversion's exact
// results), then round trips and the planar <-> interleaved layout.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bytes_util.hpp"
#include "core/sample_convert.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

float float_of_bits(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, 4);
  return x;
}

uint32_t bits_of(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  return bits;
}

std::string bits_hex(float x) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", unsigned(bits_of(x)));
  return text;
}

const SampleType kAllTypes[] = {SampleType::U8,  SampleType::U16, SampleType::U24,
                                SampleType::U32, SampleType::U64, SampleType::I8,
                                SampleType::I16, SampleType::I24, SampleType::I32,
                                SampleType::I64, SampleType::F32, SampleType::F64};

}  // namespace

TEST(samples_encode_and_decode_exactly_as_the_ts_vectors) {
  const test::Json vectors =
      test::Json::parse_file(test::repo_path("packages/dataplane/vectors/samples.json"));
  REQUIRE(vectors["types"].size() == kSampleTypeCount);
  size_t checked = 0;
  for (const test::Json& entry : vectors["types"].items()) {
    SCOPE(entry["type"].str());
    SampleType type{};
    REQUIRE(sample_type_from_name(entry["type"].str(), type));
    CHECK_EQ(uint64_t(type), entry["code"].u64());
    CHECK_EQ(bytes_per_sample(type), entry["bytes"].u64());
    std::vector<uint8_t> wire(bytes_per_sample(type));
    for (const test::Json& pair : entry["encode"].items()) {
      SCOPE("encode " + pair[0].str());
      const float x = float_of_bits(uint32_t(std::stoul(pair[0].str(), nullptr, 16)));
      encode_samples(type, &x, 1, wire.data());
      CHECK_EQ(test::to_hex(wire), pair[1].str());
      ++checked;
    }
    for (const test::Json& pair : entry["decode"].items()) {
      SCOPE("decode " + pair[0].str());
      const std::vector<uint8_t> bytes = test::from_hex(pair[0].str());
      float x = 0;
      decode_samples(type, bytes.data(), 1, &x);
      CHECK_EQ(bits_hex(x), pair[1].str());
      ++checked;
    }
  }
  CHECK(checked > 3000);
}

TEST(samples_8_16_and_24_bit_values_survive_a_round_trip_through_f32) {
  for (SampleType type : kAllTypes) {
    const size_t bytes = bytes_per_sample(type);
    if (type == SampleType::F32 || type == SampleType::F64 || bytes > 3) continue;
    SCOPE(std::string(sample_type_name(type)));
    const size_t count = size_t(1) << (8 * bytes);
    std::vector<uint8_t> wire(count * bytes);
    for (size_t v = 0; v < count; ++v) {
      for (size_t i = 0; i < bytes; ++i) wire[v * bytes + i] = uint8_t(v >> (8 * i));
    }
    std::vector<float> samples(count);
    std::vector<uint8_t> back(wire.size());
    decode_samples(type, wire.data(), count, samples.data());
    encode_samples(type, samples.data(), count, back.data());
    CHECK(back == wire);
  }
}

TEST(samples_32_and_64_bit_values_keep_24_significant_bits) {
  std::mt19937_64 random(7);
  for (SampleType type : {SampleType::I32, SampleType::U32, SampleType::I64, SampleType::U64}) {
    SCOPE(std::string(sample_type_name(type)));
    const size_t bytes = bytes_per_sample(type);
    const bool is64 = bytes == 8;
    for (int n = 0; n < 20000; ++n) {
      // Half the values small enough to be exact, half anywhere.
      int64_t s = int64_t(random());
      if (!is64) s = int32_t(uint32_t(s));
      if (n % 2 == 0) s %= int64_t(1) << 24;
      uint8_t wire[8];
      uint64_t u = uint64_t(s) ^ (is_unsigned(type) ? uint64_t(1) << (8 * bytes - 1) : 0);
      for (size_t i = 0; i < bytes; ++i) wire[i] = uint8_t(u >> (8 * i));
      float x = 0;
      decode_samples(type, wire, 1, &x);
      const long double scale = is64 ? 0x1p63L : 0x1p31L;
      const long double exact = (long double)s / scale;
      const long double ulp = std::ldexp(1.0L, std::ilogb(x) - 23);
      if (n % 2 == 0) {
        CHECK((long double)x == exact);
      } else {
        CHECK(std::fabs((long double)x - exact) <= ulp / 2);
      }
    }
  }
}

TEST(samples_f32_through_f64_and_back_is_exact) {
  std::mt19937 random(11);
  for (int n = 0; n < 100000; ++n) {
    uint32_t bits = uint32_t(random());
    if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x7fffffu) != 0) bits = 0x7fc00000u;
    const float x = float_of_bits(bits);
    uint8_t wire[8];
    float back = 0;
    encode_samples(SampleType::F64, &x, 1, wire);
    decode_samples(SampleType::F64, wire, 1, &back);
    CHECK_EQ(bits_of(back), bits);
  }
}

TEST(samples_planar_encoding_interleaves_frame_by_frame) {
  const size_t channels = 3;
  const size_t frames = 17;
  std::vector<std::vector<float>> planes(channels, std::vector<float>(frames));
  std::vector<float> interleaved(channels * frames);
  for (size_t c = 0; c < channels; ++c) {
    for (size_t f = 0; f < frames; ++f) {
      planes[c][f] = float(c + 1) * 0.01f * float(f) - 0.3f;
      interleaved[f * channels + c] = planes[c][f];
    }
  }
  const float* plane_ptrs[] = {planes[0].data(), planes[1].data(), planes[2].data()};
  for (SampleType type : kAllTypes) {
    SCOPE(std::string(sample_type_name(type)));
    const size_t bytes = channels * frames * bytes_per_sample(type);
    std::vector<uint8_t> from_planes(bytes);
    std::vector<uint8_t> from_interleaved(bytes);
    encode_interleave(type, plane_ptrs, channels, frames, from_planes.data());
    encode_samples(type, interleaved.data(), channels * frames, from_interleaved.data());
    CHECK(from_planes == from_interleaved);

    std::vector<std::vector<float>> decoded(channels, std::vector<float>(frames, 1.0f));
    float* out[] = {decoded[0].data(), decoded[1].data(), decoded[2].data()};
    std::vector<float> flat(channels * frames);
    decode_samples(type, from_planes.data(), channels * frames, flat.data());
    decode_deinterleave(type, from_planes.data(), channels, frames, out, false);
    for (size_t c = 0; c < channels; ++c) {
      for (size_t f = 0; f < frames; ++f) CHECK_EQ(decoded[c][f], flat[f * channels + c]);
    }
    // Mixing: a second peer's samples are added to the first's.
    decode_deinterleave(type, from_planes.data(), channels, frames, out, true);
    for (size_t c = 0; c < channels; ++c) {
      for (size_t f = 0; f < frames; ++f) {
        CHECK_EQ(decoded[c][f], flat[f * channels + c] + flat[f * channels + c]);
      }
    }
  }
}

TEST(samples_conversion_touches_no_byte_outside_its_range) {
  for (SampleType type : kAllTypes) {
    SCOPE(std::string(sample_type_name(type)));
    const size_t bytes = bytes_per_sample(type);
    std::vector<uint8_t> wire(bytes * 4 + 2, 0xee);
    const float samples[4] = {0.25f, -0.25f, 1.0f, -1.0f};
    encode_samples(type, samples, 4, wire.data() + 1);
    CHECK_EQ(wire.front(), 0xee);
    CHECK_EQ(wire.back(), 0xee);
    float out[6] = {9, 9, 9, 9, 9, 9};
    decode_samples(type, wire.data() + 1, 4, out + 1);
    CHECK_EQ(out[0], 9.0f);
    CHECK_EQ(out[5], 9.0f);
    CHECK_EQ(out[1], 0.25f);
    CHECK_EQ(out[2], -0.25f);
  }
}

TEST(samples_conversion_allocates_nothing) {
  if (!test::allocations_counted()) return;
  const size_t frames = 64;
  std::vector<float> left(frames, 0.5f);
  std::vector<float> right(frames, -0.5f);
  const float* in[] = {left.data(), right.data()};
  float* out[] = {left.data(), right.data()};
  std::vector<uint8_t> wire(2 * frames * 8);
  const size_t before = test::allocations();
  for (SampleType type : kAllTypes) {
    encode_interleave(type, in, 2, frames, wire.data());
    decode_deinterleave(type, wire.data(), 2, frames, out, true);
  }
  CHECK_EQ(test::allocations(), before);
}

TEST(samples_type_names_and_codes_match_format_ts) {
  const char* names[] = {"u8", "u16", "u24", "u32", "u64", "i8",
                         "i16", "i24", "i32", "i64", "f32", "f64"};
  const size_t bytes[] = {1, 2, 3, 4, 8, 1, 2, 3, 4, 8, 4, 8};
  for (uint8_t code = 1; code <= kSampleTypeCount; ++code) {
    SampleType by_code{};
    SampleType by_name{};
    REQUIRE(sample_type_from_code(code, by_code));
    REQUIRE(sample_type_from_name(names[code - 1], by_name));
    CHECK(by_code == by_name);
    CHECK_EQ(sample_type_name(by_code), std::string_view(names[code - 1]));
    CHECK_EQ(bytes_per_sample(by_code), bytes[code - 1]);
    CHECK_EQ(is_unsigned(by_code), code <= 5);
  }
  SampleType t{};
  CHECK(!sample_type_from_code(0, t));
  CHECK(!sample_type_from_code(13, t));
  CHECK(!sample_type_from_name("f16", t));
  CHECK_EQ(bytes_per_frame(Format{48000, 6, SampleType::I24}), 18u);
}
