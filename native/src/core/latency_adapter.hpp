// Adaptive target latency for a jitter buffer (issue #7): measures how late datagrams arrive
// relative to the best of their neighbours (but for the few a late pull saw early), on the
// receiver's device clock, and proposes the smallest target that covers it. Fed per datagram
// (arrival) and per pulled period (period); it never reads a wall clock, so it works as well on a
// device that runs faster than real time. The TS engine runs this code too
// (packages/dataplane/src/latency-adapter.ts wraps its WebAssembly build);
// packages/dataplane/vectors/latency-adapter.json holds its exact results.
//
// - Arrival offset: the run's end (stream frames) minus the device clock (frames pulled so far,
//   priming and underruns included). It is the arrival margin (run end − playhead) plus a term
//   that only the playhead's jumps change (priming pauses, slips, resyncs), so those jumps,
//   which are not network jitter, never show up in it.
// - Lateness: the best (highest) offset of the current and previous block, 0.25 to 0.5 s of
//   device time, minus this arrival's. The short reference detrends clock drift: offsets slope
//   by the drift (1000 ppm is 24 frames over 0.5 s at 48 kHz), and an absolute minimum over the
//   whole window would count the slope as jitter.
// - Caught-up pulls: a device that stalls and then catches up (JACK runs the late periods back
//   to back) pulls late, and what arrived meanwhile reads a period early per period it stalled,
//   though nothing came early. As the best offset those chains made every on-time arrival of the
//   next 0.5 s read that much late (issue #14: two dummy JACK servers' one-period stalls read as
//   two periods of jitter, 64 frames more latency per side). So the reference leaves out the
//   highest chains, as many as kCaughtUpSeconds of periods (4 at 48 kHz and 64 frames, 8 at 32)
//   and at most one in kChainsPerIgnored of the two blocks' chains: where chains are few (long
//   periods), an early one cannot be told from the rest, and the best is the reference.
//   An owner that knows how late its device's pull runs (the native engine: its callbacks
//   against the device's own schedule, LostTimeWatch) says so before what arrived for that pull
//   (pull_late_by): those chains enter the reference that much lower, as of when the pull was
//   due, however many stalls a burst of xruns packs into a block (on the JACK rig, bursts of
//   dozens a second outnumbered what the reference leaves out, and on-time arrivals read one or
//   two periods late for seconds: `auto` raised the target by as much). Their own lateness is
//   still measured from where they stand: they may have come at any time before the late pull.
// - Chains: a period of many channels is several datagrams, sent together, arriving together;
//   the first ends a period before the last, and measured alone its offset would read as a
//   period of lateness (at 64 channels f32 and 64-frame periods, a dozen datagrams: the jitter
//   read 59 frames more than at 2 channels). So runs that arrive before the same pull, each
//   ending later than the chain's first but less than a period after it (the rest of one
//   sender's period), are measured as one arrival, at the chain's last end, once the chain is
//   complete: at the next run outside it or the next pull. A stall's late runs, a period or more
//   apart, stay arrivals of their own.
// - Jitter: the largest lateness over kJitterWindowSeconds but for the kToleratedBlocks latest
//   blocks (16 blocks of 0.25 s, one maximum each: no allocation; the blocks are ranked only
//   when one's maximum grows). A device that stalls now and then (an xrun: JACK without
//   real-time scheduling has several a second) delays whole bursts by milliseconds; covering
//   each would cost that latency on every period, while leaving out the latest 3 blocks in 16
//   costs at most about one glitch a second, concealed. Lateness is clamped to the maximum
//   target.
// - Period granularity: the device clock moves a period at a time and arrivals are seen between
//   pulls, so offsets (like margins) come in steps of the period: lateness measures exactly what
//   decides whether a period is whole when pulled. A period is pulled whole, hence the need:
//   jitter + period + safety. Priming ends at the target, so arrivals as late as the jitter
//   still leave a period's margin.
// - Quick to grow: an arrival that makes the jitter's need exceed the target raises it at once;
//   an underrun (which detrended lateness cannot see: a slower sender's drift) less than
//   kUnderrunSpacingSeconds after the last adds a period, once per run of underruns in a row.
//   Rarer underruns are the stalls the jitter leaves out. Where a resampler holds the fill
//   against drift (raise_on_underruns false), no underrun raises: what is left to cause one is a
//   stall longer than the jitter covers, which a period more would not have covered either (on
//   the JACK rig, as many underruns with the raise as without, and a period or two more latency
//   for the seconds after each raise: bench/RESULTS.md, issue #14), or a step in the delay,
//   which the priming after the underrun takes up.
// - Slow to shrink: after kShrinkHoldSeconds with headroom of at least two steps (blocks without
//   arrivals prove nothing and do not count), one kShrinkStepMs step per kShrinkIntervalSeconds.
//   The two-step margin keeps the target from hunting when the jitter moves by a step.
//
// Nothing is allocated; arrival, period and reset allocate, lock, throw and log nothing. One
// thread (the owner) calls them.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <stdexcept>

