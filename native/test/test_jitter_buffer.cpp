// JitterBuffer edge cases, and a differential fuzz against a byte-by-byte transliteration of the
// TS jitter buffer it replaced (the C++ works in runs of bytes; the TS worked byte by byte).
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/jitter_buffer.hpp"
#include "harness.hpp"
#include "jitter_stats_values.hpp"

using namespace syfala;

namespace {

const Format kI16Stereo{48000, 2, SampleType::I16};  // 4-byte frames
const Format kU16Stereo{48000, 2, SampleType::U16};

std::vector<uint8_t> pattern(size_t from, size_t count) {
  std::vector<uint8_t> bytes(count);
  for (size_t i = 0; i < count; ++i) bytes[i] = uint8_t((from + i) % 251 + 1);
  return bytes;
}

size_t push_run(JitterBuffer& jb, size_t start, size_t end) {
  const std::vector<uint8_t> bytes = pattern(start, end - start);
  return jb.push(start, bytes.data(), bytes.size());
}

std::vector<uint8_t> pull(JitterBuffer& jb, size_t frames) {
  std::vector<uint8_t> out(frames * jb.bytes_per_frame(), 0xee);
  jb.pull(out.data(), frames);
  return out;
}

std::vector<std::pair<uint64_t, uint64_t>> ranges(const JitterBuffer& jb) {
  std::vector<std::pair<uint64_t, uint64_t>> out(kConcealedRangeHistory);
  out.resize(jb.concealed_ranges(out.data(), out.size()));
  return out;
}

/// The TS jitter buffer, byte by byte, with plain counters.
class Reference {
 public:
  Reference(const Format& f, size_t capacity_frames, size_t target)
      : bpf_(bytes_per_frame(f)),
        capacity_frames_(capacity_frames),
        capacity_(capacity_frames * bpf_),
        target_(target),
        window_(uint64_t(std::ceil(f.sample_rate * kSlipWindowSeconds))),
        data_(capacity_),
        present_(capacity_),
        silent_(bpf_) {
    const size_t b = bytes_per_sample(f.type);
    if (is_unsigned(f.type)) {
      for (size_t i = b - 1; i < bpf_; i += b) silent_[i] = 0x80;
    }
  }

  size_t push(uint64_t index, const uint8_t* payload, size_t length) {
    if (length == 0) return 0;
    s.datagrams++;
    uint64_t end = index + length;
    if (end <= playhead_) {
      (met_concealment(index, end) ? s.late : s.duplicate)++;
      return 0;
    }
    if (index >= playhead_ + capacity_) {
      if (++past_window_ < kResyncAfterRuns) {
        s.overrun_datagrams++;
        s.overrun_bytes += length;
        return 0;
      }
      skip(index / bpf_ * bpf_ - playhead_);
      highest_ = playhead_;
      playing_ = false;
      lowest_ = UINT64_MAX;
      window_frames_ = 0;
      s.resyncs++;
    }
    past_window_ = 0;
    uint64_t start = index;
    if (start < playhead_) {
      start = playhead_;
      s.overlap_trimmed++;
    }
    const uint64_t limit = playhead_ + capacity_;
    if (end > limit) {
      s.overrun_datagrams++;
      s.overrun_bytes += end - limit;
      end = limit;
    }
    size_t stored = 0;
    for (uint64_t i = start; i < end; ++i) {
      const size_t slot = size_t(i % capacity_);
      if (present_[slot] == 0) {
        data_[slot] = payload[i - index];
        present_[slot] = 1;
        stored++;
      }
    }
    if (stored == 0) s.duplicate++;
    s.received_bytes += stored;
    if (end > highest_) highest_ = end;
    return stored;
  }

