// libFuzzer harness for read_audio_header (PROTOCOL.md §8): every input is accepted or rejected
// with a known DecodeError, and the verdict is consistent:
//  - accepted: the length is the header plus the byte count, every field is in range, and
//    write_audio_header gives back exactly the input's 24 header bytes (the encoding is canonical);
//  - rejected before the header: exactly read_preamble's verdict, or UnknownTag for another tag.
// Whether each rejection has the code the TS reader gives is checked by replay (`--expect`).
// A failed check aborts with the input's hex, so libFuzzer saves it as a crash artifact.
//
// Built with -DSYFALA_FUZZ_REPLAY by any compiler, it is a plain program that runs the same
// checks on the files named on its command line (a corpus, a crash artifact).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/wire.hpp"

namespace {

using syfala::DecodeError;

constexpr size_t kCodes = size_t(DecodeError::TooLarge) + 1;
// Verdicts by DecodeError code (None = accepted), printed at exit: what the run exercised.
uint64_t g_verdicts[kCodes];

[[noreturn]] void fail(const char* what, const uint8_t* data, size_t size) {
  std::fprintf(stderr, "fuzz_audio_header: %s\n  input (%zu bytes): ", what, size);
  for (size_t i = 0; i < size; ++i) std::fprintf(stderr, "%02x", data[i]);
  std::fprintf(stderr, "\n");
  std::abort();
}

void print_verdicts() {
  uint64_t total = 0;
  for (uint64_t n : g_verdicts) total += n;
  std::printf("fuzz_audio_header: %llu inputs:", static_cast<unsigned long long>(total));
  for (size_t i = 0; i < kCodes; ++i) {
    const char* name = i == 0 ? "accepted" : syfala::decode_error_code(DecodeError(i));
    std::printf(" %s %llu", name, static_cast<unsigned long long>(g_verdicts[i]));
  }
  std::printf("\n");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = std::atexit(print_verdicts) == 0;
  (void)registered;
  syfala::AudioHeader header{};
  const DecodeError error = syfala::read_audio_header(data, size, header);
  if (size_t(error) >= kCodes) fail("not a DecodeError code", data, size);
  ++g_verdicts[size_t(error)];

  uint32_t tag = 0;
  const DecodeError preamble = syfala::read_preamble(data, size, tag);
  if (preamble != DecodeError::None || tag != syfala::kAudioTag) {
    const DecodeError expected = preamble != DecodeError::None ? preamble : DecodeError::UnknownTag;
    if (error != expected) fail("verdict differs from read_preamble's", data, size);
    return 0;
  }
  if (error != DecodeError::None) return 0;

  if (size != syfala::kAudioHeaderBytes + header.byte_count || header.byte_count == 0 ||
      header.byte_count > syfala::kMaxAudioPayloadBytes ||
      header.byte_index > syfala::kMaxByteIndex) {
    fail("accepted a header with a field out of range", data, size);
  }
  uint8_t again[syfala::kAudioHeaderBytes];
  syfala::write_audio_header(again, header);
  if (std::memcmp(again, data, sizeof again) != 0) fail("re-encodes to other bytes", data, size);
  return 0;
}

#ifdef SYFALA_FUZZ_REPLAY
#include <iostream>
#include <string>
#include <vector>

namespace {

// Lines "CODE HEX", then "END count" (packages/proto/scripts/fuzz-audio-expect.ts): each datagram
// through the harness, and read_audio_header must give the TS code ("NONE" when TS accepts it).
uint8_t nibble(char c) { return uint8_t(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); }

int replay_expectations() {
  std::ios::sync_with_stdio(false);
  std::string code, hex;
  std::vector<uint8_t> data;
  uint64_t agreed = 0;
  while (std::cin >> code >> hex) {
    if (code == "END") {
      if (std::to_string(agreed) == hex) break;
      std::fprintf(stderr, "fuzz_audio_header: %s inputs announced, %llu read\n", hex.c_str(),
                   static_cast<unsigned long long>(agreed));
      return 1;
    }
    data.resize(hex.size() / 2);
    for (size_t i = 0; i < data.size(); ++i) {
      data[i] = uint8_t(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    }
    LLVMFuzzerTestOneInput(data.data(), data.size());
    syfala::AudioHeader header{};
    const char* got =
        syfala::decode_error_code(syfala::read_audio_header(data.data(), data.size(), header));
    if (code != got) {
      std::fprintf(stderr, "fuzz_audio_header: TS says %s, C++ says %s\n  input: %s\n",
                   code.c_str(), got, hex.c_str());
      return 1;
    }
    ++agreed;
  }
  if (code != "END") {
    std::fprintf(stderr, "fuzz_audio_header: the input ended before its END line\n");
    return 1;
  }
  std::printf("fuzz_audio_header: C++ agrees with TS on all %llu inputs\n",
              static_cast<unsigned long long>(agreed));
  return 0;
}

}  // namespace

// `--expect`: compare with TS on stdin; otherwise run each file named.
int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--expect") == 0) return replay_expectations();
  std::vector<uint8_t> data(1 << 20);
  for (int i = 1; i < argc; ++i) {
    std::FILE* file = std::fopen(argv[i], "rb");
    if (file == nullptr) {
      std::perror(argv[i]);
      return 2;
    }
    const size_t size = std::fread(data.data(), 1, data.size(), file);
    std::fclose(file);
    LLVMFuzzerTestOneInput(data.data(), size);
  }
  return 0;
}
#endif
