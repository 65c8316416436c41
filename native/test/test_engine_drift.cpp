// Two engines whose devices' clocks disagree, streaming to each other over real loopback UDP,
// faster than real time (issue #14). Each device has its own clock: a period every
// period / (rate × (1 + skew)) seconds of simulated time. One conductor thread plays both clocks
// in simulated-time order. Loopback delivers a datagram within its sender's send call, and a
// period takes all that its socket queued: the network is perfect and instant (each period checks
// it), the run is the same however slowly the machine schedules it, and nothing here is timed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "engine/engine.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

constexpr uint32_t kChannels = 2;
constexpr uint32_t kPeriod = 64;
constexpr uint32_t kTarget = 4 * kPeriod;
constexpr double kPi = 3.14159265358979323846;
/** The test tone: low enough that consecutive samples stay close at any of the rates here. */
constexpr double kToneHz = 440;
constexpr float kToneAmplitude = 0.5f;

/** A device with a skewed clock, one stereo stream each way, and the engine it drives. */
class SkewedDevice {
 public:
  SkewedDevice(uint32_t rate, double skew_ppm)
      : engine_(EngineOptions{"127.0.0.1", 0, 1400}),
        rate_(rate),
        seconds_per_period_(kPeriod / (rate * (1 + skew_ppm / 1e6))) {
    engine_.set_device({kChannels}, {kChannels}, rate, kPeriod);
    in_.assign(kChannels, std::vector<float>(kPeriod));
    out_.assign(kChannels, std::vector<float>(kPeriod));
    inputs_ = {{in_[0].data(), in_[1].data()}};
    outputs_ = {{out_[0].data(), out_[1].data()}};
  }

  Engine& engine() { return engine_; }
  const ReceiveRoute& received() const { return *engine_.peers()[0]->receive[0]; }
  /** Simulated time of this device's next period, seconds. */
  double next_period_time() const {
    return std::max(double(periods_) * seconds_per_period_ + lost_seconds_, stalled_until_);
  }

  /** An xrun: the device's clock goes on `frames` of its frames later, those periods unplayed. */
  void lose(uint32_t frames) { lost_seconds_ += double(frames) / kPeriod * seconds_per_period_; }

  /** A stall: the next callback runs `frames` late, the ones it delayed right after it. */
  void stall(uint32_t frames) {
    stalled_until_ = next_period_time() + double(frames) / kPeriod * seconds_per_period_;
  }

  /** Datagrams this device has queued for its peer so far. */
  uint64_t sent() const {
    const auto& peers = engine_.peers();
    return peers.empty() ? 0 : peers[0]->send[0]->datagrams.load();
  }

  /** One period: a tone in, what plays out appended to `played` (channel 0). */
  void period(std::vector<float>& played, size_t& allocations) {
    for (uint32_t i = 0; i < kPeriod; ++i) {
      const double t = double(periods_ * kPeriod + i) / rate_;
      const float x = kToneAmplitude * float(std::sin(2 * kPi * kToneHz * t));
      for (uint32_t c = 0; c < kChannels; ++c) in_[c][i] = x;
    }
    for (auto& plane : out_) std::fill(plane.begin(), plane.end(), 0.0f);
    const size_t before = test::allocations();
    DevicePeriod period{&inputs_, &outputs_, kPeriod};
    // The callback runs on time on the simulated clock (CLOCK_MONOTONIC is never near 0).
    period.callback_ns = int64_t(std::llround(1e12 + next_period_time() * 1e9));
    engine_.process(period);
    allocations += test::allocations() - before;
    played.insert(played.end(), out_[0].begin(), out_[0].end());
    ++periods_;
  }

 private:
  Engine engine_;
  const uint32_t rate_;
  const double seconds_per_period_;
  std::vector<std::vector<float>> in_, out_;
  std::vector<std::vector<const float*>> inputs_;
  std::vector<std::vector<float*>> outputs_;
  uint64_t periods_ = 0;
  double lost_seconds_ = 0;
  double stalled_until_ = 0;
};

PeerSpec peer_at(const std::string& id, uint16_t port, uint32_t wire_rate, bool compensate,
                 uint32_t target = kTarget) {
  const Format format{wire_rate, kChannels, SampleType::F32};
  PeerSpec spec{id, "127.0.0.1", port, {{0, 0, format}}, {{0, 0, format}}, target, true};
  spec.concealment = ConcealmentMode::Fade;
  spec.drift_compensation = compensate;
  return spec;
}

