#include "jack_device.hpp"

#include <jack/metadata.h>
#include <jack/uuid.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace syfala {

namespace {

/** libjack prints its own diagnostics to stderr; ours are the typed errors, one sentence each. */
void quiet(const char*) {}

constexpr auto kCloseDeadline = std::chrono::seconds(2);

/** Closes given up on, ever; and those of them still running, each holding libjack's lock. */
std::atomic<uint64_t> abandoned_closes{0};
std::atomic<uint64_t> stuck_closes{0};

/** One close, shared by the thread running it and the caller waiting for it. */
struct PendingClose {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  bool abandoned = false;
};

/**
 * jack_client_close, given kCloseDeadline to return. jack2 (up to 1.9.22, its issue 395) cancels
 * the client's notification thread at close; if that thread holds its synchro mutex at that
 * moment (another client coming or going), the close waits for that mutex forever. Such a client
 * is left to the server, which drops it when this process exits: a daemon stopping still stops.
 * A close merely slow that returns later releases libjack's lock, and opening works again.
 */
void close_client(jack_client_t* client) {
  auto pending = std::make_shared<PendingClose>();
  std::thread([client, pending] {
    jack_client_close(client);
    const std::lock_guard<std::mutex> lock(pending->mutex);
    pending->done = true;
    if (pending->abandoned) stuck_closes.fetch_sub(1);
    pending->finished.notify_one();
  }).detach();
  std::unique_lock<std::mutex> lock(pending->mutex);
  if (pending->finished.wait_for(lock, kCloseDeadline, [&] { return pending->done; })) return;
  pending->abandoned = true;
  abandoned_closes.fetch_add(1);
  stuck_closes.fetch_add(1);
}

jack_client_t* open_client(const std::string& name, const std::string& server) {
  if (stuck_closes.load() > 0) {
    throw DeviceError("CLOSE_HUNG",
                      "an earlier JACK client of this process has not finished closing (a jack2 "
                      "race) and holds libjack's lock: restart the process to open another");
  }
  jack_set_error_function(quiet);
  jack_set_info_function(quiet);
  jack_status_t status;
  const auto options =
      static_cast<jack_options_t>(JackNoStartServer | (server.empty() ? 0 : JackServerName));
  jack_client_t* client = server.empty()
                              ? jack_client_open(name.c_str(), options, &status)
                              : jack_client_open(name.c_str(), options, &status, server.c_str());
  if (client == nullptr) {
    const std::string which = server.empty() ? "the default JACK server" : "JACK server '" + server + "'";
    if (status & JackServerFailed) {
      throw DeviceError("SERVER_UNAVAILABLE", "cannot connect to " + which + ": is jackd running?");
    }
    throw DeviceError("SERVER_UNAVAILABLE", "cannot open a JACK client on " + which +
                                              " (JACK status " + std::to_string(unsigned(status)) +
                                              ")");
  }
  return client;
}

/**
 * The client a probe opened for the device to come, by that device's name and server: the device
 * takes it rather than open a second. A process starting then closes no client before it runs;
 * any close can meet jack2's race (close_client), after which this process opens none.
 */
struct KeptClient {
  std::string name;
  std::string server;
  jack_client_t* client = nullptr;
};
std::mutex kept_mutex;
KeptClient kept;

jack_client_t* take_kept(const std::string& name, const std::string& server) {
  const std::lock_guard<std::mutex> lock(kept_mutex);
  if (kept.client == nullptr || kept.name != name || kept.server != server) return nullptr;
  return std::exchange(kept.client, nullptr);
}

/** The client kept for a device of this name on this server, else a new one. */
jack_client_t* take_or_open(const std::string& name, const std::string& server) {
  jack_client_t* client = take_kept(name, server);
  return client != nullptr ? client : open_client(name, server);
}

void keep(const std::string& name, const std::string& server, jack_client_t* client) {
  jack_client_t* previous = nullptr;
  {
    const std::lock_guard<std::mutex> lock(kept_mutex);
    previous = std::exchange(kept.client, client);
    kept.name = name;
    kept.server = server;
  }
  if (previous != nullptr) close_client(previous);
}

std::vector<std::string> physical_ports(jack_client_t* client, unsigned long direction) {
  std::vector<std::string> names;
  const char** ports =
      jack_get_ports(client, nullptr, JACK_DEFAULT_AUDIO_TYPE, JackPortIsPhysical | direction);
  if (ports == nullptr) return names;
  for (const char** p = ports; *p != nullptr; ++p) names.emplace_back(*p);
  jack_free(ports);
  return names;
}

/** What a port is called: short (`capture_1`, `capture2_1`) and pretty ("Studio A capture 1"). */
struct PortLabel {
  std::string name;
  std::string pretty;
};

PortLabel port_label(const JackDeviceOptions& options, const std::string& prefix, size_t streams,
                     size_t k, uint32_t c) {
  const std::string channel = std::to_string(c + 1);
  const std::string stream = std::to_string(k + 1);
  const bool several = streams > 1;
  return {prefix + (several ? stream : "") + "_" + channel,
          options.pretty_name + " " + prefix + " " + channel +
              (several ? " (stream " + stream + ")" : "")};
}

}  // namespace

