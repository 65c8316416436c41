#pragma once
// A JACK client as a device: one JACK port per channel, a PeriodCallback (the engine, or the
// duplex bridge) in JACK's real-time callback, and JACK's notifications raised as DeviceEvents.
#include <jack/jack.h>

#include <atomic>
#include <string>
#include <vector>

#include "jack_options.hpp"

namespace syfala {

class JackDevice final : public Device {
 public:
  JackDevice(const JackDeviceOptions& options, PeriodCallback& callback, DeviceEvents& events);
  ~JackDevice() override;
  JackDevice(const JackDevice&) = delete;
  JackDevice& operator=(const JackDevice&) = delete;

  /** Activates the client, then connects its ports. */
  void start() override;
  /** Deactivates: once it returns, process() runs no more. Idempotent. */
  void stop() override;

  const std::string& name() const override { return client_name_; }
  uint32_t sample_rate() const override { return sample_rate_.load(std::memory_order_relaxed); }
  uint32_t period_frames() const override {
    return period_frames_.load(std::memory_order_relaxed);
  }
  uint64_t periods() const override { return periods_.load(std::memory_order_relaxed); }
  uint64_t xruns() const override { return xruns_.load(std::memory_order_relaxed); }
  std::vector<std::string> port_names(bool inputs) const override;
  /** Has JACK recompute its graph's latencies, which calls on_latency. */
  void latency_changed() override;

 private:
  static int on_process(jack_nframes_t frames, void* self);
  static int on_xrun(void* self);
  static int on_buffer_size(jack_nframes_t frames, void* self);
  static int on_sample_rate(jack_nframes_t rate, void* self);
  static void on_shutdown(jack_status_t code, const char* reason, void* self);
  static void on_latency(jack_latency_callback_mode_t mode, void* self);
  void register_ports(const std::vector<uint32_t>& streams, const std::string& prefix,
                      unsigned long flags, std::vector<std::vector<jack_port_t*>>& out);
  void connect_ports();
  void set_pretty_name(jack_uuid_t subject, const std::string& name);
  void remove_pretty_names();

  jack_client_t* client_ = nullptr;
  PeriodCallback& callback_;
  DeviceEvents& events_;
  const JackDeviceOptions options_;
  std::string client_name_;
  std::vector<std::vector<jack_port_t*>> input_ports_;
  std::vector<std::vector<jack_port_t*>> output_ports_;
  // Preallocated plane tables the real-time callback fills with JACK's buffers.
  std::vector<std::vector<const float*>> input_planes_;
  std::vector<std::vector<float*>> output_planes_;
  std::atomic<uint32_t> sample_rate_{0};
  std::atomic<uint32_t> period_frames_{0};
  std::atomic<uint64_t> periods_{0};
  std::atomic<uint64_t> xruns_{0};
  std::atomic<bool> gone_{false};
  std::atomic<bool> active_{false};
  /** The client and ports whose pretty name was set: removed at close. */
  std::vector<jack_uuid_t> pretty_subjects_;
  /** The callback latency on_latency last saw; the audio thread's own. */
  uint32_t reported_latency_ = 0;
};

}  // namespace syfala
