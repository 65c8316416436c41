// Sender side of one audio stream (PROTOCOL.md §7.3), for both engines (the TS one through
// packages/dataplane/src/packetizer.ts, which wraps its WebAssembly build): each period's
// interleaved wire bytes become AUDI runs of at most the budget, numbered continuously from byte
// 0, ending on frame boundaries (counted from byte 0) whenever a whole frame fits the budget.
// With redundancy R, each packetize() call is a period whose run starts R periods back, so every
// byte is sent R + 1 times, in R + 1 calls; each datagram's copy number says how many periods
// back its first byte was first sent (0 without redundancy), which sealed audio puts in its nonce
// (docs/SECURITY.md §3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "wire.hpp"

namespace syfala {

/// Most redundant periods a direction may carry (CONTROL.md, StartIoRequest.redundancy).
constexpr uint32_t kMaxRedundancyPeriods = 3;

class StreamPacketizer {
 public:
  /// `datagram_budget_bytes` is the whole datagram, header included: 25 to kMaxDatagramBytes.
  /// With `redundancy` (0 to kMaxRedundancyPeriods), `max_period_bytes` sizes the history: no
  /// call may pass more. Throws std::invalid_argument for a budget or redundancy out of range, a
  /// frame of 0 bytes, or redundancy without a period size.
  StreamPacketizer(uint32_t stream, size_t bytes_per_frame,
                   size_t datagram_budget_bytes = kDefaultDatagramBudgetBytes,
                   uint32_t redundancy = 0, size_t max_period_bytes = 0)
      : stream_(stream), bytes_per_frame_(bytes_per_frame), redundancy_(redundancy) {
    if (bytes_per_frame == 0) throw std::invalid_argument("packetizer: a frame must be ≥ 1 byte");
    if (datagram_budget_bytes < kAudioHeaderBytes + 1 ||
        datagram_budget_bytes > kMaxDatagramBytes) {
      throw std::invalid_argument(
          "packetizer: datagram budget must be 25 (header + 1 byte) to 65507 bytes");
    }
    if (redundancy > kMaxRedundancyPeriods) {
      throw std::invalid_argument("packetizer: redundancy must be 0 to 3 periods");
    }
    if (redundancy > 0 && max_period_bytes == 0) {
      throw std::invalid_argument("packetizer: redundancy needs the largest period's size");
    }
    const size_t room = datagram_budget_bytes - kAudioHeaderBytes;
    frame_cuts_ = room >= bytes_per_frame;
    max_payload_bytes_ = frame_cuts_ ? room - room % bytes_per_frame : room;
    if (redundancy > 0) {
      max_period_bytes_ = max_period_bytes;
      window_.resize((redundancy + 1) * max_period_bytes);
    }
  }

  /// Most payload bytes one datagram carries (172 frames × 8 bytes for f32 stereo, 1,400 bytes).
  size_t max_payload_bytes() const { return max_payload_bytes_; }

  /// Index of the next byte to send; 0 after construction or reset().
  uint64_t byte_index() const { return byte_index_; }

  /// Bytes of the last `redundancy` periods, which the next packetize() sends again first.
  size_t history_bytes() const { return held_bytes_; }

  /// Starts numbering again at byte 0 and forgets the history (PROTOCOL.md §7.2).
  void reset() {
    byte_index_ = 0;
    held_bytes_ = 0;
    period_count_ = 0;
    period_head_ = 0;
  }

  /// Cuts [payload, payload + len), this stream's next wire bytes (normally whole frames; a
  /// partial frame is cut by the same rule), after the redundancy history, calling
  /// emit(const AudioHeader&, const uint8_t* run, size_t run_len, uint8_t copy) once per
  /// datagram, in order; `copy` is p − q for a datagram of period p's run whose first byte belongs
  /// to period q.
  /// Runs point into `payload` without redundancy, into the history with it. An empty period
  /// sends nothing and is not remembered. Returns the number of datagrams emitted. Throws
  /// std::length_error, sending nothing, when a period exceeds `max_period_bytes` (redundancy).
  template <class Emit>
  size_t packetize(const uint8_t* payload, size_t len, Emit&& emit) {
    const uint64_t start = byte_index_;
    if (redundancy_ == 0) {
      byte_index_ = start + len;
      return cut(payload, len, start, emit);
    }
    if (len > max_period_bytes_) {
      throw std::length_error("packetizer: a period is larger than max_period_bytes");
    }
    if (len == 0) return 0;
    byte_index_ = start + len;
    std::memcpy(window_.data() + held_bytes_, payload, len);
    const size_t count = cut(window_.data(), held_bytes_ + len, start - held_bytes_, emit);
    remember(len);
    return count;
  }

 private:
  /// Cuts [source, source + len), whose first byte is stream byte `first`.
  template <class Emit>
  size_t cut(const uint8_t* source, size_t len, uint64_t first, Emit& emit) {
    size_t count = 0;
    uint64_t next = first;
    for (size_t done = 0; done < len; ++count) {
      // Ending at absolute frame boundaries keeps later runs aligned after a partial frame;
      // n stays > 0 because max_payload_bytes_ holds at least one frame.
      size_t n = frame_cuts_ ? max_payload_bytes_ - size_t(next % bytes_per_frame_)
                             : max_payload_bytes_;
      if (n > len - done) n = len - done;
      const AudioHeader header{stream_, next, uint32_t(n)};
      emit(header, source + done, n, copy_at(done));
      next += n;
      done += n;
    }
    return count;
  }

  /// The copy number of the byte at `offset` of the run being cut: the periods after its own.
  /// Without redundancy, or in the period being sent, 0.
  uint8_t copy_at(size_t offset) const {
    if (redundancy_ == 0) return 0;
    size_t end = 0;
    for (uint32_t k = 0; k < period_count_; ++k) {
      end += period_lengths_[(period_head_ + k) % redundancy_];
      if (offset < end) return uint8_t(period_count_ - k);
    }
    return 0;
  }

  /// Keeps the period just sent, dropping the oldest beyond `redundancy` periods.
  void remember(size_t len) {
    held_bytes_ += len;
    if (period_count_ < redundancy_) {
      period_lengths_[(period_head_ + period_count_++) % redundancy_] = len;
      return;
    }
    const size_t oldest = period_lengths_[period_head_];
    std::memmove(window_.data(), window_.data() + oldest, held_bytes_ - oldest);
    held_bytes_ -= oldest;
    period_lengths_[period_head_] = len;
    period_head_ = (period_head_ + 1) % redundancy_;
  }

  uint32_t stream_;
  size_t bytes_per_frame_;
  bool frame_cuts_ = false;
  size_t max_payload_bytes_ = 0;
  uint64_t byte_index_ = 0;

  uint32_t redundancy_;
  size_t max_period_bytes_ = 0;
  /// The last `period_count_` periods' bytes at [0, held_bytes_), then room for one more.
  std::vector<uint8_t> window_;
  /// Their lengths, a ring of `redundancy_` slots, oldest at `period_head_`.
  std::array<size_t, kMaxRedundancyPeriods> period_lengths_{};
  uint32_t period_head_ = 0;
  uint32_t period_count_ = 0;
  size_t held_bytes_ = 0;
};

}  // namespace syfala
