// Receiver side of one audio stream (PROTOCOL.md §7.2), for the native engine and, compiled to
// WebAssembly, the TS one (packages/dataplane/src/jitter-buffer.ts wraps it;
// packages/dataplane/vectors/jitter-scenarios.json holds its exact results): runs are reassembled by byte index and played on the device's clock,
// whatever is missing when due is concealed with the format's zero, and every case is counted.
//
// Storage is a byte ring of capacity_frames frames indexed by byte index modulo its size, and a
// flag per byte: 1 while a received byte waits to be played. Only [playhead, playhead + capacity)
// is ever stored, so the flag alone tells a buffered byte from a missing one. Runs that end
// before the playhead are classified against the history of concealed ranges: every byte before
// the playhead was either received or concealed, so a run is late exactly when it meets a
// concealed range (one binary search), and duplicate otherwise.
//
// Clocks: the sender's and the receiver's never agree exactly. A slower sender drains the buffer:
// a period that is due and has not all arrived is an underrun, played as silence without moving
// the playhead, and the buffer primes again (nothing is lost; the latency grows back to the
// target); with conceal_underruns the missing part is concealed instead and the playhead moves
// on; a second underrun in a row with nothing received past the playhead (a sender that lost
// periods, or stopped) primes again.
// A faster sender fills it: when its lowest fill over kSlipWindowSeconds stays above the target (or
// the fill the stream first started with, when that was more), the surplus is skipped and the
// latency falls back to it: a stream whose clocks agree is never skipped. A stalled sender's burst,
// piled up while the buffer primed again, is skipped the same way. A receiver that stalled longer
// than its capacity finds every new run past its window: after kResyncAfterRuns of them in a row it
// jumps to the newest and primes again (a resync), rather than overrun for ever.
//
// Everything is allocated in the constructor; push, pull, reset and the setters allocate, lock,
// throw and log nothing. One thread (the owner) calls them; stats() may be read from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include "format.hpp"
#include "jitter_stats_fields.hpp"
#include "wire.hpp"

namespace syfala {

/// Concealed ranges remembered for concealed_ranges() and for telling late from duplicate.
inline constexpr size_t kConcealedRangeHistory = 1024;

/// How long the fill is watched before surplus latency is dropped, in seconds of the stream:
/// long enough that arrival jitter has shown its low points, short enough to follow a drift.
inline constexpr double kSlipWindowSeconds = 0.5;

/// Runs in a row that land wholly past the buffer before the playhead jumps to them: the receiver
/// stalled longer than its capacity. More than one, so one corrupted byte index can't do it.
inline constexpr uint64_t kResyncAfterRuns = 4;

/// What one pull() did; the buffer reuses it, read it before the next pull.
struct PullResult {
  bool playing;            ///< false while priming: the period is silence, the playhead stays
  size_t concealed_bytes;  ///< bytes of this period that had not arrived and were concealed
  /// The period was due but had not all arrived: silence, primes again; or, with
  /// conceal_underruns (and playing true), what arrived played and the rest concealed.
  bool underrun;
  size_t skipped_frames;   ///< frames skipped right after this period (a slip); 0 otherwise
};

/// The TS JitterBufferOptions' switches.
struct JitterBufferOptions {
  /// Drop the surplus when the fill stays above the target (or the fill playback started with)
  /// for kSlipWindowSeconds (a faster sender); false when a DriftCompensatedStream holds the fill.
  bool skip_surplus = true;
  /// Conceal an underrun instead of priming again: a period due while playing that has not all
  /// arrived plays what did, the rest concealed and counted as lost, and the playhead moves on.
  /// Until the sender is behind: an underrun right after a concealed one, with nothing received
  /// past the playhead, primes again (a sender that lost periods, or stopped, gets its latency
  /// back at once).
  bool conceal_underruns = false;
  /// Within kSlipWindowSeconds of priming again after an underrun, a missing run the playhead
  /// reaches is skipped as far as the fill beyond it is above the target, the rest concealed. A
  /// sender that stalled and lost the time (its device's xrun) sends a gap for it (PROTOCOL.md
  /// §7.2) a few periods later; this side already waited that stall out priming, so the gap
  /// would be latency for a resampler to draw down over seconds. Off: gaps are always played.
  bool skip_covered_gaps = false;
};

/// A plain copy of JitterStats, field for field the TS JitterBufferStats (jitter_stats_fields.hpp).
struct JitterStatsSnapshot {
#define SYFALA_SNAPSHOT_FIELD(name, ts_name) uint64_t name;
  SYFALA_JITTER_STATS_FIELDS(SYFALA_SNAPSHOT_FIELD, SYFALA_SNAPSHOT_FIELD)
#undef SYFALA_SNAPSHOT_FIELD
};

/// The fields of jitter_stats_fields.hpp. Only the owner thread stores them (relaxed), so any
/// thread may read them; a reader sees each value whole, not all of them from the same instant.
struct JitterStats {
  explicit JitterStats(size_t frame_bytes) : bytes_per_frame(frame_bytes) {}