/** A and B each other's peer, drift compensated, with adaptive latency from `target`. */
void connect_adaptive(SkewedDevice& a, SkewedDevice& b, uint32_t target) {
  PeerSpec to_b = peer_at("b", b.engine().port(), 48000, true, target);
  PeerSpec to_a = peer_at("a", a.engine().port(), 48000, true, target);
  to_b.adaptive_latency = to_a.adaptive_latency = true;
  a.engine().add_peer(to_b);
  b.engine().add_peer(to_a);
}

/** What one side saw once the loop had settled. */
/** How far the fill may move about the target, each period's datagram coming and going. */
constexpr size_t kRoom = kPeriod * 3 / 2;

struct Settled {
  std::vector<float> played;  // channel 0, from the settling time on
  size_t fill_min = SIZE_MAX, fill_max = 0;  // when each period was due
  size_t periods_above = 0;                  // ...with the fill above kTarget + kRoom
  std::vector<size_t> fills;                 // ...each period's
  std::vector<size_t> targets;               // ...and the target then
  JitterStatsSnapshot at_settling{}, at_end{};
  double drift_ppm = 0;
};

struct DriftRun {
  Settled a, b;
  size_t allocations = 0;
};

/** An xrun of A's or B's device `at` seconds into the stream: time lost, or a stall. */
struct Xrun {
  bool a;
  double at;
  uint32_t frames;
  bool stall = false;
};

/**
 * Streams A ↔ B for `stream_seconds` of simulated time, the devices losing time at `xruns`
 * (in time order); what each plays and how its fill moves is recorded from `settle_seconds` on.
 */
DriftRun run(SkewedDevice& a, SkewedDevice& b, double stream_seconds, double settle_seconds,
             const std::vector<Xrun>& xruns = {}) {
  DriftRun result;
  std::vector<float> played_a, played_b;
  played_a.reserve(size_t(stream_seconds * 50000));
  played_b.reserve(size_t(stream_seconds * 50000));
  size_t settled_a = SIZE_MAX, settled_b = SIZE_MAX;
  size_t next_xrun = 0;
  for (;;) {
    const bool a_next = a.next_period_time() <= b.next_period_time();
    SkewedDevice& device = a_next ? a : b;
    const double now = device.next_period_time();
    if (now >= stream_seconds) break;
    if (next_xrun < xruns.size() && xruns[next_xrun].a == a_next && xruns[next_xrun].at <= now) {
      const Xrun& xrun = xruns[next_xrun++];
      if (xrun.stall) {
        device.stall(xrun.frames);
      } else {
        device.lose(xrun.frames);
      }
      continue;
    }
    Settled& side = a_next ? result.a : result.b;
    std::vector<float>& played = a_next ? played_a : played_b;
    size_t& settled_at = a_next ? settled_a : settled_b;
    if (now >= settle_seconds && settled_at == SIZE_MAX) {
      settled_at = played.size();
      side.at_settling = device.received().buffer.stats().snapshot();
    }
    device.period(played, result.allocations);
    CHECK_EQ(device.engine().socket_counters().datagrams_received.load(),
             (a_next ? b : a).sent());
    if (settled_at != SIZE_MAX) {
      // The fill when the period was due, which the controller holds at the target: what is
      // left after the pull and the stream frames the period took.
      const ReceiveRoute& route = device.received();
      const size_t fill = route.buffer.stats().buffered_frames.load() +
                          size_t(std::lround(kPeriod * route.nominal_ratio));
      side.fill_min = std::min(side.fill_min, fill);
      side.fill_max = std::max(side.fill_max, fill);
      if (fill > kTarget + kRoom) ++side.periods_above;
      side.fills.push_back(fill);
      side.targets.push_back(route.buffer.target_latency_frames());
    }
  }
  for (auto [device, side, played, settled_at] :
       {std::tuple{&a, &result.a, &played_a, settled_a},
        std::tuple{&b, &result.b, &played_b, settled_b}}) {
    side->at_end = device->received().buffer.stats().snapshot();
    side->drift_ppm = device->received().drift_ppm.load();
    side->played.assign(played->begin() + long(std::min(settled_at, played->size())),
                        played->end());
  }
  return result;
}