namespace syfala {

/// The jitter is the latest arrival over this many seconds.
inline constexpr double kJitterWindowSeconds = 4;
/// The target shrinks only once it has had headroom for this long.
inline constexpr double kShrinkHoldSeconds = 8;
/// Then it shrinks by one kShrinkStepMs step this often while the headroom lasts.
inline constexpr double kShrinkIntervalSeconds = 1;
/// One shrink step, ms of audio (at least a frame).
inline constexpr double kShrinkStepMs = 0.25;
/// Blocks of the window whose lateness the jitter leaves out, the latest ones (stalls that rare
/// are cheaper as a glitch than as latency for every other period).
inline constexpr size_t kToleratedBlocks = 3;
/// Underruns further apart than this (seconds of device time) are tolerated; closer, they raise.
inline constexpr double kUnderrunSpacingSeconds = 1;
/// The reference for lateness leaves out the highest chains of this many seconds of periods: a
/// device stall this long, caught up, does not make on-time arrivals read late.
inline constexpr double kCaughtUpSeconds = 0.005;
/// ... and at most one in this many of the current and previous block's chains.
inline constexpr size_t kChainsPerIgnored = 10;

struct LatencyAdapterOptions {
  /// The stream's sample rate, Hz: the window and the steps are in seconds of device time.
  double sample_rate = 0;
  /// The device period, frames: a period is pulled whole, so it must have arrived whole.
  size_t period_frames = 0;
  /// Bounds of the target, frames: 1 ≤ min ≤ max; max is the jitter buffer's capacity / 2.
  size_t min_target_frames = 0;
  size_t max_target_frames = 0;
  /// The target before anything is measured, within the bounds. Default the minimum.
  std::optional<size_t> initial_target_frames;
  /// Frames kept above the measured jitter and the period. Default a quarter of the period.
  std::optional<size_t> safety_frames;
  /// Underruns less than kUnderrunSpacingSeconds apart add a period: false where the fill is held
  /// against drift (DriftCompensatedStream), so that only the measured jitter sets the target.
  bool raise_on_underruns = true;
};

class LatencyAdapter {
 public:
  /// Throws std::invalid_argument for a sample rate that is not finite and > 0, a period below
  /// 1, bounds not 1 ≤ min ≤ max, or an initial target outside them.
  explicit LatencyAdapter(const LatencyAdapterOptions& o)
      : period_frames_(o.period_frames),
        min_target_(o.min_target_frames),
        max_target_(o.max_target_frames),
        safety_(o.safety_frames.value_or((o.period_frames + 3) / 4)),
        block_frames_(std::ceil(o.sample_rate * kBlockSeconds)),
        step_frames_(std::max(1.0, std::round(o.sample_rate * kShrinkStepMs / 1000))),
        underrun_spacing_frames_(o.sample_rate * kUnderrunSpacingSeconds),
        most_ignored_(caught_up_chains(o.sample_rate, o.period_frames)),
        raise_on_underruns_(o.raise_on_underruns),
        target_(o.initial_target_frames.value_or(o.min_target_frames)) {
    if (!(std::isfinite(o.sample_rate) && o.sample_rate > 0)) {
      throw std::invalid_argument("latency adapter: sample rate must be a finite number > 0");
    }
    if (period_frames_ < 1) throw std::invalid_argument("latency adapter: period must be ≥ 1");
    if (min_target_ < 1 || max_target_ < min_target_) {
      throw std::invalid_argument("latency adapter: target bounds must be 1 ≤ min ≤ max");
    }
    if (target_ < min_target_ || target_ > max_target_) {
      throw std::invalid_argument("latency adapter: initial target must lie within the bounds");
    }
  }

  /// The proposed target latency, frames, within the bounds.
  size_t target_frames() const { return target_; }

