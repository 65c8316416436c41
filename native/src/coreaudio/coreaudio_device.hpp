#pragma once
// CoreAudio devices as the engine's device: AUHAL units (kAudioUnitSubType_HALOutput) whose I/O
// callbacks call Engine::process(), and the HAL's notifications raised as DeviceEvents.
// macOS only; written against Apple's documentation, not yet run on a Mac (see the README).
#include <AudioToolbox/AudioToolbox.h>
#include <CoreAudio/CoreAudio.h>
#include <dispatch/dispatch.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "../core/spsc_ring.hpp"
#include "coreaudio_options.hpp"

namespace syfala {

/** The longest I/O cycle handled: scratch planes are this long (callbacks never allocate). */
constexpr uint32_t kMaxCoreAudioFrames = 8192;

/** One AUHAL instance on one device, with its input side, its output side or both enabled. */
class AuhalUnit {
 public:
  AuhalUnit(AudioDeviceID device, bool input, bool output);
  ~AuhalUnit();
  AuhalUnit(const AuhalUnit&) = delete;
  AuhalUnit& operator=(const AuhalUnit&) = delete;

  /** What the callbacks see on one side: `channels` non-interleaved float32 planes at `rate`. */
  void set_client_format(bool input, double rate, uint32_t channels);
  /** Channels on the device's side of one direction, as the unit sees the device. */
  uint32_t device_channels(bool input) const;
  /** kAudioOutputUnitProperty_ChannelMap: which device channel feeds (is fed by) which. */
  void set_channel_map(bool input, const std::vector<SInt32>& map);
  /** The input side's "data is ready" callback (it then calls AudioUnitRender on bus 1). */
  void set_input_callback(AURenderCallback callback, void* self);
  /** The output side's "give me data" callback. */
  void set_render_callback(AURenderCallback callback, void* self);
  void initialize();
  void start();
  /** Stops the unit's I/O. Callbacks may still be finishing when it returns. */
  void stop();
  AudioUnit unit() const { return unit_; }

 private:
  AudioUnit unit_ = nullptr;
  bool initialized_ = false;
  bool running_ = false;
};

/** Float32 planes of kMaxCoreAudioFrames per channel, and the AudioBufferList naming them. */
class PlaneBuffer {
 public:
  explicit PlaneBuffer(uint32_t channels);
  float* plane(size_t channel) { return planes_[channel]; }
  /** One pointer per channel, for the core's (de)interleaving. */
  float* const* planes() const { return planes_.data(); }
  /** The list AudioUnitRender fills, set to `frames` per plane. */
  AudioBufferList* list(uint32_t frames);
  void silence(uint32_t frames);

 private:
  uint32_t channels_;
  std::vector<float> samples_;
  std::vector<float*> planes_;
  std::vector<uint8_t> list_storage_;
};

/**
 * Property listeners on devices, delivered on a private serial queue: removing a listener does
 * not wait for a call in progress, but an empty dispatch_sync on the queue does.
 */
class PropertyWatch {
 public:
  using Handler = void (*)(void* self, AudioObjectID device, AudioObjectPropertySelector changed);
  PropertyWatch(const std::vector<AudioDeviceID>& devices,
                const std::vector<AudioObjectPropertySelector>& selectors, Handler handler,
                void* self);
  /** Once it returns, the handler runs no more. */
  ~PropertyWatch();
  PropertyWatch(const PropertyWatch&) = delete;
  PropertyWatch& operator=(const PropertyWatch&) = delete;

 private:
  struct Listener {
    AudioDeviceID device;
    AudioObjectPropertySelector selector;
    AudioObjectPropertyListenerBlock block;
  };
  void remove_all();
  dispatch_queue_t queue_;
  std::vector<Listener> listeners_;
};

class CoreAudioDevice final : public Device {
 public:
  CoreAudioDevice(const CoreAudioDeviceOptions& options, Engine& engine, DeviceEvents& events);
  ~CoreAudioDevice() override;
  CoreAudioDevice(const CoreAudioDevice&) = delete;
  CoreAudioDevice& operator=(const CoreAudioDevice&) = delete;

