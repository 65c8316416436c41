// The meter block logic of core/peak_meter.hpp, in the cases packages/dataplane/test/peak-meter.test.ts
// checks of the TS meter, through both entry points; measuring and ending a block allocate nothing.
#include <cmath>
#include <vector>

#include "core/peak_meter.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

constexpr uint32_t kRate = 48000;
constexpr size_t kBlockFrames = kRate * kMeterBlockMs / 1000;

/** Stereo interleaved frames: channel 0 peaks at `left` mid-period (left / 2 elsewhere), channel 1
 *  is -`right` throughout (negative: |x| counts). */
std::vector<float> period(size_t frames, float left, float right) {
  std::vector<float> samples(frames * 2);
  for (size_t f = 0; f < frames; ++f) {
    samples[2 * f] = f == frames / 2 ? left : left / 2;
    samples[2 * f + 1] = -right;
  }
  return samples;
}

void check_peaks(const PeakMeter& meter, float left, float right) {
  CHECK_EQ(meter.peak(0), left);
  CHECK_EQ(meter.peak(1), right);
}

}  // namespace

TEST(peak_meter_shows_zero_until_a_block_ends_then_its_peak_per_channel) {
  PeakMeter meter(2, kRate);
  const size_t frames = 64;
  const size_t periods = (kBlockFrames + frames - 1) / frames;
  const std::vector<float> quiet = period(frames, 0.5f, 0.25f);
  const std::vector<float> loud = period(frames, 0.75f, 0.125f);
  const size_t before = test::allocations();
  for (size_t p = 0; p + 1 < periods; ++p) {
    meter.measure_interleaved(quiet.data(), frames);
    meter.end_period();
  }
  check_peaks(meter, 0, 0);
  meter.measure_interleaved(loud.data(), frames);
  meter.end_period();
  CHECK_EQ(test::allocations(), before);
  check_peaks(meter, 0.75f, 0.25f);
}

TEST(peak_meter_forgets_a_block_once_the_next_ends) {
  PeakMeter meter(2, kRate);
  const std::vector<float> loud = period(kBlockFrames, 1, 1);
  const std::vector<float> quiet = period(kBlockFrames, 0.5f, 0.125f);
  meter.measure_interleaved(loud.data(), kBlockFrames);
  meter.end_period();
  check_peaks(meter, 1, 1);
  meter.measure_interleaved(quiet.data(), kBlockFrames);
  meter.end_period();
  check_peaks(meter, 0.5f, 0.125f);
}

TEST(peak_meter_makes_a_long_period_a_block_and_meters_planes_as_interleaved_frames) {
  PeakMeter meter(2, kRate);
  const size_t frames = 3 * kBlockFrames;
  const std::vector<float> interleaved = period(frames, 0.5f, 0.25f);
  std::vector<float> left(frames), right(frames);
  for (size_t f = 0; f < frames; ++f) {
    left[f] = interleaved[2 * f];
    right[f] = interleaved[2 * f + 1];
  }
  const float* planes[] = {left.data(), right.data()};
  const size_t before = test::allocations();
  meter.measure_planar(planes, frames);
  check_peaks(meter, 0, 0);
  meter.end_period();
  CHECK_EQ(test::allocations(), before);
  check_peaks(meter, 0.5f, 0.25f);
}

TEST(peak_meter_planar_finds_the_peak_at_any_frame_of_any_length_and_ignores_nan) {
  // Compared several frames at a time, with a tail: the peak may fall in either, NaN in both.
  for (size_t frames = 1; frames <= 40; ++frames) {
    for (size_t at = 0; at < frames; ++at) {
      std::vector<float> left(frames, 0.25f), right(frames, -0.125f);
      left[at] = -0.875f;
      right[frames - 1 - at] = std::nanf("");
      const float* planes[] = {left.data(), right.data()};
      PeakMeter meter(2, 1);  // at 1 Hz a block is one frame: every period ends one
      meter.measure_planar(planes, frames);
      meter.end_period();
      check_peaks(meter, 0.875f, frames == 1 ? 0.0f : 0.125f);
    }
  }
}
