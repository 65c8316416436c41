// Sample conversion (sample_convert.hpp) for the TS side: WAV files, pipes and the engine.
#include "export.hpp"
#include "sample_convert.hpp"

using syfala::SampleType;

SYFALA_WASM_EXPORT(encode_samples)
void encode_samples(uint32_t type, const float* src, uint32_t count, uint8_t* dst) {
  syfala::encode_samples(SampleType(type), src, count, dst);
}

SYFALA_WASM_EXPORT(decode_samples)
void decode_samples(uint32_t type, const uint8_t* src, uint32_t count, float* dst) {
  syfala::decode_samples(SampleType(type), src, count, dst);
}
