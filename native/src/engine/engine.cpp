#include "engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "../core/pull_samples.hpp"
#include "../core/sample_convert.hpp"

namespace syfala {

namespace {
/** Kernel socket buffers asked for (capped by net.core.rmem_max/wmem_max): bursts must fit. */
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;

/**
 * Whether the routes fit the device: its streams and their channel counts, and its rate unless
 * the peer resamples (drift compensation).
 */
bool formats_match_device(const std::vector<StreamRoute>& routes,
                          const std::vector<uint32_t>& device_channels, uint32_t rate,
                          bool resampled, std::string& why) {
  for (const StreamRoute& r : routes) {
    if (r.device >= device_channels.size()) {
      why = "device stream " + std::to_string(r.device) + " does not exist";
      return false;
    }
    if (r.format.channels != device_channels[r.device]) {
      why = "wire stream " + std::to_string(r.wire) + " has " + std::to_string(r.format.channels) +
            " channels, device stream " + std::to_string(r.device) + " has " +
            std::to_string(device_channels[r.device]);
      return false;
    }
    if (r.format.sample_rate != rate && !resampled) {
      why = "wire stream " + std::to_string(r.wire) + " runs at " +
            std::to_string(r.format.sample_rate) + " Hz, the device at " + std::to_string(rate) +
            " Hz: another rate is resampled only with drift compensation";
      return false;
    }
  }
  return true;
}

/** Adds interleaved f32 frames to the planes (several peers mix into the same outputs). */
void accumulate_deinterleaved(const float* src, size_t channels, size_t frames,
                              float* const* planes) {
  for (size_t c = 0; c < channels; ++c) {
    float* out = planes[c];
    const float* in = src + c;
    for (size_t f = 0; f < frames; ++f, in += channels) out[f] += *in;
  }
}

/** The adapter hears of every chunk played; only with adaptive latency does it set the target. */
void adapt(ReceiveRoute& route, size_t played, const PullResult& pulled) {
  const size_t target = route.adapter->period(played, pulled.underrun);
  if (!pulled.playing) route.adapter->restart_reference();
  if (route.adaptive) route.buffer.set_target_latency_frames(target);
  route.jitter_frames.store(route.adapter->jitter_frames(), std::memory_order_relaxed);
}

/**
 * Plays the next `frames` device frames of a route into its planes, through an interleaved copy
 * that is metered. With drift compensation the stream resamples (and conceals) into the copy.
 * The adapter measures every route's jitter, and sets the next target with adaptive latency.
 * Played straight with concealment, the pull's missing frames are filled (LossConcealer) in the
 * copy; without, they stay the format's zero.
 */
void play_chunk(ReceiveRoute& route, size_t channels, size_t frames) {
  if (route.compensated) {
    const PullResult& pulled = route.compensated->pull(route.samples.data(), frames);
    accumulate_deinterleaved(route.samples.data(), channels, frames, route.planes.data());
    route.meter.measure_interleaved(route.samples.data(), frames);
    route.drift_ppm.store(route.compensated->drift_ppm(), std::memory_order_relaxed);
    route.resample_ratio.store(route.compensated->ratio() * route.nominal_ratio,
                               std::memory_order_relaxed);
    // The adapter's clock counts stream frames: those this chunk's device frames stand for.
    route.stream_position += double(frames) * route.nominal_ratio;
    const uint64_t whole = uint64_t(route.stream_position);
    const size_t played = size_t(whole - route.stream_frames_counted);
    route.stream_frames_counted = whole;
    adapt(route, played, pulled);
    return;
  }
  const Format& format = route.route.format;
  float* samples = route.samples.data();
  if (route.concealer) {
    const PullResult& pulled = pull_samples(route.buffer, format, frames, samples,
                                            route.wire.data(), route.missing.data());
    adapt(route, frames, pulled);
    route.concealer->conceal(samples, frames, pulled, route.missing.data());
  } else {
    adapt(route, frames, pull_samples(route.buffer, format, frames, samples, route.wire.data()));
  }
  accumulate_deinterleaved(samples, channels, frames, route.planes.data());
  route.meter.measure_interleaved(samples, frames);
}

/**
 * The next `frames` device frames of a sent route in wire format, in route.wire; returns the
 * wire frames. At another rate they go through the RateConverter, which makes as many wire frames
 * as the device frames written so far allow.
 */
size_t encode_chunk(SendRoute& route, size_t channels, size_t frames) {
  const SampleType type = route.route.format.type;
  if (!route.converter) {
    encode_interleave(type, route.planes.data(), channels, frames, route.wire.data());
    route.meter.measure_planar(route.planes.data(), frames);
    return frames;
  }
  // Wire f32 is little-endian IEEE 754, the host's float on every target (x86-64, arm64).
  float* interleaved = route.interleaved.data();
  encode_interleave(SampleType::F32, route.planes.data(), channels, frames,
                    reinterpret_cast<uint8_t*>(interleaved));
  route.converter->write(interleaved, frames);
  const size_t made = route.converter->output_frames_available();
  route.converter->read(route.converted.data(), made);
  encode_samples(type, route.converted.data(), made * channels, route.wire.data());
  route.meter.measure_interleaved(route.converted.data(), made);
  return made;
}
}  // namespace

Engine::Engine(const EngineOptions& options)
    : socket_(options.address, options.port, kSocketBufferBytes),
      datagram_budget_(options.datagram_budget_bytes),
      current_(std::make_unique<PeerList>()) {
  if (datagram_budget_ != kRouteDatagramBudget &&
      (datagram_budget_ <= kAudioHeaderBytes || datagram_budget_ > kMaxDatagramBytes)) {
    throw EngineError("audio engine: the datagram budget must be between " +
                      std::to_string(kAudioHeaderBytes + 1) + " and " +
                      std::to_string(kMaxDatagramBytes) + " bytes, got " +
                      std::to_string(datagram_budget_));
  }
  published_.store(current_.get());
  key_thread_ = std::thread([this] { key_loop(); });
}

Engine::~Engine() { close(); }

void Engine::set_device(std::vector<uint32_t> inputs, std::vector<uint32_t> outputs,
                        uint32_t sample_rate, uint32_t period_frames) {
  device_inputs_ = std::move(inputs);
  device_outputs_ = std::move(outputs);
  device_clock_ = {sample_rate, period_frames};
  lost_time_.configure(sample_rate, period_frames);
}

void Engine::add_peer(const PeerSpec& spec) {
  if (device_clock_.sample_rate == 0) {
    throw EngineError("audio engine: open a device before adding peers");
  }
  for (const auto& p : owned_) {
    if (p->id == spec.id) throw EngineError("audio engine: peer " + spec.id + " already streams");
  }
  sockaddr_in address;
  if (!parse_ipv4(spec.address, spec.port, address)) {
    throw EngineError("audio engine: peer address " + spec.address + " is not IPv4");
  }
  // Datagrams are routed by source: a second peer at one address would take the first's
  // audio, so an address is never shared (nor silently handed over).
  for (const auto& p : owned_) {
    if (same_endpoint(p->address, address)) {
      throw EngineError("audio engine: address " + spec.address + " port " +
                        std::to_string(spec.port) + " is peer " + p->id + "'s already");
    }
  }
  std::string why;
  const uint32_t rate = device_clock_.sample_rate;
  const bool resampled = spec.drift_compensation;
  if (!formats_match_device(spec.send, device_inputs_, rate, resampled, why) ||
      !formats_match_device(spec.receive, device_outputs_, rate, resampled, why)) {
    throw EngineError("audio engine: peer " + spec.id + ": " + why, "FORMAT_MISMATCH");
  }
  if (spec.adaptive_latency && !spec.drift_compensation) {
    // Played straight, a jitter buffer only primes to its target: a raised target would wait
    // for the next underrun, so adapting it needs the resampler to hold the fill there.
    throw EngineError("audio engine: adaptive latency needs drift compensation");
  }
  const size_t budget = datagram_budget_ != kRouteDatagramBudget
                            ? datagram_budget_
                            : datagram_budget_for_route(route_mtu(address));
  if (spec.security && budget < kSealOverheadBytes + kAudioHeaderBytes + 1) {
    throw EngineError("audio engine: a datagram budget of " + std::to_string(budget) +
                      " bytes leaves no room for sealed audio: it needs at least " +
                      std::to_string(kSealOverheadBytes + kAudioHeaderBytes + 1));
  }
  if (spec.security && spec.security->rotate_after_datagrams < 1) {
    throw EngineError("audio engine: rotateAfterDatagrams must be at least 1");
  }
  if (spec.target_latency_frames < 1) {
    throw EngineError("audio engine: the target latency must be at least one frame");
  }
  owned_.push_back(std::make_unique<Peer>(spec, address, budget, device_clock_));
  publish();
  latency_frames_.store(largest_target(*current_), std::memory_order_relaxed);
}

void Engine::set_sending(const std::string& id, bool enabled) {
  for (const auto& p : owned_) {
    if (p->id == id) p->sending.store(enabled, std::memory_order_relaxed);
  }
}

bool Engine::remove_peer(const std::string& id) {
  auto it = std::find_if(owned_.begin(), owned_.end(), [&](const auto& p) { return p->id == id; });
  if (it == owned_.end()) return false;
  std::unique_ptr<Peer> retired = std::move(*it);
  owned_.erase(it);
  publish();
  latency_frames_.store(largest_target(*current_), std::memory_order_relaxed);
  return true;  // `retired` is freed here, after every thread has let go of it.
}

void Engine::publish() {
  auto next = std::make_unique<PeerList>();
  for (const auto& p : owned_) next->peers.push_back(p.get());
  published_.store(next.get(), std::memory_order_seq_cst);
  key_reader_.wait_for_reader();
  audio_reader_.wait_for_reader();
  current_ = std::move(next);
}

void Engine::process(const DevicePeriod& period) {
  ReadPass pass(audio_reader_);
  const PeerList& list = *published_.load(std::memory_order_seq_cst);
  // What the device's clock did, told to each received stream before this period's arrivals:
  // what the peer sent while the device lost time is a step in the fill, not drift; and a
  // callback that stalled sees arrivals early by as much, measured as of when it was due.
  const uint64_t lost_frames = lost_time_.observe(period.callback_ns, period.frames);
  const double late_frames = lost_time_.late_frames();
  for (Peer* peer : list.peers) {
    for (const auto& route : peer->receive) {
      if (lost_frames > 0 && route->compensated) {
        route->compensated->lost_time(double(lost_frames) * route->nominal_ratio);
      }
      route->adapter->pull_late_by(late_frames * route->nominal_ratio);
    }
  }
  // What arrived since the last period goes into the jitter buffers first.
  receive(list);
  for (Peer* peer : list.peers) {
    for (const auto& route : peer->receive) {
      const std::vector<float*>& out = (*period.outputs)[route->route.device];
      const size_t channels = out.size();
      for (uint32_t done = 0; done < period.frames;) {
        const uint32_t n = std::min<uint32_t>(period.frames - done, kChunkFrames);
        for (size_t c = 0; c < channels; ++c) route->planes[c] = out[c] + done;
        play_chunk(*route, channels, n);
        done += n;
      }
      route->meter.end_period();
    }
    if (!peer->sending.load(std::memory_order_relaxed)) continue;
    for (const auto& route : peer->send) {
      const std::vector<const float*>& in = (*period.inputs)[route->route.device];
      const size_t channels = in.size();
      const size_t frame_bytes = bytes_per_frame(route->route.format);
      for (uint32_t done = 0; done < period.frames;) {
        const uint32_t n = std::min<uint32_t>(period.frames - done, kChunkFrames);
        for (size_t c = 0; c < channels; ++c) route->planes[c] = in[c] + done;
        const size_t wire_frames = encode_chunk(*route, channels, n);
        route->packetizer.packetize(
            route->wire.data(), wire_frames * frame_bytes,
            [&](const AudioHeader& h, const uint8_t* run, size_t run_length, uint8_t copy) {
              uint8_t* slot = peer->outbound.write_slot();
              if (slot == nullptr) {
                // A period longer than the ring holds: send what is queued, then go on.
                send_queued(*peer);
                slot = peer->outbound.write_slot();
              }
              if (peer->sealer) {
                const size_t length = peer->sealer->seal(slot, h, copy, run);
                if (length == 0) return;  // OpenSSL failed: nothing fit to send
                peer->outbound.commit(length);
              } else {
                peer->outbound.commit(write_audio_datagram(slot, h, run));
              }
              route->datagrams.fetch_add(1, std::memory_order_relaxed);
              route->bytes.fetch_add(run_length, std::memory_order_relaxed);
            });
        done += n;
      }
      route->meter.end_period();
    }
    send_queued(*peer);
    ask_keys_if_used(*peer);
  }
  latency_frames_.store(largest_target(list), std::memory_order_relaxed);
}

void Engine::ask_keys_if_used(const Peer& peer) {
  const bool used = (peer.sealer && peer.sealer->wants_keys()) ||
                    (peer.opener && peer.opener->wants_keys());
  if (used && !keys_asked_.exchange(true, std::memory_order_relaxed)) keys_used_.post();
}

void Engine::key_loop() {
  for (;;) {
    keys_used_.wait();
    if (!running_.load(std::memory_order_relaxed)) return;
    // Cleared first: a key used while these derive asks again.
    keys_asked_.store(false, std::memory_order_relaxed);
    ReadPass pass(key_reader_);
    const PeerList& list = *published_.load(std::memory_order_seq_cst);
    for (Peer* peer : list.peers) {
      if (peer->sealer) peer->sealer->derive_ahead();
      if (peer->opener) peer->opener->derive_ahead();
    }
  }
}

uint32_t Engine::largest_target(const PeerList& list) const {
  double largest = 0;
  for (const Peer* peer : list.peers) {
    for (const auto& route : peer->receive) {
      // The gauge, not the field: the control thread reads this while process() adapts it. In
      // device frames: a stream at another rate is resampled to the device's.
      const uint64_t target =
          route->buffer.stats().target_latency_frames.load(std::memory_order_relaxed);
      const double frames = double(target) * device_clock_.sample_rate /
                            route->route.format.sample_rate;
      largest = std::max(largest, frames);
    }
  }
  return uint32_t(std::ceil(largest));
}

Peer* Engine::find_by_source(const PeerList& list, const sockaddr_in& source) const {
  for (Peer* p : list.peers) {
    if (same_endpoint(p->address, source)) return p;
  }
  return nullptr;
}

void Engine::receive(const PeerList& list) {
  // At most what the socket could hold when the period began: a flood cannot keep it here.
  size_t taken = 0;
  for (;;) {
    const int filled = received_.receive(socket_);
    received_.each(filled, [&](uint8_t* data, size_t length, const sockaddr_in& source,
                               bool truncated) {
      accept(data, length, source, truncated, list);
      taken += length;
    });
    if (filled < int(received_.capacity()) || taken >= kSocketBufferBytes) return;
  }
}

void Engine::accept(uint8_t* data, size_t length, const sockaddr_in& source, bool truncated,
                    const PeerList& list) {
  counters_.datagrams_received.fetch_add(1, std::memory_order_relaxed);
  const bool sealed = is_sealed_audio(data, length);
  SealedHeader header{};
  const DecodeError error = truncated ? DecodeError::TooLarge
                            : sealed ? read_sealed_header(data, length, header)
                                     : read_audio_header(data, length, header.audio);
  if (error != DecodeError::None) {
    counters_.rejected[size_t(error)].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Peer* peer = find_by_source(list, source);
  if (peer == nullptr) {
    counters_.unknown_source.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (sealed && peer->opener == nullptr) {
    // A clear peer's audio is AUDI: AUDE is an unknown tag to it, as the TS engine counts it
    // (a clear peer has no security counters).
    counters_.rejected[size_t(DecodeError::UnknownTag)].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!sealed && peer->opener != nullptr) {
    // Clear audio from an encrypted peer is never played (SECURITY.md §4, step 1).
    peer->auth_failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ReceiveRoute* route = peer->receive_route(header.audio.stream);
  if (route == nullptr) {
    counters_.unknown_stream.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint8_t* run = data + kAudioHeaderBytes;
  if (sealed) {
    const OpenVerdict verdict = peer->opener->open(data, header, route->replay);
    if (verdict != OpenVerdict::Authentic) {
      (verdict == OpenVerdict::Replayed ? peer->replayed : peer->auth_failed)
          .fetch_add(1, std::memory_order_relaxed);
      return;
    }
    run = AudioOpener::clear_audio(data) + kAudioHeaderBytes;  // opened in place
  }
  const AudioHeader& h = header.audio;
  route->buffer.push(h.byte_index, run, h.byte_count);
  route->adapter->arrival(double(h.byte_index + h.byte_count) / double(route->frame_bytes));
}

void Engine::send_queued(Peer& peer) {
  for (;;) {
    unsigned count = 0;
    size_t length = 0;
    while (count < kDatagramBatch) {
      const uint8_t* datagram = peer.outbound.peek(count, length);
      if (datagram == nullptr) break;
      send_vectors_[count] = {const_cast<uint8_t*>(datagram), length};
      mmsghdr& message = send_messages_[count];
      message.msg_hdr = {};
      message.msg_hdr.msg_name = const_cast<sockaddr_in*>(&peer.address);
      message.msg_hdr.msg_namelen = sizeof(sockaddr_in);
      message.msg_hdr.msg_iov = &send_vectors_[count];
      message.msg_hdr.msg_iovlen = 1;
      ++count;
    }
    if (count == 0) return;
    const int failed = socket_.send_batch(send_messages_.data(), count);
    if (failed > 0) counters_.send_errors.fetch_add(failed, std::memory_order_relaxed);
    peer.outbound.release(count);
  }
}

void Engine::close() {
  if (!running_.exchange(false)) return;
  keys_used_.post();
  key_thread_.join();
  // A device still running sees an empty list before the peers go.
  std::vector<std::unique_ptr<Peer>> retired = std::move(owned_);
  owned_.clear();
  publish();
}

}  // namespace syfala