bool jack_available() { return true; }

uint64_t jack_abandoned_closes() { return abandoned_closes.load(); }

std::unique_ptr<Device> open_jack(const JackDeviceOptions& options, PeriodCallback& callback,
                                  DeviceEvents& events) {
  return std::make_unique<JackDevice>(options, callback, events);
}

JackServerInfo probe_jack(const std::string& server, const std::string& keep_for) {
  jack_client_t* client =
      keep_for.empty() ? open_client("syfala-probe", server) : take_or_open(keep_for, server);
  JackServerInfo info{jack_get_sample_rate(client), jack_get_buffer_size(client),
                      physical_ports(client, JackPortIsOutput),
                      physical_ports(client, JackPortIsInput)};
  if (keep_for.empty()) {
    close_client(client);
  } else {
    keep(keep_for, server, client);
  }
  return info;
}

JackDevice::JackDevice(const JackDeviceOptions& options, PeriodCallback& callback, DeviceEvents& events)
    : callback_(callback), events_(events), options_(options) {
  client_ = take_or_open(options.client_name, options.server);
  client_name_ = jack_get_client_name(client_);
  sample_rate_ = jack_get_sample_rate(client_);
  period_frames_ = jack_get_buffer_size(client_);
  try {
    if (options.sample_rate != 0 && sample_rate_ != options.sample_rate && !options.resample) {
      throw DeviceError("FORMAT_MISMATCH",
                        "the streams run at " + std::to_string(options.sample_rate) +
                            " Hz but the JACK server at " + std::to_string(sample_rate_.load()) +
                            " Hz: another rate is resampled only with drift compensation");
    }
    register_ports(options.inputs, options.input_prefix, JackPortIsInput, input_ports_);
    register_ports(options.outputs, options.output_prefix, JackPortIsOutput, output_ports_);
    if (!options.pretty_name.empty()) {
      char* uuid_text = jack_get_uuid_for_client_name(client_, client_name_.c_str());
      jack_uuid_t uuid;
      if (uuid_text != nullptr && jack_uuid_parse(uuid_text, &uuid) == 0) {
        set_pretty_name(uuid, options.pretty_name);
      }
      jack_free(uuid_text);
    }
  } catch (...) {
    remove_pretty_names();
    close_client(client_);
    throw;
  }
  for (const auto& stream : input_ports_) input_planes_.emplace_back(stream.size(), nullptr);
  for (const auto& stream : output_ports_) output_planes_.emplace_back(stream.size(), nullptr);
  jack_set_process_callback(client_, &JackDevice::on_process, this);
  jack_set_xrun_callback(client_, &JackDevice::on_xrun, this);
  jack_set_buffer_size_callback(client_, &JackDevice::on_buffer_size, this);
  jack_set_sample_rate_callback(client_, &JackDevice::on_sample_rate, this);
  jack_on_info_shutdown(client_, &JackDevice::on_shutdown, this);
  jack_set_latency_callback(client_, &JackDevice::on_latency, this);
}

