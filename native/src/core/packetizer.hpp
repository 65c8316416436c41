// Sender side of one audio stream (PROTOCOL.md §7.3), cutting exactly as
// packages/utils/src/packetizer.ts: each period's interleaved wire bytes become AUDI runs of at
// most the budget, numbered continuously from byte 0, ending on frame boundaries (counted from
// byte 0) whenever a whole frame fits the budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "wire.hpp"

namespace syfala {

class StreamPacketizer {
 public:
  /// `datagram_budget_bytes` is the whole datagram, header included: 25 to kMaxDatagramBytes.
  /// Throws std::invalid_argument for a budget out of range or a frame of 0 bytes.
  StreamPacketizer(uint32_t stream, size_t bytes_per_frame,
                   size_t datagram_budget_bytes = kDefaultDatagramBudgetBytes)
      : stream_(stream), bytes_per_frame_(bytes_per_frame) {
    if (bytes_per_frame == 0) throw std::invalid_argument("packetizer: a frame must be ≥ 1 byte");
    if (datagram_budget_bytes < kAudioHeaderBytes + 1 ||
        datagram_budget_bytes > kMaxDatagramBytes) {
      throw std::invalid_argument(
          "packetizer: datagram budget must be 25 (header + 1 byte) to 65507 bytes");
    }
    const size_t room = datagram_budget_bytes - kAudioHeaderBytes;
    frame_cuts_ = room >= bytes_per_frame;
    max_payload_bytes_ = frame_cuts_ ? room - room % bytes_per_frame : room;
  }

  /// Most payload bytes one datagram carries (172 frames × 8 bytes for f32 stereo, 1,400 bytes).
  size_t max_payload_bytes() const { return max_payload_bytes_; }

  /// Index of the next byte to send; 0 after construction or reset().
  uint64_t byte_index() const { return byte_index_; }

  /// Starts numbering again at byte 0, as after an I/O restart (PROTOCOL.md §7.2).
  void reset() { byte_index_ = 0; }

  /// Cuts [payload, payload + len), this stream's next wire bytes (normally whole frames; a
  /// partial frame is cut as the TS does), calling emit(const AudioHeader&, const uint8_t* run,
  /// size_t run_len) once per datagram, in order. Returns the number of datagrams emitted.
  template <class Emit>
  size_t packetize(const uint8_t* payload, size_t len, Emit&& emit) {
    size_t count = 0;
    for (size_t done = 0; done < len; ++count) {
      const uint64_t start = byte_index_;
      // Ending at absolute frame boundaries keeps later runs aligned after a partial frame;
      // n stays > 0 because max_payload_bytes_ holds at least one frame.
      size_t n = frame_cuts_ ? max_payload_bytes_ - size_t(start % bytes_per_frame_)
                             : max_payload_bytes_;
      if (n > len - done) n = len - done;
      const AudioHeader header{stream_, start, uint32_t(n)};
      byte_index_ = start + n;
      emit(header, payload + done, n);
      done += n;
    }
    return count;
  }

 private:
  uint32_t stream_;
  size_t bytes_per_frame_;
  bool frame_cuts_ = false;
  size_t max_payload_bytes_ = 0;
  uint64_t byte_index_ = 0;
};

}  // namespace syfala
