// Encrypted audio's primitives and rules (docs/SECURITY.md): OpenSSL's ChaCha20-Poly1305 and
// HKDF against their RFCs and against packages/proto/vectors/aead.json (the TS path's vectors:
// secrets, keys, nonces, sealed and tampered datagrams), the AUDE codec, sealing with key
// rotation, and the receiver's key-id and replay windows. The sealed datagram of
// `sealer_writes_the_datagram_nodes_crypto_writes` was computed with Node's crypto
// (createCipheriv, hkdfSync), an implementation independent of this one.
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cstdio>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "bytes_util.hpp"
#include "core/audio_security.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

AudioKey key_of(const std::string& hex) {
  const std::vector<uint8_t> bytes = test::from_hex(hex);
  AudioKey key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

/** 0, 1, 2, … as a 32-byte secret. */
AudioKey counting_secret() {
  AudioKey secret;
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = uint8_t(i);
  return secret;
}

/** A sealed datagram and its decoded header, as a receiver gets it. */
struct Sealed {
  std::vector<uint8_t> bytes;
  SealedHeader header;
};

Sealed seal(AudioSealer& sealer, uint32_t stream, uint64_t at, size_t n, uint8_t copy = 0) {
  std::vector<uint8_t> run(n);
  for (size_t i = 0; i < n; ++i) run[i] = uint8_t(at + i);
  Sealed s;
  s.bytes.resize(kSealedHeaderBytes + n + kSealedTagBytes);
  const size_t length = sealer.seal(s.bytes.data(), AudioHeader{stream, at, uint32_t(n)}, copy,
                                    run.data());
  CHECK_EQ(length, s.bytes.size());
  CHECK(read_sealed_header(s.bytes.data(), s.bytes.size(), s.header) == DecodeError::None);
  return s;
}

/** Opens a copy of `s` (opening works in place). */
OpenVerdict open(AudioOpener& opener, const Sealed& s, ReplayWindow& window) {
  std::vector<uint8_t> copy = s.bytes;
  return opener.open(copy.data(), s.header, window);
}

constexpr auto kC2S = AudioDirection::ClientToServer;
constexpr auto kS2C = AudioDirection::ServerToClient;

const test::Json& aead_vectors() {
  static const test::Json vectors =
      test::Json::parse_file(test::repo_path("packages/proto/vectors/aead.json"));
  return vectors;
}

AudioDirection direction_of(const test::Json& v) {
  return v["direction"].str() == "client-to-server" ? kC2S : kS2C;
}

template <size_t N>
std::array<uint8_t, N> fixed(const std::string& hex) {
  const std::vector<uint8_t> bytes = test::from_hex(hex);
  std::array<uint8_t, N> out{};
  REQUIRE(bytes.size() == N);
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

/** The vector datagram's header, decoded; its nonce as this receiver computes it. */
AeadNonce nonce_of(const SealedHeader& h, AudioDirection direction) {
  return audio_nonce(h.audio.stream, h.audio.byte_index, direction, h.copy);
}

}  // namespace

TEST(aead_vectors_secrets_and_keys_are_the_ts_hkdf_outputs) {
  const std::vector<uint8_t> shared = test::from_hex(aead_vectors()["x25519"]["shared"].str());
  const std::vector<uint8_t> transcript =
      test::from_hex(aead_vectors()["transcript"]["transcript"].str());
  size_t count = 0;
  for (const test::Json& v : aead_vectors()["secrets"].items()) {
    SCOPE(v["name"].str());
    const std::vector<uint8_t> psk =
        v["psk"].kind() == test::Json::Kind::Null ? std::vector<uint8_t>{}
                                                  : test::from_hex(v["psk"].str());
    for (const auto& [label, field] : {std::pair<std::string, const char*>{
                                           "syfala-audio-v1 c2s", "clientToServer"},
                                       {"syfala-audio-v1 s2c", "serverToClient"}}) {
      std::vector<uint8_t> info(label.begin(), label.end());
      info.insert(info.end(), transcript.begin(), transcript.end());
      AudioKey secret;
      hkdf_sha256(shared.data(), shared.size(), psk.data(), psk.size(), info.data(), info.size(),
                  secret.data(), secret.size());
      CHECK_EQ(test::to_hex(secret.data(), secret.size()), v[field].str());
      ++count;
    }
  }
  for (const test::Json& v : aead_vectors()["keys"].items()) {
    SCOPE(v["name"].str());
    const AudioKey key = derive_audio_key(fixed<kAudioKeyBytes>(v["secret"].str()),
                                          uint32_t(v["keyId"].u64()));
    CHECK_EQ(test::to_hex(key.data(), key.size()), v["key"].str());
    ++count;
  }
  CHECK(count >= 8);
}

TEST(aead_vectors_nonces_are_the_ts_nonces) {
  size_t count = 0;
  for (const test::Json& v : aead_vectors()["nonces"].items()) {
    const AeadNonce nonce = audio_nonce(uint32_t(v["streamIndex"].u64()), v["byteIndex"].u64(),
                                        direction_of(v), uint8_t(v["copy"].u64()));
    CHECK_EQ(test::to_hex(nonce.data(), nonce.size()), v["nonce"].str());
    ++count;
  }
  CHECK(count >= 8);
}

TEST(aead_vectors_sealed_datagrams_are_what_this_side_seals_and_opens) {
  // Which secret and id each vector key comes from, so the receiver itself can open them.
  std::vector<std::pair<std::string, const test::Json*>> key_sources;
  for (const test::Json& k : aead_vectors()["keys"].items()) key_sources.emplace_back(k["key"].str(), &k);
  size_t count = 0, opened_by_receiver = 0;
  for (const test::Json& v : aead_vectors()["sealed"].items()) {
    SCOPE(v["name"].str());
    const std::vector<uint8_t> datagram = test::from_hex(v["datagram"].str());
    const std::vector<uint8_t> plaintext = test::from_hex(v["plaintext"].str());
    const SealedHeader header{{uint32_t(v["streamIndex"].u64()), v["byteIndex"].u64(),
                               uint32_t(plaintext.size())},
                              uint32_t(v["keyId"].u64()),
                              uint8_t(v["copy"].u64())};
    std::vector<uint8_t> sealed(datagram.size());
    write_sealed_header(sealed.data(), header);
    const AeadNonce nonce = nonce_of(header, direction_of(v));
    CHECK_EQ(test::to_hex(nonce.data(), nonce.size()), v["nonce"].str());
    AeadKey sealing(true), opening(false);
    const AudioKey key = fixed<kAudioKeyBytes>(v["key"].str());
    REQUIRE(sealing.rekey(key) && opening.rekey(key));
    REQUIRE(sealing.seal(nonce, sealed.data(), kSealedHeaderBytes, plaintext.data(),
                         plaintext.size(), sealed.data() + kSealedHeaderBytes));
    CHECK_EQ(test::to_hex(sealed), v["datagram"].str());

    SealedHeader decoded{};
    REQUIRE(read_sealed_header(datagram.data(), datagram.size(), decoded) == DecodeError::None);
    std::vector<uint8_t> text(datagram);
    REQUIRE(opening.open(nonce_of(decoded, direction_of(v)), text.data(), kSealedHeaderBytes,
                         text.data() + kSealedHeaderBytes, decoded.audio.byte_count,
                         text.data() + kSealedHeaderBytes));
    CHECK(std::equal(plaintext.begin(), plaintext.end(), text.begin() + kSealedHeaderBytes));
    ++count;

    for (const auto& [hex, source] : key_sources) {
      if (hex != v["key"].str() || (*source)["keyId"].u64() != decoded.key_id) continue;
      AudioOpener receiver(fixed<kAudioKeyBytes>((*source)["secret"].str()), direction_of(v),
                           decoded.key_id);
      ReplayWindow window{1 << 20};
      text = datagram;
      CHECK(receiver.open(text.data(), decoded, window) == OpenVerdict::Authentic);
      CHECK(std::equal(plaintext.begin(), plaintext.end(),
                       AudioOpener::clear_audio(text.data()) + kAudioHeaderBytes));
      ++opened_by_receiver;
      break;
    }
  }
  CHECK(count >= 4);
  CHECK(opened_by_receiver >= 1);
}

TEST(aead_vectors_tampered_datagrams_fail_to_open) {
  size_t count = 0;
  for (const test::Json& v : aead_vectors()["tampered"].items()) {
    SCOPE(v["name"].str());
    std::vector<uint8_t> datagram = test::from_hex(v["datagram"].str());
    SealedHeader h{};
    REQUIRE(read_sealed_header(datagram.data(), datagram.size(), h) == DecodeError::None);
    AeadKey opening(false);
    REQUIRE(opening.rekey(fixed<kAudioKeyBytes>(v["key"].str())));
    CHECK(!opening.open(nonce_of(h, direction_of(v)), datagram.data(), kSealedHeaderBytes,
                        datagram.data() + kSealedHeaderBytes, h.audio.byte_count,
                        datagram.data() + kSealedHeaderBytes));
    ++count;
  }
  CHECK(count >= 8);
}

TEST(aead_chacha20_poly1305_matches_rfc_8439_section_2_8_2) {
  const AudioKey key = key_of("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const std::vector<uint8_t> nonce_bytes = test::from_hex("070000004041424344454647");
  AeadNonce nonce;
  std::copy(nonce_bytes.begin(), nonce_bytes.end(), nonce.begin());
  const std::vector<uint8_t> aad = test::from_hex("50515253c0c1c2c3c4c5c6c7");
  const std::string text =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
      "future, sunscreen would be it.";
  std::vector<uint8_t> sealed(text.size() + kSealedTagBytes);
  AeadKey sealing(true), opening(false);
  REQUIRE(sealing.rekey(key) && opening.rekey(key));
  REQUIRE(sealing.seal(nonce, aad.data(), aad.size(),
                       reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                       sealed.data()));
  CHECK_EQ(test::to_hex(sealed),
           std::string("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                       "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                       "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                       "3ff4def08e4b7a9de576d26586cec64b6116"
                       "1ae10b594f09e26a7e902ecbd0600691"));
  std::vector<uint8_t> opened(sealed);
  REQUIRE(opening.open(nonce, aad.data(), aad.size(), opened.data(), text.size(), opened.data()));
  CHECK(std::string(opened.begin(), opened.begin() + long(text.size())) == text);
  for (size_t i = 0; i < sealed.size(); i += 7) {
    std::vector<uint8_t> tampered(sealed);
    tampered[i] ^= 0x01;
    CHECK(!opening.open(nonce, aad.data(), aad.size(), tampered.data(), text.size(),
                        tampered.data()));
  }
  std::vector<uint8_t> other_aad(aad);
  other_aad[0] ^= 0x80;
  opened = sealed;
  CHECK(!opening.open(nonce, other_aad.data(), other_aad.size(), opened.data(), text.size(),
                      opened.data()));
}

#if defined(__x86_64__)
namespace {
/** XGETBV(1), the state components in use; nullopt where the CPU cannot tell (no XINUSE). */
std::optional<uint64_t> x86_state_in_use() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(0xd, 1, &eax, &ebx, &ecx, &edx) || !(eax & (1u << 2))) return {};
  uint32_t low = 0, high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(1));
  return (uint64_t(high) << 32) | low;
}
}  // namespace
#endif

