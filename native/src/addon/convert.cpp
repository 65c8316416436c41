#include "convert.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "../engine/device_events.hpp"

namespace syfala {

namespace {

Napi::Value field(const Napi::Object& object, const char* name) {
  return object.Has(name) ? object.Get(name) : object.Env().Undefined();
}

uint32_t unsigned_field(const Napi::Object& object, const char* name, uint32_t fallback,
                        uint32_t max = UINT32_MAX) {
  Napi::Value v = field(object, name);
  if (v.IsUndefined()) return fallback;
  const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(n >= 0 && n <= max && std::floor(n) == n)) {
    throw ArgumentError(std::string(name) + " must be an integer from 0 to " + std::to_string(max));
  }
  return uint32_t(n);
}

std::string string_field(const Napi::Object& object, const char* name, const std::string& fallback) {
  Napi::Value v = field(object, name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw ArgumentError(std::string(name) + " must be a string");
  return v.As<Napi::String>();
}

bool bool_field(const Napi::Object& object, const char* name, bool fallback) {
  Napi::Value v = field(object, name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw ArgumentError(std::string(name) + " must be true or false");
  return v.As<Napi::Boolean>();
}

Napi::Array array_field(const Napi::Object& object, const char* name) {
  Napi::Value v = field(object, name);
  if (v.IsUndefined()) return Napi::Array::New(object.Env());
  if (!v.IsArray()) throw ArgumentError(std::string(name) + " must be an array");
  return v.As<Napi::Array>();
}

std::vector<uint32_t> channel_list(const Napi::Object& object, const char* name) {
  Napi::Array list = array_field(object, name);
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    const double n = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : 0;
    if (!(n >= 1 && n <= 1024 && std::floor(n) == n)) {
      throw ArgumentError(std::string(name) + " must list numbers from 1 to 1024");
    }
    out.push_back(uint32_t(n));
  }
  return out;
}

std::vector<std::string> string_list(const Napi::Object& object, const char* name) {
  Napi::Array list = array_field(object, name);
  std::vector<std::string> out;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsString()) throw ArgumentError(std::string(name) + " must list strings");
    out.push_back(v.As<Napi::String>());
  }
  return out;
}

std::vector<StreamRoute> routes(const Napi::Object& spec, const char* name) {
  Napi::Array list = array_field(spec, name);
  std::vector<StreamRoute> out;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    if (!list.Get(i).IsObject()) throw ArgumentError(std::string(name) + " must list routes");
    Napi::Object route = list.Get(i).As<Napi::Object>();
    if (!field(route, "format").IsObject()) throw ArgumentError("a route needs a format");
    Napi::Object format = route.Get("format").As<Napi::Object>();
    StreamRoute r{};
    r.device = unsigned_field(route, "device", 0);
    r.wire = unsigned_field(route, "wire", 0);
    r.format.sample_rate = unsigned_field(format, "sampleRate", 0);
    r.format.channels = unsigned_field(format, "channels", 0, 1024);
    const std::string type = string_field(format, "sampleType", "");
    if (!sample_type_from_name(type, r.format.type)) {
      throw ArgumentError("unknown sample type '" + type + "'");
    }
    if (r.format.sample_rate == 0 || r.format.channels == 0) {
      throw ArgumentError("a route's format needs a sample rate and channels");
    }
    out.push_back(r);
  }
  return out;
}

AudioKey key_field(const Napi::Object& object, const char* name) {
  Napi::Value v = field(object, name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      v.As<Napi::Uint8Array>().ByteLength() != kAudioKeyBytes) {
    throw ArgumentError(std::string("security.") + name + " must be a Uint8Array of " +
                        std::to_string(kAudioKeyBytes) + " bytes");
  }
  Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
  AudioKey key;
  std::copy(bytes.Data(), bytes.Data() + kAudioKeyBytes, key.begin());
  return key;
}

/** PeerSpec.security (AudioSecurity in packages/audio/src/engine/messages.ts). */
std::optional<AudioSecurity> security_field(const Napi::Object& spec) {
  Napi::Value v = field(spec, "security");
  if (v.IsUndefined()) return std::nullopt;
  if (!v.IsObject()) throw ArgumentError("security must be an object");
  Napi::Object o = v.As<Napi::Object>();
  AudioSecurity s{};
  const std::string direction = string_field(o, "sendDirection", "");
  if (direction == "client-to-server") {
    s.send_direction = AudioDirection::ClientToServer;
  } else if (direction == "server-to-client") {
    s.send_direction = AudioDirection::ServerToClient;
  } else {
    throw ArgumentError("security.sendDirection must be 'client-to-server' or "
                        "'server-to-client', got '" + direction + "'");
  }
  s.send_secret = key_field(o, "sendSecret");
  s.receive_secret = key_field(o, "receiveSecret");
  if (field(o, "firstKeyId").IsUndefined()) throw ArgumentError("security.firstKeyId is missing");
  s.first_key_id = unsigned_field(o, "firstKeyId", 0);
  s.rotate_after_datagrams = unsigned_field(o, "rotateAfterDatagrams", kRotateAfterDatagrams);
  if (s.rotate_after_datagrams == 0) {
    throw ArgumentError("rotateAfterDatagrams must be at least 1");
  }
  return s;
}

