#include "duplex_bridge.hpp"

#include <cstring>
#include <numeric>

namespace syfala {

namespace {

uint32_t total(const std::vector<uint32_t>& channels) {
  return std::accumulate(channels.begin(), channels.end(), 0u);
}

}  // namespace

DuplexBridge::DuplexBridge(std::vector<uint32_t> inputs, std::vector<uint32_t> outputs,
                           uint32_t period_frames)
    : inputs_(std::move(inputs)),
      outputs_(std::move(outputs)),
      in_channels_(total(inputs_)),
      out_channels_(total(outputs_)),
      period_frames_(period_frames),
      captured_(kDuplexRingPeriods, kHeaderBytes + sizeof(float) * in_channels_ * period_frames),
      rendered_(kDuplexRingPeriods, kHeaderBytes + sizeof(float) * out_channels_ * period_frames) {
  static_assert(sizeof(PeriodStamp) <= kHeaderBytes, "a stamp fits a slot's header");
}

void DuplexBridge::process(const DevicePeriod& period) {
  const uint64_t index = next_index_++;
  const uint64_t frame_index = frame_index_;
  frame_index_ += period.frames;
  counters_.periods.fetch_add(1, std::memory_order_relaxed);
  if (period.frames != period_frames_) {
    counters_.resized_periods.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (uint8_t* slot = captured_.write_slot()) {
    const PeriodStamp stamp{index, frame_index, period.cycle_start_ns, period.period_ns};
    std::memcpy(slot, &stamp, sizeof stamp);
    auto* plane = reinterpret_cast<float*>(slot + kHeaderBytes);
    for (const auto& stream : *period.inputs) {
      for (const float* channel : stream) {
        std::memcpy(plane, channel, sizeof(float) * period_frames_);
        plane += period_frames_;
      }
    }
    captured_.commit(captured_.slot_bytes());
    wake_.post();
  } else {
    counters_.input_overflows.fetch_add(1, std::memory_order_relaxed);
  }
  // The first period has no output before it: its silence is the bridge's period of latency.
  if (index > 0) play(index - 1, period);
}

void DuplexBridge::play(uint64_t wanted, const DevicePeriod& period) {
  size_t length = 0;
  while (const uint8_t* slot = rendered_.read_slot(length)) {
    uint64_t index = 0;
    std::memcpy(&index, slot, sizeof index);
    if (index < wanted) {
      // Its turn passed while the worker ran late: playing it now would add a period for good.
      rendered_.release();
      counters_.late_outputs.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (index > wanted) break;  // the output for `wanted` never comes (its input was dropped)
    const auto* plane = reinterpret_cast<const float*>(slot + kHeaderBytes);
    for (const auto& stream : *period.outputs) {
      for (float* channel : stream) {
        std::memcpy(channel, plane, sizeof(float) * period_frames_);
        plane += period_frames_;
      }
    }
    rendered_.release();
    return;
  }
  counters_.output_underflows.fetch_add(1, std::memory_order_relaxed);
}

DuplexBridge::Take DuplexBridge::take(int timeout_ms, PeriodStamp& stamp, float* inputs) {
  size_t length = 0;
  const uint8_t* slot = nullptr;
  // A post may be left over from a period taken without waiting: wait again until one is there.
  while ((slot = captured_.read_slot(length)) == nullptr) {
    if (closed_.load(std::memory_order_acquire)) return Take::kClosed;
    if (!wake_.wait_for_ms(timeout_ms)) {
      slot = captured_.read_slot(length);
      if (slot == nullptr) return Take::kTimeout;
      break;
    }
  }
  if (closed_.load(std::memory_order_acquire)) return Take::kClosed;
  std::memcpy(&stamp, slot, sizeof stamp);
  const auto* planes = reinterpret_cast<const float*>(slot + kHeaderBytes);
  for (uint32_t channels : inputs_) {
    for (uint32_t c = 0; c < channels; ++c) {
      const float* plane = planes + size_t(c) * period_frames_;
      for (uint32_t f = 0; f < period_frames_; ++f) inputs[size_t(f) * channels + c] = plane[f];
    }
    planes += size_t(channels) * period_frames_;
    inputs += size_t(channels) * period_frames_;
  }
  captured_.release();
  return Take::kPeriod;
}

bool DuplexBridge::give(uint64_t index, const float* outputs) {
  uint8_t* slot = rendered_.write_slot();
  if (slot == nullptr) return false;
  std::memcpy(slot, &index, sizeof index);
  auto* planes = reinterpret_cast<float*>(slot + kHeaderBytes);
  for (uint32_t channels : outputs_) {
    for (uint32_t c = 0; c < channels; ++c) {
      float* plane = planes + size_t(c) * period_frames_;
      for (uint32_t f = 0; f < period_frames_; ++f) plane[f] = outputs[size_t(f) * channels + c];
    }
    planes += size_t(channels) * period_frames_;
    outputs += size_t(channels) * period_frames_;
  }
  rendered_.commit(rendered_.slot_bytes());
  return true;
}

void DuplexBridge::close() {
  closed_.store(true, std::memory_order_release);
  wake_.post();
}

}  // namespace syfala
