// The audio header readers and writers (AUDI, and AUDE's header) against
// packages/proto/vectors/wire.json, the vectors the TS codec is tested with, and the rules of
// PROTOCOL.md §8 at their limits.
#include <cstring>
#include <vector>

#include "bytes_util.hpp"
#include "core/wire.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

const test::Json& wire_vectors() {
  static const test::Json vectors =
      test::Json::parse_file(test::repo_path("packages/proto/vectors/wire.json"));
  return vectors;
}

Role role_of(const std::string& name) { return name == "server" ? Role::Server : Role::Client; }

std::vector<uint8_t> audio_datagram(uint64_t byte_index, uint32_t byte_count) {
  std::vector<uint8_t> d(kAudioHeaderBytes + byte_count, 0x5a);
  write_audio_header(d.data(), {9, byte_index, byte_count});
  return d;
}

DecodeError read(const std::vector<uint8_t>& d) {
  AudioHeader h{};
  return read_audio_header(d.data(), d.size(), h);
}

}  // namespace

TEST(wire_valid_audio_vectors_decode_and_encode_to_the_same_bytes) {
  size_t audio = 0;
  for (const test::Json& v : wire_vectors()["valid"].items()) {
    const test::Json& message = v["message"];
    if (message["type"].str() != "audio") continue;
    SCOPE(v["name"].str());
    ++audio;
    const std::vector<uint8_t> bytes = test::from_hex(v["hex"].str());
    const std::vector<uint8_t> payload = test::from_hex(message["payload"].str());
    AudioHeader h{};
    REQUIRE(read_audio_header(bytes.data(), bytes.size(), h) == DecodeError::None);
    CHECK_EQ(h.stream, message["streamIndex"].u64());
    CHECK_EQ(h.byte_index, message["byteIndex"].u64());
    CHECK_EQ(h.byte_count, payload.size());
    CHECK(std::memcmp(bytes.data() + kAudioHeaderBytes, payload.data(), payload.size()) == 0);

    std::vector<uint8_t> written(kAudioHeaderBytes + payload.size());
    const AudioHeader out{uint32_t(message["streamIndex"].u64()), message["byteIndex"].u64(),
                          uint32_t(payload.size())};
    CHECK_EQ(write_audio_datagram(written.data(), out, payload.data()), written.size());
    CHECK_EQ(test::to_hex(written), v["hex"].str());
  }
  CHECK_EQ(audio, 2u);
}

TEST(wire_valid_sealed_audio_vectors_decode_and_encode_to_the_same_bytes) {
  size_t sealed = 0;
  for (const test::Json& v : wire_vectors()["valid"].items()) {
    const test::Json& message = v["message"];
    if (message["type"].str() != "sealed-audio") continue;
    SCOPE(v["name"].str());
    ++sealed;
    const std::vector<uint8_t> bytes = test::from_hex(v["hex"].str());
    const std::vector<uint8_t> ciphertext_and_tag = test::from_hex(message["sealed"].str());
    SealedHeader h{};
    REQUIRE(read_sealed_header(bytes.data(), bytes.size(), h) == DecodeError::None);
    CHECK_EQ(h.audio.stream, message["streamIndex"].u64());
    CHECK_EQ(h.audio.byte_index, message["byteIndex"].u64());
    CHECK_EQ(h.audio.byte_count + kSealedTagBytes, ciphertext_and_tag.size());
    CHECK_EQ(h.key_id, message["keyId"].u64());
    CHECK_EQ(uint64_t(h.copy), message["copy"].u64());
    std::vector<uint8_t> written(kSealedHeaderBytes);
    write_sealed_header(written.data(), h);
    written.insert(written.end(), ciphertext_and_tag.begin(), ciphertext_and_tag.end());
    CHECK_EQ(test::to_hex(written), v["hex"].str());
  }
  CHECK_EQ(sealed, 2u);
}

TEST(wire_valid_non_audio_vectors_are_known_tags_but_not_audio) {
  size_t others = 0;
  for (const test::Json& v : wire_vectors()["valid"].items()) {
    if (v["message"]["type"].str() == "audio") continue;
    SCOPE(v["name"].str());
    ++others;
    const std::vector<uint8_t> bytes = test::from_hex(v["hex"].str());
    uint32_t tag = 0;
    REQUIRE(read_preamble(bytes.data(), bytes.size(), tag) == DecodeError::None);
    CHECK(tag != kAudioTag);
    for (const test::Json& sender : v["sentBy"].items()) {
      CHECK(tag_sent_by(tag, role_of(sender.str())));
    }
    // As the TS engine counts a control message on its audio socket.
    CHECK_EQ(read(bytes), DecodeError::UnknownTag);
  }
  CHECK(others >= 10);
}