Napi::Array string_array(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array out = Napi::Array::New(env, items.size());
  for (uint32_t i = 0; i < items.size(); ++i) out.Set(i, items[i]);
  return out;
}

double number(uint64_t value) { return double(value); }

Napi::Array peaks(Napi::Env env, const PeakMeter& meter) {
  Napi::Array out = Napi::Array::New(env, meter.channels());
  for (uint32_t c = 0; c < meter.channels(); ++c) out.Set(c, meter.peak(c));
  return out;
}

Napi::Object received_stats(Napi::Env env, const ReceiveRoute& route) {
  const JitterStatsSnapshot s = route.buffer.stats().snapshot();
  Napi::Object o = Napi::Object::New(env);
  o.Set("wire", route.route.wire);
#define SYFALA_SET_FIELD(name, ts_name) o.Set(#ts_name, number(s.name));
  SYFALA_JITTER_STATS_FIELDS(SYFALA_SET_FIELD, SYFALA_SET_FIELD)
#undef SYFALA_SET_FIELD
  o.Set("peak", peaks(env, route.meter));
  if (route.concealer) o.Set("concealedGaps", number(route.concealer->gaps()));
  const double jitter = route.jitter_frames.load(std::memory_order_relaxed);
  o.Set("jitterUs", jitter * 1e6 / route.route.format.sample_rate);
  if (route.compensated) {
    o.Set("driftPpm", route.drift_ppm.load(std::memory_order_relaxed));
    o.Set("resampleRatio", route.resample_ratio.load(std::memory_order_relaxed));
  }
  // The concealed-range history belongs to the audio thread; only the TS path reports it.
  o.Set("concealed", Napi::Array::New(env));
  return o;
}

}  // namespace

EngineOptions engine_options(const Napi::Object& options) {
  EngineOptions o;
  o.address = string_field(options, "address", o.address);
  o.port = uint16_t(unsigned_field(options, "port", 0, 65535));
  // 'auto' (the default): each peer's from its route. A number is checked here, as 0 would be
  // read as 'auto'.
  const Napi::Value budget = field(options, "datagramBudgetBytes");
  if (!budget.IsUndefined() &&
      !(budget.IsString() && budget.As<Napi::String>().Utf8Value() == "auto")) {
    const double n = budget.IsNumber() ? budget.As<Napi::Number>().DoubleValue() : -1;
    if (!(n > kAudioHeaderBytes && n <= kMaxDatagramBytes && std::floor(n) == n)) {
      throw ArgumentError("datagramBudgetBytes must be 'auto' or a whole datagram's bytes, " +
                          std::to_string(kAudioHeaderBytes + 1) + " to " +
                          std::to_string(kMaxDatagramBytes));
    }
    o.datagram_budget_bytes = size_t(n);
  }
  return o;
}

JackDeviceOptions jack_device_options(const Napi::Object& options) {
  JackDeviceOptions o;
  o.server = string_field(options, "server", "");
  o.client_name = string_field(options, "clientName", "syfala");
  o.inputs = channel_list(options, "inputs");
  o.outputs = channel_list(options, "outputs");
  o.input_prefix = string_field(options, "inputPrefix", o.input_prefix);
  o.output_prefix = string_field(options, "outputPrefix", o.output_prefix);
  o.pretty_name = string_field(options, "prettyName", "");
  o.connect_inputs_from = string_list(options, "connectInputsFrom");
  o.connect_outputs_to = string_list(options, "connectOutputsTo");
  o.auto_connect = bool_field(options, "autoConnect", true);
  o.sample_rate = unsigned_field(options, "sampleRate", 0);
  o.resample = bool_field(options, "resample", false);
  return o;
}

CoreAudioDeviceOptions coreaudio_device_options(const Napi::Object& options) {
  CoreAudioDeviceOptions o;
  o.input_device = string_field(options, "inputDevice", "");
  o.output_device = string_field(options, "outputDevice", "");
  o.inputs = channel_list(options, "inputs");
  o.outputs = channel_list(options, "outputs");
  o.input_channels = channel_list(options, "inputChannels");
  o.output_channels = channel_list(options, "outputChannels");
  o.period_frames = unsigned_field(options, "periodFrames", 0);
  o.sample_rate = unsigned_field(options, "sampleRate", 0);
  return o;
}

PeerSpec peer_spec(const Napi::Object& spec) {
  PeerSpec p;
  p.id = string_field(spec, "id", "");
  p.address = string_field(spec, "address", "");
  p.port = uint16_t(unsigned_field(spec, "port", 0, 65535));
  p.send = routes(spec, "send");
  p.receive = routes(spec, "receive");
  p.target_latency_frames = unsigned_field(spec, "targetLatencyFrames", 0);
  p.sending = bool_field(spec, "sending", false);
  p.redundancy = unsigned_field(spec, "redundancy", 0, kMaxRedundancyPeriods);
  const std::string concealment = string_field(spec, "concealment", "fade");
  if (!concealment_mode_from_name(concealment, p.concealment)) {
    throw ArgumentError("concealment must be 'silence' or 'fade', got '" + concealment + "'");
  }
  p.drift_compensation = bool_field(spec, "driftCompensation", false);
  p.adaptive_latency = bool_field(spec, "adaptiveLatency", false);
  p.security = security_field(spec);
  if (p.id.empty()) throw ArgumentError("a peer needs an id");
  return p;
}