  const uint64_t bytes_per_frame;
#define SYFALA_STORED_FIELD(name, ts_name) std::atomic<uint64_t> name{0};
#define SYFALA_DERIVED_FIELD(name, ts_name)
  SYFALA_JITTER_STATS_FIELDS(SYFALA_STORED_FIELD, SYFALA_DERIVED_FIELD)
#undef SYFALA_STORED_FIELD
#undef SYFALA_DERIVED_FIELD

  /// lost_bytes in whole frames (rounded down: a run may end inside a frame).
  uint64_t lost_frames() const { return read(lost_bytes) / bytes_per_frame; }

  JitterStatsSnapshot snapshot() const {
    JitterStatsSnapshot s{};
#define SYFALA_STORED_FIELD(name, ts_name) s.name = read(name);
#define SYFALA_DERIVED_FIELD(name, ts_name) s.name = name();
    SYFALA_JITTER_STATS_FIELDS(SYFALA_STORED_FIELD, SYFALA_DERIVED_FIELD)
#undef SYFALA_STORED_FIELD
#undef SYFALA_DERIVED_FIELD
    return s;
  }

 private:
  static uint64_t read(const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); }
};

class JitterBuffer {
 public:
  /// Throws std::invalid_argument for an invalid format (channels 1 to 65,535, a known sample
  /// type, a positive rate), a target latency below 1 or a capacity below twice the target.
  JitterBuffer(const Format& f, size_t capacity_frames, size_t target_latency_frames,
               const JitterBufferOptions& options = {})
      : bytes_per_frame_(checked_bytes_per_frame(f)),
        capacity_frames_(capacity_frames),
        target_latency_frames_(target_latency_frames),
        options_(options),
        slip_window_frames_(uint64_t(std::ceil(f.sample_rate * kSlipWindowSeconds))) {
    if (target_latency_frames < 1) {
      throw std::invalid_argument("jitter buffer: target latency must be ≥ 1 frame");
    }
    if (capacity_frames / 2 < target_latency_frames) {
      throw std::invalid_argument(
          "jitter buffer: capacity must be at least twice the target latency");
    }
    // Far beyond any memory, and keeps capacity arithmetic from overflowing.
    if (capacity_frames > SIZE_MAX / 4 / bytes_per_frame_) {
      throw std::invalid_argument("jitter buffer: capacity too large");
    }
    capacity_bytes_ = capacity_frames * bytes_per_frame_;
    data_.reset(new uint8_t[capacity_bytes_]());
    present_.reset(new uint8_t[capacity_bytes_]());
    ranges_.reset(new Range[kConcealedRangeHistory]());
    // Signed and float zero is all zero bytes; unsigned zero is offset binary, 0x80 in the top
    // (last, little-endian) byte of each sample.
    silent_frame_.reset(new uint8_t[bytes_per_frame_]());
    const size_t sample_bytes = bytes_per_sample(f.type);
    silence_is_zero_ = !is_unsigned(f.type);
    if (!silence_is_zero_) {
      for (size_t i = sample_bytes - 1; i < bytes_per_frame_; i += sample_bytes) {
        silent_frame_[i] = 0x80;
      }
    }
    stats_.reset(new JitterStats(bytes_per_frame_));
    publish_gauges();
  }