  PullResult pull(uint8_t* dst, size_t frames, uint8_t* missing_frames) {
    const size_t length = frames * bpf_;
    std::fill(missing_frames, missing_frames + frames, 0);
    if (!playing_ && highest_ - playhead_ < std::max<uint64_t>(target_ * bpf_, length)) {
      return silence(dst, frames, false);
    }
    if (highest_ < playhead_ + length) {
      s.underruns++;
      playing_ = false;
      return silence(dst, frames, true);
    }
    const bool starting = !playing_;
    const bool first_start = !started_;
    playing_ = true;
    started_ = true;
    int64_t gap_start = -1;
    size_t concealed = 0;
    for (size_t i = 0; i < length; ++i) {
      const size_t slot = size_t((playhead_ + i) % capacity_);
      if (present_[slot] == 1) {
        dst[i] = data_[slot];
        present_[slot] = 0;
        if (gap_start >= 0) record(uint64_t(gap_start), playhead_ + i);
        gap_start = -1;
      } else {
        dst[i] = silent_[i % bpf_];
        concealed++;
        missing_frames[i / bpf_] = 1;
        if (gap_start < 0) gap_start = int64_t(playhead_ + i);
      }
    }
    if (gap_start >= 0) record(uint64_t(gap_start), playhead_ + length);
    playhead_ += length;
    if (starting) start_fill_ = first_start ? highest_ - playhead_ : 0;
    s.lost_bytes += concealed;
    return {true, concealed, false, watch_fill(frames)};
  }

  void reset() {
    std::fill(present_.begin(), present_.end(), 0);
    playing_ = false;
    started_ = false;
    lowest_ = UINT64_MAX;
    window_frames_ = 0;
    past_window_ = 0;
    playhead_ = highest_ = 0;
    ranges_.clear();
    forgotten_before_ = 0;
  }

  bool set_target(size_t frames) {
    if (frames < 1 || frames > capacity_frames_ / 2) return false;
    target_ = frames;
    return true;
  }

  std::vector<uint64_t> stats() const {
    JitterStatsSnapshot all = s;
    all.lost_frames = s.lost_bytes / bpf_;
    all.buffered_frames = (highest_ > playhead_ ? highest_ - playhead_ : 0) / bpf_;
    all.target_latency_frames = target_;
    all.playhead_byte = playhead_;
    all.highest_byte = highest_;
    return test::stats_values(all);
  }

  std::vector<std::pair<uint64_t, uint64_t>> ranges_;

 private:
  /// The counters; stats() fills in the rest.
  JitterStatsSnapshot s{};

  PullResult silence(uint8_t* dst, size_t frames, bool underrun) {
    for (size_t i = 0; i < frames * bpf_; ++i) dst[i] = silent_[i % bpf_];
    s.priming_frames += frames;
    if (started_) s.underrun_frames += frames;
    lowest_ = UINT64_MAX;
    window_frames_ = 0;
    return {false, 0, underrun, 0};
  }

  size_t watch_fill(size_t frames) {
    lowest_ = std::min(lowest_, highest_ - playhead_);
    window_frames_ += frames;
    if (window_frames_ < window_) return 0;
    const uint64_t floor = std::max<uint64_t>(target_ * bpf_, start_fill_);
    const size_t skipped = lowest_ > floor ? (lowest_ - floor) / bpf_ : 0;
    skip(skipped * bpf_);
    lowest_ = UINT64_MAX;
    window_frames_ = 0;
    return skipped;
  }

  // Byte by byte; past the window (a resync) nothing is present, so each byte there is missing.
  void skip(uint64_t bytes) {
    int64_t gap_start = -1;
    for (uint64_t i = 0; i < bytes; ++i) {
      const size_t slot = size_t((playhead_ + i) % capacity_);
      if (i < capacity_ && present_[slot] == 1) {
        present_[slot] = 0;
        if (gap_start >= 0) {
          record(uint64_t(gap_start), playhead_ + i);
          s.lost_bytes += playhead_ + i - uint64_t(gap_start);
        }
        gap_start = -1;
      } else if (gap_start < 0) {
        gap_start = int64_t(playhead_ + i);
      }
    }
    if (gap_start >= 0) {
      record(uint64_t(gap_start), playhead_ + bytes);
      s.lost_bytes += playhead_ + bytes - uint64_t(gap_start);
    }
    playhead_ += bytes;
    s.skipped_frames += bytes / bpf_;
  }

  void record(uint64_t start, uint64_t end) {
    if (!ranges_.empty() && ranges_.back().second == start) {
      ranges_.back().second = end;
      return;
    }
    if (ranges_.size() == kConcealedRangeHistory) {
      forgotten_before_ = ranges_.front().second;
      ranges_.erase(ranges_.begin());
    }
    ranges_.push_back({start, end});
  }

  bool met_concealment(uint64_t start, uint64_t end) const {
    if (start < forgotten_before_) return true;
    for (const auto& r : ranges_) {
      if (r.second > start) return r.first < end;
    }
    return false;
  }