/** Whether the tone plays at all (silence has no steps either). */
bool tone_plays(const std::vector<float>& x) {
  float peak = 0;
  for (const float v : x) peak = std::max(peak, std::fabs(v));
  return peak >= 0.9f * kToneAmplitude;
}

/** The largest step between consecutive samples: a gap, a fade or a jump shows as a large one. */
float largest_step(const std::vector<float>& x) {
  float largest = 0;
  for (size_t i = 1; i < x.size(); ++i) largest = std::max(largest, std::fabs(x[i] - x[i - 1]));
  return largest;
}

/** Breaks in the tone: runs of steps larger than `limit`, a period apart at least. */
size_t tone_breaks(const std::vector<float>& x, float limit) {
  size_t breaks = 0, last = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if (std::fabs(x[i] - x[i - 1]) <= limit) continue;
    if (breaks == 0 || i - last > kPeriod) ++breaks;
    last = i;
  }
  return breaks;
}

/** The tone's largest step at `rate` (its steepest slope × a sample), with room for resampling. */
float tone_step(uint32_t rate) {
  return 1.05f * kToneAmplitude * float(2 * kPi * kToneHz / rate);
}

/** Sender clock against receiver clock, ppm: what a receiver's drift estimate should find. */
double true_drift_ppm(double sender_skew_ppm, double receiver_skew_ppm) {
  return ((1 + sender_skew_ppm / 1e6) / (1 + receiver_skew_ppm / 1e6) - 1) * 1e6;
}

/** With drift compensation: after settling nothing re-primes, slips or is lost. */
void check_settled(const Settled& side, uint32_t device_rate, double expected_drift_ppm) {
  const JitterStatsSnapshot& s = side.at_settling;
  const JitterStatsSnapshot& e = side.at_end;
  CHECK_EQ(e.underruns - s.underruns, uint64_t(0));
  CHECK_EQ(e.priming_frames - s.priming_frames, uint64_t(0));
  CHECK_EQ(e.skipped_frames, uint64_t(0));
  CHECK_EQ(e.lost_bytes - s.lost_bytes, uint64_t(0));
  CHECK_EQ(e.resyncs, uint64_t(0));
  // The fill moves with each period's datagram, about the target.
  CHECK(side.fill_min + kRoom >= kTarget);
  CHECK(side.fill_max <= kTarget + kRoom);
  CHECK(std::fabs(side.drift_ppm - expected_drift_ppm) <= 50);
  CHECK(tone_plays(side.played));
  CHECK(largest_step(side.played) <= tone_step(device_rate));
  if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
    std::printf("    fill %zu..%zu (target %u), drift %.1f ppm (true %.1f), step %.5f (%.5f)\n",
                side.fill_min, side.fill_max, kTarget, side.drift_ppm, expected_drift_ppm,
                largest_step(side.played), tone_step(device_rate));
  }
}

constexpr double kStreamSeconds = 60;
constexpr double kSettleSeconds = 30;

}  // namespace

TEST(engine_drift_compensation_holds_the_fill_of_clocks_500_ppm_apart_without_a_glitch) {
  SkewedDevice a(48000, +250), b(48000, -250);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, true));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, true));
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds);
  {
    test::Scope scope("A receives B's slower clock");
    check_settled(r.a, 48000, true_drift_ppm(-250, +250));
  }
  {
    test::Scope scope("B receives A's faster clock");
    check_settled(r.b, 48000, true_drift_ppm(+250, -250));
  }
  if (test::allocations_counted()) CHECK_EQ(r.allocations, size_t(0));
}