  void start() override;
  /** Stops the units and waits out any callback in progress. Idempotent. */
  void stop() override;

  const std::string& name() const override { return name_; }
  uint32_t sample_rate() const override { return sample_rate_.load(std::memory_order_relaxed); }
  uint32_t period_frames() const override {
    return period_frames_.load(std::memory_order_relaxed);
  }
  uint64_t periods() const override { return periods_.load(std::memory_order_relaxed); }
  uint64_t xruns() const override { return xruns_.load(std::memory_order_relaxed); }
  std::vector<std::string> port_names(bool inputs) const override {
    return inputs ? input_names_ : output_names_;
  }

 private:
  /** Counts a callback in flight, and says whether it may run (the device is not stopping). */
  class CallbackScope;

  static OSStatus on_input(void* self, AudioUnitRenderActionFlags* flags,
                           const AudioTimeStamp* time, UInt32 bus, UInt32 frames,
                           AudioBufferList* data);
  static OSStatus on_output(void* self, AudioUnitRenderActionFlags* flags,
                            const AudioTimeStamp* time, UInt32 bus, UInt32 frames,
                            AudioBufferList* data);
  static void on_property(void* self, AudioObjectID device, AudioObjectPropertySelector changed);

  /** Two-device path, output thread: the input device's frames, from the bridge ring. */
  void take_bridged_input(uint32_t frames);
  /** Two-device path, input thread: the captured frames, into the bridge ring. */
  void bridge_captured(uint32_t frames);
  /** One period of the engine: input planes as they are, outputs zeroed into `data`. */
  void run_engine(uint32_t frames, AudioBufferList* data);
  void count_xrun();
  /** The input and output devices, each once. */
  std::vector<AudioDeviceID> used_devices() const;

  Engine& engine_;
  DeviceEvents& events_;
  AudioDeviceID input_device_ = kAudioObjectUnknown;
  AudioDeviceID output_device_ = kAudioObjectUnknown;
  /** The device whose I/O cycle runs the engine: the output device when there are outputs. */
  AudioDeviceID clock_device_ = kAudioObjectUnknown;
  std::string name_;
  std::vector<std::string> input_names_;
  std::vector<std::string> output_names_;
  uint32_t input_channels_ = 0;
  uint32_t output_channels_ = 0;
  // The planes the engine reads, written on the clock device's thread only.
  std::unique_ptr<PlaneBuffer> engine_input_;
  std::vector<std::vector<const float*>> input_planes_;
  std::vector<std::vector<float*>> output_planes_;
  // Inputs and outputs on two devices: each has its own clock and I/O thread. The input thread
  // captures into its own planes and hands interleaved frames to the output thread by a ring.
  std::unique_ptr<PlaneBuffer> capture_;
  std::unique_ptr<SpscRing<float>> bridge_;
  std::vector<float> bridge_in_;   // input thread's scratch
  std::vector<float> bridge_out_;  // output thread's scratch
  size_t bridge_target_frames_ = 0;
  bool bridge_priming_ = true;  // output thread only
  std::atomic<uint32_t> sample_rate_{0};
  std::atomic<uint32_t> period_frames_{0};
  std::atomic<uint64_t> periods_{0};
  std::atomic<uint64_t> xruns_{0};
  // Callbacks run only while `running_`; stop() waits for `in_callback_` to reach 0, since the
  // HAL does not promise that no callback runs once AudioOutputUnitStop returns.
  std::atomic<bool> running_{false};
  std::atomic<int> in_callback_{0};
  bool active_ = false;
  // Input-only unit (no outputs, or inputs on another device than the outputs).
  std::unique_ptr<AuhalUnit> input_unit_;
  // Output unit; also the input when both sides are on one device (one clock, no bridge).
  std::unique_ptr<AuhalUnit> output_unit_;
  // Last, so destroyed first: no notification reaches a half-destroyed device.
  std::unique_ptr<PropertyWatch> watch_;
};

}  // namespace syfala
