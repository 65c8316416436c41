// The UDP wire as the audio path needs it (PROTOCOL.md §4, §5.10, §8), with exactly the checks
// and DecodeError codes of packages/proto/src/wire (preamble.ts, audio.ts).
//
//   0          8              12                      20             24
//   +----------+--------------+-----------------------+--------------+---------------
//   | preamble | stream index | byte index            | byte count   | payload ...
//   | SYF 1 AUDI | u32 LE     | u64 LE (< 2^53)       | u32 LE       | byte count bytes
//   +----------+--------------+-----------------------+--------------+---------------
//
// AUDE, sealed audio (docs/SECURITY.md §3): the same 24 bytes with tag AUDE, then the key id,
// the redundancy copy and three zero bytes; the byte count is the plaintext's. The 32 header
// bytes are the AEAD's associated data.
//
//   0          24       28     29          32                          32 + byte count
//   +----------+--------+------+-----------+---------------------------+------------+
//   | as AUDI  | key id | copy | 0 0 0     | ciphertext                | tag        |
//   | ("AUDE") | u32 LE | u8   | reserved  | byte count bytes          | 16 bytes   |
//   +----------+--------+------+-----------+---------------------------+------------+
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bytes.hpp"

namespace syfala {

/// Why a datagram was rejected (PROTOCOL.md §8); None means it was accepted.
enum class DecodeError : uint8_t {
  None = 0,
  Truncated,
  BadMagic,
  BadVersion,
  UnknownTag,
  BadField,
  LengthMismatch,
  TooLarge,
};

/// The TS DecodeError code ("TRUNCATED", …), so rejects are counted by the same names as in the
/// TS path; "NONE" for None.
inline const char* decode_error_code(DecodeError e) {
  switch (e) {
    case DecodeError::None: return "NONE";
    case DecodeError::Truncated: return "TRUNCATED";
    case DecodeError::BadMagic: return "BAD_MAGIC";
    case DecodeError::BadVersion: return "BAD_VERSION";
    case DecodeError::UnknownTag: return "UNKNOWN_TAG";
    case DecodeError::BadField: return "BAD_FIELD";
    case DecodeError::LengthMismatch: return "LENGTH_MISMATCH";
    case DecodeError::TooLarge: return "TOO_LARGE";
  }
  return "UNKNOWN";
}

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr uint8_t kMagic[3] = {'S', 'Y', 'F'};
inline constexpr size_t kPreambleBytes = 8;
/// preamble (8) + stream index (4) + byte index (8) + byte count (4); keeps the payload 8-aligned.
inline constexpr size_t kAudioHeaderBytes = 24;
/// The largest UDP payload over IPv4.
inline constexpr size_t kMaxDatagramBytes = 65507;
inline constexpr size_t kMaxAudioPayloadBytes = kMaxDatagramBytes - kAudioHeaderBytes;
/// AUDE: AUDI's header + key id (4) + copy (1) + 3 zero bytes, then the 16-byte Poly1305 tag.
inline constexpr size_t kSealedHeaderBytes = 32;
inline constexpr size_t kSealedTagBytes = 16;
/// What sealing adds to a datagram: 8 bytes of header and the tag.
inline constexpr size_t kSealOverheadBytes = kSealedHeaderBytes - kAudioHeaderBytes + kSealedTagBytes;
inline constexpr size_t kMaxSealedPayloadBytes =
    kMaxDatagramBytes - kSealedHeaderBytes - kSealedTagBytes;
/// Highest redundancy copy an AUDE carries (copies 0 to 3, PROTOCOL.md §7.3).
inline constexpr uint8_t kMaxAudioCopy = 3;
/// Default budget for a whole audio datagram, header included (below a 1500-byte MTU).
inline constexpr size_t kDefaultDatagramBudgetBytes = 1400;
/// Every u64 on the wire is below 2^53 (PROTOCOL.md §3).
inline constexpr uint64_t kMaxByteIndex = (uint64_t(1) << 53) - 1;

/// A tag's four ASCII bytes read as a little-endian u32, as tags.ts tagCode().
constexpr uint32_t tag_code(const char (&tag)[5]) {
  return uint32_t(uint8_t(tag[0])) | (uint32_t(uint8_t(tag[1])) << 8) |
         (uint32_t(uint8_t(tag[2])) << 16) | (uint32_t(uint8_t(tag[3])) << 24);
}

inline constexpr uint32_t kAudioTag = tag_code("AUDI");
inline constexpr uint32_t kSealedAudioTag = tag_code("AUDE");
/// VERS is decoded whatever its version byte: its layout is frozen across versions (§11).
inline constexpr uint32_t kVersionTag = tag_code("VERS");

enum class Role : uint8_t { Client, Server };

/// Whether `role` sends messages with `tag` (PROTOCOL.md §5.1); false for an unknown tag. A
/// receiver rejects a tag its peer's role never sends as UNKNOWN_TAG.
inline bool tag_sent_by(uint32_t tag, Role role) {
  struct Entry {
    uint32_t tag;
    bool by_client, by_server;
  };
  constexpr Entry kTags[] = {
      {tag_code("DSCV"), true, false}, {tag_code("CONN"), false, true},
      {tag_code("CRES"), true, false}, {tag_code("STRT"), true, false},
      {tag_code("STOP"), true, false}, {tag_code("STRR"), false, true},
      {tag_code("STPR"), false, true}, {tag_code("BEAT"), true, true},
      {kAudioTag, true, true},         {kSealedAudioTag, true, true},
      {tag_code("DCON"), true, true},
      {kVersionTag, true, true},
  };
  for (const Entry& e : kTags) {
    if (e.tag == tag) return role == Role::Client ? e.by_client : e.by_server;
  }
  return false;
}

/// Checks size, magic and version (preamble.ts readPreamble) and gives the tag, audio or not.
/// What the tag means, and whether the peer may send it, is the caller's business.
inline DecodeError read_preamble(const uint8_t* data, size_t len, uint32_t& tag) {
  if (len < kPreambleBytes) return DecodeError::Truncated;
  if (len > kMaxDatagramBytes) return DecodeError::TooLarge;
  if (std::memcmp(data, kMagic, sizeof kMagic) != 0) return DecodeError::BadMagic;
  tag = le::load_u32(data + 4);
  if (data[3] != kProtocolVersion && tag != kVersionTag) return DecodeError::BadVersion;
  return DecodeError::None;
}

/// One audio datagram's header; the payload follows it.
struct AudioHeader {
  uint32_t stream;      ///< stream index in its direction (PROTOCOL.md §7.1)
  uint64_t byte_index;  ///< position of the first payload byte in the stream, below 2^53
  uint32_t byte_count;  ///< payload bytes, 1 to kMaxAudioPayloadBytes
};

/// The checks AUDI and AUDE share, in their order (audio.ts readByteCount): the preamble, the
/// tag, the header's length, then the byte count, 1 to `max_count`.
inline DecodeError read_run_count(const uint8_t* data, size_t len, uint32_t want_tag,
                                  size_t header_bytes, uint32_t max_count, uint32_t& byte_count) {
  uint32_t tag = 0;
  const DecodeError preamble = read_preamble(data, len, tag);
  if (preamble != DecodeError::None) return preamble;
  if (tag != want_tag) return DecodeError::UnknownTag;
  if (len < header_bytes) return DecodeError::Truncated;
  byte_count = le::load_u32(data + 20);
  if (byte_count > max_count) return DecodeError::TooLarge;
  if (byte_count == 0) return DecodeError::BadField;
  return DecodeError::None;
}

/// Validates an audio datagram of `len` bytes (audio.ts readAudioHeader, same checks in the same
/// order); on success the payload is at data + kAudioHeaderBytes.
///
/// Any other tag is UnknownTag, a well-formed BEAT or DCON included: that is what the TS engine
/// counts for non-audio datagrams on its audio socket (engine-core.ts). A caller that wants to
/// tell a known non-audio message from garbage asks read_preamble() and tag_sent_by() first.
inline DecodeError read_audio_header(const uint8_t* data, size_t len, AudioHeader& out) {
  uint32_t byte_count = 0;
  const DecodeError run = read_run_count(data, len, kAudioTag, kAudioHeaderBytes,
                                         kMaxAudioPayloadBytes, byte_count);
  if (run != DecodeError::None) return run;
  if (byte_count != len - kAudioHeaderBytes) return DecodeError::LengthMismatch;
  const uint64_t byte_index = le::load_u64(data + 12);
  if (byte_index > kMaxByteIndex) return DecodeError::BadField;
  out.stream = le::load_u32(data + 8);
  out.byte_index = byte_index;
  out.byte_count = byte_count;
  return DecodeError::None;
}

/// Writes the 24-byte header to `dst`. The caller keeps the fields in range (byte index below
/// 2^53, byte count 1 to kMaxAudioPayloadBytes), as StreamPacketizer does.
inline void write_audio_header(uint8_t* dst, const AudioHeader& h) {
  std::memcpy(dst, kMagic, sizeof kMagic);
  dst[3] = kProtocolVersion;
  le::store_u32(dst + 4, kAudioTag);
  le::store_u32(dst + 8, h.stream);
  le::store_u64(dst + 12, h.byte_index);
  le::store_u32(dst + 20, h.byte_count);
}

/// One AUDE's header: the AUDI fields (byte count: the plaintext's), its key id and copy.
struct SealedHeader {
  AudioHeader audio;
  uint32_t key_id;
  uint8_t copy;  ///< periods back the first byte was first sent, 0 to kMaxAudioCopy
};

/// Whether a datagram claims to be an AUDE (its tag; read_sealed_header checks the rest).
inline bool is_sealed_audio(const uint8_t* data, size_t len) {
  return len >= kPreambleBytes && le::load_u32(data + 4) == kSealedAudioTag;
}

/// Validates an AUDE of `len` bytes (audio.ts readSealedAudioHeader, same checks in the same
/// order); on success the ciphertext is at data + kSealedHeaderBytes, its tag right after it.
/// Says nothing of whether it is authentic.
inline DecodeError read_sealed_header(const uint8_t* data, size_t len, SealedHeader& out) {
  uint32_t byte_count = 0;
  const DecodeError run = read_run_count(data, len, kSealedAudioTag, kSealedHeaderBytes,
                                         kMaxSealedPayloadBytes, byte_count);
  if (run != DecodeError::None) return run;
  const uint64_t byte_index = le::load_u64(data + 12);
  if (byte_index > kMaxByteIndex) return DecodeError::BadField;
  const uint8_t copy = data[28];
  if (copy > kMaxAudioCopy) return DecodeError::BadField;
  if ((data[29] | data[30] | data[31]) != 0) return DecodeError::BadField;
  if (size_t(byte_count) + kSealedHeaderBytes + kSealedTagBytes != len) {
    return DecodeError::LengthMismatch;
  }
  out.audio = {le::load_u32(data + 8), byte_index, byte_count};
  out.key_id = le::load_u32(data + 24);
  out.copy = copy;
  return DecodeError::None;
}

/// Writes AUDE's 32-byte header to `dst`; the ciphertext and tag go after it (AudioSealer).
inline void write_sealed_header(uint8_t* dst, const SealedHeader& h) {
  write_audio_header(dst, h.audio);
  le::store_u32(dst + 4, kSealedAudioTag);
  le::store_u32(dst + 24, h.key_id);
  dst[28] = h.copy;
  dst[29] = dst[30] = dst[31] = 0;
}

/// Header and payload into `dst` (room for kAudioHeaderBytes + h.byte_count); returns the
/// datagram's length.
inline size_t write_audio_datagram(uint8_t* dst, const AudioHeader& h, const uint8_t* payload) {
  write_audio_header(dst, h);
  std::memcpy(dst + kAudioHeaderBytes, payload, h.byte_count);
  return kAudioHeaderBytes + h.byte_count;
}

}  // namespace syfala
