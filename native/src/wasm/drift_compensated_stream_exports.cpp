// DriftCompensatedStream (drift_compensated_stream.hpp) for
// packages/dataplane/src/drift-compensated-stream.ts, over the jitter buffer and loss concealer
// (nullable) the TS wrappers of jitter_buffer_exports.cpp and loss_concealer_exports.cpp made.
#include "drift_compensated_stream.hpp"
#include "export.hpp"
#include "pull_result.hpp"

using syfala::DriftCompensatedStream;

SYFALA_WASM_EXPORT(drift_compensated_stream_new)
DriftCompensatedStream* drift_compensated_stream_new(syfala::JitterBuffer* buffer,
                                                     uint32_t sample_rate, uint32_t channels,
                                                     uint32_t type, uint32_t max_period_frames,
                                                     double device_sample_rate, double loop_hz,
                                                     double acquire_seconds,
                                                     syfala::LossConcealer* concealer) {
  syfala::DriftCompensatedStreamOptions options{max_period_frames, device_sample_rate, loop_hz,
                                                acquire_seconds};
  return new DriftCompensatedStream(
      *buffer, {sample_rate, channels, syfala::SampleType(type)}, options, concealer);
}

SYFALA_WASM_DELETE(drift_compensated_stream_free, DriftCompensatedStream)

SYFALA_WASM_EXPORT(drift_compensated_stream_pull)
void drift_compensated_stream_pull(DriftCompensatedStream* s, float* out, uint32_t frames) {
  publish_pull_result(s->pull(out, frames));
}

SYFALA_WASM_EXPORT(drift_compensated_stream_ratio)
double drift_compensated_stream_ratio(const DriftCompensatedStream* s) { return s->ratio(); }

SYFALA_WASM_EXPORT(drift_compensated_stream_drift_ppm)
double drift_compensated_stream_drift_ppm(const DriftCompensatedStream* s) {
  return s->drift_ppm();
}