JackDevice::~JackDevice() {
  stop();
  if (!gone_.load()) remove_pretty_names();
  // After a server shutdown the client is a husk; closing it is still how it is freed.
  close_client(client_);
}

void JackDevice::register_ports(const std::vector<uint32_t>& streams, const std::string& prefix,
                                unsigned long flags, std::vector<std::vector<jack_port_t*>>& out) {
  for (size_t k = 0; k < streams.size(); ++k) {
    out.emplace_back();
    for (uint32_t c = 0; c < streams[k]; ++c) {
      const PortLabel label = port_label(options_, prefix, streams.size(), k, c);
      jack_port_t* port =
          jack_port_register(client_, label.name.c_str(), JACK_DEFAULT_AUDIO_TYPE, flags, 0);
      if (port == nullptr) {
        throw DeviceError("PORT_FAILED",
                          "JACK refused to register port " + client_name_ + ":" + label.name);
      }
      out.back().push_back(port);
      if (!options_.pretty_name.empty()) set_pretty_name(jack_port_uuid(port), label.pretty);
    }
  }
}

/** Cosmetic: a server without metadata (or refusing it) still streams, so failures are ignored. */
void JackDevice::set_pretty_name(jack_uuid_t subject, const std::string& name) {
  if (jack_set_property(client_, subject, JACK_METADATA_PRETTY_NAME, name.c_str(), nullptr) == 0) {
    pretty_subjects_.push_back(subject);
  }
}

/** The names would outlive the client in jackd2's metadata store. */
void JackDevice::remove_pretty_names() {
  for (const jack_uuid_t subject : pretty_subjects_) {
    jack_remove_property(client_, subject, JACK_METADATA_PRETTY_NAME);
  }
  pretty_subjects_.clear();
}

void JackDevice::start() {
  if (jack_activate(client_) != 0) throw DeviceError("SERVER_UNAVAILABLE", "JACK refused to activate " + client_name_);
  active_ = true;
  connect_ports();
}

void JackDevice::connect_ports() {
  const bool explicit_inputs = !options_.connect_inputs_from.empty();
  const bool explicit_outputs = !options_.connect_outputs_to.empty();
  const auto sources = explicit_inputs ? options_.connect_inputs_from
                       : options_.auto_connect ? physical_ports(client_, JackPortIsOutput)
                                               : std::vector<std::string>{};
  const auto sinks = explicit_outputs ? options_.connect_outputs_to
                     : options_.auto_connect ? physical_ports(client_, JackPortIsInput)
                                             : std::vector<std::string>{};
  size_t i = 0;
  for (const auto& stream : input_ports_) {
    for (jack_port_t* port : stream) {
      if (i >= sources.size()) break;
      const int failed = jack_connect(client_, sources[i].c_str(), jack_port_name(port));
      if (failed && failed != EEXIST && explicit_inputs) {
        throw DeviceError("PORT_FAILED", "cannot connect " + sources[i] + " to " + jack_port_name(port));
      }
      ++i;
    }
  }
  i = 0;
  for (const auto& stream : output_ports_) {
    for (jack_port_t* port : stream) {
      if (i >= sinks.size()) break;
      const int failed = jack_connect(client_, jack_port_name(port), sinks[i].c_str());
      if (failed && failed != EEXIST && explicit_outputs) {
        throw DeviceError("PORT_FAILED", "cannot connect " + std::string(jack_port_name(port)) + " to " + sinks[i]);
      }
      ++i;
    }
  }
}

void JackDevice::stop() {
  if (!active_.exchange(false)) return;
  if (!gone_.load()) jack_deactivate(client_);
}

void JackDevice::latency_changed() {
  if (active_.load() && !gone_.load()) jack_recompute_total_latencies(client_);
}

std::vector<std::string> JackDevice::port_names(bool inputs) const {
  std::vector<std::string> names;
  for (const auto& stream : inputs ? input_ports_ : output_ports_) {
    for (jack_port_t* port : stream) names.emplace_back(jack_port_name(port));
  }
  return names;
}

