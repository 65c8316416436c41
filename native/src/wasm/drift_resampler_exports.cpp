// DriftResampler (drift_resampler.hpp) for the TS side: packages/dataplane/src/resampler.ts.
#include "drift_resampler.hpp"
#include "export.hpp"

using syfala::DriftResampler;

SYFALA_WASM_EXPORT(drift_resampler_new)
DriftResampler* drift_resampler_new(uint32_t channels, uint32_t max_frames, double max_ratio) {
  return new DriftResampler(channels, max_frames, max_ratio);
}

SYFALA_WASM_DELETE(drift_resampler_free, DriftResampler)

SYFALA_WASM_EXPORT(drift_resampler_capacity)
uint32_t drift_resampler_capacity(const DriftResampler* resampler) {
  return resampler->capacity_frames();
}

SYFALA_WASM_EXPORT(drift_resampler_free_frames)
uint32_t drift_resampler_free_frames(const DriftResampler* resampler) {
  return resampler->free_frames();
}

SYFALA_WASM_EXPORT(drift_resampler_input_needed)
uint32_t drift_resampler_input_needed(const DriftResampler* resampler, uint32_t frames,
                                      double ratio) {
  return resampler->input_frames_needed(frames, ratio);
}

SYFALA_WASM_EXPORT(drift_resampler_output_available)
uint32_t drift_resampler_output_available(const DriftResampler* resampler, double ratio) {
  return resampler->output_frames_available(ratio);
}

SYFALA_WASM_EXPORT(drift_resampler_write)
uint32_t drift_resampler_write(DriftResampler* resampler, const float* source, uint32_t frames) {
  return resampler->write(source, frames);
}

SYFALA_WASM_EXPORT(drift_resampler_read)
uint32_t drift_resampler_read(DriftResampler* resampler, float* out, uint32_t frames,
                              double ratio) {
  return resampler->read(out, frames, ratio);
}
