// A JACK client driving a DuplexBridge, for a JS worker thread to process its periods. The main
// thread opens, starts, reads counters and closes; the worker blocks in take() between periods.
#include "jack_duplex.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>

#include "../engine/duplex_bridge.hpp"
#include "../jack/jack_options.hpp"
#include "convert.hpp"
#include "guarded.hpp"

namespace syfala {

namespace {

struct DuplexSession {
  DuplexSession(const JackDeviceOptions& options, uint32_t period_frames)
      : bridge(options.inputs, options.outputs, period_frames) {}
  DuplexBridge bridge;
  DeviceEvents events;
  /** Declared last, destroyed first: no process() call outlives the bridge. */
  std::unique_ptr<Device> device;
};

std::mutex sessions_lock;
std::unordered_map<uint32_t, std::shared_ptr<DuplexSession>> sessions;
uint32_t next_id = 1;

/** The session, kept alive for the caller even if another thread closes it meanwhile. */
std::shared_ptr<DuplexSession> session_of(const Napi::Value& id) {
  const std::lock_guard<std::mutex> hold(sessions_lock);
  const auto found = sessions.find(id.As<Napi::Number>().Uint32Value());
  return found == sessions.end() ? nullptr : found->second;
}

std::shared_ptr<DuplexSession> open_session(Napi::Env env, const Napi::CallbackInfo& info) {
  const JackDeviceOptions options =
      guarded(env, "BAD_OPTION", [&] { return jack_device_options(info[0].As<Napi::Object>()); });
  // The bridge is sized by the server's period, known only once a client is open: a probe opens
  // the client and reads it, and the device takes that client.
  const uint32_t period = guarded(env, "SERVER_UNAVAILABLE", [&] {
    return probe_jack(options.server, options.client_name).period_frames;
  });
  auto session = std::make_shared<DuplexSession>(options, period);
  session->device = guarded(env, "SERVER_UNAVAILABLE", [&] {
    return open_jack(options, session->bridge, session->events);
  });
  if (session->device->period_frames() != period) {
    throw coded_error(env, "FORMAT_MISMATCH", "the JACK server changed its period while opening");
  }
  return session;
}

/** openJackDuplex(options) → { id, name, sampleRate, periodFrames, inputPorts, outputPorts }. */
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto session = open_session(env, info);
  Napi::Object opened = device_info(env, *session->device);
  const std::lock_guard<std::mutex> hold(sessions_lock);
  const uint32_t id = next_id++;
  sessions.emplace(id, std::move(session));
  opened.Set("id", id);
  return opened;
}

/** jackDuplexStart(id): activates the client and connects its ports. */
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto session = session_of(info[0]);
  if (!session) throw coded_error(env, "BAD_STATE", "JACK duplex stream: closed");
  guarded(env, "SERVER_UNAVAILABLE", [&] { session->device->start(); });
  return env.Undefined();
}

/**
 * jackDuplexTake(id, inputs: Float32Array, stamp: Float64Array(5), timeoutMs) → 1 with a period
 * (stamp: index, frameIndex, cycleStartNs, periodNs, nowNs), 0 on a timeout, −1 once closed.
 */
Napi::Value Take(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto session = session_of(info[0]);
  if (!session) return Napi::Number::New(env, -1);
  auto inputs = info[1].As<Napi::Float32Array>();
  auto stamp_out = info[2].As<Napi::Float64Array>();
  if (inputs.ElementLength() < session->bridge.input_block_floats() || stamp_out.ElementLength() < 5) {
    throw coded_error(env, "BAD_OPTION", "jackDuplexTake: buffers too small for a period");
  }
  PeriodStamp stamp{};
  switch (session->bridge.take(info[3].As<Napi::Number>().Int32Value(), stamp, inputs.Data())) {
    case DuplexBridge::Take::kClosed:
      return Napi::Number::New(env, -1);
    case DuplexBridge::Take::kTimeout:
      return Napi::Number::New(env, 0);
    case DuplexBridge::Take::kPeriod:
      break;
  }
  const int64_t now_ns = monotonic_now_ns();
  stamp_out[0] = double(stamp.index);
  stamp_out[1] = double(stamp.frame_index);
  stamp_out[2] = double(stamp.cycle_start_ns);
  stamp_out[3] = double(stamp.period_ns);
  stamp_out[4] = double(now_ns);
  return Napi::Number::New(env, 1);
}

/** jackDuplexGive(id, index, outputs: Float32Array) → false when closed or the ring is full. */
Napi::Value Give(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto session = session_of(info[0]);
  if (!session) return Napi::Boolean::New(env, false);
  auto outputs = info[2].As<Napi::Float32Array>();
  if (outputs.ElementLength() < session->bridge.output_block_floats()) {
    throw coded_error(env, "BAD_OPTION", "jackDuplexGive: buffer too small for a period");
  }
  const auto index = uint64_t(info[1].As<Napi::Number>().Int64Value());
  return Napi::Boolean::New(env, session->bridge.give(index, outputs.Data()));
}

/** jackDuplexStats(id) → counters, or undefined once closed. */
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto session = session_of(info[0]);
  if (!session) return env.Undefined();
  const DuplexCounters& c = session->bridge.counters();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("periods", double(c.periods.load()));
  stats.Set("xruns", double(session->device->xruns()));
  stats.Set("inputOverflows", double(c.input_overflows.load()));
  stats.Set("outputUnderflows", double(c.output_underflows.load()));
  stats.Set("lateOutputs", double(c.late_outputs.load()));
  stats.Set("resizedPeriods", double(c.resized_periods.load()));
  return stats;
}

/** jackDuplexClose(id): deactivates the client and ends the worker's take(). Idempotent. */
Napi::Value Close(const Napi::CallbackInfo& info) {
  std::shared_ptr<DuplexSession> session;
  {
    const std::lock_guard<std::mutex> hold(sessions_lock);
    const auto found = sessions.find(info[0].As<Napi::Number>().Uint32Value());
    if (found == sessions.end()) return info.Env().Undefined();
    session = std::move(found->second);
    sessions.erase(found);
  }
  session->device->stop();
  session->bridge.close();
  // The client closes when the last holder lets go: here, or in a take() still returning.
  return info.Env().Undefined();
}

}  // namespace

void export_jack_duplex(Napi::Env env, Napi::Object exports) {
  exports.Set("openJackDuplex", Napi::Function::New(env, Open));
  exports.Set("jackDuplexStart", Napi::Function::New(env, Start));
  exports.Set("jackDuplexTake", Napi::Function::New(env, Take));
  exports.Set("jackDuplexGive", Napi::Function::New(env, Give));
  exports.Set("jackDuplexStats", Napi::Function::New(env, Stats));
  exports.Set("jackDuplexClose", Napi::Function::New(env, Close));
}

}  // namespace syfala