  /// Measured arrival jitter, frames: how much later than the best of its neighbours datagrams
  /// arrived over the last kJitterWindowSeconds, leaving out the kToleratedBlocks latest blocks.
  /// In µs: frames × 1e6 / sample rate.
  double jitter_frames() const { return jitter_; }

  /// A datagram arrived whose run ends (exclusive) at `run_end_frame` stream frames:
  /// (byte_index + byte_count) / bytes_per_frame, fractional when it ends inside a frame. Call
  /// it for every datagram pushed; a value that is not finite is ignored. Returns the target,
  /// which an arrival raises once its chain is complete (above).
  size_t arrival(double run_end_frame) {
    if (!std::isfinite(run_end_frame)) return target_;
    if (chained_ && run_end_frame >= chain_first_ &&
        run_end_frame - chain_first_ < double(period_frames_)) {
      chain_end_ = std::max(chain_end_, run_end_frame);
      return target_;
    }
    measure_chain();
    chained_ = true;
    chain_first_ = chain_end_ = run_end_frame;
    return target_;
  }

  /// A period of `frames` device frames was pulled (whether it played, primed or underran), and
  /// whether it underran. Returns the target.
  size_t period(size_t frames, bool underrun) {
    measure_chain();  // what arrived before this pull, at its clock
    // One period more per run of underruns: a concealed underrun and the priming that may follow
    // it (JitterBuffer conceal_underruns) are one shortfall, not two.
    if (underrun && !underran_last_) {
      if (raise_on_underruns_ && clock_ - last_underrun_clock_ < underrun_spacing_frames_) {
        target_ = std::min(max_target_, target_ + period_frames_);
        headroom_blocks_ = 0;
      }
      last_underrun_clock_ = clock_;
    }
    underran_last_ = underrun;
    clock_ += double(frames);
    block_elapsed_ += double(frames);
    while (block_elapsed_ >= block_frames_) {
      block_elapsed_ -= block_frames_;
      end_block();
    }
    return target_;
  }

  /// The pull now due runs `frames` stream frames late on the device's own schedule (its
  /// callback stalled; the next ones catch up): call it before the arrivals seen at that pull.
  /// Holds until the next call; what is not finite and > 0 is 0. See Caught-up pulls above.
  void pull_late_by(double frames) { late_ = std::isfinite(frames) && frames > 0 ? frames : 0; }

  /// Forgets the offsets on-time arrivals reached, keeping the lateness measured: call it while
  /// the buffer primes again. A sender whose device lost time sends on where it stopped (its
  /// audio went on), so its next arrivals come that much later for good: a step in the delay,
  /// which the priming takes up, not lateness to cover for seconds after.
  void restart_reference() {
    current_ = {};
    previous_ = {};
  }

  /// Forgets what was measured, keeping the target: call it with the jitter buffer's reset().
  void reset() {
    chained_ = false;
    block_lateness_.fill(0);
    current_ = {};
    previous_ = {};
    arrived_in_block_ = false;
    jitter_ = 0;
    clock_ = 0;
    block_elapsed_ = 0;
    headroom_blocks_ = 0;
    underran_last_ = false;
    last_underrun_clock_ = -kInfinity;
    late_ = 0;
  }

 private:
  static constexpr double kBlockSeconds = 0.25;
  static constexpr size_t kWindowBlocks = size_t(kJitterWindowSeconds / kBlockSeconds);
  static constexpr size_t kHoldBlocks = size_t(kShrinkHoldSeconds / kBlockSeconds);
  static constexpr size_t kIntervalBlocks = size_t(kShrinkIntervalSeconds / kBlockSeconds);
  static constexpr double kInfinity = std::numeric_limits<double>::infinity();
  /// Offsets a block keeps, the highest: the most ignored and the reference after them.
  static constexpr size_t kTopChains = 16;

  /// How many values were added, and the N highest, descending (no allocation).
  template <size_t N>
  struct Highest {
    size_t count = 0;
    std::array<double, N> top{};

    void add(double value) {
      size_t at = std::min(count, N);
      ++count;
      if (at == N) {
        if (value <= top[N - 1]) return;
        --at;
      }
      for (; at > 0 && top[at - 1] < value; --at) top[at] = top[at - 1];
      top[at] = value;
    }
  };