  size_t bpf_, capacity_frames_, capacity_, target_;
  uint64_t window_, lowest_ = UINT64_MAX, window_frames_ = 0, past_window_ = 0, start_fill_ = 0;
  bool started_ = false;
  std::vector<uint8_t> data_, present_, silent_;
  bool playing_ = false;
  uint64_t playhead_ = 0, highest_ = 0, forgotten_before_ = 0;
};

std::vector<uint64_t> stats_of(const JitterBuffer& jb) {
  return test::stats_values(jb.stats().snapshot());
}

}  // namespace

TEST(jitter_buffer_plays_an_in_order_stream_once_the_target_is_buffered) {
  JitterBuffer jb(kI16Stereo, 16, 8);
  push_run(jb, 0, 16);
  CHECK(pull(jb, 4) == std::vector<uint8_t>(16, 0));
  CHECK(!jb.playing());
  CHECK_EQ(jb.stats().priming_frames.load(), 4u);
  for (size_t tick = 1; tick < 12; ++tick) {
    push_run(jb, tick * 16, (tick + 1) * 16);
    CHECK_EQ(jb.stats().buffered_frames.load(), 8u);
    CHECK(pull(jb, 4) == pattern((tick - 1) * 16, 16));
    CHECK(jb.playing());
  }
  CHECK_EQ(jb.stats().lost_bytes.load(), 0u);
}

TEST(jitter_buffer_conceals_unsigned_gaps_with_the_silent_byte_of_their_position) {
  JitterBuffer jb(kU16Stereo, 8, 1);
  push_run(jb, 0, 1);  // byte 0 only; bytes 1..7 missing, the gap starts inside a sample
  push_run(jb, 7, 8);
  const std::vector<uint8_t> out = pull(jb, 2);
  const std::vector<uint8_t> first = pattern(0, 1);
  const std::vector<uint8_t> last = pattern(7, 1);
  CHECK(out == (std::vector<uint8_t>{first[0], 0x80, 0x00, 0x80, 0x00, 0x80, 0x00, last[0]}));
  CHECK(ranges(jb) == (std::vector<std::pair<uint64_t, uint64_t>>{{1, 7}}));
}

TEST(jitter_buffer_primes_until_a_whole_pull_is_buffered_even_above_the_target) {
  JitterBuffer jb(kI16Stereo, 16, 2);
  push_run(jb, 0, 16);
  CHECK(pull(jb, 6) == std::vector<uint8_t>(24, 0));
  CHECK(!jb.playing());
  CHECK_EQ(jb.stats().underruns.load(), 0u);
  push_run(jb, 16, 24);
  CHECK(pull(jb, 6) == pattern(0, 24));
  CHECK_EQ(jb.stats().priming_frames.load(), 6u);
}

TEST(jitter_buffer_underruns_once_when_the_sender_stalls_then_plays_on_losing_nothing) {
  JitterBuffer jb(kI16Stereo, 8, 4);
  push_run(jb, 0, 16);
  CHECK(pull(jb, 2) == pattern(0, 8));
  CHECK(pull(jb, 2) == pattern(8, 8));
  for (int i = 0; i < 3; ++i) {
    std::vector<uint8_t> out(8, 0xee);
    const PullResult r = jb.pull(out.data(), 2);
    CHECK(out == std::vector<uint8_t>(8, 0));
    CHECK(!r.playing);
    CHECK_EQ(r.concealed_bytes, 0u);
    CHECK_EQ(r.underrun, i == 0);
  }
  CHECK_EQ(jb.stats().underruns.load(), 1u);
  CHECK_EQ(jb.stats().playhead_byte.load(), 16u);
  push_run(jb, 16, 32);
  CHECK(pull(jb, 2) == pattern(16, 8));
  CHECK(pull(jb, 2) == pattern(24, 8));
  const JitterStatsSnapshot s = jb.stats().snapshot();
  CHECK_EQ(s.lost_bytes, 0u);
  CHECK_EQ(s.priming_frames, 6u);
  CHECK_EQ(s.late, 0u);
  CHECK(ranges(jb).empty());
}

