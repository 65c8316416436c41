#pragma once
// Reading and watching CoreAudio objects through the AudioObject property calls (macOS only).
#include <CoreAudio/CoreAudio.h>

#include <string>
#include <vector>

#include "coreaudio_options.hpp"

namespace syfala::hal {

/** The main element: kAudioObjectPropertyElementMain from macOS 12, …Master before; both 0. */
constexpr AudioObjectPropertyElement kMainElement = 0;

inline AudioObjectPropertyAddress address(
    AudioObjectPropertySelector selector,
    AudioObjectPropertyScope scope = kAudioObjectPropertyScopeGlobal) {
  return {selector, scope, kMainElement};
}

/** Throws DeviceError(DEVICE_FAILED) saying what failed and the status, unless it is noErr. */
void check(OSStatus status, const std::string& what);

/** A fixed-size property's value; DEVICE_FAILED when the object does not answer. */
template <class T>
T get(AudioObjectID object, AudioObjectPropertySelector selector,
      AudioObjectPropertyScope scope = kAudioObjectPropertyScopeGlobal) {
  const AudioObjectPropertyAddress where = address(selector, scope);
  T value{};
  UInt32 size = sizeof value;
  check(AudioObjectGetPropertyData(object, &where, 0, nullptr, &size, &value),
        "reading a CoreAudio property");
  return value;
}

template <class T>
void set(AudioObjectID object, AudioObjectPropertySelector selector, const T& value,
         const std::string& what) {
  const AudioObjectPropertyAddress where = address(selector);
  check(AudioObjectSetPropertyData(object, &where, 0, nullptr, sizeof value, &value), what);
}

/** The device's name as the user sees it in Audio MIDI Setup. */
std::string device_name(AudioDeviceID device);
/** Channels over all of the device's streams in one direction. */
uint32_t channel_count(AudioDeviceID device, bool input);
/** The system's default input or output device; DEVICE_NOT_FOUND when there is none. */
AudioDeviceID default_device(bool input);
/** The device with this UID (names are resolved in TS); empty: the default one. */
AudioDeviceID find_device(const std::string& uid, bool input);
/**
 * Property notifications go to the HAL's own thread: by default they wait for the main thread's
 * CFRunLoop, which Node's main thread never runs, so device removal would go unnoticed.
 */
void use_own_notification_thread();

}  // namespace syfala::hal
