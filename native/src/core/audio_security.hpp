// One peer's encrypted audio (docs/SECURITY.md §3–§4): AudioSealer seals what the audio thread
// sends and AudioOpener checks and opens what it receives, in SECURITY.md §4's order, both on
// keys another thread derived ahead (deriving allocates: never the audio thread).
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
 * The keys of the ids from `first_id` on, in order: derive() (one thread, which may allocate)
 * keeps kCount of them ready; take() (the audio thread: no allocation, no lock) hands out the
 * next.
 */
class KeysAhead {
 public:
  static constexpr size_t kCount = 8;

  /** Derives the first kCount on the calling thread. `secret` outlives this. */
  KeysAhead(const AudioKey& secret, uint64_t first_id)
      : secret_(secret), ring_(kCount), next_(first_id) {
    derive();
  }

  /** Tops the ring up, to the last key id; should OpenSSL fail (out of memory), the next call
   *  tries again. */
  void derive() noexcept {
    try {
      for (uint64_t id = next_.load(std::memory_order_relaxed);
           id <= UINT32_MAX && ring_.size() < ring_.capacity(); ++id) {
        ring_.push(derive_audio_key(secret_, uint32_t(id)));
        next_.store(id + 1, std::memory_order_relaxed);
      }
    } catch (const AeadError&) {
    }
  }

  /** Whether derive() has a key to make (any thread). */
  bool wanting() const {
    return next_.load(std::memory_order_relaxed) <= UINT32_MAX && ring_.size() < ring_.capacity();
  }

  /** The next id's key; false when derive() has not made it yet. */
  bool take(AudioKey& key) { return ring_.pop(key); }

 private:
  const AudioKey& secret_;
  SpscRing<AudioKey> ring_;
  std::atomic<uint64_t> next_;  // written by the deriving thread only
};

/**
 * Seals one direction's datagrams to a peer, over all its streams. The audio thread calls
 * seal(), which allocates nothing and takes no lock: it rotates to keys another thread derived
 * ahead (derive_ahead()). Should none be ready when a key has sealed its share, it seals on with
 * the current one until one is: nonces stay unique (they do not depend on the key), only the
 * rotation is late.
 */
class AudioSealer {
 public:
  AudioSealer(const AudioKey& secret, AudioDirection direction, uint32_t first_key_id,
              uint64_t rotate_after_datagrams)
      : secret_(secret),
        direction_(direction),
        rotate_after_(rotate_after_datagrams),
        key_(true),
        ahead_(secret_, uint64_t(first_key_id) + 1),
        key_id_(first_key_id) {
    if (!key_.rekey(derive_audio_key(secret, first_key_id))) {
      throw AeadError("audio encryption: OpenSSL refused a ChaCha20-Poly1305 key");
    }
  }
  ~AudioSealer() {
    OPENSSL_cleanse(secret_.data(), secret_.size());
    OPENSSL_cleanse(next_key_.data(), next_key_.size());
  }
  AudioSealer(const AudioSealer&) = delete;
  AudioSealer& operator=(const AudioSealer&) = delete;

  /** Not the audio thread (one thread once constructed): tops up the keys derived ahead. */
  void derive_ahead() noexcept { ahead_.derive(); }
  /** Whether derive_ahead() has work (any thread). */
  bool wants_keys() const { return ahead_.wanting(); }

  /**
   * Audio thread: writes the AUDE of `run` (h.byte_count bytes, its first byte sent first
   * `copy` periods ago) to `dst`, which has room for kSealOverheadBytes more than an AUDI of it;
   * returns its length, 0 if OpenSSL failed (nothing to send).
   */
  size_t seal(uint8_t* dst, const AudioHeader& h, uint8_t copy, const uint8_t* run) {
    if (sealed_with_key_ >= rotate_after_ && ahead_.take(next_key_) && key_.rekey(next_key_)) {
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
  KeysAhead ahead_;
  std::atomic<uint32_t> key_id_;
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
 * Opens one peer's datagrams on the audio thread, in SECURITY.md §4's order: the key id within
 * current − 1 (not below the run's first) … current + 1, then the stream's replay window, then
 * the tag. It keeps a context for each of the three ids it accepts; an authentic datagram of
 * current + 1 moves the window up, and the context of the id after it takes that id's key from
 * those derived ahead (derive_ahead(), another thread): open() allocates nothing, takes no lock.
 */
class AudioOpener {
 public:
  AudioOpener(const AudioKey& secret, AudioDirection peer_direction, uint32_t first_key_id)
      : secret_(secret),
        direction_(peer_direction),
        first_(first_key_id),
        current_(first_key_id),
        ahead_(secret_, uint64_t(first_key_id) + 2) {
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
    key_owed();
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
      owed_ = id + 1;  // into the slot of current − 1, now retired
      key_owed();
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

  /** Not the audio thread (one thread once constructed): tops up the keys derived ahead. */
  void derive_ahead() noexcept { ahead_.derive(); }
  /** Whether derive_ahead() has work (any thread). */
  bool wants_keys() const { return ahead_.wanting(); }

 private:
  /** Constructor only (allocates): keys id's slot; false if OpenSSL failed. */
  bool rekey(uint64_t id) noexcept {
    if (id > UINT32_MAX) return true;  // beyond the last id: nothing can carry it
    try {
      return keys_[id % 3].rekey(derive_audio_key(secret_, uint32_t(id)));
    } catch (const AeadError&) {
      return false;
    }
  }

  /** Keys the slot of the id owed a key, once derive_ahead() has made it (until then, that id
   *  opens nothing). Beyond the last id, nothing can carry it. */
  void key_owed() {
    if (owed_ == 0 || owed_ > UINT32_MAX) return;
    AudioKey key;
    if (!ahead_.take(key)) return;
    keys_[owed_ % 3].rekey(key);  // should OpenSSL fail, that id opens nothing
    OPENSSL_cleanse(key.data(), key.size());
    owed_ = 0;
  }

  AudioKey secret_;
  const AudioDirection direction_;
  const uint64_t first_;
  std::atomic<uint64_t> current_;
  /** Key id k's context is keys_[k % 3]: current − 1, current and current + 1 never share one. */
  std::array<AeadKey, 3> keys_{AeadKey(false), AeadKey(false), AeadKey(false)};
  KeysAhead ahead_;
  /** The id whose context waits for its key; 0: none (an owed id is at least the first + 2). */
  uint64_t owed_ = 0;
};

}  // namespace syfala