TEST(jitter_buffer_does_not_take_a_device_running_late_for_a_faster_sender) {
  // As the TS test: 8 Hz, slip window 4 frames; the callbacks come 4 frames late.
  for (const size_t late : {size_t(4), size_t(0)}) {
    JitterBuffer jb(Format{8, 2, SampleType::I16}, 32, 2);
    push_run(jb, 0, 8);
    CHECK(pull(jb, 2) == pattern(0, 8));
    push_run(jb, 8, 16);
    CHECK(pull(jb, 2) == pattern(8, 8));
    jb.set_late_frames(late);
    push_run(jb, 16, 40);
    CHECK(pull(jb, 2) == pattern(16, 8));
    push_run(jb, 40, 48);
    CHECK(pull(jb, 2) == pattern(24, 8));
    CHECK_EQ(jb.stats().skipped_frames.load(), late == 4 ? 0u : 2u);
  }
}

TEST(jitter_buffer_skips_a_surplus_held_for_a_window_and_conceals_its_gaps) {
  // 8 Hz: the slip window is 4 frames, two pulls of 2. A 40-byte ring, target 8 bytes.
  JitterBuffer jb(Format{8, 2, SampleType::I16}, 10, 2);
  push_run(jb, 0, 8);
  CHECK(pull(jb, 2) == pattern(0, 8));
  // Playback started at the target, so that is where a surplus is measured from.
  push_run(jb, 8, 24);
  CHECK(pull(jb, 2) == pattern(8, 8));
  CHECK_EQ(jb.stats().skipped_frames.load(), 0u);
  push_run(jb, 24, 36);
  push_run(jb, 40, 56);
  CHECK(pull(jb, 2) == pattern(16, 8));
  // Lowest fill 24 bytes: skip 16, [32, 48), across the end of the ring, gap [36, 40) inside.
  std::vector<uint8_t> out(8, 0xee);
  const PullResult r = jb.pull(out.data(), 2);
  CHECK(out == pattern(24, 8));
  CHECK(r.playing);
  CHECK_EQ(r.concealed_bytes, 0u);
  CHECK_EQ(r.skipped_frames, 4u);
  CHECK(ranges(jb) == (std::vector<std::pair<uint64_t, uint64_t>>{{36, 40}}));
  JitterStatsSnapshot s = jb.stats().snapshot();
  CHECK_EQ(s.skipped_frames, 4u);
  CHECK_EQ(s.lost_bytes, 4u);
  CHECK_EQ(s.playhead_byte, 48u);
  CHECK_EQ(s.buffered_frames, 2u);
  CHECK(pull(jb, 2) == pattern(48, 8));
  // The gap's bytes arriving now are late; skipped bytes that had arrived are duplicates.
  CHECK_EQ(push_run(jb, 36, 40), 0u);
  CHECK_EQ(push_run(jb, 40, 44), 0u);
  s = jb.stats().snapshot();
  CHECK_EQ(s.late, 1u);
  CHECK_EQ(s.duplicate, 1u);
  CHECK_EQ(s.underruns, 0u);
}

TEST(jitter_buffer_masks_each_frame_a_missing_byte_touches_and_no_frame_when_not_playing) {
  JitterBuffer jb(kI16Stereo, 16, 4);
  std::vector<uint8_t> mask(4, 0xee);
  std::vector<uint8_t> out(16);
  // Priming: silence, nothing concealed, the mask all 0.
  CHECK(!jb.pull(out.data(), 4, mask.data()).playing);
  CHECK(mask == std::vector<uint8_t>(4, 0));
  // Frame 2 (bytes 8 to 11) never comes, frame 3 misses one byte (15).
  push_run(jb, 0, 8);
  push_run(jb, 12, 15);
  push_run(jb, 16, 32);
  const PullResult& r = jb.pull(out.data(), 4, mask.data());
  CHECK(r.playing);
  CHECK_EQ(r.concealed_bytes, 5u);
  CHECK_EQ(r.skipped_frames, 0u);
  CHECK(mask == (std::vector<uint8_t>{0, 0, 1, 1}));
  CHECK(jb.pull(out.data(), 4, mask.data()).playing);
  CHECK(mask == std::vector<uint8_t>(4, 0));
  // An underrun: not playing, the mask cleared all the same.
  mask.assign(4, 1);
  CHECK(jb.pull(out.data(), 4, mask.data()).underrun);
  CHECK(mask == std::vector<uint8_t>(4, 0));
}