  /// Measures the chain of arrivals so far as one arrival at its last end (see Chains above).
  void measure_chain() {
    if (!chained_) return;
    chained_ = false;
    const double offset = chain_end_ - clock_;
    current_.add(offset - late_);
    const double lateness = std::min(reference() - offset, double(max_target_));
    arrived_in_block_ = true;
    if (lateness <= block_lateness_[head_]) return;
    block_lateness_[head_] = lateness;
    jitter_ = ranked_lateness();
    const size_t need = need_for(jitter_);
    if (need > target_) {
      target_ = need;
      headroom_blocks_ = 0;
    }
  }

  /// The offset on-time arrivals reach: the best of the current and previous block's chains but
  /// for the highest few (Caught-up pulls above). The current block has a chain.
  double reference() const {
    const size_t chains = current_.count + previous_.count;
    const size_t ignored = std::min(most_ignored_, chains / kChainsPerIgnored);
    // Merges the two descending lists as far as the (ignored + 1)-th offset.
    size_t c = 0;
    size_t p = 0;
    double offset = 0;
    const size_t kept_c = std::min(current_.count, kTopChains);
    const size_t kept_p = std::min(previous_.count, kTopChains);
    for (size_t rank = 0; rank <= ignored; ++rank) {
      const bool from_current =
          p >= kept_p || (c < kept_c && current_.top[c] >= previous_.top[p]);
      offset = from_current ? current_.top[c++] : previous_.top[p++];
    }
    return offset;
  }

  /// How many chains' worth of kCaughtUpSeconds, at least one, as many as a block keeps.
  static size_t caught_up_chains(double sample_rate, size_t period_frames) {
    if (!(sample_rate > 0) || period_frames < 1) return 0;  // the constructor throws
    const double chains = std::ceil(kCaughtUpSeconds * sample_rate / double(period_frames));
    return size_t(std::min(chains, double(kTopChains - 1)));
  }

  /// The (kToleratedBlocks + 1)-th largest block lateness of the window.
  double ranked_lateness() const {
    Highest<kToleratedBlocks + 1> highest;
    for (const double lateness : block_lateness_) highest.add(lateness);
    return highest.top[kToleratedBlocks];
  }

  /// The smallest target that covers `lateness`, within the bounds.
  size_t need_for(double lateness) const {
    const double need = std::ceil(lateness + double(period_frames_) + double(safety_));
    return size_t(std::min(double(max_target_), std::max(double(min_target_), need)));
  }

  /// Moves the window on a block, then shrinks the target if it has had headroom long enough.
  void end_block() {
    if (arrived_in_block_) {
      const size_t step = size_t(step_frames_);
      if (target_ >= need_for(jitter_) + 2 * step) {
        ++headroom_blocks_;
      } else {
        headroom_blocks_ = 0;
      }
      const bool held = headroom_blocks_ >= kHoldBlocks;
      if (held && (headroom_blocks_ - kHoldBlocks) % kIntervalBlocks == 0) target_ -= step;
    }
    head_ = (head_ + 1) % kWindowBlocks;
    block_lateness_[head_] = 0;
    jitter_ = ranked_lateness();
    previous_ = current_;
    current_ = {};
    arrived_in_block_ = false;
  }

  const size_t period_frames_;
  const size_t min_target_;
  const size_t max_target_;
  const size_t safety_;
  const double block_frames_;
  const double step_frames_;
  const double underrun_spacing_frames_;
  /// The most chains reference() leaves out (kCaughtUpSeconds of periods).
  const size_t most_ignored_;
  const bool raise_on_underruns_;
  /// Largest lateness per block, a ring with the current block at head_.
  std::array<double, kWindowBlocks> block_lateness_{};
  size_t head_ = 0;
  /// The current and the previous block's chains.
  Highest<kTopChains> current_;
  Highest<kTopChains> previous_;
  bool arrived_in_block_ = false;
  /// The chain of arrivals since the last pull not yet measured: its first and last run ends.
  bool chained_ = false;
  double chain_first_ = 0;
  double chain_end_ = 0;
  double jitter_ = 0;
  /// Device frames pulled so far, and those of the current block.
  double clock_ = 0;
  double block_elapsed_ = 0;
  /// Blocks in a row that had headroom.
  size_t headroom_blocks_ = 0;
  /// The last period pulled was an underrun: a run of them raises the target once.
  bool underran_last_ = false;
  /// Device clock at the last run of underruns (−∞: none yet).
  double last_underrun_clock_ = -kInfinity;
  /// How late the pull now due runs (pull_late_by), stream frames.
  double late_ = 0;
  size_t target_;
};

}  // namespace syfala
