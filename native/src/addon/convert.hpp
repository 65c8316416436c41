#pragma once
// JS values ↔ the engine's plain C++ structs. Bad values throw ArgumentError naming the field.
#include <napi.h>

#include <stdexcept>

#include "../engine/device.hpp"
#include "../engine/engine.hpp"
#include "../coreaudio/coreaudio_options.hpp"
#include "../jack/jack_options.hpp"

namespace syfala {

struct ArgumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

EngineOptions engine_options(const Napi::Object& options);
JackDeviceOptions jack_device_options(const Napi::Object& options);
CoreAudioDeviceOptions coreaudio_device_options(const Napi::Object& options);
PeerSpec peer_spec(const Napi::Object& spec);

Napi::Object device_info(Napi::Env env, const Device& device);
Napi::Object server_info(Napi::Env env, const JackServerInfo& info);
Napi::Array coreaudio_devices(Napi::Env env, const std::vector<CoreAudioDeviceInfo>& devices);
/** The same shape as the TS engine's EngineStats (packages/audio/src/engine/messages.ts). */
Napi::Object engine_stats(Napi::Env env, const Engine& engine, const Device* device);
/** Event flag bits by name, for the JS side to decode onEvent's argument. */
Napi::Object event_names(Napi::Env env);

}  // namespace syfala