Napi::Object device_info(Napi::Env env, const Device& device) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", device.name());
  o.Set("sampleRate", device.sample_rate());
  o.Set("periodFrames", device.period_frames());
  o.Set("inputPorts", string_array(env, device.port_names(true)));
  o.Set("outputPorts", string_array(env, device.port_names(false)));
  return o;
}

Napi::Object server_info(Napi::Env env, const JackServerInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sampleRate", info.sample_rate);
  o.Set("periodFrames", info.period_frames);
  o.Set("physicalCapture", string_array(env, info.physical_capture));
  o.Set("physicalPlayback", string_array(env, info.physical_playback));
  return o;
}

Napi::Array coreaudio_devices(Napi::Env env, const std::vector<CoreAudioDeviceInfo>& devices) {
  Napi::Array out = Napi::Array::New(env, devices.size());
  for (uint32_t i = 0; i < devices.size(); ++i) {
    const CoreAudioDeviceInfo& d = devices[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("uid", d.uid);
    o.Set("name", d.name);
    o.Set("inputChannels", d.input_channels);
    o.Set("outputChannels", d.output_channels);
    o.Set("sampleRate", d.sample_rate);
    o.Set("periodFrames", d.period_frames);
    o.Set("defaultInput", d.default_input);
    o.Set("defaultOutput", d.default_output);
    out.Set(i, o);
  }
  return out;
}

Napi::Object engine_stats(Napi::Env env, const Engine& engine, const Device* device) {
  Napi::Object stats = Napi::Object::New(env);
  if (device != nullptr) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("periods", number(device->periods()));
    d.Set("xruns", number(device->xruns()));
    stats.Set("device", d);
  } else {
    stats.Set("device", env.Undefined());
  }
  Napi::Array peers = Napi::Array::New(env);
  for (const auto& peer : engine.peers()) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("id", peer->id);
    p.Set("datagramBudgetBytes", number(peer->datagram_budget));
    Napi::Array sent = Napi::Array::New(env);
    for (const auto& route : peer->send) {
      Napi::Object s = Napi::Object::New(env);
      s.Set("wire", route->route.wire);
      s.Set("datagrams", number(route->datagrams.load(std::memory_order_relaxed)));
      s.Set("bytes", number(route->bytes.load(std::memory_order_relaxed)));
      s.Set("peak", peaks(env, route->meter));
      sent.Set(sent.Length(), s);
    }
    Napi::Array received = Napi::Array::New(env);
    for (const auto& route : peer->receive) received.Set(received.Length(), received_stats(env, *route));
    Napi::Object drops = Napi::Object::New(env);
    // The callback takes what the socket queued and sends what it packetizes (a full ring is
    // sent first): no queue between threads, nothing to drop.
    drops.Set("receive", number(0));
    drops.Set("send", number(0));
    p.Set("sent", sent);
    p.Set("received", received);
    p.Set("queueDrops", drops);
    if (peer->sealer) {
      Napi::Object security = Napi::Object::New(env);
      security.Set("authFailed", number(peer->auth_failed.load(std::memory_order_relaxed)));
      security.Set("replayed", number(peer->replayed.load(std::memory_order_relaxed)));
      security.Set("sendKeyId", peer->sealer->key_id());
      security.Set("receiveKeyId", peer->opener->key_id());
      p.Set("security", security);
    }
    peers.Set(peers.Length(), p);
  }
  stats.Set("peers", peers);
  const SocketCounters& c = engine.socket_counters();
  Napi::Object socket = Napi::Object::New(env);
  socket.Set("datagramsReceived", number(c.datagrams_received.load()));
  Napi::Object rejected = Napi::Object::New(env);
  for (size_t i = 1; i < kDecodeErrorCount; ++i) {
    const uint64_t n = c.rejected[i].load(std::memory_order_relaxed);
    if (n > 0) rejected.Set(decode_error_code(DecodeError(i)), number(n));
  }
  socket.Set("rejected", rejected);
  socket.Set("unknownSource", number(c.unknown_source.load()));
  socket.Set("unknownStream", number(c.unknown_stream.load()));
  socket.Set("sendErrors", number(c.send_errors.load()));
  stats.Set("socket", socket);
  return stats;
}

Napi::Object event_names(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("xrun", uint32_t(kEventXrun));
  o.Set("shutdown", uint32_t(kEventShutdown));
  o.Set("sampleRate", uint32_t(kEventSampleRate));
  o.Set("bufferSize", uint32_t(kEventBufferSize));
  return o;
}

}  // namespace syfala