  /// Stores the run [byte_index, byte_index + len), one AUDI payload. Returns how many of its
  /// bytes were new and stored; the fate of the rest is counted in stats(). A byte index of
  /// 2^53 or more (read_audio_header never gives one) is ignored and not counted.
  size_t push(uint64_t byte_index, const uint8_t* data, size_t len) {
    if (len == 0 || byte_index > kMaxByteIndex) return 0;
    JitterStats& s = *stats_;
    add(s.datagrams);
    uint64_t end = byte_index + len;
    if (end <= playhead_) {
      add(met_concealment(byte_index, end) ? s.late : s.duplicate);
      return 0;
    }
    if (byte_index >= playhead_ + capacity_bytes_) {
      if (++runs_past_window_ < kResyncAfterRuns) {
        add(s.overrun_datagrams);
        add(s.overrun_bytes, len);
        return 0;
      }
      resync(byte_index);
    }
    runs_past_window_ = 0;
    const uint64_t playhead = playhead_;
    uint64_t start = byte_index;
    if (start < playhead) {
      start = playhead;
      add(s.overlap_trimmed);
    }
    const uint64_t limit = playhead + capacity_bytes_;
    if (end > limit) {
      add(s.overrun_datagrams);
      add(s.overrun_bytes, end - limit);
      end = limit;
    }
    const size_t stored = store(start, data + (start - byte_index), size_t(end - start));
    if (stored == 0) add(s.duplicate);
    add(s.received_bytes, stored);
    if (end > highest_) highest_ = end;
    publish_gauges();
    return stored;
  }

  /// Plays `frames` frames into `dst`. While priming this is silence and the playhead stays;
  /// priming ends once the target (and at least this period) is buffered. A period that has
  /// not all arrived when due is an underrun: silence, the playhead stays, priming starts again;
  /// with conceal_underruns it plays as below, unless the period before was a concealed underrun
  /// too and nothing has been received past the playhead. Otherwise the playhead advances by `frames`, and every byte of the period that is missing
  /// (lost, or later than the data after it) is concealed with the format's zero and counted as
  /// lost; then a surplus held for a whole slip window is skipped. With `missing_frames`, its
  /// first `frames` entries say which frames had (1) or had not (0) a byte concealed, for a
  /// LossConcealer; all 0 when the period did not play.
  const PullResult& pull(uint8_t* dst, size_t frames, uint8_t* missing_frames = nullptr) {
    JitterStats& s = *stats_;
    if (missing_frames != nullptr && frames > 0) std::memset(missing_frames, 0, frames);
    const size_t length = frames * bytes_per_frame_;
    if (!playing_ && !starts_with(frames)) return play_silence(dst, frames, false);
    const size_t gap_skipped = playing_ && playhead_ < gap_owed_until_ ? skip_covered_gap() : 0;
    const uint64_t playhead = playhead_;
    const bool underrun = highest_ < playhead + length;
    if (underrun) {
      add(s.underruns);
      // Due but not all here: waiting costs latency, concealing would lose what is only late.
      // Concealing is what a resampler holding the fill wants, for a run that is only late.
      // A second in a row with nothing received past the playhead: the sender is behind (it lost
      // periods, or stopped), not late; concealing on would drop every run it sends as late.
      if (!options_.conceal_underruns || (concealed_last_ && highest_ <= playhead)) {
        playing_ = false;
        concealed_last_ = false;
        return play_silence(dst, frames, true);
      }
    }
    concealed_last_ = underrun;
    const bool starting = !playing_;
    const bool first_start = !started_;
    playing_ = true;
    started_ = true;

    size_t concealed = 0;
    size_t slot = size_t(playhead % capacity_bytes_);
    for (size_t i = 0; i < length;) {
      const size_t segment = std::min(length - i, capacity_bytes_ - slot);
      uint8_t* flags = present_.get() + slot;
      for (size_t j = 0; j < segment;) {
        const size_t have = span_of(flags + j, segment - j, 1);
        std::memcpy(dst + i + j, data_.get() + slot + j, have);
        std::memset(flags + j, 0, have);
        j += have;
        const size_t missing = span_of(flags + j, segment - j, 0);
        if (missing > 0) {
          // The playhead moves by whole frames from 0, so a pull starts at phase 0.
          fill_silence(dst + i + j, (i + j) % bytes_per_frame_, missing);
          record_concealed(playhead + i + j, playhead + i + j + missing);
          if (missing_frames != nullptr) mark_frames(missing_frames, i + j, missing);
          concealed += missing;
          j += missing;
        }
      }
      i += segment;
      slot = 0;
    }
    playhead_ = playhead + length;
    // Only the stream's first start keeps the fill it found. What piled up while priming again
    // after an underrun is a stalled sender's burst: latency nobody asked for, skipped at the end
    // of the window (priming started a fresh one).
    if (starting) start_fill_ = first_start ? buffered_bytes() : 0;
    if (starting && !first_start && options_.skip_covered_gaps) {
      gap_owed_until_ = playhead_ + slip_window_frames_ * bytes_per_frame_;
    }
    add(s.lost_bytes, concealed);
    size_t skipped = gap_skipped;
    if (options_.skip_surplus) skipped += watch_fill(frames);
    result_ = {true, concealed, underrun, skipped};
    publish_gauges();
    return result_;
  }

