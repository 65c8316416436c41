// The cryptography of encrypted audio (docs/SECURITY.md §2–§3), all of it OpenSSL's EVP
// interface: HKDF-SHA256 for the keys, ChaCha20-Poly1305 for the datagrams. Nothing is
// hand-written. The Node addon uses the OpenSSL that Node exports; the C++ tests link libcrypto.
//
// Threads: derive_audio_key() and making an AeadKey allocate (OpenSSL contexts), so they run on
// the control or the key thread. AeadKey::rekey(), seal() and open() allocate nothing and
// take no lock: the audio thread seals with them.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "bytes.hpp"
#include "wire.hpp"

namespace syfala {

namespace detail {
// OpenSSL's AVX2 and AVX-512 code returns with the upper halves of the vector registers in use.
// Our code is compiled for baseline x86-64 (SSE, not VEX, encodings), and every SSE instruction
// after that pays for a false dependency on those halves until something clears them: a sealed
// period of two 64-channel engines cost 99 µs instead of 80 (bench/RESULTS.md, issue #14).
// VZEROUPPER after each call to OpenSSL clears them, as compilers do after their own AVX code.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx"))) inline void vzeroupper() { __builtin_ia32_vzeroupper(); }
inline const bool kCpuHasAvx = [] {
  __builtin_cpu_init();  // needed before constructors run, which this may be
  return __builtin_cpu_supports("avx") != 0;
}();
inline void clear_upper_vector_state() {
  if (kCpuHasAvx) vzeroupper();
}
#else
inline void clear_upper_vector_state() {}
#endif
}  // namespace detail

inline constexpr size_t kAudioKeyBytes = 32;
inline constexpr size_t kAeadNonceBytes = 12;
/** Key ids one I/O run owns: run r starts at r × kKeyIdsPerRun (SECURITY.md §3). */
inline constexpr uint32_t kKeyIdsPerRun = uint32_t(1) << 16;
/** A sender moves to the next key id after sealing this many datagrams with one key. */
inline constexpr uint64_t kRotateAfterDatagrams = uint64_t(1) << 24;

using AudioKey = std::array<uint8_t, kAudioKeyBytes>;
using AeadNonce = std::array<uint8_t, kAeadNonceBytes>;

/** Which way a datagram travels: its nonces carry it, so the two directions never share one. */
enum class AudioDirection : uint8_t { ClientToServer = 1, ServerToClient = 2 };

inline AudioDirection opposite(AudioDirection d) {
  return d == AudioDirection::ClientToServer ? AudioDirection::ServerToClient
                                             : AudioDirection::ClientToServer;
}

/** OpenSSL refused a context or a derivation (out of memory): one sentence, never on the audio
 *  thread. */
struct AeadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/**
 * HKDF-SHA256 (RFC 5869, extract then expand) of `ikm` with `salt` (empty: 32 zero bytes) and
 * `info`, into `out_len` bytes at `out`. Allocates.
 */
inline void hkdf_sha256(const uint8_t* ikm, size_t ikm_len, const uint8_t* salt, size_t salt_len,
                        const uint8_t* info, size_t info_len, uint8_t* out, size_t out_len) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  size_t length = out_len;
  const bool ok = ctx != nullptr && EVP_PKEY_derive_init(ctx) > 0 &&
                  EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
                  (salt_len == 0 || EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, int(salt_len)) > 0) &&
                  EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, int(ikm_len)) > 0 &&
                  EVP_PKEY_CTX_add1_hkdf_info(ctx, info, int(info_len)) > 0 &&
                  EVP_PKEY_derive(ctx, out, &length) > 0 && length == out_len;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) throw AeadError("audio encryption: OpenSSL could not derive a key (HKDF-SHA256)");
}

/**
 * key(secret, id) = HKDF-SHA256(ikm = secret, salt = empty, info = "syfala-audio-v1 key" ‖ u32
 * LE id, 32 bytes): the ChaCha20-Poly1305 key of one direction's key id. Allocates.
 */
inline AudioKey derive_audio_key(const AudioKey& secret, uint32_t key_id) {
  static constexpr char kLabel[] = "syfala-audio-v1 key";
  constexpr size_t kLabelBytes = sizeof kLabel - 1;
  uint8_t info[kLabelBytes + 4];
  for (size_t i = 0; i < kLabelBytes; ++i) info[i] = uint8_t(kLabel[i]);
  le::store_u32(info + kLabelBytes, key_id);
  AudioKey key;
  hkdf_sha256(secret.data(), secret.size(), nullptr, 0, info, sizeof info, key.data(), key.size());
  return key;
}

