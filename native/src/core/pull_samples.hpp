// A jitter buffer's next frames as the device's floats, for the native engine's plays straight
// and drift-compensated (and, through the latter, the TS engine's WebAssembly build). f32 on the
// wire is little-endian IEEE 754, the host's float on every target (x86-64, arm64, wasm32): its
// bytes are pulled straight into the floats, with no wire copy and no decoding pass (at 64
// channels each pass over a period is 16 KiB a JACK callback reads and writes again).
// Allocates, locks and throws nothing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "format.hpp"
#include "jitter_buffer.hpp"
#include "sample_convert.hpp"

#if defined(__BYTE_ORDER__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "pull_samples: f32 is read as the host's float");
#endif

namespace syfala {

/// Pulls `frames` frames of `format` from `buffer` into `samples` (interleaved floats); `wire`
/// (frames × bytes_per_frame(format) bytes) holds the wire bytes of the other types meanwhile.
/// `missing` as JitterBuffer::pull.
inline const PullResult& pull_samples(JitterBuffer& buffer, const Format& format, size_t frames,
                                      float* samples, uint8_t* wire, uint8_t* missing = nullptr) {
  if (format.type == SampleType::F32) {
    return buffer.pull(reinterpret_cast<uint8_t*>(samples), frames, missing);
  }
  const PullResult& result = buffer.pull(wire, frames, missing);
  decode_samples(format.type, wire, frames * format.channels, samples);
  return result;
}

}  // namespace syfala
