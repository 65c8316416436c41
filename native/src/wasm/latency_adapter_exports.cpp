// LatencyAdapter (latency_adapter.hpp) for the TS side: packages/dataplane/src/latency-adapter.ts.
#include <cmath>

#include "export.hpp"
#include "latency_adapter.hpp"

using syfala::LatencyAdapter;

SYFALA_WASM_CONSTANT(latency_jitter_window_seconds, syfala::kJitterWindowSeconds)
SYFALA_WASM_CONSTANT(latency_shrink_hold_seconds, syfala::kShrinkHoldSeconds)
SYFALA_WASM_CONSTANT(latency_shrink_interval_seconds, syfala::kShrinkIntervalSeconds)
SYFALA_WASM_CONSTANT(latency_shrink_step_ms, syfala::kShrinkStepMs)
SYFALA_WASM_CONSTANT(latency_tolerated_blocks, syfala::kToleratedBlocks)
SYFALA_WASM_CONSTANT(latency_underrun_spacing_seconds, syfala::kUnderrunSpacingSeconds)

/// `initial_target_frames` and `safety_frames`: NaN for the default.
SYFALA_WASM_EXPORT(latency_adapter_new)
LatencyAdapter* latency_adapter_new(double sample_rate, uint32_t period_frames,
                                    uint32_t min_target_frames, uint32_t max_target_frames,
                                    double initial_target_frames, double safety_frames,
                                    uint32_t raise_on_underruns) {
  syfala::LatencyAdapterOptions options;
  options.sample_rate = sample_rate;
  options.period_frames = period_frames;
  options.min_target_frames = min_target_frames;
  options.max_target_frames = max_target_frames;
  if (!std::isnan(initial_target_frames)) options.initial_target_frames = initial_target_frames;
  if (!std::isnan(safety_frames)) options.safety_frames = safety_frames;
  options.raise_on_underruns = raise_on_underruns != 0;
  return new LatencyAdapter(options);
}

SYFALA_WASM_DELETE(latency_adapter_free, LatencyAdapter)

SYFALA_WASM_EXPORT(latency_adapter_target)
uint32_t latency_adapter_target(const LatencyAdapter* adapter) {
  return adapter->target_frames();
}

SYFALA_WASM_EXPORT(latency_adapter_jitter)
double latency_adapter_jitter(const LatencyAdapter* adapter) { return adapter->jitter_frames(); }

SYFALA_WASM_EXPORT(latency_adapter_arrival)
uint32_t latency_adapter_arrival(LatencyAdapter* adapter, double run_end_frame) {
  return adapter->arrival(run_end_frame);
}

SYFALA_WASM_EXPORT(latency_adapter_period)
uint32_t latency_adapter_period(LatencyAdapter* adapter, uint32_t frames, uint32_t underrun) {
  return adapter->period(frames, underrun != 0);
}

SYFALA_WASM_EXPORT(latency_adapter_reset)
void latency_adapter_reset(LatencyAdapter* adapter) { adapter->reset(); }
