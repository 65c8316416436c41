// One peer's encrypted audio (docs/SECURITY.md §3–§4): AudioSealer seals what the audio thread
// sends, rotating keys the receive thread derived ahead; AudioOpener checks and opens what the
// receive thread receives, in SECURITY.md §4's order.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "audio_aead.hpp"
#include "spsc_ring.hpp"
#include "wire.hpp"

namespace syfala {

/** What a peer's audio is sealed with, each way: one I/O run's secrets (PeerSpec.security). */
struct AudioSecurity {
  AudioDirection send_direction;
  AudioKey send_secret;
  AudioKey receive_secret;
  /** This run's first key id, the same both ways. */
  uint32_t first_key_id;
  /** Datagrams sealed with one key before the next (tests lower it). */
  uint64_t rotate_after_datagrams = kRotateAfterDatagrams;
};

/**
 * Seals one direction's datagrams to a peer, over all its streams. The audio thread calls
 * seal(), which allocates nothing and takes no lock: it rotates to keys another thread derived
 * ahead (derive_ahead()) and handed over through a lock-free ring. Should none be ready when a
 * key has sealed its share, it seals on with the current one until one is: nonces stay unique
 * (they do not depend on the key), only the rotation is late.
 */
class AudioSealer {
 public:
  /** Keys derived ahead of the one in use. */
  static constexpr size_t kKeysAhead = 8;

  AudioSealer(const AudioKey& secret, AudioDirection direction, uint32_t first_key_id,
              uint64_t rotate_after_datagrams)
      : secret_(secret),
        direction_(direction),
        rotate_after_(rotate_after_datagrams),
        key_(true),
        ahead_(kKeysAhead),
        key_id_(first_key_id),
        next_derived_(first_key_id + 1) {
    if (!key_.rekey(derive_audio_key(secret, first_key_id))) {
      throw AeadError("audio encryption: OpenSSL refused a ChaCha20-Poly1305 key");
    }
    derive_ahead();
  }
  ~AudioSealer() {
    OPENSSL_cleanse(secret_.data(), secret_.size());
    OPENSSL_cleanse(next_key_.data(), next_key_.size());
  }
  AudioSealer(const AudioSealer&) = delete;
  AudioSealer& operator=(const AudioSealer&) = delete;

  /** Not the audio thread (one thread only: the receive thread once constructed): tops up the
   *  keys derived ahead. Allocates; should OpenSSL fail (out of memory), tries again next call. */
  void derive_ahead() noexcept {
    try {
      while (ahead_.size() < ahead_.capacity()) {
        ahead_.push(derive_audio_key(secret_, next_derived_));
        ++next_derived_;
      }
    } catch (const AeadError&) {
    }
  }

  /**
   * Audio thread: writes the AUDE of `run` (h.byte_count bytes, its first byte sent first
   * `copy` periods ago) to `dst`, which has room for kSealOverheadBytes more than an AUDI of it;
   * returns its length, 0 if OpenSSL failed (nothing to send).
   */
  size_t seal(uint8_t* dst, const AudioHeader& h, uint8_t copy, const uint8_t* run) {
    if (sealed_with_key_ >= rotate_after_ && ahead_.pop(next_key_) && key_.rekey(next_key_)) {
      key_id_.store(key_id_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      sealed_with_key_ = 0;
    }
    write_sealed_header(dst, SealedHeader{h, key_id_.load(std::memory_order_relaxed), copy});
    const AeadNonce nonce = audio_nonce(h.stream, h.byte_index, direction_, copy);
    if (!key_.seal(nonce, dst, kSealedHeaderBytes, run, h.byte_count, dst + kSealedHeaderBytes)) {
      return 0;
    }
    ++sealed_with_key_;
    return kSealedHeaderBytes + h.byte_count + kSealedTagBytes;
  }

  /** The key id sealing now (any thread). */
  uint32_t key_id() const { return key_id_.load(std::memory_order_relaxed); }

 private:
  AudioKey secret_;
  const AudioDirection direction_;
  const uint64_t rotate_after_;
  AeadKey key_;
  AudioKey next_key_{};
  uint64_t sealed_with_key_ = 0;
  SpscRing<AudioKey> ahead_;
  std::atomic<uint32_t> key_id_;
  uint32_t next_derived_;  // the deriving thread's
};

/** What a receiver does with a sealed datagram (SECURITY.md §4). */
enum class OpenVerdict : uint8_t { Authentic, AuthFailed, Replayed };

/**
 * One stream's replay window: the end of its newest authentic datagram. A datagram ending at or
 * before newest_end − window_bytes is a replay (at least the jitter buffer's capacity: older
 * bytes could never be played).
 */
struct ReplayWindow {
  uint64_t window_bytes = 0;
  uint64_t newest_end = 0;

