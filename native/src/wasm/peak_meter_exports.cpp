// PeakMeter (peak_meter.hpp) for the TS side: packages/dataplane/src/peak-meter.ts.
#include "export.hpp"
#include "peak_meter.hpp"

using syfala::PeakMeter;

SYFALA_WASM_CONSTANT(meter_block_ms, syfala::kMeterBlockMs)

SYFALA_WASM_EXPORT(peak_meter_new)
PeakMeter* peak_meter_new(uint32_t channels, uint32_t sample_rate) {
  return new PeakMeter(channels, sample_rate);
}

SYFALA_WASM_DELETE(peak_meter_free, PeakMeter)

SYFALA_WASM_EXPORT(peak_meter_measure)
void peak_meter_measure(PeakMeter* meter, const float* samples, uint32_t frames) {
  meter->measure_interleaved(samples, frames);
}

SYFALA_WASM_EXPORT(peak_meter_end_period)
void peak_meter_end_period(PeakMeter* meter) { meter->end_period(); }

SYFALA_WASM_EXPORT(peak_meter_peak)
double peak_meter_peak(const PeakMeter* meter, uint32_t channel) { return meter->peak(channel); }
