// The Node boundary: plain data in (peer specs, device options), counters out, device events
// delivered to one JS callback. Nothing here runs on an audio thread.
#include <napi.h>

#include <memory>
#include <thread>

#include "../engine/device_events.hpp"
#include "../engine/engine.hpp"
#include "../coreaudio/coreaudio_options.hpp"
#include "../jack/jack_options.hpp"
#include "convert.hpp"
#include "guarded.hpp"
#include "jack_duplex.hpp"

namespace syfala {

namespace {

/**
 * Hands device events to the JS callback on the main thread. `env` is null when Node drops the
 * queue (after Abort(), or at teardown). Node may also run a queued call while it tears the
 * environment down, when JS can no longer run: the call then fails and the event is dropped. It
 * must not throw: this runs from a C callback, so a C++ exception would abort the process.
 */
void deliver_events(Napi::Env env, Napi::Function callback, std::nullptr_t*, uint32_t* flags) {
  const std::unique_ptr<uint32_t> owned(flags);
  if (env == nullptr || callback.IsEmpty()) return;
  napi_value recv = nullptr;
  napi_value arg = nullptr;
  if (napi_get_undefined(env, &recv) != napi_ok) return;
  if (napi_create_uint32(env, *flags, &arg) != napi_ok) return;
  // A listener that throws leaves its exception pending: Node reports it as uncaught.
  napi_call_function(env, recv, callback, 1, &arg, nullptr);
}

using EventCallback = Napi::TypedThreadSafeFunction<std::nullptr_t, uint32_t, deliver_events>;

}  // namespace

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Engine",
                       {InstanceAccessor<&EngineWrap::Port>("port"),
                        InstanceMethod<&EngineWrap::Clock>("clock"),
                        InstanceMethod<&EngineWrap::OpenJack>("openJack"),
                        InstanceMethod<&EngineWrap::OpenCoreAudio>("openCoreAudio"),
                        InstanceMethod<&EngineWrap::AddPeer>("addPeer"),
                        InstanceMethod<&EngineWrap::SetSending>("setSending"),
                        InstanceMethod<&EngineWrap::RemovePeer>("removePeer"),
                        InstanceMethod<&EngineWrap::Stats>("stats"),
                        InstanceMethod<&EngineWrap::Close>("close")});
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    guarded(env, "ENGINE_FAILED", [&] {
      engine_ = std::make_unique<Engine>(engine_options(info[0].As<Napi::Object>()));
    });
  }

  ~EngineWrap() override { shut_down(); }

 private:
  Napi::Value Port(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), engine_ ? engine_->port() : 0);
  }

  Napi::Value Clock(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!device_) return env.Undefined();
    Napi::Object clock = Napi::Object::New(env);
    clock.Set("sampleRate", device_->sample_rate());
    clock.Set("periodFrames", device_->period_frames());
    return clock;
  }

  /** openJack(options, onEvent(flags)) → { name, sampleRate, periodFrames, ports }. */
  Napi::Value OpenJack(const Napi::CallbackInfo& info) {
    check_can_open(info.Env());
    const JackDeviceOptions options = guarded(info.Env(), "BAD_OPTION", [&] {
      return jack_device_options(info[0].As<Napi::Object>());
    });
    return open_device(info, options.inputs, options.outputs,
                       [&] { return open_jack(options, *engine_, events_); });
  }

  /** openCoreAudio(options, onEvent(flags)) → as openJack; UNSUPPORTED_PLATFORM off macOS. */
  Napi::Value OpenCoreAudio(const Napi::CallbackInfo& info) {
    check_can_open(info.Env());
    const CoreAudioDeviceOptions options = guarded(info.Env(), "BAD_OPTION", [&] {
      return coreaudio_device_options(info[0].As<Napi::Object>());
    });
    return open_device(info, options.inputs, options.outputs,
                       [&] { return open_coreaudio(options, *engine_, events_); });
  }

  Napi::Value AddPeer(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw coded_error(env, "BAD_STATE", "audio engine: closed");
    PeerSpec spec = guarded(env, "BAD_OPTION", [&] { return peer_spec(info[0].As<Napi::Object>()); });
    guarded(env, "BAD_OPTION", [&] { engine_->add_peer(spec); });
    return env.Undefined();
  }

  Napi::Value SetSending(const Napi::CallbackInfo& info) {
    if (engine_) {
      engine_->set_sending(info[0].As<Napi::String>(), info[1].As<Napi::Boolean>());
    }
    return info.Env().Undefined();
  }

  Napi::Value RemovePeer(const Napi::CallbackInfo& info) {
    const bool removed = engine_ && engine_->remove_peer(info[0].As<Napi::String>());
    return Napi::Boolean::New(info.Env(), removed);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!engine_) throw coded_error(env, "BAD_STATE", "audio engine: closed");
    return engine_stats(env, *engine_, device_.get());
  }

  /** False when the device could not be freed (a JACK client whose close never returned). */
  Napi::Value Close(const Napi::CallbackInfo& info) {
    const uint64_t abandoned = jack_abandoned_closes();
    shut_down();
    return Napi::Boolean::New(info.Env(), jack_abandoned_closes() == abandoned);
  }

  void check_can_open(Napi::Env env) const {
    if (!engine_) throw coded_error(env, "BAD_STATE", "audio engine: closed");
    if (device_) throw coded_error(env, "BAD_STATE", "audio engine: a device is already open");
  }

  /**
   * Opens the device, gives the engine its channel layout and clock, starts the event watcher
   * (info[1] is the JS callback), then the device.
   */
  template <class Open>
  Napi::Value open_device(const Napi::CallbackInfo& info, const std::vector<uint32_t>& inputs,
                          const std::vector<uint32_t>& outputs, Open&& open) {
    Napi::Env env = info.Env();
    device_ = guarded(env, "DEVICE_FAILED", open);
    engine_->set_device(inputs, outputs, device_->sample_rate(), device_->period_frames());
    on_event_ = EventCallback::New(env, info[1].As<Napi::Function>(), "syfala-events", 0, 1);
    // Device events must not keep the process alive by themselves.
    on_event_.Unref(env);
    watcher_ = std::thread([this] { watch_events(); });
    guarded(env, "DEVICE_FAILED", [&] { device_->start(); });
    return device_info(env, *device_);
  }

  /**
   * Device first (no more process() calls), then the engine's threads, then the watcher (which
   * may call the device), then both are freed. Events still queued for JS are for an engine
   * that is gone: Abort() drops them.
   */
  void shut_down() {
    if (device_) device_->stop();
    if (engine_) engine_->close();
    if (watcher_.joinable()) {
      events_.raise(kEventClose);
      watcher_.join();
      on_event_.Abort();
    }
    device_.reset();
    engine_.reset();
  }

  void watch_events() {
    for (;;) {
      const uint32_t raised = events_.wait();
      // A latency change is the device's business, not JS's.
      if (raised & kEventLatency) device_->latency_changed();
      const uint32_t flags = raised & ~uint32_t(kEventClose | kEventLatency);
      if (flags != 0) {
        auto data = std::make_unique<uint32_t>(flags);
        // The queue is unbounded, so only a closing callback refuses; then the data stays ours.
        if (on_event_.NonBlockingCall(data.get()) == napi_ok) data.release();
      }
      if (raised & kEventClose) return;
    }
  }

  std::unique_ptr<Engine> engine_;
  DeviceEvents events_;
  std::unique_ptr<Device> device_;
  EventCallback on_event_;
  std::thread watcher_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineWrap::Define(env));
  exports.Set("jackAvailable", Napi::Boolean::New(env, jack_available()));
  exports.Set("probeJack", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                Napi::Env env = info.Env();
                const std::string server = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
                const std::string keep_for =
                    info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
                JackServerInfo probed =
                    guarded(env, "DEVICE_FAILED", [&] { return probe_jack(server, keep_for); });
                return server_info(env, probed);
              }));
  exports.Set("coreAudioAvailable", Napi::Boolean::New(env, coreaudio_available()));
  exports.Set("coreAudioDevices", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                Napi::Env env = info.Env();
                const auto devices =
                    guarded(env, "DEVICE_FAILED", [] { return list_coreaudio_devices(); });
                return coreaudio_devices(env, devices);
              }));
  exports.Set("events", event_names(env));
  export_jack_duplex(env, exports);
  return exports;
}

NODE_API_MODULE(syfala_native, Init)

}  // namespace syfala