  /// Empties the buffer for an I/O restart: byte indices start again at 0 and playback primes
  /// again. Counters carry on; the concealed-range history starts afresh.
  void reset() {
    std::memset(present_.get(), 0, capacity_bytes_);
    playing_ = false;
    started_ = false;
    concealed_last_ = false;
    gap_owed_until_ = 0;
    restart_window();
    runs_past_window_ = 0;
    playhead_ = 0;
    highest_ = 0;
    range_head_ = 0;
    range_count_ = 0;
    forgotten_before_ = 0;
    publish_gauges();
  }

  /// Stops playback until the fill is back at the target, as an underrun does but uncounted: the
  /// next pulls play silence (priming frames) while the playhead waits. For a target raised far
  /// above the fill, taken at once instead of over the seconds a resampler would need.
  void prime_again() {
    if (!playing_) return;
    playing_ = false;
    concealed_last_ = false;
  }

  /// Whether a pull of `frames` would start playback again, after an underrun or prime_again():
  /// a restart, not the stream's first start.
  bool restarts_with(size_t frames) const {
    return started_ && !playing_ && starts_with(frames);
  }

  /// Moves the playhead past `frames` buffered frames without playing them (counted as skipped),
  /// never past what has arrived; returns the frames skipped.
  size_t skip_buffered(size_t frames) {
    const size_t skipped = std::min(frames, buffered_frames());
    if (skipped == 0) return 0;
    skip(uint64_t(skipped) * bytes_per_frame_);
    restart_window();
    publish_gauges();
    return skipped;
  }

  /// Frames to buffer before playback starts, 1 to capacity / 2; it never moves the playhead
  /// itself: priming (now or after the next reset()) and the next slip check use it. Returns
  /// false, changing nothing, for a value out of range.
  bool set_target_latency_frames(size_t frames) {
    if (frames < 1 || frames > capacity_frames_ / 2) return false;
    target_latency_frames_ = frames;
    publish_gauges();
    return true;
  }

  /// Frames the device runs behind its own clock at the next pulls (late callbacks): the fill it
  /// sees is that much fuller than on time, and that is no faster sender's surplus. Only the slip
  /// check uses it; default 0.
  void set_late_frames(size_t frames) { late_frames_ = frames; }
  size_t late_frames() const { return late_frames_; }

  size_t target_latency_frames() const { return target_latency_frames_; }
  size_t capacity_frames() const { return capacity_frames_; }
  size_t bytes_per_frame() const { return bytes_per_frame_; }
  bool playing() const { return playing_; }
  /// Frames between the playhead and the end of the furthest byte received (owner thread).
  size_t buffered_frames() const { return size_t(buffered_bytes() / bytes_per_frame_); }
  const JitterStats& stats() const { return *stats_; }