/**
 * u32 LE stream index ‖ the low 7 bytes of the u64 LE byte index ‖ u8 (direction << 4 | copy):
 * unique under one key, since a sender never seals two datagrams of one run with the same
 * stream, first byte and copy (SECURITY.md §3).
 */
inline AeadNonce audio_nonce(uint32_t stream, uint64_t byte_index, AudioDirection direction,
                             uint8_t copy) {
  AeadNonce nonce;
  uint8_t index[8];
  le::store_u32(nonce.data(), stream);
  le::store_u64(index, byte_index);
  for (size_t i = 0; i < 7; ++i) nonce[4 + i] = index[i];
  nonce[11] = uint8_t(uint8_t(direction) << 4 | (copy & 0x0f));
  return nonce;
}

/**
 * One ChaCha20-Poly1305 key in an EVP context of its own, made for sealing or for opening. The
 * context is allocated once; rekey() and each datagram only re-initialise it (key, then nonce),
 * which OpenSSL does in place.
 */
class AeadKey {
 public:
  explicit AeadKey(bool sealing) : ctx_(EVP_CIPHER_CTX_new()), sealing_(sealing) {
    // The cipher is fetched here, once: later inits pass none, so they fetch (and lock) nothing.
    if (ctx_ == nullptr ||
        EVP_CipherInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr,
                          sealing ? 1 : 0) != 1) {
      EVP_CIPHER_CTX_free(ctx_);
      throw AeadError("audio encryption: OpenSSL has no ChaCha20-Poly1305 context");
    }
  }
  ~AeadKey() { EVP_CIPHER_CTX_free(ctx_); }
  AeadKey(const AeadKey&) = delete;
  AeadKey& operator=(const AeadKey&) = delete;

  /** Takes `key` from now on. Allocates nothing: the audio thread may rotate keys. */
  bool rekey(const AudioKey& key) {
    return EVP_CipherInit_ex(ctx_, nullptr, nullptr, key.data(), nullptr, -1) == 1;
  }

  /**
   * Encrypts `len` bytes of `in` to `out` (may be `in`) and writes the 16-byte tag after them,
   * authenticating `aad` too. False only if OpenSSL fails (never for a keyed context).
   */
  bool seal(const AeadNonce& nonce, const uint8_t* aad, size_t aad_len, const uint8_t* in,
            size_t len, uint8_t* out) {
    int n = 0;
    const bool sealed =
        sealing_ && start(nonce, aad, aad_len) &&
        EVP_EncryptUpdate(ctx_, out, &n, in, int(len)) == 1 &&
        EVP_EncryptFinal_ex(ctx_, out + n, &n) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, int(kSealedTagBytes), out + len) == 1;
    detail::clear_upper_vector_state();
    return sealed;
  }

  /**
   * Checks and decrypts `len` bytes of `in`, followed by their tag, to `out` (may be `in`).
   * False when the tag does not match: `out` then holds bytes that must not be used.
   */
  bool open(const AeadNonce& nonce, const uint8_t* aad, size_t aad_len, const uint8_t* in,
            size_t len, uint8_t* out) {
    int n = 0;
    // OpenSSL reads the expected tag through a non-const pointer but does not write it.
    const bool opened = !sealing_ && start(nonce, aad, aad_len) &&
                        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, int(kSealedTagBytes),
                                            const_cast<uint8_t*>(in + len)) == 1 &&
                        EVP_DecryptUpdate(ctx_, out, &n, in, int(len)) == 1 &&
                        EVP_DecryptFinal_ex(ctx_, out + n, &n) == 1;
    detail::clear_upper_vector_state();
    return opened;
  }

 private:
  bool start(const AeadNonce& nonce, const uint8_t* aad, size_t aad_len) {
    int n = 0;
    return EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce.data(), -1) == 1 &&
           EVP_CipherUpdate(ctx_, nullptr, &n, aad, int(aad_len)) == 1;
  }

  EVP_CIPHER_CTX* ctx_;
  const bool sealing_;
};

}  // namespace syfala
