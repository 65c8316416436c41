// Sample types and stream formats, as packages/proto/src/format.ts and PROTOCOL.md §5.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace syfala {

/// Wire sample encodings; the value is the wire code (0 is never valid). Samples are packed,
/// little-endian and interleaved; 24-bit types take exactly 3 bytes.
enum class SampleType : uint8_t { U8 = 1, U16, U24, U32, U64, I8, I16, I24, I32, I64, F32, F64 };

inline constexpr uint8_t kSampleTypeCount = 12;

/// The names format.ts uses, indexed by wire code − 1.
inline constexpr std::string_view kSampleTypeNames[kSampleTypeCount] = {
    "u8", "u16", "u24", "u32", "u64", "i8", "i16", "i24", "i32", "i64", "f32", "f64"};

inline bool sample_type_from_code(uint8_t code, SampleType& out) {
  if (code < 1 || code > kSampleTypeCount) return false;
  out = SampleType(code);
  return true;
}

inline bool sample_type_from_name(std::string_view name, SampleType& out) {
  for (uint8_t i = 0; i < kSampleTypeCount; ++i) {
    if (kSampleTypeNames[i] == name) return sample_type_from_code(uint8_t(i + 1), out);
  }
  return false;
}

/// "f32", "i24", …; "" for a value outside the enumeration.
inline std::string_view sample_type_name(SampleType t) {
  const auto code = uint8_t(t);
  return code >= 1 && code <= kSampleTypeCount ? kSampleTypeNames[code - 1] : std::string_view();
}

/// Bytes one sample takes on the wire; 0 for a value outside the enumeration.
inline size_t bytes_per_sample(SampleType t) {
  switch (t) {
    case SampleType::U8:
    case SampleType::I8:
      return 1;
    case SampleType::U16:
    case SampleType::I16:
      return 2;
    case SampleType::U24:
    case SampleType::I24:
      return 3;
    case SampleType::U32:
    case SampleType::I32:
    case SampleType::F32:
      return 4;
    case SampleType::U64:
    case SampleType::I64:
    case SampleType::F64:
      return 8;
  }
  return 0;
}

/// Unsigned types are offset binary: their zero has the top bit of each sample set.
inline bool is_unsigned(SampleType t) { return uint8_t(t) >= 1 && uint8_t(t) <= 5; }

/// A stream's format, fixed for the life of a connection.
struct Format {
  uint32_t sample_rate;  ///< frames per second
  uint32_t channels;     ///< samples per frame, 1 to 65,535
  SampleType type;
};

inline size_t bytes_per_frame(const Format& f) {
  return size_t(f.channels) * bytes_per_sample(f.type);
}

}  // namespace syfala