  /// Copies up to `max` of the last kConcealedRangeHistory concealed byte ranges [start, end),
  /// oldest first, merged when they touch; returns how many it copied. Owner thread only.
  size_t concealed_ranges(std::pair<uint64_t, uint64_t>* out, size_t max) const {
    const size_t n = std::min(max, range_count_);
    for (size_t k = 0; k < n; ++k) {
      const Range& r = ranges_[(range_head_ + k) % kConcealedRangeHistory];
      out[k] = {r.start, r.end};
    }
    return n;
  }

 private:
  struct Range {
    uint64_t start, end;
  };

  static size_t checked_bytes_per_frame(const Format& f) {
    if (bytes_per_sample(f.type) == 0) {
      throw std::invalid_argument("jitter buffer: unknown sample type");
    }
    if (f.channels < 1 || f.channels > 0xffff) {
      throw std::invalid_argument("jitter buffer: channels must be 1 to 65535");
    }
    if (f.sample_rate == 0) throw std::invalid_argument("jitter buffer: sample rate must be > 0");
    return syfala::bytes_per_frame(f);
  }

  /// Only the owner thread writes the stats, so a load and a store do (no read-modify-write).
  static void add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  static void set(std::atomic<uint64_t>& gauge, uint64_t v) {
    gauge.store(v, std::memory_order_relaxed);
  }

  uint64_t buffered_bytes() const { return highest_ > playhead_ ? highest_ - playhead_ : 0; }

  uint64_t target_bytes() const { return uint64_t(target_latency_frames_) * bytes_per_frame_; }

  /// Bytes missing from the playhead on, up to the first that arrived.
  uint64_t missing_at_playhead() const {
    const uint64_t span = std::min<uint64_t>(buffered_bytes(), capacity_bytes_);
    size_t slot = size_t(playhead_ % capacity_bytes_);
    uint64_t run = 0;
    while (run < span) {
      const size_t segment = size_t(std::min<uint64_t>(span - run, capacity_bytes_ - slot));
      const size_t missing = span_of(present_.get() + slot, segment, 0);
      run += missing;
      if (missing < segment) break;
      slot = 0;
    }
    return run;
  }

  /// skip_covered_gaps, after priming again: skips the missing frames at the playhead that the
  /// surplus over the target covers (the gap owed is then paid); returns how many.
  size_t skip_covered_gap() {
    const uint64_t buffered = buffered_bytes();
    if (buffered <= target_bytes()) return 0;
    const uint64_t missing = std::min(missing_at_playhead(), buffered - target_bytes());
    if (missing < bytes_per_frame_) return 0;
    gap_owed_until_ = 0;
    return skip_buffered(size_t(missing / bytes_per_frame_));
  }

  /// A period of the format's zero while priming; the playhead stays.
  const PullResult& play_silence(uint8_t* dst, size_t frames, bool underrun) {
    fill_silence(dst, 0, frames * bytes_per_frame_);
    add(stats_->priming_frames, frames);
    if (started_) add(stats_->underrun_frames, frames);
    restart_window();
    result_ = {false, 0, underrun, 0};
    return result_;
  }

  /// Whether enough is buffered to start playing a pull of `frames`: the target, and that pull.
  bool starts_with(size_t frames) const {
    return buffered_bytes() >= std::max<uint64_t>(target_bytes(), frames * bytes_per_frame_);
  }

  void restart_window() {
    lowest_fill_ = UINT64_MAX;
    window_frames_ = 0;
  }

