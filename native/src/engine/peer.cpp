#include "peer.hpp"

#include <algorithm>
#include <cmath>

namespace syfala {

namespace {
/**
 * Room in each jitter buffer: a stall of the audio thread must not overrun it. The TS path has
 * the same room but takes at least 4 × the target; this takes at least 2 ×.
 */
constexpr double kJitterCapacitySeconds = 0.25;

/**
 * Slots of a peer's send ring: a whole send batch where that takes at most kSendRingBytes, else
 * halved down to 8. The audio thread sends what is queued when the ring fills, so the ring bounds
 * a batch, not what a period may make.
 */
constexpr size_t kSendRingBytes = 1 << 20;
size_t send_ring_slots(size_t datagram_budget) {
  size_t slots = kDatagramBatch;
  while (slots > 8 && slots * datagram_budget > kSendRingBytes) slots /= 2;
  return slots;
}

size_t capacity_frames(const StreamRoute& route, size_t target_frames) {
  const size_t room = size_t(route.format.sample_rate * kJitterCapacitySeconds);
  return std::max(room, 2 * target_frames);
}

/**
 * Most wire frames one chunk of device frames makes: the chunk itself at the device's rate, else
 * what the RateConverter makes of it and the few frames it may still hold.
 */
size_t wire_chunk_frames(const StreamRoute& route, const DeviceClock& device) {
  if (route.format.sample_rate == device.sample_rate) return kChunkFrames;
  return size_t(std::ceil((kChunkFrames + 4) * double(route.format.sample_rate) /
                          double(device.sample_rate)));
}

/** The budget the packetizers cut to: sealing adds its header and tag within the datagram's. */
size_t clear_budget(const PeerSpec& spec, size_t datagram_budget) {
  return spec.security ? datagram_budget - kSealOverheadBytes : datagram_budget;
}

JitterBuffer jitter_buffer(const StreamRoute& route, const PeerSpec& spec) {
  JitterBufferOptions options;
  // Time a peer's device lost reaches this side as a gap (PROTOCOL.md §7.2); after a stall this
  // side primed again through, the fill beyond it covers the target: skipped, not played late.
  options.skip_covered_gaps = spec.drift_compensation;
  // With drift compensation the resampler holds the fill at the target against drift; the slip
  // (surplus) and the priming at an underrun (shortfall) undo at once the steps a device that
  // loses periods makes. Underruns are not concealed (conceal_underruns): on the JACK rig that
  // lost more and held no lower a latency (bench/RESULTS.md, issue #14).
  return JitterBuffer(route.format, capacity_frames(route, spec.target_latency_frames),
                      spec.target_latency_frames, options);
}
}  // namespace

SendRoute::SendRoute(const StreamRoute& r, size_t datagram_budget, uint32_t redundancy,
                     const DeviceClock& device)
    : route(r),
      // The audio thread hands the packetizer one chunk at a time: a chunk is its period.
      packetizer(r.wire, bytes_per_frame(r.format), datagram_budget, redundancy,
                 wire_chunk_frames(r, device) * bytes_per_frame(r.format)),
      wire(wire_chunk_frames(r, device) * bytes_per_frame(r.format)),
      planes(r.format.channels),
      meter(r.format.channels, r.format.sample_rate) {
  if (r.format.sample_rate != device.sample_rate) {
    converter = std::make_unique<RateConverter>(r.format.channels, device.sample_rate,
                                                r.format.sample_rate, kChunkFrames);
    interleaved.resize(kChunkFrames * r.format.channels);
    converted.resize(wire_chunk_frames(r, device) * r.format.channels);
  }
}

ReceiveRoute::ReceiveRoute(const StreamRoute& r, const PeerSpec& spec, const DeviceClock& device)
    : route(r),
      frame_bytes(bytes_per_frame(r.format)),
      buffer(jitter_buffer(r, spec)),
      wire(kChunkFrames * frame_bytes),
      planes(r.format.channels),
      adaptive(spec.adaptive_latency),
      samples(kChunkFrames * r.format.channels),
      nominal_ratio(double(r.format.sample_rate) / double(device.sample_rate)),
      resample_ratio(nominal_ratio),
      meter(r.format.channels, device.sample_rate),
      // Bytes older than the buffer holds could never play: replays of them are refused.
      replay{buffer.capacity_frames() * frame_bytes} {
  if (spec.concealment == ConcealmentMode::Fade) {
    concealer = std::make_unique<LossConcealer>(r.format.channels, r.format.sample_rate);
  }
  if (spec.drift_compensation) {
    DriftCompensatedStreamOptions options{kChunkFrames};
    options.device_sample_rate = device.sample_rate;
    // A device that loses time (a JACK server's xruns) makes steps in the fill: FillStepBound.
    options.bound_steps = true;
    compensated =
        std::make_unique<DriftCompensatedStream>(buffer, r.format, options, concealer.get());
  } else if (concealer) {
    missing.resize(kChunkFrames);
  }
  {
    LatencyAdapterOptions options;
    options.sample_rate = r.format.sample_rate;
    // In the stream's frames: a stream at another rate gets its share of a period.
    options.period_frames = std::max<size_t>(
        1, size_t(std::lround(double(device.period_frames) * nominal_ratio)));
    options.min_target_frames = 1;
    options.max_target_frames = buffer.capacity_frames() / 2;
    options.initial_target_frames = spec.target_latency_frames;
    options.raise_on_underruns = !spec.drift_compensation;
    adapter = std::make_unique<LatencyAdapter>(options);
  }
}

Peer::Peer(const PeerSpec& spec, const sockaddr_in& addr, size_t budget,
           const DeviceClock& device)
    : id(spec.id),
      address(addr),
      datagram_budget(budget),
      sending(spec.sending),
      outbound(send_ring_slots(budget), budget) {
  for (const StreamRoute& r : spec.send) {
    send.push_back(
        std::make_unique<SendRoute>(r, clear_budget(spec, budget), spec.redundancy, device));
  }
  if (spec.security) {
    const AudioSecurity& s = *spec.security;
    sealer = std::make_unique<AudioSealer>(s.send_secret, s.send_direction, s.first_key_id,
                                           s.rotate_after_datagrams);
    opener = std::make_unique<AudioOpener>(s.receive_secret, opposite(s.send_direction),
                                           s.first_key_id);
  }
  for (const StreamRoute& r : spec.receive) {
    receive.push_back(std::make_unique<ReceiveRoute>(r, spec, device));
  }
}

ReceiveRoute* Peer::receive_route(uint32_t wire_stream) const {
  for (const auto& r : receive) {
    if (r->route.wire == wire_stream) return r.get();
  }
  return nullptr;
}

}  // namespace syfala
