// LossConcealer (loss_concealer.hpp) for packages/dataplane/src/loss-concealer.ts.
#include "export.hpp"
#include "loss_concealer.hpp"

using syfala::LossConcealer;

SYFALA_WASM_CONSTANT(min_cycle_seconds, syfala::kMinCycleSeconds)
SYFALA_WASM_CONSTANT(max_cycle_seconds, syfala::kMaxCycleSeconds)
SYFALA_WASM_CONSTANT(hold_seconds, syfala::kHoldSeconds)
SYFALA_WASM_CONSTANT(fade_seconds, syfala::kFadeSeconds)
SYFALA_WASM_CONSTANT(crossfade_seconds, syfala::kCrossfadeSeconds)
SYFALA_WASM_CONSTANT(ease_seconds, syfala::kEaseSeconds)

SYFALA_WASM_EXPORT(loss_concealer_new)
LossConcealer* loss_concealer_new(uint32_t channels, double sample_rate) {
  return new LossConcealer(channels, sample_rate);
}

SYFALA_WASM_DELETE(loss_concealer_free, LossConcealer)

/// `playing` and `skipped_frames` are the fields of the jitter buffer's PullResult it reads.
SYFALA_WASM_EXPORT(loss_concealer_conceal)
void loss_concealer_conceal(LossConcealer* c, float* samples, uint32_t frames, bool playing,
                            uint32_t skipped_frames, const uint8_t* missing) {
  c->conceal(samples, frames, {playing, 0, false, skipped_frames}, missing);
}

SYFALA_WASM_EXPORT(loss_concealer_reset) void loss_concealer_reset(LossConcealer* c) { c->reset(); }

SYFALA_WASM_EXPORT(loss_concealer_gaps)
double loss_concealer_gaps(const LossConcealer* c) { return double(c->gaps()); }