TEST(engine_bounds_the_time_a_device_lost_that_its_peer_did_not_and_keeps_its_drift_estimate) {
  // A's device loses 150 frames, B's 100, then A's 300 (JACK's timed drivers start their clock
  // again after an xrun), each seconds from the others: nothing balances them. Both streams
  // carry each step (nothing was captured or played meanwhile on that side); a fill more than
  // kStepBoundPeriods off its target for kStepHoldSeconds is brought back at once (FillStepBound):
  // the surplus skipped, a shortfall primed again, one break each, the estimate barely moved.
  SkewedDevice a(48000, +250), b(48000, -250);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, true));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, true));
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds,
                         {{true, 32, 150}, {false, 37, 100}, {true, 42, 300}});
  const auto delta = [](const Settled& side, uint64_t JitterStatsSnapshot::*field) {
    return side.at_end.*field - side.at_settling.*field;
  };
  // Each step is corrected within half a second of it: the low-pass, then the hold.
  const size_t half_second_periods = 48000 / 2 / kPeriod;
  {
    test::Scope scope("A: its own 450 frames skipped, B's 100 primed again");
    CHECK(delta(r.a, &JitterStatsSnapshot::skipped_frames) >= 450 - kPeriod);
    CHECK(delta(r.a, &JitterStatsSnapshot::skipped_frames) <= 450 + kPeriod);
    CHECK(delta(r.a, &JitterStatsSnapshot::priming_frames) >= 100);
    CHECK_EQ(delta(r.a, &JitterStatsSnapshot::underruns), uint64_t(0));
    CHECK_EQ(delta(r.a, &JitterStatsSnapshot::lost_bytes), uint64_t(0));
    CHECK(r.a.periods_above <= 2 * half_second_periods);
    CHECK(tone_breaks(r.a.played, tone_step(48000)) <= 3);
    CHECK(std::fabs(r.a.drift_ppm - true_drift_ppm(-250, +250)) <= 20);
  }
  {
    // A's 300 frames are more than B holds: B runs short and primes again.
    test::Scope scope("B: its own 100 frames skipped, A's 150 primed again, A's 300 an underrun");
    CHECK(delta(r.b, &JitterStatsSnapshot::skipped_frames) >= 100 - kPeriod / 2);
    CHECK(delta(r.b, &JitterStatsSnapshot::skipped_frames) <= 100 + kPeriod * 2);
    CHECK(delta(r.b, &JitterStatsSnapshot::priming_frames) >= 150 + 300);
    CHECK_EQ(delta(r.b, &JitterStatsSnapshot::underruns), uint64_t(1));
    CHECK_EQ(delta(r.b, &JitterStatsSnapshot::lost_bytes), uint64_t(0));
    CHECK(r.b.periods_above <= half_second_periods);
    CHECK(tone_breaks(r.b.played, tone_step(48000)) <= 3);
    CHECK(std::fabs(r.b.drift_ppm - true_drift_ppm(+250, -250)) <= 20);
  }
  if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
    for (const Settled* side : {&r.a, &r.b}) {
      std::printf("    above %zu periods, fill %zu..%zu, skipped %llu, primed %llu, lost %llu, "
                  "underruns %llu, breaks %zu, %.1f ppm\n",
                  side->periods_above, side->fill_min, side->fill_max,
                  (unsigned long long)delta(*side, &JitterStatsSnapshot::skipped_frames),
                  (unsigned long long)delta(*side, &JitterStatsSnapshot::priming_frames),
                  (unsigned long long)delta(*side, &JitterStatsSnapshot::lost_bytes),
                  (unsigned long long)delta(*side, &JitterStatsSnapshot::underruns),
                  tone_breaks(side->played, tone_step(48000)), side->drift_ppm);
    }
  }
}

TEST(engine_xruns_several_times_a_second_leave_the_tone_whole_and_the_drift_estimate_alone) {
  // The JACK rig's dummy servers on a busy machine: each device loses 48 to 150 frames three
  // times a second, the two taking turns. Each loss is a step in both fills, and the next loss,
  // the other side's, mostly takes it back: the tone plays on unbroken (skipping what the loser
  // received and leaving a gap in what it sent, as the engine did before, broke it 89 to 107
  // times in these 30 s), the estimate stays with the clocks' true difference, and no step
  // lasts long enough to underrun.
  SkewedDevice a(48000, +250), b(48000, -250);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, true));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, true));
  constexpr uint32_t kSizes[] = {48, 96, 150, 64, 120};
  std::vector<Xrun> xruns;
  for (size_t i = 0; 2 + double(i) / 6 < kStreamSeconds - 1; ++i) {
    xruns.push_back({i % 2 == 0, 2 + double(i) / 6, kSizes[i % 5]});
  }
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds, xruns);
  for (const auto& [side, truth, name] :
       {std::tuple{&r.a, true_drift_ppm(-250, +250), "A"},
        std::tuple{&r.b, true_drift_ppm(+250, -250), "B"}}) {
    test::Scope scope(name);
    const size_t breaks = tone_breaks(side->played, tone_step(48000));
    CHECK(tone_plays(side->played));
    CHECK(breaks <= 3);
    CHECK(std::fabs(side->drift_ppm - truth) <= 10);
    CHECK_EQ(side->at_end.underruns - side->at_settling.underruns, uint64_t(0));
    CHECK_EQ(side->at_end.lost_bytes - side->at_settling.lost_bytes, uint64_t(0));
    if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
      std::printf("    %s: fill %zu..%zu, above %zu periods, %.1f ppm (true %.1f), %zu breaks\n",
                  name, side->fill_min, side->fill_max, side->periods_above, side->drift_ppm,
                  truth, breaks);
    }
  }
}