int JackDevice::on_process(jack_nframes_t frames, void* arg) {
  auto* self = static_cast<JackDevice*>(arg);
  for (size_t k = 0; k < self->input_ports_.size(); ++k) {
    for (size_t c = 0; c < self->input_ports_[k].size(); ++c) {
      self->input_planes_[k][c] =
          static_cast<const float*>(jack_port_get_buffer(self->input_ports_[k][c], frames));
    }
  }
  for (size_t k = 0; k < self->output_ports_.size(); ++k) {
    for (size_t c = 0; c < self->output_ports_[k].size(); ++c) {
      auto* plane = static_cast<float*>(jack_port_get_buffer(self->output_ports_[k][c], frames));
      std::memset(plane, 0, frames * sizeof(float));
      self->output_planes_[k][c] = plane;
    }
  }
  DevicePeriod period{&self->input_planes_, &self->output_planes_, frames};
  jack_nframes_t frame_time = 0;
  jack_time_t cycle_start_us = 0, next_cycle_us = 0;
  float period_us = 0;
  // JACK's clock is CLOCK_MONOTONIC in microseconds (jack_get_time).
  if (jack_get_cycle_times(self->client_, &frame_time, &cycle_start_us, &next_cycle_us,
                           &period_us) == 0) {
    period.cycle_start_ns = int64_t(cycle_start_us) * 1000;
    period.period_ns = int64_t(double(period_us) * 1000.0);
  }
  // Not JACK's cycle times: its clock filter smooths over the time an xrun loses.
  period.callback_ns = monotonic_now_ns();
  self->callback_.process(period);
  self->periods_.fetch_add(1, std::memory_order_relaxed);
  const uint32_t latency = self->callback_.latency_frames();
  if (latency != self->reported_latency_) {
    self->reported_latency_ = latency;
    self->events_.raise(kEventLatency);
  }
  return 0;
}

int JackDevice::on_xrun(void* arg) {
  auto* self = static_cast<JackDevice*>(arg);
  self->xruns_.fetch_add(1, std::memory_order_relaxed);
  self->events_.raise(kEventXrun);
  return 0;
}

int JackDevice::on_buffer_size(jack_nframes_t frames, void* arg) {
  auto* self = static_cast<JackDevice*>(arg);
  // process() takes any period: chunks bound its scratch, so a new size needs no reallocation.
  self->period_frames_.store(frames, std::memory_order_relaxed);
  self->events_.raise(kEventBufferSize);
  return 0;
}

int JackDevice::on_sample_rate(jack_nframes_t rate, void* arg) {
  auto* self = static_cast<JackDevice*>(arg);
  const bool changed = self->sample_rate_.exchange(rate, std::memory_order_relaxed) != rate;
  if (changed) self->events_.raise(kEventSampleRate);
  return 0;
}

/**
 * The engine is a network card to JACK: what its output ports play was captured the jitter
 * buffer's target plus a period ago (a duplex bridge: its worker's period) (the period the packetizer waits for), and what its input
 * ports take is played that much later at the peer. The peer's target is not known here; its
 * own receive target stands for it (both ends of a session usually ask the same).
 */
void JackDevice::on_latency(jack_latency_callback_mode_t mode, void* arg) {
  auto* self = static_cast<JackDevice*>(arg);
  const jack_nframes_t frames =
      self->callback_.latency_frames() + self->period_frames_.load(std::memory_order_relaxed);
  jack_latency_range_t range{frames, frames};
  const bool capture = mode == JackCaptureLatency;
  for (const auto& stream : capture ? self->output_ports_ : self->input_ports_) {
    for (jack_port_t* port : stream) jack_port_set_latency_range(port, mode, &range);
  }
}

void JackDevice::on_shutdown(jack_status_t, const char*, void* arg) {
  auto* self = static_cast<JackDevice*>(arg);
  self->gone_.store(true, std::memory_order_relaxed);
  self->events_.raise(kEventShutdown);
}

}  // namespace syfala
