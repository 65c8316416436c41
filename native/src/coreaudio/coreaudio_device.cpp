#include "coreaudio_device.hpp"

#include <Block.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <numeric>
#include <thread>

#include "../core/sample_convert.hpp"
#include "hal.hpp"

namespace syfala {

namespace {

// AUHAL's buses: element 1 is the device's input side, element 0 its output side.
constexpr AudioUnitElement kInputBus = 1;
constexpr AudioUnitElement kOutputBus = 0;
/** How long a device may take to apply a new I/O buffer size (property sets are asynchronous). */
constexpr auto kPeriodChangeWait = std::chrono::milliseconds(500);

AudioUnitElement bus(bool input) { return input ? kInputBus : kOutputBus; }

uint32_t total(const std::vector<uint32_t>& streams) {
  return std::accumulate(streams.begin(), streams.end(), uint32_t(0));
}

std::string quoted_name(AudioDeviceID device) { return "'" + hal::device_name(device) + "'"; }

/** The device channels (from 0) the streams use: the ones named, else the first ones. */
std::vector<uint32_t> pick_channels(AudioDeviceID device, bool input,
                                    const std::vector<uint32_t>& named, uint32_t needed) {
  const uint32_t available = hal::channel_count(device, input);
  const std::string side = input ? "input" : "output";
  std::vector<uint32_t> picked;
  if (named.empty()) {
    if (available < needed) {
      throw DeviceError("FORMAT_MISMATCH", quoted_name(device) + " has " +
                                               std::to_string(available) + " " + side +
                                               " channels; the streams need " +
                                               std::to_string(needed));
    }
    picked.resize(needed);
    std::iota(picked.begin(), picked.end(), 0u);
    return picked;
  }
  if (named.size() != needed) {
    throw DeviceError("BAD_OPTION", std::to_string(named.size()) + " " + side +
                                        " channels named for streams of " +
                                        std::to_string(needed) + " channels");
  }
  for (uint32_t channel : named) {
    if (channel < 1 || channel > available) {
      throw DeviceError("BAD_OPTION", quoted_name(device) + " has no " + side + " channel " +
                                          std::to_string(channel) + " (it has " +
                                          std::to_string(available) + ")");
    }
    picked.push_back(channel - 1);
  }
  return picked;
}

/**
 * AUHAL's channel map is an AudioConverter map: one entry per channel of the converter's output,
 * each the converter input channel feeding it (-1: none). On the input side the converter goes
 * device → client, on the output side client → device.
 */
std::vector<SInt32> channel_map(const AuhalUnit& unit, bool input,
                                const std::vector<uint32_t>& picked) {
  if (input) return std::vector<SInt32>(picked.begin(), picked.end());
  std::vector<SInt32> map(unit.device_channels(false), -1);
  for (size_t client = 0; client < picked.size(); ++client) {
    if (picked[client] >= map.size()) {
      throw DeviceError("DEVICE_FAILED", "CoreAudio: the output unit sees " +
                                             std::to_string(map.size()) +
                                             " device channels, fewer than the device lists");
    }
    map[picked[client]] = SInt32(client);
  }
  return map;
}

uint32_t nominal_rate(AudioDeviceID device) {
  return uint32_t(hal::get<Float64>(device, kAudioDevicePropertyNominalSampleRate));
}

uint32_t io_buffer_frames(AudioDeviceID device) {
  return hal::get<UInt32>(device, kAudioDevicePropertyBufferFrameSize);
}

/** Asks for an I/O buffer size and waits (briefly) until the device reports it. */
void ask_period(AudioDeviceID device, uint32_t frames) {
  const auto range = hal::get<AudioValueRange>(device, kAudioDevicePropertyBufferFrameSizeRange);
  const auto most = uint32_t(std::min<Float64>(range.mMaximum, kMaxCoreAudioFrames));
  if (frames < range.mMinimum || frames > most) {
    throw DeviceError("BAD_OPTION", quoted_name(device) + " takes I/O buffers of " +
                                        std::to_string(uint32_t(range.mMinimum)) + " to " +
                                        std::to_string(most) + " frames, not " +
                                        std::to_string(frames));
  }
  hal::set(device, kAudioDevicePropertyBufferFrameSize, UInt32(frames),
           "setting the I/O buffer size");
  const auto deadline = std::chrono::steady_clock::now() + kPeriodChangeWait;
  while (io_buffer_frames(device) != frames && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/** A device's I/O buffer size, refused when longer than the callbacks' scratch. */
uint32_t checked_period(AudioDeviceID device) {
  const uint32_t frames = io_buffer_frames(device);
  if (frames > kMaxCoreAudioFrames) {
    throw DeviceError("FORMAT_MISMATCH", quoted_name(device) + " runs " + std::to_string(frames) +
                                             "-frame I/O buffers; syfala takes up to " +
                                             std::to_string(kMaxCoreAudioFrames) +
                                             " (try --period)");
  }
  return frames;
}

std::vector<std::string> channel_names(AudioDeviceID device, const std::vector<uint32_t>& picked) {
  std::vector<std::string> names;
  const std::string name = hal::device_name(device);
  for (uint32_t channel : picked) names.push_back(name + ":" + std::to_string(channel + 1));
  return names;
}

// The device properties watched while the device is open.
const std::vector<AudioObjectPropertySelector> kWatched = {
    kAudioDevicePropertyDeviceIsAlive, kAudioDeviceProcessorOverload,
    kAudioDevicePropertyNominalSampleRate, kAudioDevicePropertyBufferFrameSize};

}  // namespace

std::unique_ptr<Device> open_coreaudio(const CoreAudioDeviceOptions& options, Engine& engine,
                                       DeviceEvents& events) {
  return std::make_unique<CoreAudioDevice>(options, engine, events);
}

// ---- AuhalUnit ----------------------------------------------------------------------------

AuhalUnit::AuhalUnit(AudioDeviceID device, bool input, bool output) {
  AudioComponentDescription description{};
  description.componentType = kAudioUnitType_Output;
  description.componentSubType = kAudioUnitSubType_HALOutput;
  description.componentManufacturer = kAudioUnitManufacturer_Apple;
  AudioComponent component = AudioComponentFindNext(nullptr, &description);
  if (component == nullptr) throw DeviceError("DEVICE_FAILED", "CoreAudio: no AUHAL audio unit");
  hal::check(AudioComponentInstanceNew(component, &unit_), "creating an AUHAL unit");
  try {
    // I/O must be enabled (or disabled) before the device is set.
    const UInt32 in = input ? 1 : 0;
    const UInt32 out = output ? 1 : 0;
    hal::check(AudioUnitSetProperty(unit_, kAudioOutputUnitProperty_EnableIO,
                                    kAudioUnitScope_Input, kInputBus, &in, sizeof in),
               "enabling AUHAL input");
    hal::check(AudioUnitSetProperty(unit_, kAudioOutputUnitProperty_EnableIO,
                                    kAudioUnitScope_Output, kOutputBus, &out, sizeof out),
               "enabling AUHAL output");
    hal::check(AudioUnitSetProperty(unit_, kAudioOutputUnitProperty_CurrentDevice,
                                    kAudioUnitScope_Global, 0, &device, sizeof device),
               "choosing the AUHAL's device");
    const UInt32 frames = kMaxCoreAudioFrames;
    hal::check(AudioUnitSetProperty(unit_, kAudioUnitProperty_MaximumFramesPerSlice,
                                    kAudioUnitScope_Global, 0, &frames, sizeof frames),
               "setting the AUHAL's longest cycle");
  } catch (...) {
    AudioComponentInstanceDispose(unit_);
    throw;
  }
}

AuhalUnit::~AuhalUnit() {
  stop();
  if (initialized_) AudioUnitUninitialize(unit_);
  AudioComponentInstanceDispose(unit_);
}

void AuhalUnit::set_client_format(bool input, double rate, uint32_t channels) {
  AudioStreamBasicDescription format{};
  format.mSampleRate = rate;
  format.mFormatID = kAudioFormatLinearPCM;
  format.mFormatFlags = kAudioFormatFlagsNativeFloatPacked | kAudioFormatFlagIsNonInterleaved;
  // Non-interleaved: the sizes are of one channel's sample in its own buffer.
  format.mBytesPerPacket = sizeof(float);
  format.mFramesPerPacket = 1;
  format.mBytesPerFrame = sizeof(float);
  format.mChannelsPerFrame = channels;
  format.mBitsPerChannel = 32;
  // The client side: what AudioUnitRender hands us (input), or what we hand the unit (output).
  const AudioUnitScope scope = input ? kAudioUnitScope_Output : kAudioUnitScope_Input;
  hal::check(AudioUnitSetProperty(unit_, kAudioUnitProperty_StreamFormat, scope, bus(input),
                                  &format, sizeof format),
             "setting the AUHAL's float32 client format");
}

uint32_t AuhalUnit::device_channels(bool input) const {
  AudioStreamBasicDescription format{};
  UInt32 size = sizeof format;
  const AudioUnitScope scope = input ? kAudioUnitScope_Input : kAudioUnitScope_Output;
  hal::check(AudioUnitGetProperty(unit_, kAudioUnitProperty_StreamFormat, scope, bus(input),
                                  &format, &size),
             "reading the AUHAL's device format");
  return format.mChannelsPerFrame;
}

void AuhalUnit::set_channel_map(bool input, const std::vector<SInt32>& map) {
  // As PortAudio does: the output scope of the input bus, and of the output bus.
  hal::check(AudioUnitSetProperty(unit_, kAudioOutputUnitProperty_ChannelMap,
                                  kAudioUnitScope_Output, bus(input), map.data(),
                                  UInt32(map.size() * sizeof(SInt32))),
             "setting the AUHAL's channel map");
}

void AuhalUnit::set_input_callback(AURenderCallback callback, void* self) {
  const AURenderCallbackStruct hook{callback, self};
  hal::check(AudioUnitSetProperty(unit_, kAudioOutputUnitProperty_SetInputCallback,
                                  kAudioUnitScope_Global, 0, &hook, sizeof hook),
             "setting the AUHAL's input callback");
}

void AuhalUnit::set_render_callback(AURenderCallback callback, void* self) {
  const AURenderCallbackStruct hook{callback, self};
  hal::check(AudioUnitSetProperty(unit_, kAudioUnitProperty_SetRenderCallback,
                                  kAudioUnitScope_Input, kOutputBus, &hook, sizeof hook),
             "setting the AUHAL's render callback");
}

void AuhalUnit::initialize() {
  hal::check(AudioUnitInitialize(unit_), "initializing the AUHAL unit");
  initialized_ = true;
}

void AuhalUnit::start() {
  hal::check(AudioOutputUnitStart(unit_), "starting the AUHAL unit");
  running_ = true;
}

void AuhalUnit::stop() {
  if (!running_) return;
  running_ = false;
  AudioOutputUnitStop(unit_);
}

// ---- PlaneBuffer --------------------------------------------------------------------------

PlaneBuffer::PlaneBuffer(uint32_t channels)
    : channels_(channels),
      samples_(size_t(channels) * kMaxCoreAudioFrames, 0.0f),
      list_storage_(offsetof(AudioBufferList, mBuffers) +
                        sizeof(AudioBuffer) * std::max<size_t>(channels, 1),
                    0) {
  for (uint32_t c = 0; c < channels; ++c) {
    planes_.push_back(samples_.data() + size_t(c) * kMaxCoreAudioFrames);
  }
}

AudioBufferList* PlaneBuffer::list(uint32_t frames) {
  auto* list = reinterpret_cast<AudioBufferList*>(list_storage_.data());
  list->mNumberBuffers = channels_;
  for (uint32_t c = 0; c < channels_; ++c) {
    list->mBuffers[c] = {1, UInt32(frames * sizeof(float)), plane(c)};
  }
  return list;
}

void PlaneBuffer::silence(uint32_t frames) {
  for (uint32_t c = 0; c < channels_; ++c) std::memset(plane(c), 0, frames * sizeof(float));
}

// ---- PropertyWatch ------------------------------------------------------------------------

PropertyWatch::PropertyWatch(const std::vector<AudioDeviceID>& devices,
                             const std::vector<AudioObjectPropertySelector>& selectors,
                             Handler handler, void* self)
    : queue_(dispatch_queue_create("org.syfala.coreaudio.events", DISPATCH_QUEUE_SERIAL)) {
  try {
    for (AudioDeviceID device : devices) {
      for (AudioObjectPropertySelector selector : selectors) {
        // The block form: it names the queue, so removal can be waited for (see the destructor).
        AudioObjectPropertyListenerBlock block =
            Block_copy(^(UInt32, const AudioObjectPropertyAddress*) {
              handler(self, device, selector);
            });
        const AudioObjectPropertyAddress where = hal::address(selector);
        const OSStatus status = AudioObjectAddPropertyListenerBlock(device, &where, queue_, block);
        if (status != noErr) Block_release(block);
        // Without these notifications an unplugged device would go unnoticed: refuse instead.
        hal::check(status, "watching the device for changes");
        listeners_.push_back({device, selector, block});
      }
    }
  } catch (...) {
    remove_all();
    throw;
  }
}

PropertyWatch::~PropertyWatch() { remove_all(); }

void PropertyWatch::remove_all() {
  if (queue_ == nullptr) return;
  for (const Listener& l : listeners_) {
    const AudioObjectPropertyAddress where = hal::address(l.selector);
    AudioObjectRemovePropertyListenerBlock(l.device, &where, queue_, l.block);
  }
  // A handler already queued or running finishes before this returns.
  dispatch_sync(queue_, ^{});
  for (const Listener& l : listeners_) Block_release(l.block);
  listeners_.clear();
  dispatch_release(queue_);
  queue_ = nullptr;
}

// ---- CoreAudioDevice ------------------------------------------------------------------------

class CoreAudioDevice::CallbackScope {
 public:
  explicit CallbackScope(CoreAudioDevice& device) : device_(device) {
    // seq_cst both ways, with stop(): either stop() sees this callback counted, or the callback
    // sees running_ false.
    device_.in_callback_.fetch_add(1, std::memory_order_seq_cst);
    may_run_ = device_.running_.load(std::memory_order_seq_cst);
  }
  ~CallbackScope() { device_.in_callback_.fetch_sub(1, std::memory_order_release); }
  bool may_run() const { return may_run_; }

 private:
  CoreAudioDevice& device_;
  bool may_run_;
};

CoreAudioDevice::CoreAudioDevice(const CoreAudioDeviceOptions& options, Engine& engine,
                                 DeviceEvents& events)
    : engine_(engine), events_(events) {
  hal::use_own_notification_thread();
  input_channels_ = total(options.inputs);
  output_channels_ = total(options.outputs);
  if (input_channels_ == 0 && output_channels_ == 0) {
    throw DeviceError("BAD_OPTION", "a CoreAudio device needs an input or an output stream");
  }
  std::vector<uint32_t> input_picked;
  std::vector<uint32_t> output_picked;
  if (input_channels_ > 0) {
    input_device_ = hal::find_device(options.input_device, true);
    input_picked = pick_channels(input_device_, true, options.input_channels, input_channels_);
  }
  if (output_channels_ > 0) {
    output_device_ = hal::find_device(options.output_device, false);
    output_picked =
        pick_channels(output_device_, false, options.output_channels, output_channels_);
  }
  clock_device_ = output_channels_ > 0 ? output_device_ : input_device_;
  const bool two_devices = input_channels_ > 0 && output_channels_ > 0 &&
                           input_device_ != output_device_;

  // The streams run at the device's rate: AUHAL's input side does not resample.
  const uint32_t rate = nominal_rate(clock_device_);
  if (two_devices && nominal_rate(input_device_) != rate) {
    throw DeviceError("FORMAT_MISMATCH",
                      "the input device runs at " + std::to_string(nominal_rate(input_device_)) +
                          " Hz and the output device at " + std::to_string(rate) + " Hz");
  }
  if (options.sample_rate != 0 && options.sample_rate != rate) {
    throw DeviceError("FORMAT_MISMATCH", "the streams run at " +
                                             std::to_string(options.sample_rate) + " Hz but " +
                                             quoted_name(clock_device_) + " at " +
                                             std::to_string(rate) +
                                             " Hz (set its rate in Audio MIDI Setup)");
  }
  sample_rate_ = rate;
  // Watching first: a change the device makes from here on is noticed.
  watch_ = std::make_unique<PropertyWatch>(used_devices(), kWatched, &CoreAudioDevice::on_property,
                                           this);
  if (options.period_frames != 0) {
    for (AudioDeviceID device : used_devices()) ask_period(device, options.period_frames);
  }
  for (AudioDeviceID device : used_devices()) checked_period(device);
  period_frames_ = io_buffer_frames(clock_device_);

  if (output_channels_ > 0) {
    const bool duplex = input_channels_ > 0 && !two_devices;
    output_unit_ = std::make_unique<AuhalUnit>(output_device_, duplex, true);
    output_unit_->set_client_format(false, rate, output_channels_);
    output_unit_->set_channel_map(false, channel_map(*output_unit_, false, output_picked));
    if (duplex) {
      output_unit_->set_client_format(true, rate, input_channels_);
      output_unit_->set_channel_map(true, channel_map(*output_unit_, true, input_picked));
    }
    output_unit_->set_render_callback(&CoreAudioDevice::on_output, this);
  }
  if (input_channels_ > 0 && (output_channels_ == 0 || two_devices)) {
    input_unit_ = std::make_unique<AuhalUnit>(input_device_, true, false);
    input_unit_->set_client_format(true, rate, input_channels_);
    input_unit_->set_channel_map(true, channel_map(*input_unit_, true, input_picked));
    input_unit_->set_input_callback(&CoreAudioDevice::on_input, this);
  }

  engine_input_ = std::make_unique<PlaneBuffer>(input_channels_);
  size_t channel = 0;
  for (uint32_t count : options.inputs) {
    input_planes_.emplace_back();
    for (uint32_t c = 0; c < count; ++c) input_planes_.back().push_back(engine_input_->plane(channel++));
  }
  for (uint32_t count : options.outputs) output_planes_.emplace_back(count, nullptr);

  if (two_devices) {
    // Enough for one cycle of each side whatever their phase; twice that before a slip.
    bridge_target_frames_ = size_t(io_buffer_frames(input_device_)) + period_frames_.load();
    capture_ = std::make_unique<PlaneBuffer>(input_channels_);
    bridge_ = std::make_unique<SpscRing<float>>(
        next_power_of_two(size_t(input_channels_) * 4 * kMaxCoreAudioFrames));
    bridge_in_.assign(size_t(input_channels_) * kMaxCoreAudioFrames, 0.0f);
    bridge_out_.assign(size_t(input_channels_) * kMaxCoreAudioFrames, 0.0f);
  }

  if (input_channels_ > 0) input_names_ = channel_names(input_device_, input_picked);
  if (output_channels_ > 0) output_names_ = channel_names(output_device_, output_picked);
  name_ = two_devices
              ? hal::device_name(input_device_) + " → " + hal::device_name(output_device_)
              : hal::device_name(clock_device_);

  if (output_unit_) output_unit_->initialize();
  if (input_unit_) input_unit_->initialize();
}

CoreAudioDevice::~CoreAudioDevice() { stop(); }

void CoreAudioDevice::start() {
  running_.store(true, std::memory_order_seq_cst);
  active_ = true;  // before the units start: a failure halfway is undone by stop()
  // The input side first, so the bridge fills while the output side primes.
  if (input_unit_) input_unit_->start();
  if (output_unit_) output_unit_->start();
}

void CoreAudioDevice::stop() {
  if (!active_) return;
  active_ = false;
  running_.store(false, std::memory_order_seq_cst);
  if (output_unit_) output_unit_->stop();
  if (input_unit_) input_unit_->stop();
  while (in_callback_.load(std::memory_order_acquire) != 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::vector<AudioDeviceID> CoreAudioDevice::used_devices() const {
  std::vector<AudioDeviceID> devices;
  if (input_device_ != kAudioObjectUnknown) devices.push_back(input_device_);
  if (output_device_ != kAudioObjectUnknown && output_device_ != input_device_) {
    devices.push_back(output_device_);
  }
  return devices;
}

void CoreAudioDevice::bridge_captured(uint32_t frames) {
  const size_t channels = input_channels_;
  // f32 in wire layout is the host's float: every Mac is little-endian.
  encode_interleave(SampleType::F32, capture_->planes(), channels, frames,
                    reinterpret_cast<uint8_t*>(bridge_in_.data()));
  if (!bridge_->push_all(bridge_in_.data(), size_t(frames) * channels)) {
    count_xrun();  // the output side stopped taking: these frames are dropped
  }
}

void CoreAudioDevice::take_bridged_input(uint32_t frames) {
  const size_t channels = input_channels_;
  if (bridge_priming_) {
    const size_t waiting = bridge_->size() / channels;
    if (waiting < bridge_target_frames_ + frames) {
      engine_input_->silence(frames);
      return;
    }
    // Start from the target: what piled up while the output side was starting is not a slip.
    bridge_->skip((waiting - bridge_target_frames_ - frames) * channels);
    bridge_priming_ = false;
  }
  if (!bridge_->pop_all(bridge_out_.data(), size_t(frames) * channels)) {
    // The input device fell behind: silence now, and wait for a full margin again.
    count_xrun();
    bridge_priming_ = true;
    engine_input_->silence(frames);
    return;
  }
  decode_deinterleave(SampleType::F32, reinterpret_cast<const uint8_t*>(bridge_out_.data()),
                      channels, frames, engine_input_->planes(), false);
  // Two clocks drift apart: when the input side has run ahead by more than a margin, drop back
  // to the target (a slip, counted as an xrun) rather than let the latency grow.
  const size_t waiting = bridge_->size() / channels;
  if (waiting > 2 * bridge_target_frames_) {
    bridge_->skip((waiting - bridge_target_frames_) * channels);
    count_xrun();
  }
}

void CoreAudioDevice::run_engine(uint32_t frames, AudioBufferList* data) {
  size_t channel = 0;
  for (auto& stream : output_planes_) {
    for (float*& plane : stream) {
      AudioBuffer& buffer = data->mBuffers[channel++];
      plane = static_cast<float*>(buffer.mData);
      std::memset(plane, 0, frames * sizeof(float));
    }
  }
  DevicePeriod period{&input_planes_, &output_planes_, frames};
  period.callback_ns = monotonic_now_ns();
  engine_.process(period);
  periods_.fetch_add(1, std::memory_order_relaxed);
}

void CoreAudioDevice::count_xrun() {
  xruns_.fetch_add(1, std::memory_order_relaxed);
  events_.raise(kEventXrun);
}

OSStatus CoreAudioDevice::on_input(void* arg, AudioUnitRenderActionFlags* flags,
                                   const AudioTimeStamp* time, UInt32, UInt32 frames,
                                   AudioBufferList*) {
  auto* self = static_cast<CoreAudioDevice*>(arg);
  const CallbackScope scope(*self);
  if (!scope.may_run()) return noErr;
  // Two devices: capture for the bridge. Inputs only: this device is the clock, and renders
  // straight into the engine's planes.
  PlaneBuffer& into = self->bridge_ ? *self->capture_ : *self->engine_input_;
  if (frames > kMaxCoreAudioFrames ||
      AudioUnitRender(self->input_unit_->unit(), flags, time, kInputBus, frames,
                      into.list(frames)) != noErr) {
    self->count_xrun();
    return noErr;
  }
  if (self->bridge_) {
    self->bridge_captured(frames);
  } else {
    self->run_engine(frames, nullptr);
  }
  return noErr;
}

OSStatus CoreAudioDevice::on_output(void* arg, AudioUnitRenderActionFlags* flags,
                                    const AudioTimeStamp* time, UInt32, UInt32 frames,
                                    AudioBufferList* data) {
  auto* self = static_cast<CoreAudioDevice*>(arg);
  const CallbackScope scope(*self);
  const bool usable = data != nullptr && data->mNumberBuffers == self->output_channels_ &&
                      frames <= kMaxCoreAudioFrames;
  if (!scope.may_run() || !usable) {
    for (UInt32 i = 0; data != nullptr && i < data->mNumberBuffers; ++i) {
      std::memset(data->mBuffers[i].mData, 0, data->mBuffers[i].mDataByteSize);
    }
    if (scope.may_run()) self->count_xrun();
    return noErr;
  }
  if (self->input_channels_ > 0) {
    if (self->bridge_) {
      self->take_bridged_input(frames);
    } else if (AudioUnitRender(self->output_unit_->unit(), flags, time, kInputBus, frames,
                               self->engine_input_->list(frames)) != noErr) {
      // One duplex unit: its input side failed this cycle; play on with silence in.
      self->engine_input_->silence(frames);
      self->count_xrun();
    }
  }
  self->run_engine(frames, data);
  return noErr;
}

void CoreAudioDevice::on_property(void* arg, AudioObjectID device,
                                  AudioObjectPropertySelector changed) {
  auto* self = static_cast<CoreAudioDevice*>(arg);
  try {
    switch (changed) {
      case kAudioDevicePropertyDeviceIsAlive:
        if (hal::get<UInt32>(device, kAudioDevicePropertyDeviceIsAlive) == 0) {
          self->events_.raise(kEventShutdown);
        }
        break;
      case kAudioDeviceProcessorOverload:
        self->count_xrun();
        break;
      case kAudioDevicePropertyNominalSampleRate:
        if (nominal_rate(device) != self->sample_rate_.load(std::memory_order_relaxed)) {
          self->events_.raise(kEventSampleRate);
        }
        break;
      case kAudioDevicePropertyBufferFrameSize:
        if (device == self->clock_device_) {
          self->period_frames_.store(io_buffer_frames(device), std::memory_order_relaxed);
          self->events_.raise(kEventBufferSize);
        }
        break;
      default:
        break;
    }
  } catch (const DeviceError&) {
    // A device that no longer answers is a device that went away.
    self->events_.raise(kEventShutdown);
  }
}

}  // namespace syfala