TEST(engine_follows_a_device_that_keeps_losing_time_without_a_skip) {
  // The JACK rig's server B on a busy machine: its device loses a period a second (1,333 ppm of
  // its time), the clocks otherwise agree. B receives that much more than it plays and A that
  // much less: the drift loops follow it as drift, each 64-frame step within the fill's bound.
  // With the ratio held within ±1000 ppm they could not: B's fill climbed past the bound and was
  // skipped, A's fell and primed again, a break each time (issue #14: the rig's estimates read up
  // to +1,350 ppm).
  SkewedDevice a(48000, 0), b(48000, 0);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, true));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, true));
  std::vector<Xrun> xruns;
  for (double at = 1; at < kStreamSeconds - 1; ++at) xruns.push_back({false, at, kPeriod});
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds, xruns);
  const double lost = 1 - double(kPeriod) / 48000;  // B's share of its time that it runs
  for (const auto& [side, truth, name] :
       {std::tuple{&r.a, (lost - 1) * 1e6, "A receives less"},
        std::tuple{&r.b, (1 / lost - 1) * 1e6, "B receives more"}}) {
    test::Scope scope(name);
    const JitterStatsSnapshot& s = side->at_settling;
    const JitterStatsSnapshot& e = side->at_end;
    CHECK_EQ(e.skipped_frames - s.skipped_frames, uint64_t(0));
    CHECK_EQ(e.priming_frames - s.priming_frames, uint64_t(0));
    CHECK_EQ(e.underruns - s.underruns, uint64_t(0));
    CHECK(side->fill_min + kRoom >= kTarget);
    CHECK(side->fill_max <= kTarget + kRoom);
    CHECK(tone_plays(side->played));
    CHECK(tone_breaks(side->played, tone_step(48000)) == 0);
    CHECK(std::fabs(side->drift_ppm - truth) <= 50);
    if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
      std::printf("    %s: fill %zu..%zu, skipped %llu, primed %llu, %.1f ppm (true %.1f)\n", name,
                  side->fill_min, side->fill_max,
                  (unsigned long long)(e.skipped_frames - s.skipped_frames),
                  (unsigned long long)(e.priming_frames - s.priming_frames), side->drift_ppm,
                  truth);
    }
  }
}

TEST(engine_drains_a_step_of_time_its_device_lost_that_its_peer_primed_through) {
  // The JACK rig's server B: every few seconds its device loses 100 frames (more than a period
  // and a half), A's nothing, the clocks otherwise agree. At targets of two periods A's fill runs
  // dry at each loss and primes again, so the round trip keeps the whole step until B has drained
  // it. B knows the time its device lost (LostTimeWatch) and drains the step at kLostTimeSlewPpm
  // beyond its loop's ratio, its drift estimate held meanwhile. Before, its loop took the steps
  // for drift (+370 ppm for clocks that agree) and drained each over seconds: the round trip sat
  // more than a period off its median in 11.3 % of the periods, B's fill more than a period over
  // its target in 2,320.
  constexpr uint32_t kLowTarget = 2 * kPeriod;
  SkewedDevice a(48000, 0), b(48000, 0);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, true, kLowTarget));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, true, kLowTarget));
  constexpr double kGaps[] = {3.1, 2.6, 3.7, 2.9, 3.4};
  std::vector<Xrun> xruns;
  size_t gap = 0;
  for (double at = 2; at < kStreamSeconds - 1; at += kGaps[gap++ % 5]) {
    xruns.push_back({false, at, 100});
  }
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds, xruns);
  // The round trip's share of the two fills, period by period (the devices take turns).
  std::vector<size_t> round_trip;
  for (size_t k = 0; k < std::min(r.a.fills.size(), r.b.fills.size()); ++k) {
    round_trip.push_back(r.a.fills[k] + r.b.fills[k]);
  }
  std::vector<size_t> sorted = round_trip;
  std::sort(sorted.begin(), sorted.end());
  const size_t median = sorted[sorted.size() / 2];
  size_t within = 0;
  for (const size_t v : round_trip) within += v + kPeriod >= median && v <= median + kPeriod;
  size_t b_high = 0;
  for (const size_t fill : r.b.fills) b_high += fill > kLowTarget + kPeriod;
  const double within_share = double(within) / double(round_trip.size());
  CHECK(within_share >= 0.9);
  CHECK(b_high <= 1800);
  CHECK(std::fabs(r.b.drift_ppm) <= 20);
  CHECK_EQ(r.b.at_end.underruns - r.b.at_settling.underruns, uint64_t(0));
  CHECK(tone_plays(r.b.played));
  if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
    std::printf("    round trip %zu, %.1f %% within a period; B: %zu periods a period over, "
                "%.1f ppm, %zu breaks\n",
                median, 100 * within_share, b_high, r.b.drift_ppm,
                tone_breaks(r.b.played, tone_step(48000)));
  }
}

