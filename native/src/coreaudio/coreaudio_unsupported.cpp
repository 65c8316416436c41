// Built instead of the CoreAudio layer on every system but macOS.
#include "coreaudio_options.hpp"

namespace syfala {

namespace {
const char* const kUnsupported =
    "CoreAudio exists only on macOS: on this system use --backend jack or --backend virtual";
}  // namespace

bool coreaudio_available() { return false; }

std::vector<CoreAudioDeviceInfo> list_coreaudio_devices() {
  throw DeviceError("UNSUPPORTED_PLATFORM", kUnsupported);
}

std::unique_ptr<Device> open_coreaudio(const CoreAudioDeviceOptions&, Engine&, DeviceEvents&) {
  throw DeviceError("UNSUPPORTED_PLATFORM", kUnsupported);
}

}  // namespace syfala
