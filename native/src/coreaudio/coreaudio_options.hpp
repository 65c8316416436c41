#pragma once
// The CoreAudio layer as the addon sees it. No Apple header here: on other systems the addon
// builds coreaudio_unsupported.cpp instead, which refuses with UNSUPPORTED_PLATFORM.
#include <memory>
#include <string>
#include <vector>

#include "../engine/device.hpp"
#include "../engine/device_events.hpp"
#include "../engine/engine.hpp"

namespace syfala {

/** One CoreAudio device as `syfala devices` lists it. */
struct CoreAudioDeviceInfo {
  std::string uid;  // stable across reboots and ports: the name to put in scripts
  std::string name;
  uint32_t input_channels = 0;
  uint32_t output_channels = 0;
  uint32_t sample_rate = 0;    // nominal
  uint32_t period_frames = 0;  // the I/O buffer size
  bool default_input = false;
  bool default_output = false;
};

struct CoreAudioDeviceOptions {
  /** A device's UID (the TS layer resolves names); empty: the system's default input (output). */
  std::string input_device;
  std::string output_device;
  /** Channels of each stream; the streams take the device's channels in order. */
  std::vector<uint32_t> inputs;
  std::vector<uint32_t> outputs;
  /** The device channels (from 1) the streams use, in order; empty: the first ones. */
  std::vector<uint32_t> input_channels;
  std::vector<uint32_t> output_channels;
  /** Asks the device for this I/O buffer size; 0: keep the device's. */
  uint32_t period_frames = 0;
  /** The streams' rate: a device at another rate is refused (no resampling). 0: any. */
  uint32_t sample_rate = 0;
};

/** Whether this build has the CoreAudio layer (macOS only). */
bool coreaudio_available();
/** Every CoreAudio device with its channels, clock and whether it is a default. */
std::vector<CoreAudioDeviceInfo> list_coreaudio_devices();
/** Opens (does not start) AUHAL units whose I/O callbacks drive `engine`. */
std::unique_ptr<Device> open_coreaudio(const CoreAudioDeviceOptions& options, Engine& engine,
                                       DeviceEvents& events);

}  // namespace syfala
