// What the native engine's per-period kernels cost at 64 channels of f32 and 64-frame periods,
// in a loop of this one process (a library-level figure: a JACK client's callback finds its data
// colder, after the other clients ran). `make -C native bench`; figures in bench/RESULTS.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "core/drift_compensated_stream.hpp"
#include "core/peak_meter.hpp"
#include "core/sample_convert.hpp"

using namespace syfala;

namespace {

constexpr size_t kChannels = 64;
constexpr size_t kFrames = 64;
constexpr int kPeriods = 50000;

/** Median of 5 rounds of kPeriods calls, µs per call. */
template <class Fn>
void report(const char* name, Fn&& period) {
  std::vector<double> rounds;
  for (int r = 0; r < 5; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPeriods; ++i) period();
    const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    rounds.push_back(took.count() / kPeriods);
  }
  std::sort(rounds.begin(), rounds.end());
  std::printf("| %-56s | %6.2f |\n", name, rounds[2]);
}

}  // namespace

int main() {
  std::mt19937 random(1);
  std::uniform_real_distribution<float> sample(-1, 1);
  std::vector<std::vector<float>> planes(kChannels, std::vector<float>(kFrames));
  std::vector<const float*> in(kChannels);
  for (size_t c = 0; c < kChannels; ++c) {
    for (float& x : planes[c]) x = sample(random);
    in[c] = planes[c].data();
  }
  std::vector<float> interleaved(kChannels * kFrames);
  for (float& x : interleaved) x = sample(random);
  std::vector<uint8_t> wire(kChannels * kFrames * 4);

  std::printf("| %-56s | %6s |\n| %s | -----: |\n", "64 channels f32, 64-frame period",
              "µs", std::string(56, '-').c_str());
  PeakMeter meter(kChannels, 48000);
  report("PeakMeter::measure_planar (what is sent)", [&] {
    meter.measure_planar(in.data(), kFrames);
    meter.end_period();
  });
  report("PeakMeter::measure_interleaved (what is played)", [&] {
    meter.measure_interleaved(interleaved.data(), kFrames);
    meter.end_period();
  });
  report("encode_interleave f32 (planes to the wire)", [&] {
    encode_interleave(SampleType::F32, in.data(), kChannels, kFrames, wire.data());
  });

  // A drift-compensated stream fed one period a period, as a clean network would.
  const Format format{48000, uint32_t(kChannels), SampleType::F32};
  JitterBufferOptions options;
  options.skip_surplus = false;
  options.conceal_underruns = true;
  JitterBuffer buffer(format, 4096, 4 * kFrames, options);
  LossConcealer concealer(kChannels, 48000);
  DriftCompensatedStream stream(buffer, format, DriftCompensatedStreamOptions{kFrames},
                                &concealer);
  const size_t period_bytes = kFrames * kChannels * 4;
  uint64_t sent = 0;
  for (int i = 0; i < 8; ++i, sent += period_bytes) buffer.push(sent, wire.data(), period_bytes);
  report("DriftCompensatedStream::pull (jitter buffer to device)", [&] {
    buffer.push(sent, wire.data(), period_bytes);
    sent += period_bytes;
    stream.pull(interleaved.data(), kFrames);
  });
  std::printf("(checksum %g)\n", double(interleaved[7]) + meter.peak(3) + wire[5]);
}