TEST(aead_seal_and_open_leave_the_upper_vector_halves_unused_for_the_sse_code_after_them) {
#if defined(__x86_64__)
  constexpr uint64_t kAvxUpperHalves = 1u << 2;  // XCR0 bit 2: the upper halves of YMM0–15
  if (!x86_state_in_use()) {
    std::puts("    (this CPU does not report the state in use: nothing to check)");
    return;
  }
  // 1,280 bytes, a 64-channel f32 datagram's plaintext: long enough for OpenSSL's widest code.
  const AudioKey key = counting_secret();
  const AeadNonce nonce{};
  const uint8_t aad[kSealedHeaderBytes] = {};
  std::vector<uint8_t> text(1280, 0x5a), sealed(text.size() + kSealedTagBytes);
  AeadKey sealing(true), opening(false);
  REQUIRE(sealing.rekey(key) && opening.rekey(key));
  REQUIRE(sealing.seal(nonce, aad, sizeof aad, text.data(), text.size(), sealed.data()));
  CHECK_EQ(*x86_state_in_use() & kAvxUpperHalves, 0u);
  REQUIRE(opening.open(nonce, aad, sizeof aad, sealed.data(), text.size(), sealed.data()));
  CHECK_EQ(*x86_state_in_use() & kAvxUpperHalves, 0u);
  CHECK(std::equal(text.begin(), text.end(), sealed.begin()));
#else
  std::puts("    (not x86-64: no SSE/AVX transitions to check)");
#endif
}

