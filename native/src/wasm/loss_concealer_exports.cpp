// LossConcealer (loss_concealer.hpp) for packages/dataplane/src/loss-concealer.ts.
#include "export.hpp"
#include "loss_concealer.hpp"

using syfala::LossConcealer;

SYFALA_WASM_EXPORT(min_cycle_seconds) double min_cycle_seconds() { return syfala::kMinCycleSeconds; }
SYFALA_WASM_EXPORT(max_cycle_seconds) double max_cycle_seconds() { return syfala::kMaxCycleSeconds; }
SYFALA_WASM_EXPORT(hold_seconds) double hold_seconds() { return syfala::kHoldSeconds; }
SYFALA_WASM_EXPORT(fade_seconds) double fade_seconds() { return syfala::kFadeSeconds; }
SYFALA_WASM_EXPORT(crossfade_seconds) double crossfade_seconds() { return syfala::kCrossfadeSeconds; }
SYFALA_WASM_EXPORT(ease_seconds) double ease_seconds() { return syfala::kEaseSeconds; }

SYFALA_WASM_EXPORT(loss_concealer_new)
LossConcealer* loss_concealer_new(uint32_t channels, double sample_rate) {
  return new LossConcealer(channels, sample_rate);
}

SYFALA_WASM_EXPORT(loss_concealer_delete) void loss_concealer_delete(LossConcealer* c) { delete c; }

/// `playing` and `skipped_frames` are the fields of the jitter buffer's PullResult it reads.
SYFALA_WASM_EXPORT(loss_concealer_conceal)
void loss_concealer_conceal(LossConcealer* c, float* samples, uint32_t frames, bool playing,
                            uint32_t skipped_frames, const uint8_t* missing) {
  c->conceal(samples, frames, {playing, 0, false, skipped_frames}, missing);
}

SYFALA_WASM_EXPORT(loss_concealer_reset) void loss_concealer_reset(LossConcealer* c) { c->reset(); }

SYFALA_WASM_EXPORT(loss_concealer_gaps)
double loss_concealer_gaps(const LossConcealer* c) { return double(c->gaps()); }
