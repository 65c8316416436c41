#pragma once
// What the addon needs of a sound-card layer (JACK, CoreAudio): a clock that calls
// Engine::process() once per period on its own real-time thread.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace syfala {

/**
 * Thrown when a sound-card layer can't open or refuses something; `what()` is one sentence and
 * `code` the JS error code (SERVER_UNAVAILABLE, PORT_FAILED, NOT_INSTALLED, DEVICE_NOT_FOUND,
 * UNSUPPORTED_PLATFORM, FORMAT_MISMATCH, BAD_OPTION, DEVICE_FAILED).
 */
struct DeviceError : std::runtime_error {
  DeviceError(const char* error_code, const std::string& message)
      : std::runtime_error(message), code(error_code) {}
  const char* code;
};

class Device {
 public:
  virtual ~Device() = default;
  /** Starts the clock (and connects ports where the layer has them). */
  virtual void start() = 0;
  /** Once it returns, process() runs no more. Idempotent. */
  virtual void stop() = 0;
  /** The name the device is known by (a JACK client's actual name, a CoreAudio device's). */
  virtual const std::string& name() const = 0;
  virtual uint32_t sample_rate() const = 0;
  virtual uint32_t period_frames() const = 0;
  virtual uint64_t periods() const = 0;
  virtual uint64_t xruns() const = 0;
  /** Full port (or device channel) names per channel, inputs (captured) or outputs (played). */
  virtual std::vector<std::string> port_names(bool inputs) const = 0;
  /**
   * The engine's latency_frames() changed (kEventLatency): a layer that tells its graph the
   * latency (JACK) reports it again. Called on the event thread, never the audio thread.
   */
  virtual void latency_changed() {}
};

}  // namespace syfala