TEST(aead_hkdf_sha256_matches_rfc_5869_test_cases_1_and_3) {
  const std::vector<uint8_t> ikm(22, 0x0b);
  const std::vector<uint8_t> salt = test::from_hex("000102030405060708090a0b0c");
  const std::vector<uint8_t> info = test::from_hex("f0f1f2f3f4f5f6f7f8f9");
  std::vector<uint8_t> okm(42);
  hkdf_sha256(ikm.data(), ikm.size(), salt.data(), salt.size(), info.data(), info.size(),
              okm.data(), okm.size());
  CHECK_EQ(test::to_hex(okm), std::string("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
                                          "2d56ecc4c5bf34007208d5b887185865"));
  hkdf_sha256(ikm.data(), ikm.size(), nullptr, 0, nullptr, 0, okm.data(), okm.size());
  CHECK_EQ(test::to_hex(okm), std::string("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
                                          "4e5f3c738d2d9d201395faa4b61a96c8"));
}

TEST(aead_nonce_is_stream_then_low_7_bytes_of_byte_index_then_direction_and_copy) {
  const AeadNonce nonce = audio_nonce(0x04030201, 0x000f0e0d0c0b0a09, kS2C, 3);
  CHECK_EQ(test::to_hex(nonce.data(), nonce.size()), std::string("01020304090a0b0c0d0e0f23"));
  CHECK_EQ(int(audio_nonce(0, 0, kC2S, 0)[11]), 0x10);
}

