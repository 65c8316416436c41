// FillStepBound on the fills a 64-frame period at 48 kHz finds: a datagram a period, so the
// fill swings by a period about the target however well the clocks agree.
#include "core/fill_step_bound.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

constexpr double kRate = 48000;
constexpr double kPeriod = 64;
constexpr double kTarget = 256;

/** Periods until the bound corrects `step` (frames off the target, a period's swing about it). */
size_t periods_until_corrected(double step, StepCorrection& correction, size_t limit = 2000) {
  FillStepBound bound(kRate);
  for (size_t i = 0; i < limit; ++i) {
    const double swing = i % 2 == 0 ? -kPeriod / 2 : kPeriod / 2;
    correction = bound.observe(kTarget + step + swing, kTarget, kPeriod);
    if (correction.kind != StepCorrection::Kind::None) return i + 1;
  }
  return limit;
}

}  // namespace

TEST(fill_step_bound_leaves_a_fill_within_its_bound_alone) {
  StepCorrection c;
  CHECK_EQ(periods_until_corrected(0, c), size_t(2000));
  CHECK_EQ(periods_until_corrected(kPeriod * 1.4, c), size_t(2000));
  CHECK_EQ(periods_until_corrected(-kPeriod * 1.4, c), size_t(2000));
}

TEST(fill_step_bound_skips_a_surplus_held_a_quarter_second) {
  StepCorrection c;
  const size_t periods = periods_until_corrected(200, c);
  // A quarter second beyond the bound, once the low-pass has seen the step.
  CHECK(double(periods) * kPeriod >= kStepHoldSeconds * kRate);
  CHECK(double(periods) * kPeriod <= (kStepHoldSeconds + 4 * kStepSmoothingSeconds) * kRate);
  CHECK(c.kind == StepCorrection::Kind::Skip);
  CHECK(c.frames >= 200 - kPeriod / 2);
  CHECK(c.frames <= 200 + kPeriod / 2);
}

TEST(fill_step_bound_primes_again_after_a_shortfall_held_a_quarter_second) {
  StepCorrection c;
  const size_t periods = periods_until_corrected(-150, c);
  CHECK(double(periods) * kPeriod >= kStepHoldSeconds * kRate);
  CHECK(c.kind == StepCorrection::Kind::Prime);
}

TEST(fill_step_bound_lets_a_step_taken_back_within_the_hold_pass) {
  // A's loss, then B's a tenth of a second later: the two steps cancel, nothing is corrected.
  FillStepBound bound(kRate);
  for (size_t i = 0; i < 2000; ++i) {
    const double t = double(i) * kPeriod / kRate;
    const double step = t >= 1 && t < 1.1 ? 150 : 0;
    CHECK(bound.observe(kTarget + step, kTarget, kPeriod).kind == StepCorrection::Kind::None);
  }
}

TEST(fill_step_bound_starts_afresh_after_forget) {
  FillStepBound bound(kRate);
  for (size_t i = 0; i < 150; ++i) bound.observe(kTarget + 300, kTarget, kPeriod);
  bound.forget();
  // The quarter second starts again: 150 periods (0.2 s) more are not enough.
  for (size_t i = 0; i < 150; ++i) {
    CHECK(bound.observe(kTarget + 300, kTarget, kPeriod).kind == StepCorrection::Kind::None);
  }
}
