// Wire samples <-> f32 for both engines (the TS one through packages/dataplane/src/
// sample-conversion.ts, which wraps its WebAssembly build); packages/dataplane/vectors/samples.json
// holds its exact results.
//
// Scaling (N = bits per sample, F = 2^(N-1)):
//   signed   iN  s -> s / F             iN min -> -1.0, iN max -> 1 - 1/F
//   unsigned uN  u -> (u - F) / F       offset binary: u8 0x80 -> 0.0
//   float    f32 bit-exact; f64 -> f32 rounds to nearest even, overflows to ±inf
// f32 -> integer: multiply by F, clip to [-F, F - 1], round half to even, NaN -> 0 (uN: F).
// 64-bit words are rounded to f32 once, correctly (no detour through f64).
//
// JACK buffers are planar f32 and the wire is interleaved, so the main entry points convert and
// (de)interleave in one pass. Nothing here allocates, locks or throws.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bytes.hpp"
#include "format.hpp"

#ifdef __FAST_MATH__
#error "sample_convert.hpp: -ffast-math breaks the NaN checks and the rounding the wire relies on"
#endif
// The rounding trick below needs double arithmetic to be done in double (not x87 extended).
static_assert(FLT_EVAL_METHOD == 0, "sample_convert.hpp needs FLT_EVAL_METHOD == 0");

namespace syfala {
namespace detail {

/// (v + 1.5·2^52) − 1.5·2^52 rounds v to an integer, half to even, for |v| ≤ 2^51: the same
/// trick the TS uses, and lrint's result in the default rounding mode without a libm call.
inline double round_half_even(double v) {
  constexpr double kMagic = 6755399441055744.0;
  return (v + kMagic) - kMagic;
}

/// f32 -> N-bit two's complement value, N ≤ 32.
template <int Bits>
inline int64_t quantize(float x) {
  constexpr double kScale = double(uint64_t(1) << (Bits - 1));
  double v = double(x) * kScale;
  if (v > kScale - 1) {
    v = kScale - 1;
  } else if (v < -kScale) {
    v = -kScale;
  } else if (v != v) {
    return 0;
  }
  return int64_t(round_half_even(v));
}

/// 2^63 − 1 has no double, so ±1 and beyond are written as the extremes directly; below 2^51 in
/// magnitude x·2^63 may have a fraction to round, above it is an integer already.
template <>
inline int64_t quantize<64>(float x) {
  if (x >= 1) return INT64_MAX;
  if (x <= -1) return INT64_MIN;
  if (x != x) return 0;
  double v = double(x) * 9223372036854775808.0;
  if (v < 2251799813685248.0 && v > -2251799813685248.0) v = round_half_even(v);
  return int64_t(v);
}

/// Integer samples of `Bytes` bytes; unsigned ones are two's complement with the top bit flipped.
template <int Bytes, bool Unsigned>
struct IntCodec {
  static constexpr size_t kBytes = Bytes;
  static constexpr int kBits = 8 * Bytes;
  static constexpr uint64_t kTopBit = uint64_t(1) << (kBits - 1);

  static void put(uint8_t* p, float x) {
    uint64_t u = uint64_t(quantize<kBits>(x));
    if (Unsigned) u ^= kTopBit;
    for (int i = 0; i < Bytes; ++i) p[i] = uint8_t(u >> (8 * i));
  }