TEST(aead_sealer_writes_the_datagram_nodes_crypto_writes) {
  CHECK_EQ(test::to_hex(derive_audio_key(counting_secret(), 65537).data(), kAudioKeyBytes),
           std::string("a377f0dc420a1c88ad6d837bc192e817f5d7ab88c5964533fb3c407a5fc48b72"));
  AudioSealer sealer(counting_secret(), kS2C, 65537, kRotateAfterDatagrams);
  std::vector<uint8_t> run(20);
  for (size_t i = 0; i < run.size(); ++i) run[i] = uint8_t(i);
  std::vector<uint8_t> datagram(kSealedHeaderBytes + run.size() + kSealedTagBytes);
  CHECK_EQ(sealer.seal(datagram.data(), AudioHeader{3, 0x0001020304050607, 20}, 2, run.data()),
           datagram.size());
  CHECK_EQ(test::to_hex(datagram),
           std::string("5359460141554445030000000706050403020100140000000100010002000000"
                       "4221af6606446e753af439b1b9f4506270e42859"
                       "372920c2856b5c75a3ba76ba50ea1c3d"));
}

TEST(aead_opener_restores_the_run_as_audi_and_refuses_every_tampered_byte) {
  AudioSealer sealer(counting_secret(), kC2S, 0, kRotateAfterDatagrams);
  AudioOpener opener(counting_secret(), kC2S, 0);
  ReplayWindow window{1 << 20};
  const Sealed s = seal(sealer, 1, 4096, 40, 1);
  std::vector<uint8_t> bytes = s.bytes;
  REQUIRE(opener.open(bytes.data(), s.header, window) == OpenVerdict::Authentic);
  AudioHeader clear{};
  REQUIRE(read_audio_header(AudioOpener::clear_audio(bytes.data()), kAudioHeaderBytes + 40,
                            clear) == DecodeError::None);
  CHECK_EQ(clear.stream, 1u);
  CHECK_EQ(clear.byte_index, 4096u);
  for (size_t i = 0; i < 40; ++i) {
    CHECK_EQ(AudioOpener::clear_audio(bytes.data())[kAudioHeaderBytes + i], uint8_t(4096 + i));
  }
  for (size_t i = 0; i < s.bytes.size(); ++i) {
    SCOPE("byte " + std::to_string(i));
    Sealed tampered = s;
    tampered.bytes[i] ^= 0x04;
    // What the decoder still accepts must fail at the opener; the rest never reaches it.
    if (read_sealed_header(tampered.bytes.data(), tampered.bytes.size(), tampered.header) ==
        DecodeError::None) {
      CHECK(open(opener, tampered, window) != OpenVerdict::Authentic);
    }
  }
  // The other direction's opener holds the same keys but other nonces.
  AudioOpener reverse(counting_secret(), kS2C, 0);
  ReplayWindow fresh{1 << 20};
  CHECK(open(reverse, s, fresh) == OpenVerdict::AuthFailed);
}