TEST(wire_invalid_vectors_are_rejected_with_their_code_when_the_audio_path_can_tell) {
  size_t in_preamble = 0;
  size_t audio = 0;
  size_t sealed = 0;
  size_t unknown_to_role = 0;
  for (const test::Json& v : wire_vectors()["invalid"].items()) {
    SCOPE(v["name"].str());
    const std::vector<uint8_t> bytes = test::from_hex(v["hex"].str());
    const std::string& code = v["code"].str();
    uint32_t tag = 0;
    const DecodeError preamble = read_preamble(bytes.data(), bytes.size(), tag);
    if (preamble != DecodeError::None) {
      ++in_preamble;
      CHECK_EQ(std::string(decode_error_code(preamble)), code);
      CHECK_EQ(std::string(decode_error_code(read(bytes))), code);
    } else if (tag == kAudioTag) {
      ++audio;
      CHECK_EQ(std::string(decode_error_code(read(bytes))), code);
    } else if (tag == kSealedAudioTag) {
      ++sealed;
      SealedHeader h{};
      CHECK_EQ(std::string(decode_error_code(read_sealed_header(bytes.data(), bytes.size(), h))),
               code);
    } else if (!tag_sent_by(tag, role_of(v["sentBy"].str()))) {
      ++unknown_to_role;
      CHECK_EQ(code, std::string("UNKNOWN_TAG"));
      CHECK_EQ(read(bytes), DecodeError::UnknownTag);
    } else {
      // A control message broken in its body: the audio path only counts it as not audio.
      CHECK_EQ(read(bytes), DecodeError::UnknownTag);
    }
  }
  CHECK_EQ(in_preamble, 6u);  // empty, short, magic, 2 versions, over 65,507 bytes
  CHECK_EQ(audio, 6u);
  CHECK_EQ(sealed, 8u);
  CHECK_EQ(unknown_to_role, 3u);  // XXXX, and a tag of the other role each way
}

TEST(wire_decode_error_codes_are_the_ts_names) {
  const char* expected[] = {"NONE",      "TRUNCATED", "BAD_MAGIC",       "BAD_VERSION",
                            "UNKNOWN_TAG", "BAD_FIELD", "LENGTH_MISMATCH", "TOO_LARGE"};
  for (uint8_t e = 0; e < 8; ++e) {
    CHECK_EQ(std::string(decode_error_code(DecodeError(e))), expected[e]);
  }
}

TEST(wire_accepts_the_largest_payload_and_byte_index) {
  const std::vector<uint8_t> largest = audio_datagram(kMaxByteIndex, kMaxAudioPayloadBytes);
  CHECK_EQ(largest.size(), kMaxDatagramBytes);
  AudioHeader h{};
  CHECK_EQ(read_audio_header(largest.data(), largest.size(), h), DecodeError::None);
  CHECK_EQ(h.stream, 9u);
  CHECK_EQ(h.byte_index, kMaxByteIndex);
  CHECK_EQ(h.byte_count, kMaxAudioPayloadBytes);
}

TEST(wire_rejects_a_byte_index_of_2_pow_53) {
  CHECK_EQ(read(audio_datagram(kMaxByteIndex + 1, 4)), DecodeError::BadField);
}

TEST(wire_rejects_a_datagram_one_byte_over_the_maximum_before_reading_its_header) {
  std::vector<uint8_t> d = audio_datagram(0, kMaxAudioPayloadBytes);
  d.push_back(0);
  CHECK_EQ(read(d), DecodeError::TooLarge);
}

TEST(wire_checks_the_byte_count_before_the_byte_index) {
  // Both broken: the byte count is reported, as in audio.ts.
  std::vector<uint8_t> d = audio_datagram(kMaxByteIndex + 1, 4);
  d.pop_back();
  CHECK_EQ(read(d), DecodeError::LengthMismatch);
}

TEST(wire_reads_vers_in_any_version_but_audio_only_in_version_1) {
  std::vector<uint8_t> vers = {'S', 'Y', 'F', 7, 'V', 'E', 'R', 'S', 1, 1};
  uint32_t tag = 0;
  CHECK_EQ(read_preamble(vers.data(), vers.size(), tag), DecodeError::None);
  CHECK_EQ(tag, kVersionTag);
  CHECK_EQ(read(vers), DecodeError::UnknownTag);

  std::vector<uint8_t> audio = audio_datagram(0, 4);
  audio[3] = 2;
  CHECK_EQ(read(audio), DecodeError::BadVersion);
}

TEST(wire_tags_are_sent_by_their_roles_only) {
  CHECK(tag_sent_by(kAudioTag, Role::Client));
  CHECK(tag_sent_by(kAudioTag, Role::Server));
  CHECK(tag_sent_by(tag_code("DSCV"), Role::Client));
  CHECK(!tag_sent_by(tag_code("DSCV"), Role::Server));
  CHECK(tag_sent_by(tag_code("CONN"), Role::Server));
  CHECK(!tag_sent_by(tag_code("CONN"), Role::Client));
  CHECK(tag_sent_by(kSealedAudioTag, Role::Client));
  CHECK(tag_sent_by(kSealedAudioTag, Role::Server));
  CHECK(!tag_sent_by(tag_code("XXXX"), Role::Client));
}
