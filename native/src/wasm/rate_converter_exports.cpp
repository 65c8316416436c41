// RateConverter (drift_resampler.hpp) for the TS side: packages/dataplane/src/rate-converter.ts.
#include "drift_resampler.hpp"
#include "export.hpp"

using syfala::RateConverter;

SYFALA_WASM_EXPORT(rate_converter_new)
RateConverter* rate_converter_new(uint32_t channels, double input_sample_rate,
                                  double output_sample_rate, uint32_t max_write_frames) {
  return new RateConverter(channels, input_sample_rate, output_sample_rate, max_write_frames);
}

SYFALA_WASM_DELETE(rate_converter_free, RateConverter)

SYFALA_WASM_EXPORT(rate_converter_ratio)
double rate_converter_ratio(const RateConverter* converter) { return converter->ratio(); }

SYFALA_WASM_EXPORT(rate_converter_output_available)
uint32_t rate_converter_output_available(const RateConverter* converter) {
  return converter->output_frames_available();
}

SYFALA_WASM_EXPORT(rate_converter_free_frames)
uint32_t rate_converter_free_frames(const RateConverter* converter) {
  return converter->free_frames();
}

SYFALA_WASM_EXPORT(rate_converter_write)
uint32_t rate_converter_write(RateConverter* converter, const float* source, uint32_t frames) {
  return converter->write(source, frames);
}

SYFALA_WASM_EXPORT(rate_converter_read)
uint32_t rate_converter_read(RateConverter* converter, float* out, uint32_t frames) {
  return converter->read(out, frames);
}