TEST(engine_without_drift_compensation_the_same_clocks_slip_and_rebuffer) {
  // The rig's skew is real: played straight, the faster sender's surplus is skipped and the
  // slower one's stream underruns and primes again.
  SkewedDevice a(48000, +250), b(48000, -250);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, false));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, false));
  const DriftRun r = run(a, b, 30, 0);
  CHECK(r.a.at_end.underruns > 0);
  CHECK(r.b.at_end.skipped_frames > 0);
}

TEST(engine_a_44k1_device_streams_48k_both_ways_resampled_and_drift_compensated) {
  SkewedDevice a(48000, 0), b(44100, +100);
  a.engine().add_peer(peer_at("b", b.engine().port(), 48000, true));
  b.engine().add_peer(peer_at("a", a.engine().port(), 48000, true));
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds);
  {
    test::Scope scope("A (48k) receives what B (44.1k) converted to 48k");
    check_settled(r.a, 48000, true_drift_ppm(+100, 0));
  }
  {
    test::Scope scope("B (44.1k) receives A's 48k");
    check_settled(r.b, 44100, true_drift_ppm(0, +100));
  }
}

TEST(engine_adaptive_latency_lowers_a_generous_target_to_what_the_arrivals_need) {
  // The conductor's network is instant: the arrivals need about a period, far below 1024.
  constexpr size_t kGenerous = 1024;
  SkewedDevice a(48000, +250), b(48000, -250);
  connect_adaptive(a, b, kGenerous);
  const DriftRun r = run(a, b, 60, 30);
  for (const Settled* side : {&r.a, &r.b}) {
    CHECK(side->at_end.target_latency_frames < kGenerous / 2);
    CHECK(side->at_end.target_latency_frames >= kPeriod);
    CHECK_EQ(side->at_end.underruns - side->at_settling.underruns, uint64_t(0));
    CHECK_EQ(side->at_end.priming_frames - side->at_settling.priming_frames, uint64_t(0));
    CHECK(tone_plays(side->played));
    CHECK(largest_step(side->played) <= tone_step(48000));
  }
  // The device reports the largest target as its latency.
  CHECK_EQ(a.engine().latency_frames(), uint32_t(r.a.at_end.target_latency_frames));
  CHECK(a.received().jitter_frames.load() >= 0);
}

TEST(engine_adaptive_latency_leaves_the_target_to_the_jitter_at_underruns_from_a_stalled_peer) {
  // A's device stalls for 300 frames twice, half a second apart: more than B holds, so B
  // underruns each time. The resampler holds B's fill, so those underruns are no reason for a
  // period more; and A's audio goes on from where it stopped, that much later for good: a step
  // the priming takes up (LatencyAdapter::restart_reference), not lateness (read as such, it
  // raised the target from 92 to 336). B's target stays where its arrivals' jitter set it.
  SkewedDevice a(48000, +250), b(48000, -250);
  connect_adaptive(a, b, 2 * kPeriod);
  const DriftRun r = run(a, b, 60, 45, {{true, 50, 300}, {true, 50.5, 300}});
  CHECK(r.b.at_end.underruns - r.b.at_settling.underruns >= 2);
  CHECK(r.b.at_end.target_latency_frames <= r.b.at_settling.target_latency_frames);
  CHECK(r.b.at_end.target_latency_frames < 2 * kPeriod);
}

