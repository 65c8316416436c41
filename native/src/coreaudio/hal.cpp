#include "hal.hpp"

#include <cctype>
#include <cstdint>
#include <mutex>

namespace syfala::hal {

namespace {

/** OSStatus values are often four printable characters ('!dev'); show them that way. */
std::string status_text(OSStatus status) {
  const uint32_t code = uint32_t(status);
  std::string chars;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = char((code >> shift) & 0xff);
    if (!std::isprint(static_cast<unsigned char>(c))) return std::to_string(status);
    chars += c;
  }
  return "'" + chars + "'";
}

std::string utf8(CFStringRef text) {
  if (text == nullptr) return {};
  const CFIndex capacity =
      CFStringGetMaximumSizeForEncoding(CFStringGetLength(text), kCFStringEncodingUTF8) + 1;
  std::string out(size_t(capacity), '\0');
  if (!CFStringGetCString(text, out.data(), capacity, kCFStringEncodingUTF8)) return {};
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

/** A CFString property (the caller of AudioObjectGetPropertyData owns and releases it). */
std::string string_property(AudioObjectID object, AudioObjectPropertySelector selector) {
  CFStringRef text = get<CFStringRef>(object, selector);
  std::string out = utf8(text);
  if (text != nullptr) CFRelease(text);
  return out;
}

std::string device_uid(AudioDeviceID device) {
  return string_property(device, kAudioDevicePropertyDeviceUID);
}

std::vector<AudioDeviceID> all_devices() {
  const AudioObjectPropertyAddress where = address(kAudioHardwarePropertyDevices);
  UInt32 size = 0;
  check(AudioObjectGetPropertyDataSize(kAudioObjectSystemObject, &where, 0, nullptr, &size),
        "listing the CoreAudio devices");
  std::vector<AudioDeviceID> devices(size / sizeof(AudioDeviceID));
  check(AudioObjectGetPropertyData(kAudioObjectSystemObject, &where, 0, nullptr, &size,
                                   devices.data()),
        "listing the CoreAudio devices");
  devices.resize(size / sizeof(AudioDeviceID));
  return devices;
}

const char* direction(bool input) { return input ? "input" : "output"; }

}  // namespace

void check(OSStatus status, const std::string& what) {
  if (status != noErr) {
    throw DeviceError("DEVICE_FAILED", "CoreAudio: " + what + " failed (OSStatus " +
                                           status_text(status) + ")");
  }
}

std::string device_name(AudioDeviceID device) {
  return string_property(device, kAudioObjectPropertyName);
}

uint32_t channel_count(AudioDeviceID device, bool input) {
  const AudioObjectPropertyAddress where =
      address(kAudioDevicePropertyStreamConfiguration,
              input ? kAudioObjectPropertyScopeInput : kAudioObjectPropertyScopeOutput);
  UInt32 size = 0;
  check(AudioObjectGetPropertyDataSize(device, &where, 0, nullptr, &size),
        "reading a device's channels");
  if (size < sizeof(AudioBufferList)) return 0;
  // An AudioBufferList of variable length: one AudioBuffer per stream of the device.
  std::vector<uint8_t> storage(size);
  auto* list = reinterpret_cast<AudioBufferList*>(storage.data());
  check(AudioObjectGetPropertyData(device, &where, 0, nullptr, &size, list),
        "reading a device's channels");
  uint32_t channels = 0;
  for (UInt32 i = 0; i < list->mNumberBuffers; ++i) channels += list->mBuffers[i].mNumberChannels;
  return channels;
}

AudioDeviceID default_device(bool input) {
  const auto device = get<AudioDeviceID>(
      kAudioObjectSystemObject,
      input ? kAudioHardwarePropertyDefaultInputDevice : kAudioHardwarePropertyDefaultOutputDevice);
  if (device == kAudioObjectUnknown) {
    throw DeviceError("DEVICE_NOT_FOUND",
                      std::string("this Mac has no default ") + direction(input) + " device");
  }
  return device;
}

AudioDeviceID find_device(const std::string& uid, bool input) {
  if (uid.empty()) return default_device(input);
  for (AudioDeviceID device : all_devices()) {
    if (device_uid(device) == uid) return device;
  }
  throw DeviceError("DEVICE_NOT_FOUND", "no CoreAudio device has the UID '" + uid +
                                            "' (syfala devices --backend coreaudio lists them)");
}

void use_own_notification_thread() {
  static std::once_flag once;
  std::call_once(once, [] {
    CFRunLoopRef none = nullptr;
    set(kAudioObjectSystemObject, kAudioHardwarePropertyRunLoop, none,
        "handing CoreAudio notifications to the HAL's own thread");
  });
}

}  // namespace syfala::hal

namespace syfala {

bool coreaudio_available() { return true; }

std::vector<CoreAudioDeviceInfo> list_coreaudio_devices() {
  hal::use_own_notification_thread();
  const auto default_of = [](AudioObjectPropertySelector selector) {
    return hal::get<AudioDeviceID>(kAudioObjectSystemObject, selector);
  };
  const AudioDeviceID default_input = default_of(kAudioHardwarePropertyDefaultInputDevice);
  const AudioDeviceID default_output = default_of(kAudioHardwarePropertyDefaultOutputDevice);
  std::vector<CoreAudioDeviceInfo> devices;
  for (AudioDeviceID device : hal::all_devices()) {
    CoreAudioDeviceInfo info;
    try {
      info.uid = hal::device_uid(device);
      info.name = hal::device_name(device);
      info.input_channels = hal::channel_count(device, true);
      info.output_channels = hal::channel_count(device, false);
      info.sample_rate =
          uint32_t(hal::get<Float64>(device, kAudioDevicePropertyNominalSampleRate));
      info.period_frames = hal::get<UInt32>(device, kAudioDevicePropertyBufferFrameSize);
    } catch (const DeviceError&) {
      continue;  // unplugged while being listed
    }
    info.default_input = device == default_input;
    info.default_output = device == default_output;
    devices.push_back(std::move(info));
  }
  return devices;
}

}  // namespace syfala