  static float get(const uint8_t* p) {
    uint64_t u = 0;
    for (int i = 0; i < Bytes; ++i) u |= uint64_t(p[i]) << (8 * i);
    if (Unsigned) u ^= kTopBit;
    const int64_t s = int64_t(u << (64 - kBits)) >> (64 - kBits);
    if constexpr (kBits == 64) {
      // int64 -> f32 rounds once; the scaling by a power of two is exact.
      return float(s) * 0x1p-63f;
    } else {
      // Exact in double; the conversion to float is the only rounding.
      return float(double(s) * (1.0 / double(kTopBit)));
    }
  }
};

struct F32Codec {
  static constexpr size_t kBytes = 4;
  static void put(uint8_t* p, float x) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    le::store_u32(p, bits);
  }
  static float get(const uint8_t* p) {
    const uint32_t bits = le::load_u32(p);
    float x;
    std::memcpy(&x, &bits, 4);
    return x;
  }
};

struct F64Codec {
  static constexpr size_t kBytes = 8;
  static void put(uint8_t* p, float x) {
    const double d = x;
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    le::store_u64(p, bits);
  }
  static float get(const uint8_t* p) {
    const uint64_t bits = le::load_u64(p);
    double d;
    std::memcpy(&d, &bits, 8);
    return float(d);
  }
};

/// Calls fn(Codec{}) for the codec of `t`, so the per-sample loops are compiled once per type
/// and never dispatch per sample. Does nothing for a value outside the enumeration.
template <class Fn>
inline void with_codec(SampleType t, Fn&& fn) {
  switch (t) {
    case SampleType::U8: fn(IntCodec<1, true>{}); break;
    case SampleType::U16: fn(IntCodec<2, true>{}); break;
    case SampleType::U24: fn(IntCodec<3, true>{}); break;
    case SampleType::U32: fn(IntCodec<4, true>{}); break;
    case SampleType::U64: fn(IntCodec<8, true>{}); break;
    case SampleType::I8: fn(IntCodec<1, false>{}); break;
    case SampleType::I16: fn(IntCodec<2, false>{}); break;
    case SampleType::I24: fn(IntCodec<3, false>{}); break;
    case SampleType::I32: fn(IntCodec<4, false>{}); break;
    case SampleType::I64: fn(IntCodec<8, false>{}); break;
    case SampleType::F32: fn(F32Codec{}); break;
    case SampleType::F64: fn(F64Codec{}); break;
  }
}

}  // namespace detail

/// Planar f32 (one array of `frames` samples per channel) -> interleaved wire samples in `dst`,
/// frames × channels × bytes_per_sample(t) bytes.
inline void encode_interleave(SampleType t, const float* const* planes, size_t channels,
                              size_t frames, uint8_t* dst) {
  detail::with_codec(t, [&](auto codec) {
    using Codec = decltype(codec);
    const size_t stride = channels * Codec::kBytes;
    for (size_t c = 0; c < channels; ++c) {
      const float* src = planes[c];
      uint8_t* out = dst + c * Codec::kBytes;
      for (size_t f = 0; f < frames; ++f, out += stride) Codec::put(out, src[f]);
    }
  });
}

/// Interleaved wire samples -> planar f32. With `accumulate` the samples are added to what the
/// planes hold (mixing several peers into one output) instead of replacing it.
inline void decode_deinterleave(SampleType t, const uint8_t* src, size_t channels, size_t frames,
                                float* const* planes, bool accumulate) {
  detail::with_codec(t, [&](auto codec) {
    using Codec = decltype(codec);
    const size_t stride = channels * Codec::kBytes;
    for (size_t c = 0; c < channels; ++c) {
      float* out = planes[c];
      const uint8_t* in = src + c * Codec::kBytes;
      if (accumulate) {
        for (size_t f = 0; f < frames; ++f, in += stride) out[f] += Codec::get(in);
      } else {
        for (size_t f = 0; f < frames; ++f, in += stride) out[f] = Codec::get(in);
      }
    }
  });
}

/// `count` f32 samples -> wire samples, already interleaved (encodeSamples in the TS).
inline void encode_samples(SampleType t, const float* src, size_t count, uint8_t* dst) {
  encode_interleave(t, &src, 1, count, dst);
}

/// `count` wire samples -> f32 (decodeSamples in the TS).
inline void decode_samples(SampleType t, const uint8_t* src, size_t count, float* dst) {
  decode_deinterleave(t, src, 1, count, &dst, false);
}

}  // namespace syfala