TEST(aead_sealer_rotates_after_its_share_and_the_opener_follows_across_reordering) {
  AudioSealer sealer(counting_secret(), kS2C, 1 << 16, 3);
  AudioOpener opener(counting_secret(), kS2C, 1 << 16);
  ReplayWindow window{1 << 20};
  std::vector<Sealed> sent;
  for (uint64_t k = 0; k < 12; ++k) sent.push_back(seal(sealer, 0, 10 * k, 10));
  for (uint64_t k = 0; k < 12; ++k) CHECK_EQ(sent[k].header.key_id, (1u << 16) + k / 3);
  CHECK_EQ(sealer.key_id(), (1u << 16) + 3);
  // Key 1 before the end of key 0, then the rest: a rotation reordered loses nothing.
  for (size_t k : {0, 1, 3, 2, 4, 5}) CHECK(open(opener, sent[k], window) == OpenVerdict::Authentic);
  CHECK_EQ(opener.key_id(), (1u << 16) + 1);
  // Key 3 is current + 2: refused unopened; key 2 moves the window, then key 3 opens.
  CHECK(open(opener, sent[9], window) == OpenVerdict::AuthFailed);
  CHECK(open(opener, sent[6], window) == OpenVerdict::Authentic);
  CHECK(open(opener, sent[9], window) == OpenVerdict::Authentic);
  CHECK_EQ(opener.key_id(), (1u << 16) + 3);
  // Key 2 is current − 1, still open; key 1 is retired: a replay.
  CHECK(open(opener, sent[7], window) == OpenVerdict::Authentic);
  CHECK(open(opener, sent[5], window) == OpenVerdict::Replayed);
}

TEST(aead_opener_counts_an_earlier_runs_key_id_as_replayed) {
  AudioSealer earlier(counting_secret(), kC2S, 0, kRotateAfterDatagrams);
  AudioOpener opener(counting_secret(), kC2S, 1 << 16);
  ReplayWindow window{1 << 20};
  CHECK(open(opener, seal(earlier, 0, 0, 8), window) == OpenVerdict::Replayed);
}

TEST(aead_replay_window_refuses_what_ends_a_window_behind_the_newest_without_opening_it) {
  AudioSealer sealer(counting_secret(), kC2S, 0, kRotateAfterDatagrams);
  AudioOpener opener(counting_secret(), kC2S, 0);
  ReplayWindow window{100};
  const Sealed old = seal(sealer, 0, 0, 50);
  const Sealed edge = seal(sealer, 0, 50, 50);
  const Sealed within = seal(sealer, 0, 60, 50);
  const Sealed newest = seal(sealer, 0, 150, 50);
  CHECK(open(opener, newest, window) == OpenVerdict::Authentic);
  CHECK_EQ(window.newest_end, 200u);
  CHECK(open(opener, old, window) == OpenVerdict::Replayed);   // ends at 50 ≤ 200 − 100
  CHECK(open(opener, edge, window) == OpenVerdict::Replayed);  // ends at 100: just out
  CHECK(open(opener, within, window) == OpenVerdict::Authentic);  // ends at 110
  // Replayed within the window: authentic, and the jitter buffer counts it a duplicate.
  CHECK(open(opener, within, window) == OpenVerdict::Authentic);
  CHECK_EQ(window.newest_end, 200u);
  // Forged and far ahead: refused by its tag, the window does not move.
  Sealed forged = seal(sealer, 0, 5000, 50);
  forged.bytes[kSealedHeaderBytes] ^= 1;
  CHECK(open(opener, forged, window) == OpenVerdict::AuthFailed);
  CHECK_EQ(window.newest_end, 200u);
}

TEST(aead_sealing_allocates_nothing_rotation_included) {
  if (!test::allocations_counted()) return;  // ASan: its own allocator
  AudioSealer sealer(counting_secret(), kC2S, 0, 4);
  std::vector<uint8_t> run(1376, 0x55), datagram(kSealedHeaderBytes + 1376 + kSealedTagBytes);
  // On a thread of its own, as the audio thread is: none of OpenSSL's per-thread state either.
  size_t allocated = 1;
  std::thread audio([&] {
    const size_t before = test::allocations();
    for (uint64_t k = 0; k < 20; ++k) {
      CHECK(sealer.seal(datagram.data(), AudioHeader{0, 1376 * k, 1376}, 0, run.data()) > 0);
    }
    allocated = test::allocations() - before;
  });
  audio.join();
  CHECK_EQ(allocated, 0u);
  const size_t before = test::allocations();
  CHECK_EQ(sealer.key_id(), 4u);
  sealer.derive_ahead();  // the key thread's part: allocates, off the audio thread
  CHECK(test::allocations() > before);
}