TEST(jitter_buffer_ignores_empty_runs_and_byte_indices_from_2_pow_53) {
  JitterBuffer jb(kI16Stereo, 8, 2);
  const uint8_t byte = 1;
  CHECK_EQ(jb.push(0, &byte, 0), 0u);
  CHECK_EQ(jb.push(kMaxByteIndex + 1, &byte, 1), 0u);
  CHECK_EQ(jb.stats().datagrams.load(), 0u);
  CHECK_EQ(jb.push(kMaxByteIndex, &byte, 1), 0u);  // valid, far beyond the capacity
  CHECK_EQ(jb.stats().overrun_datagrams.load(), 1u);
}

TEST(jitter_buffer_pulls_zero_frames_without_moving) {
  JitterBuffer jb(kI16Stereo, 8, 1);
  push_run(jb, 0, 8);
  CHECK(jb.pull(nullptr, 0).playing);
  CHECK_EQ(jb.stats().playhead_byte.load(), 0u);
}

TEST(jitter_buffer_target_latency_stays_within_half_the_capacity) {
  JitterBuffer jb(kI16Stereo, 16, 4);
  CHECK(!jb.set_target_latency_frames(0));
  CHECK(!jb.set_target_latency_frames(9));
  CHECK_EQ(jb.target_latency_frames(), 4u);
  CHECK(jb.set_target_latency_frames(8));
  CHECK_EQ(jb.stats().target_latency_frames.load(), 8u);
}

TEST(jitter_buffer_rejects_bad_parameters) {
  CHECK_THROWS(JitterBuffer(kI16Stereo, 16, 0), std::invalid_argument);
  CHECK_THROWS(JitterBuffer(kI16Stereo, 15, 8), std::invalid_argument);
  CHECK_THROWS(JitterBuffer(Format{48000, 0, SampleType::I16}, 16, 8), std::invalid_argument);
  CHECK_THROWS(JitterBuffer(Format{48000, 65536, SampleType::I16}, 16, 8), std::invalid_argument);
  CHECK_THROWS(JitterBuffer(Format{48000, 2, SampleType(0)}, 16, 8), std::invalid_argument);
  CHECK_THROWS(JitterBuffer(Format{0, 2, SampleType::I16}, 16, 8), std::invalid_argument);
  CHECK_THROWS(JitterBuffer(kI16Stereo, SIZE_MAX / 2, 8), std::invalid_argument);
}

TEST(jitter_buffer_copies_at_most_max_concealed_ranges) {
  JitterBuffer jb(kI16Stereo, 8, 1);
  for (size_t i = 0; i < 5; ++i) {
    push_run(jb, i * 8 + 4, i * 8 + 8);  // first frame of each pull missing
    pull(jb, 2);
  }
  std::pair<uint64_t, uint64_t> two[2];
  CHECK_EQ(jb.concealed_ranges(two, 2), 2u);
  CHECK(two[0] == (std::pair<uint64_t, uint64_t>{0, 4}));
  CHECK(two[1] == (std::pair<uint64_t, uint64_t>{8, 12}));
  CHECK_EQ(ranges(jb).size(), 5u);
}

TEST(jitter_buffer_keeps_its_stats_where_they_were_when_moved) {
  JitterBuffer jb(kI16Stereo, 8, 1);
  const JitterStats* stats = &jb.stats();
  JitterBuffer moved(std::move(jb));
  push_run(moved, 0, 4);
  CHECK_EQ(&moved.stats(), stats);
  CHECK_EQ(stats->received_bytes.load(), 4u);
}

TEST(jitter_buffer_push_pull_reset_and_target_allocate_nothing) {
  if (!test::allocations_counted()) return;
  JitterBuffer jb(kU16Stereo, 64, 8);
  const std::vector<uint8_t> bytes = pattern(0, 4096);
  std::vector<uint8_t> out(64 * 4);
  const size_t before = test::allocations();
  for (size_t i = 0; i < 200; ++i) {
    jb.push(i * 40 + (i % 3) * 8, bytes.data(), 40);
    jb.pull(out.data(), 10);
    if (i % 50 == 49) jb.reset();
    jb.set_target_latency_frames(1 + i % 32);
  }
  CHECK_EQ(test::allocations(), before);
}