  bool too_old(uint64_t end) const {
    return newest_end > window_bytes && end <= newest_end - window_bytes;
  }
};

/**
 * Opens one peer's datagrams on the receive thread, in SECURITY.md §4's order: the key id within
 * current − 1 (not below the run's first) … current + 1, then the stream's replay window, then
 * the tag. It keeps a context for each of the three ids it accepts; an authentic datagram of
 * current + 1 moves the window up and derives the next key then (allocating: not the audio
 * thread).
 */
class AudioOpener {
 public:
  AudioOpener(const AudioKey& secret, AudioDirection peer_direction, uint32_t first_key_id)
      : secret_(secret), direction_(peer_direction), first_(first_key_id), current_(first_key_id) {
    if (!rekey(first_key_id) || !rekey(uint64_t(first_key_id) + 1)) {
      throw AeadError("audio encryption: OpenSSL could not make the receiving keys");
    }
  }
  ~AudioOpener() { OPENSSL_cleanse(secret_.data(), secret_.size()); }
  AudioOpener(const AudioOpener&) = delete;
  AudioOpener& operator=(const AudioOpener&) = delete;

  /**
   * Checks and opens, in place, the AUDE `datagram` whose decoded header is `h`, against its
   * stream's `window`. When authentic, the plaintext follows an AUDI header written over the
   * sealed header's last 24 bytes: clear_audio() points at that AUDI datagram.
   */
  OpenVerdict open(uint8_t* datagram, const SealedHeader& h, ReplayWindow& window) {
    const uint64_t id = h.key_id;
    const uint64_t current = current_.load(std::memory_order_relaxed);
    if (id < first_ || id + 1 < current) return OpenVerdict::Replayed;
    if (id > current + 1) return OpenVerdict::AuthFailed;
    const uint64_t end = h.audio.byte_index + h.audio.byte_count;
    if (window.too_old(end)) return OpenVerdict::Replayed;
    uint8_t* text = datagram + kSealedHeaderBytes;
    const AeadNonce nonce = audio_nonce(h.audio.stream, h.audio.byte_index, direction_, h.copy);
    if (!keys_[id % 3].open(nonce, datagram, kSealedHeaderBytes, text, h.audio.byte_count, text)) {
      return OpenVerdict::AuthFailed;
    }
    if (id == current + 1) {
      current_.store(id, std::memory_order_relaxed);
      rekey(id + 1);  // into the slot of current − 1, now retired
    }
    if (end > window.newest_end) window.newest_end = end;
    write_audio_header(clear_audio(datagram), h.audio);
    return OpenVerdict::Authentic;
  }

  /** Where open() left an authentic datagram as AUDI: kAudioHeaderBytes + byte count long. */
  static uint8_t* clear_audio(uint8_t* datagram) {
    return datagram + kSealedHeaderBytes - kAudioHeaderBytes;
  }

  /** The key id the peer seals with now, as far as this side knows (any thread). */
  uint32_t key_id() const { return uint32_t(current_.load(std::memory_order_relaxed)); }

 private:
  /** Keys id's slot; false if OpenSSL failed (out of memory: that id then opens nothing). */
  bool rekey(uint64_t id) noexcept {
    if (id > UINT32_MAX) return true;  // beyond the last id: nothing can carry it
    try {
      return keys_[id % 3].rekey(derive_audio_key(secret_, uint32_t(id)));
    } catch (const AeadError&) {
      return false;
    }
  }

  AudioKey secret_;
  const AudioDirection direction_;
  const uint64_t first_;
  std::atomic<uint64_t> current_;
  /** Key id k's context is keys_[k % 3]: current − 1, current and current + 1 never share one. */
  std::array<AeadKey, 3> keys_{AeadKey(false), AeadKey(false), AeadKey(false)};
};

}  // namespace syfala
