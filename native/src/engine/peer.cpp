#include "peer.hpp"

#include <algorithm>

namespace syfala {

namespace {
/**
 * Room in each jitter buffer: a stall of the audio thread must not overrun it. The TS path has
 * the same room but takes at least 4 × the target; this takes at least 2 ×.
 */
constexpr double kJitterCapacitySeconds = 0.25;

/**
 * A stream makes at least one datagram per period however few its bytes; periods come at most
 * this often (32 frames at 48 kHz).
 */
constexpr double kMaxPeriodsPerSecond = 1500;

/**
 * Datagrams a peer's streams make in `seconds` each way, with a floor for tiny streams; each byte
 * travels `copies` times (1 + redundancy).
 */
size_t ring_slots(const std::vector<StreamRoute>& routes, size_t datagram_budget, double seconds,
                  uint32_t copies = 1) {
  double per_second = 0;
  for (const StreamRoute& r : routes) {
    const double bytes =
        double(copies) * double(r.format.sample_rate) * double(bytes_per_frame(r.format));
    per_second += bytes / double(datagram_budget - kAudioHeaderBytes) + kMaxPeriodsPerSecond;
  }
  return next_power_of_two(std::max<size_t>(256, size_t(per_second * seconds)));
}

size_t capacity_frames(const StreamRoute& route, size_t target_frames) {
  const size_t room = size_t(route.format.sample_rate * kJitterCapacitySeconds);
  return std::max(room, 2 * target_frames);
}
}  // namespace

SendRoute::SendRoute(const StreamRoute& r, size_t datagram_budget, uint32_t redundancy)
    : route(r),
      // The audio thread hands the packetizer one chunk at a time: a chunk is its period.
      packetizer(r.wire, bytes_per_frame(r.format), datagram_budget, redundancy,
                 kChunkFrames * bytes_per_frame(r.format)),
      wire(kChunkFrames * bytes_per_frame(r.format)),
      planes(r.format.channels) {}

ReceiveRoute::ReceiveRoute(const StreamRoute& r, size_t capacity, size_t target_frames,
                           ConcealmentMode concealment)
    : route(r),
      buffer(r.format, capacity, target_frames),
      wire(kChunkFrames * bytes_per_frame(r.format)),
      planes(r.format.channels) {
  if (concealment == ConcealmentMode::Fade) {
    concealer = std::make_unique<LossConcealer>(r.format.channels, r.format.sample_rate);
    samples.resize(kChunkFrames * r.format.channels);
    missing.resize(kChunkFrames);
  }
}

Peer::Peer(const PeerSpec& spec, const sockaddr_in& addr, size_t datagram_budget)
    : id(spec.id),
      address(addr),
      sending(spec.sending),
      inbound(ring_slots(spec.receive, datagram_budget, kJitterCapacitySeconds), kSlotBytes),
      outbound(ring_slots(spec.send, datagram_budget, 0.05, 1 + spec.redundancy), kSlotBytes) {
  for (const StreamRoute& r : spec.send) {
    send.push_back(std::make_unique<SendRoute>(r, datagram_budget, spec.redundancy));
  }
  for (const StreamRoute& r : spec.receive) {
    receive.push_back(std::make_unique<ReceiveRoute>(
        r, capacity_frames(r, spec.target_latency_frames), spec.target_latency_frames,
        spec.concealment));
  }
}

ReceiveRoute* Peer::receive_route(uint32_t wire_stream) const {
  for (const auto& r : receive) {
    if (r->route.wire == wire_stream) return r.get();
  }
  return nullptr;
}

}  // namespace syfala