TEST(engine_adaptive_latency_measures_arrivals_as_of_when_a_stalled_period_was_due) {
  // The JACK rig's servers stall in bursts: here B's device, for a second every five, once every
  // 15 periods for a period, caught up at once. What arrived while it stalled reads a period
  // early, more such chains a block than the adapter leaves out: measured so, on-time arrivals
  // read a period late and B's target stayed at 144 (a period more than its arrivals need). The
  // engine tells the adapter how late each period's callback ran (LostTimeWatch): nothing is
  // late, and the target comes down to what the instant network needs.
  SkewedDevice a(48000, 0), b(48000, 0);
  connect_adaptive(a, b, 2 * kPeriod);
  std::vector<Xrun> stalls;
  for (double burst = 2; burst < kStreamSeconds - 1; burst += 5) {
    for (double at = burst; at < burst + 1; at += 15.0 * kPeriod / 48000) {
      stalls.push_back({false, at, kPeriod, true});
    }
  }
  const DriftRun r = run(a, b, kStreamSeconds, kSettleSeconds, stalls);
  const size_t highest = *std::max_element(r.b.targets.begin(), r.b.targets.end());
  CHECK(highest <= r.b.at_settling.target_latency_frames);
  CHECK(highest < 2 * kPeriod);
  CHECK_EQ(b.received().jitter_frames.load(), 0.0);
  CHECK_EQ(r.b.at_end.underruns - r.b.at_settling.underruns, uint64_t(0));
  CHECK(tone_plays(r.b.played));
  if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
    std::printf("    B: target %zu at settling, highest %zu, end %zu; A's highest %zu\n",
                r.b.at_settling.target_latency_frames, highest, r.b.at_end.target_latency_frames,
                *std::max_element(r.a.targets.begin(), r.a.targets.end()));
  }
}

TEST(engine_refuses_another_rate_without_drift_compensation) {
  SkewedDevice b(44100, 0);
  try {
    b.engine().add_peer(peer_at("a", 9, 48000, false));
    CHECK(false);
  } catch (const EngineError& e) {
    CHECK_EQ(std::string(e.code), std::string("FORMAT_MISMATCH"));
  }
  CHECK(b.engine().peers().empty());
}

TEST(engine_refuses_adaptive_latency_without_drift_compensation) {
  SkewedDevice a(48000, 0);
  PeerSpec spec = peer_at("b", 9, 48000, false);
  spec.adaptive_latency = true;
  CHECK_THROWS(a.engine().add_peer(spec), EngineError);
  spec.drift_compensation = true;
  a.engine().add_peer(spec);
  CHECK_EQ(a.engine().peers().size(), size_t(1));
}

TEST(engine_plays_on_at_its_target_after_priming_through_a_peer_stall) {
  // Targets of two periods: A's device loses 200 frames three times, more than B holds, so B
  // underruns and primes again while A is stalled. A's audio goes on from where it stopped: B
  // plays it at its target once primed, with nothing to skip and no estimate dragged.
  SkewedDevice a(48000, +250), b(48000, -250);
  PeerSpec to_b = peer_at("b", b.engine().port(), 48000, true);
  PeerSpec to_a = peer_at("a", a.engine().port(), 48000, true);
  to_b.target_latency_frames = to_a.target_latency_frames = 2 * kPeriod;
  a.engine().add_peer(to_b);
  b.engine().add_peer(to_a);
  const DriftRun r = run(a, b, 45, 30, {{true, 32, 200}, {true, 36, 200}, {true, 40, 200}});
  const JitterStatsSnapshot& s = r.b.at_settling;
  const JitterStatsSnapshot& e = r.b.at_end;
  CHECK_EQ(e.underruns - s.underruns, uint64_t(3));
  CHECK_EQ(e.lost_bytes - s.lost_bytes, uint64_t(0));
  // At most what the datagram that ended each priming brought past the target.
  CHECK(e.skipped_frames - s.skipped_frames <= 3 * kPeriod);
  CHECK(r.b.fill_max <= 2 * kPeriod + kRoom);
  CHECK(std::fabs(r.b.drift_ppm - true_drift_ppm(+250, -250)) <= 20);
  if (test::failures() > 0 || std::getenv("DRIFT_VERBOSE")) {
    std::printf("    B: skipped %llu, underruns %llu, fill %zu..%zu, %.1f ppm\n",
                (unsigned long long)(e.skipped_frames - s.skipped_frames),
                (unsigned long long)(e.underruns - s.underruns), r.b.fill_min, r.b.fill_max,
                r.b.drift_ppm);
  }
}