  /// Tracks the lowest fill after each played period; when a whole window never came down to
  /// the target, or to the fill playback started with if that was more, the sender runs ahead of
  /// our clock: skip back down to it. Returns the frames skipped. Playback can start above the
  /// target (a burst): that is latency the stream was given, not a faster clock, and skipping it
  /// would throw away audio that arrived in time.
  size_t watch_fill(size_t frames) {
    const uint64_t late = uint64_t(late_frames_) * bytes_per_frame_;
    const uint64_t buffered = buffered_bytes();
    lowest_fill_ = std::min(lowest_fill_, buffered > late ? buffered - late : 0);
    window_frames_ += frames;
    if (window_frames_ < slip_window_frames_) return 0;
    const uint64_t target = std::max(target_bytes(), start_fill_);
    const size_t skipped =
        lowest_fill_ > target ? size_t((lowest_fill_ - target) / bytes_per_frame_) : 0;
    if (skipped > 0) skip(uint64_t(skipped) * bytes_per_frame_);
    restart_window();
    return skipped;
  }

  /// Jumps the playhead to the frame that holds `byte_index`, past everything buffered, and
  /// primes again from there.
  void resync(uint64_t byte_index) {
    skip(byte_index / bytes_per_frame_ * bytes_per_frame_ - playhead_);
    highest_ = playhead_;
    playing_ = false;
    restart_window();
    add(stats_->resyncs);
  }

  /// Moves the playhead `bytes` on without playing them; missing ones count as concealed. Past
  /// the window nothing is stored, so that part is one concealed range.
  void skip(uint64_t bytes) {
    const uint64_t playhead = playhead_;
    const uint64_t stored = std::min<uint64_t>(bytes, capacity_bytes_);
    uint64_t lost = 0;
    size_t slot = size_t(playhead % capacity_bytes_);
    for (uint64_t i = 0; i < stored;) {
      const size_t segment = size_t(std::min<uint64_t>(stored - i, capacity_bytes_ - slot));
      uint8_t* flags = present_.get() + slot;
      for (size_t j = 0; j < segment;) {
        const size_t have = span_of(flags + j, segment - j, 1);
        std::memset(flags + j, 0, have);
        j += have;
        const size_t missing = span_of(flags + j, segment - j, 0);
        if (missing > 0) {
          record_concealed(playhead + i + j, playhead + i + j + missing);
          lost += missing;
          j += missing;
        }
      }
      i += segment;
      slot = 0;
    }
    if (stored < bytes) {
      record_concealed(playhead + stored, playhead + bytes);
      lost += bytes - stored;
    }
    playhead_ = playhead + bytes;
    add(stats_->lost_bytes, lost);
    add(stats_->skipped_frames, bytes / bytes_per_frame_);
  }

  void publish_gauges() {
    JitterStats& s = *stats_;
    set(s.buffered_frames, buffered_bytes() / bytes_per_frame_);
    set(s.target_latency_frames, target_latency_frames_);
    set(s.playhead_byte, playhead_);
    set(s.highest_byte, highest_);
  }

  /// How many of the first `n` flags equal `value` (0 or 1), eight at a time where it can.
  static size_t span_of(const uint8_t* flags, size_t n, uint8_t value) {
    const uint64_t all = value * 0x0101010101010101ull;
    size_t i = 0;
    for (uint64_t word; i + 8 <= n; i += 8) {
      std::memcpy(&word, flags + i, 8);
      if (word != all) break;
    }
    while (i < n && flags[i] == value) ++i;
    return i;
  }

  /// Copies the bytes of [start, start + n) not yet present; returns how many.
  size_t store(uint64_t start, const uint8_t* src, size_t n) {
    size_t stored = 0;
    size_t slot = size_t(start % capacity_bytes_);
    while (n > 0) {
      const size_t segment = std::min(n, capacity_bytes_ - slot);
      uint8_t* flags = present_.get() + slot;
      for (size_t j = 0; j < segment;) {
        const size_t missing = span_of(flags + j, segment - j, 0);
        std::memcpy(data_.get() + slot + j, src + j, missing);
        std::memset(flags + j, 1, missing);
        stored += missing;
        j += missing;
        j += span_of(flags + j, segment - j, 1);
      }
      src += segment;
      n -= segment;
      slot = 0;
    }
    return stored;
  }