TEST(jitter_buffer_matches_the_byte_by_byte_reference_under_random_ops) {
  // Low rates give short slip windows (a few to a few hundred frames), so skips happen too.
  const Format formats[] = {{48000, 1, SampleType::U8}, {40, 3, SampleType::U24},
                            {301, 2, SampleType::F32}, {44100, 5, SampleType::I16},
                            {9, 2, SampleType::U16}};
  std::mt19937_64 random(42);
  uint64_t skipped = 0;
  uint64_t underruns = 0;
  uint64_t resyncs = 0;
  size_t masked_frames = 0;
  auto uniform = [&](uint64_t lo, uint64_t hi) { return lo + random() % (hi - lo + 1); };
  for (const Format& f : formats) {
    SCOPE(std::string(sample_type_name(f.type)) + " x" + std::to_string(f.channels));
    const size_t bpf = bytes_per_frame(f);
    const size_t capacity = uniform(8, 40);
    const size_t target = uniform(1, capacity / 2);
    JitterBuffer jb(f, capacity, target);
    Reference ref(f, capacity, target);
    std::vector<uint8_t> payload(3 * capacity * bpf);
    for (uint8_t& b : payload) b = uint8_t(random());
    uint64_t sent = 0;
    for (int op = 0; op < 20000 && test::failures() == 0; ++op) {
      const uint64_t kind = uniform(0, 99);
      if (kind < 60) {
        // Mostly near the send position, sometimes far behind or far ahead.
        const uint64_t len = uniform(1, 2 * bpf + 7);
        const uint64_t back = uniform(0, kind < 50 ? 3 * bpf : 4 * capacity * bpf);
        const uint64_t at = kind % 7 == 0 ? sent + uniform(0, 2 * capacity * bpf)
                                          : (sent > back ? sent - back : 0);
        sent = std::max(sent, at + len);
        CHECK_EQ(jb.push(at, payload.data(), len), ref.push(at, payload.data(), len));
      } else if (kind < 97) {
        const size_t frames = uniform(0, kind == 96 ? 3 * capacity : 6);
        std::vector<uint8_t> a(frames * bpf, 0xee), b(frames * bpf, 0xee);
        std::vector<uint8_t> mask_a(frames, 0xee), mask_b(frames, 0xee);
        // Half the pulls without a mask: the default path must play the same.
        const PullResult ra = jb.pull(a.data(), frames, kind % 2 == 0 ? mask_a.data() : nullptr);
        const PullResult rb = ref.pull(b.data(), frames, mask_b.data());
        CHECK(a == b);
        if (kind % 2 == 0) CHECK(mask_a == mask_b);
        CHECK_EQ(ra.playing, rb.playing);
        CHECK_EQ(ra.concealed_bytes, rb.concealed_bytes);
        CHECK_EQ(ra.underrun, rb.underrun);
        CHECK_EQ(ra.skipped_frames, rb.skipped_frames);
        masked_frames += std::count(mask_b.begin(), mask_b.end(), 1);
      } else if (kind < 98) {
        jb.reset();
        ref.reset();
        sent = 0;
      } else {
        const size_t frames = uniform(0, capacity);
        CHECK_EQ(jb.set_target_latency_frames(frames), ref.set_target(frames));
      }
      CHECK(stats_of(jb) == ref.stats());
    }
    CHECK(ranges(jb) == ref.ranges_);
    skipped += jb.stats().skipped_frames.load();
    underruns += jb.stats().underruns.load();
    resyncs += jb.stats().resyncs.load();
  }
  // The ops reach both clock cases, underruns and (at the low rates) skips, and resyncs.
  CHECK(skipped > 0);
  CHECK(underruns > 0);
  CHECK(resyncs > 0);
  CHECK(masked_frames > 0);
}

namespace {

/// A 48 kHz stream of 64-frame datagrams played in 64-frame periods, target 128, as the engine
/// runs a drift-compensated peer (no slips: the resampler holds the fill).
struct PeriodStream {
  static constexpr size_t kPeriod = 64;
  static constexpr size_t kBytes = kPeriod * 4;
  JitterBuffer jb{kI16Stereo, 4800, 2 * kPeriod, [] {
                    JitterBufferOptions o;
                    o.skip_surplus = false;
                    return o;
                  }()};
  size_t sent = 0;  // datagrams

  void send(size_t datagrams) {
    for (size_t i = 0; i < datagrams; ++i, ++sent) push_run(jb, sent * kBytes, (sent + 1) * kBytes);
  }
  PullResult pull() {
    std::vector<uint8_t> out(kBytes);
    return jb.pull(out.data(), kPeriod);
  }
  /// The fill the next period finds once its datagram has arrived, frames.
  size_t fill_found() const { return jb.buffered_frames() + kPeriod; }
};

}  // namespace