TEST(aead_opening_allocates_nothing_rotation_included) {
  if (!test::allocations_counted()) return;  // ASan: its own allocator
  AudioSealer sealer(counting_secret(), kC2S, 0, 4);
  AudioOpener opener(counting_secret(), kC2S, 0);
  ReplayWindow window{1 << 30};
  std::vector<Sealed> sent;
  for (uint64_t k = 0; k < 20; ++k) sent.push_back(seal(sealer, 0, 64 * k, 64));
  size_t allocated = 1;
  std::thread audio([&] {
    const size_t before = test::allocations();
    for (Sealed& s : sent) {
      CHECK(opener.open(s.bytes.data(), s.header, window) == OpenVerdict::Authentic);
    }
    allocated = test::allocations() - before;
  });
  audio.join();
  CHECK_EQ(allocated, 0u);
  CHECK_EQ(opener.key_id(), 4u);
  CHECK(opener.wants_keys());
  opener.derive_ahead();
  CHECK(!opener.wants_keys());
}

TEST(aead_opener_waits_for_a_key_not_derived_yet_then_opens_under_it) {
  // One key per datagram: the opener's keys derived ahead run out before the sealer's rotation.
  AudioSealer sealer(counting_secret(), kS2C, 0, 1);
  AudioOpener opener(counting_secret(), kS2C, 0);
  ReplayWindow window{1 << 30};
  std::vector<Sealed> sent;
  for (uint64_t k = 0; k < KeysAhead::kCount + 4; ++k) {
    sent.push_back(seal(sealer, 0, 8 * k, 8));
    sealer.derive_ahead();
  }
  const uint64_t last_ready = KeysAhead::kCount + 1;  // first + 1, then kCount derived ahead
  for (uint64_t k = 0; k <= last_ready; ++k) {
    CHECK(open(opener, sent[k], window) == OpenVerdict::Authentic);
  }
  CHECK(open(opener, sent[last_ready + 1], window) == OpenVerdict::AuthFailed);
  opener.derive_ahead();
  CHECK(open(opener, sent[last_ready + 1], window) == OpenVerdict::Authentic);
  CHECK(open(opener, sent[last_ready + 2], window) == OpenVerdict::Authentic);
}

TEST(aead_sealed_header_decodes_with_the_ts_checks_in_their_order) {
  std::vector<uint8_t> d(kSealedHeaderBytes + 4 + kSealedTagBytes);
  write_sealed_header(d.data(), SealedHeader{{7, 96, 4}, 3, 2});
  SealedHeader h{};
  REQUIRE(read_sealed_header(d.data(), d.size(), h) == DecodeError::None);
  CHECK_EQ(h.audio.stream, 7u);
  CHECK_EQ(h.audio.byte_index, 96u);
  CHECK_EQ(h.audio.byte_count, 4u);
  CHECK_EQ(h.key_id, 3u);
  CHECK_EQ(int(h.copy), 2);
  CHECK(is_sealed_audio(d.data(), d.size()));
  CHECK(read_audio_header(d.data(), d.size(), h.audio) == DecodeError::UnknownTag);
  auto verdict = [&](auto change, size_t length) {
    std::vector<uint8_t> bad(d);
    change(bad);
    return read_sealed_header(bad.data(), length, h);
  };
  const auto same = [](std::vector<uint8_t>&) {};
  CHECK(verdict(same, 31) == DecodeError::Truncated);
  CHECK(verdict(same, d.size() - 1) == DecodeError::LengthMismatch);
  CHECK(verdict([](auto& b) { le::store_u32(b.data() + 20, 65460); }, d.size()) ==
        DecodeError::TooLarge);
  CHECK(verdict([](auto& b) { le::store_u32(b.data() + 20, 0); }, d.size()) ==
        DecodeError::BadField);
  CHECK(verdict([](auto& b) { le::store_u64(b.data() + 12, kMaxByteIndex + 1); }, d.size()) ==
        DecodeError::BadField);
  CHECK(verdict([](auto& b) { b[28] = 4; }, d.size()) == DecodeError::BadField);
  CHECK(verdict([](auto& b) { b[30] = 1; }, d.size()) == DecodeError::BadField);
  // The byte index is checked before the length, as the TS does.
  CHECK(verdict([](auto& b) { le::store_u64(b.data() + 12, kMaxByteIndex + 1); }, d.size() - 1) ==
        DecodeError::BadField);
  CHECK(verdict([](auto& b) { b[4] = 'X'; }, d.size()) == DecodeError::UnknownTag);
}
