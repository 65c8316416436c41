// JitterBuffer (jitter_buffer.hpp) for packages/dataplane/src/jitter-buffer.ts. Byte indices and
// counters travel as doubles: exact below 2^53, the TS API's safe integers.
#include "export.hpp"
#include "jitter_buffer.hpp"
#include "pull_result.hpp"

using syfala::JitterBuffer;

SYFALA_WASM_CONSTANT(concealed_range_history, syfala::kConcealedRangeHistory)
SYFALA_WASM_CONSTANT(slip_window_seconds, syfala::kSlipWindowSeconds)
SYFALA_WASM_CONSTANT(resync_after_runs, syfala::kResyncAfterRuns)

SYFALA_WASM_EXPORT(pull_result) double* pull_result() { return syfala_pull_result; }

SYFALA_WASM_EXPORT(jitter_buffer_new)
JitterBuffer* jitter_buffer_new(uint32_t sample_rate, uint32_t channels, uint32_t type,
                                uint32_t capacity_frames, uint32_t target_latency_frames,
                                bool skip_surplus, bool conceal_underruns,
                                bool skip_covered_gaps) {
  syfala::JitterBufferOptions options;
  options.skip_surplus = skip_surplus;
  options.conceal_underruns = conceal_underruns;
  options.skip_covered_gaps = skip_covered_gaps;
  return new JitterBuffer({sample_rate, channels, syfala::SampleType(type)}, capacity_frames,
                          target_latency_frames, options);
}

SYFALA_WASM_DELETE(jitter_buffer_free, JitterBuffer)

SYFALA_WASM_EXPORT(jitter_buffer_push)
uint32_t jitter_buffer_push(JitterBuffer* jb, double byte_index, const uint8_t* data,
                            uint32_t len) {
  return uint32_t(jb->push(uint64_t(byte_index), data, len));
}

SYFALA_WASM_EXPORT(jitter_buffer_pull)
void jitter_buffer_pull(JitterBuffer* jb, uint8_t* dst, uint32_t frames, uint8_t* missing) {
  publish_pull_result(jb->pull(dst, frames, missing));
}

SYFALA_WASM_EXPORT(jitter_buffer_reset) void jitter_buffer_reset(JitterBuffer* jb) { jb->reset(); }

SYFALA_WASM_EXPORT(jitter_buffer_playing)
bool jitter_buffer_playing(const JitterBuffer* jb) { return jb->playing(); }

SYFALA_WASM_EXPORT(jitter_buffer_target_latency_frames)
uint32_t jitter_buffer_target_latency_frames(const JitterBuffer* jb) {
  return uint32_t(jb->target_latency_frames());
}

SYFALA_WASM_EXPORT(jitter_buffer_capacity_frames)
uint32_t jitter_buffer_capacity_frames(const JitterBuffer* jb) {
  return uint32_t(jb->capacity_frames());
}

SYFALA_WASM_EXPORT(jitter_buffer_set_target_latency_frames)
bool jitter_buffer_set_target_latency_frames(JitterBuffer* jb, uint32_t frames) {
  return jb->set_target_latency_frames(frames);
}

SYFALA_WASM_EXPORT(jitter_buffer_late_frames)
uint32_t jitter_buffer_late_frames(const JitterBuffer* jb) { return uint32_t(jb->late_frames()); }

SYFALA_WASM_EXPORT(jitter_buffer_set_late_frames)
void jitter_buffer_set_late_frames(JitterBuffer* jb, uint32_t frames) { jb->set_late_frames(frames); }

SYFALA_WASM_EXPORT(jitter_buffer_buffered_frames)
double jitter_buffer_buffered_frames(const JitterBuffer* jb) { return double(jb->buffered_frames()); }

/// Writes the stats snapshot into `out`, one double per field of jitter_stats_fields.hpp.
SYFALA_WASM_EXPORT(jitter_buffer_stats)
void jitter_buffer_stats(const JitterBuffer* jb, double* out) {
  const syfala::JitterStatsSnapshot s = jb->stats().snapshot();
#define SYFALA_WRITE_FIELD(name, ts_name) *out++ = double(s.name);
  SYFALA_JITTER_STATS_FIELDS(SYFALA_WRITE_FIELD, SYFALA_WRITE_FIELD)
#undef SYFALA_WRITE_FIELD
}

/// Writes up to `max` concealed ranges into `out` as start, end pairs of doubles; returns how many.
SYFALA_WASM_EXPORT(jitter_buffer_concealed_ranges)
uint32_t jitter_buffer_concealed_ranges(const JitterBuffer* jb, double* out, uint32_t max) {
  // Reuses `out`'s own space: a pair of uint64 takes what a pair of doubles does.
  auto* ranges = reinterpret_cast<std::pair<uint64_t, uint64_t>*>(out);
  const size_t n = jb->concealed_ranges(ranges, max);
  for (size_t k = 0; k < n; ++k) {
    const auto [start, end] = ranges[k];
    out[2 * k] = double(start);
    out[2 * k + 1] = double(end);
  }
  return uint32_t(n);
}
