// libFuzzer harness for the receive path of sealed audio (docs/SECURITY.md §4): each input is a
// datagram a peer's address sent to a receiver whose key id is one rotation in (current =
// first + 1) and whose stream has seen authentic audio up to byte 2^20. It goes through
// read_sealed_header, then AudioOpener: the key-id window, the replay window, the tag. Checked:
//  - the decoder's verdict is a DecodeError, its own for anything that is not an AUDE;
//  - a key id outside current − 1 … current + 1 is refused unopened (replayed below, authFailed
//    above), and so is a datagram that ends a window behind the newest;
//  - what opens is exactly what this receiver's peer sealed: sealing its plaintext again with
//    the same header gives back the input byte for byte (nothing forged opens), and it reads back
//    as the AUDI run of that header.
// A failed check aborts with the input's hex, so libFuzzer saves it as a crash artifact.
//
// Built with -DSYFALA_FUZZ_SEEDS by any compiler, it is a program that writes the seed corpus:
// authentic datagrams of every key id the window holds, copies 0 to 3, several streams and sizes,
// for libFuzzer to mutate.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/audio_security.hpp"

namespace {

using namespace syfala;

const AudioKey kSecret = [] {
  AudioKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(0x40 + i);
  return key;
}();
constexpr AudioDirection kPeer = AudioDirection::ClientToServer;
constexpr uint32_t kFirst = 5 * kKeyIdsPerRun;
constexpr uint64_t kWindowBytes = 1 << 16;
constexpr uint64_t kNewestStart = 1 << 20;
constexpr uint32_t kAdvanceBytes = 64;

/** What the peer seals: bytes that depend on their position, so a moved run is other bytes. */
std::vector<uint8_t> plaintext(uint64_t at, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = uint8_t((at + i) * 131 + 7);
  return out;
}

/** The peer's AUDE of `n` bytes at `at` under `key_id`. */
std::vector<uint8_t> sealed(uint32_t key_id, uint32_t stream, uint64_t at, size_t n,
                            uint8_t copy) {
  AudioSealer sealer(kSecret, kPeer, key_id, kRotateAfterDatagrams);
  std::vector<uint8_t> out(kSealedHeaderBytes + n + kSealedTagBytes);
  sealer.seal(out.data(), AudioHeader{stream, at, uint32_t(n)}, copy, plaintext(at, n).data());
  return out;
}

}  // namespace

#ifndef SYFALA_FUZZ_SEEDS

namespace {

constexpr size_t kVerdicts = 3;
uint64_t g_rejected = 0;
uint64_t g_verdicts[kVerdicts];

[[noreturn]] void fail(const char* what, const uint8_t* data, size_t size) {
  std::fprintf(stderr, "fuzz_sealed_audio: %s\n  input (%zu bytes): ", what, size);
  for (size_t i = 0; i < size; ++i) std::fprintf(stderr, "%02x", data[i]);
  std::fprintf(stderr, "\n");
  std::abort();
}

void print_verdicts() {
  std::printf("fuzz_sealed_audio: %llu undecodable, %llu authentic, %llu authFailed, %llu replayed\n",
              static_cast<unsigned long long>(g_rejected),
              static_cast<unsigned long long>(g_verdicts[0]),
              static_cast<unsigned long long>(g_verdicts[1]),
              static_cast<unsigned long long>(g_verdicts[2]));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = std::atexit(print_verdicts) == 0;
  static const std::vector<uint8_t> advance =
      sealed(kFirst + 1, 0, kNewestStart - kAdvanceBytes, kAdvanceBytes, 0);
  (void)registered;

  SealedHeader header{};
  const DecodeError error = read_sealed_header(data, size, header);
  if (size_t(error) > size_t(DecodeError::TooLarge)) fail("not a DecodeError code", data, size);
  uint32_t tag = 0;
  const DecodeError preamble = read_preamble(data, size, tag);
  if ((preamble != DecodeError::None && error != preamble) ||
      (preamble == DecodeError::None && tag != kSealedAudioTag &&
       error != DecodeError::UnknownTag)) {
    fail("verdict differs from read_preamble's", data, size);
  }
  if (error != DecodeError::None) {
    ++g_rejected;
    return 0;
  }

  // A fresh receiver one rotation in, so every input meets the same state.
  AudioOpener opener(kSecret, kPeer, kFirst);
  ReplayWindow window{kWindowBytes};
  std::vector<uint8_t> first(advance);
  SealedHeader first_header{};
  if (read_sealed_header(first.data(), first.size(), first_header) != DecodeError::None ||
      opener.open(first.data(), first_header, window) != OpenVerdict::Authentic) {
    fail("the receiver's own set-up did not open", data, size);
  }
  std::vector<uint8_t> input(data, data + size);
  const OpenVerdict verdict = opener.open(input.data(), header, window);
  ++g_verdicts[size_t(verdict)];

  const uint64_t id = header.key_id;
  const uint64_t end = header.audio.byte_index + header.audio.byte_count;
  if (id < kFirst && verdict != OpenVerdict::Replayed) fail("opened an earlier run's key", data, size);
  if (id > kFirst + 2 && verdict != OpenVerdict::AuthFailed) fail("opened a key id ahead", data, size);
  if (end <= kNewestStart - kWindowBytes && id >= kFirst &&
      id <= kFirst + 2 && verdict != OpenVerdict::Replayed) {
    fail("opened what ends a window behind the newest", data, size);
  }
  if (verdict != OpenVerdict::Authentic) return 0;

  const uint8_t* clear = AudioOpener::clear_audio(input.data());
  AudioHeader back{};
  if (read_audio_header(clear, kAudioHeaderBytes + header.audio.byte_count, back) !=
          DecodeError::None ||
      back.stream != header.audio.stream || back.byte_index != header.audio.byte_index ||
      back.byte_count != header.audio.byte_count) {
    fail("opened to something that is not its AUDI run", data, size);
  }
  AudioSealer sealer(kSecret, kPeer, header.key_id, kRotateAfterDatagrams);
  std::vector<uint8_t> again(size);
  if (sealer.seal(again.data(), header.audio, header.copy, clear + kAudioHeaderBytes) != size ||
      std::memcmp(again.data(), data, size) != 0) {
    fail("opened a datagram the peer never sealed", data, size);
  }
  return 0;
}

#else

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <seed directory>\n", argv[0]);
    return 2;
  }
  int count = 0;
  auto write = [&](const std::vector<uint8_t>& datagram) {
    const std::string path = std::string(argv[1]) + "/sealed-" + std::to_string(count++);
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr || std::fwrite(datagram.data(), 1, datagram.size(), file) != datagram.size()) {
      std::perror(path.c_str());
      std::exit(1);
    }
    std::fclose(file);
  };
  for (uint32_t id = kFirst - 1; id <= kFirst + 3; ++id) {
    for (uint8_t copy = 0; copy <= kMaxAudioCopy; ++copy) {
      for (size_t n : {size_t(1), size_t(16), size_t(512), size_t(1352)}) {
        write(sealed(id, copy % 2, kNewestStart + 4096 * copy, n, copy));
      }
    }
    write(sealed(id, 0, 1024, 256, 0));  // a window behind the newest
  }
  std::printf("fuzz_sealed_audio: %d seeds in %s\n", count, argv[1]);
  return 0;
}

#endif