  /// Marks the frames that bytes [from, from + n) of a pull touch.
  void mark_frames(uint8_t* missing_frames, size_t from, size_t n) const {
    const size_t first = from / bytes_per_frame_;
    const size_t last = (from + n - 1) / bytes_per_frame_;
    std::memset(missing_frames + first, 1, last - first + 1);
  }

  /// Silence for `n` bytes of a pull, starting `phase` bytes into a frame.
  void fill_silence(uint8_t* dst, size_t phase, size_t n) const {
    if (n == 0) return;  // dst may be null for an empty pull
    if (silence_is_zero_) {
      std::memset(dst, 0, n);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      dst[i] = silent_frame_[phase];
      if (++phase == bytes_per_frame_) phase = 0;
    }
  }

  /// Appends [start, end) to the history, merging it into the newest range when they touch;
  /// when the history is full the oldest range is forgotten.
  void record_concealed(uint64_t start, uint64_t end) {
    if (range_count_ > 0) {
      Range& last = ranges_[(range_head_ + range_count_ - 1) % kConcealedRangeHistory];
      if (last.end == start) {
        last.end = end;
        return;
      }
    }
    size_t at;
    if (range_count_ == kConcealedRangeHistory) {
      at = range_head_;
      forgotten_before_ = ranges_[at].end;
      range_head_ = (at + 1) % kConcealedRangeHistory;
    } else {
      at = (range_head_ + range_count_) % kConcealedRangeHistory;
      ++range_count_;
    }
    ranges_[at] = {start, end};
  }

  /// Whether any byte of [start, end), all before the playhead, was concealed. A range reaching
  /// back before the history counts as concealed: a run that old is late in any sense.
  bool met_concealment(uint64_t start, uint64_t end) const {
    if (start < forgotten_before_) return true;
    // First range (in age order) that ends after `start`; ranges are sorted and disjoint.
    size_t lo = 0;
    size_t hi = range_count_;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (ranges_[(range_head_ + mid) % kConcealedRangeHistory].end > start) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo < range_count_ && ranges_[(range_head_ + lo) % kConcealedRangeHistory].start < end;
  }

  size_t bytes_per_frame_;
  size_t capacity_frames_;
  size_t capacity_bytes_ = 0;
  size_t target_latency_frames_;
  JitterBufferOptions options_;
  /// Frames pulled per slip check, and the lowest fill (bytes) after a pull and the frames
  /// pulled since the window began.
  uint64_t slip_window_frames_;
  uint64_t lowest_fill_ = UINT64_MAX;
  /// Fill after the first pull since the last reset: the latency playback started with.
  uint64_t start_fill_ = 0;
  /// The stream has played since the last reset(): silence from now on is an underrun's.
  bool started_ = false;
  /// The last pull concealed an underrun (conceal_underruns): the next one may prime again.
  bool concealed_last_ = false;
  size_t late_frames_ = 0;
  /// skip_covered_gaps: a sender's gap is owed (skipped, not played) while the playhead is
  /// before this byte index: a slip window after priming again.
  uint64_t gap_owed_until_ = 0;
  uint64_t window_frames_ = 0;
  /// Runs in a row that landed wholly past the window (kResyncAfterRuns).
  uint64_t runs_past_window_ = 0;
  std::unique_ptr<uint8_t[]> data_;
  std::unique_ptr<uint8_t[]> present_;
  /// One frame of the format's zero in wire bytes, the concealment pattern.
  std::unique_ptr<uint8_t[]> silent_frame_;
  bool silence_is_zero_ = true;
  /// Concealed ranges, oldest first from range_head_.
  std::unique_ptr<Range[]> ranges_;
  size_t range_head_ = 0;
  size_t range_count_ = 0;
  /// End of the newest range evicted from the history; what came before is no longer known.
  uint64_t forgotten_before_ = 0;
  bool playing_ = false;
  uint64_t playhead_ = 0;
  uint64_t highest_ = 0;
  PullResult result_{false, 0, false, 0};
  /// On the heap so its address survives moving the buffer while another thread reads it.
  std::unique_ptr<JitterStats> stats_;
};

}  // namespace syfala
