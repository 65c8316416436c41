#pragma once
// A peer the engine streams with: its address, the streams each way, and the two rings that
// carry its datagrams between the UDP threads and the real-time callback.
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../core/format.hpp"
#include "../core/jitter_buffer.hpp"
#include "../core/loss_concealer.hpp"
#include "../core/packetizer.hpp"
#include "../core/spsc_ring.hpp"

namespace syfala {

/** Device stream `device` ↔ wire stream `wire`, in the wire's format (the device side is f32). */
struct StreamRoute {
  uint32_t device;
  uint32_t wire;
  Format format;
};

/** What the control plane hands over when a session's I/O starts: plain data. */
struct PeerSpec {
  std::string id;
  std::string address;
  uint16_t port;
  std::vector<StreamRoute> send;
  std::vector<StreamRoute> receive;
  size_t target_latency_frames;
  bool sending;
  /** Periods each sent run repeats (PROTOCOL.md §7.3): 0 to kMaxRedundancyPeriods. */
  uint32_t redundancy = 0;
  /**
   * What plays where received audio is missing. The addon defaults to Fade, as the TS PeerSpec
   * does; a spec built in C++ gets Silence unless it asks.
   */
  ConcealmentMode concealment = ConcealmentMode::Silence;
};

/**
 * Ring slots hold one whole datagram; the engine sends and accepts nothing larger (the default
 * budget is 1400 bytes, PROTOCOL.md §7.3).
 */
constexpr size_t kSlotBytes = 1500;

/** Frames converted per pass: bounds scratch memory whatever JACK's period is. */
constexpr size_t kChunkFrames = 1024;

struct SendRoute {
  SendRoute(const StreamRoute& route, size_t datagram_budget, uint32_t redundancy);
  const StreamRoute route;
  StreamPacketizer packetizer;
  std::vector<uint8_t> wire;            // one chunk in wire format
  std::vector<const float*> planes;     // the device planes, offset to the chunk
  std::atomic<uint64_t> datagrams{0};
  std::atomic<uint64_t> bytes{0};
};

struct ReceiveRoute {
  ReceiveRoute(const StreamRoute& route, size_t capacity_frames, size_t target_frames,
               ConcealmentMode concealment);
  const StreamRoute route;
  JitterBuffer buffer;
  std::vector<uint8_t> wire;
  std::vector<float*> planes;
  /** With Fade: conceals each chunk, decoded into `samples` first; null with Silence. */
  std::unique_ptr<LossConcealer> concealer;
  std::vector<float> samples;    // one chunk, interleaved f32 (Fade only)
  std::vector<uint8_t> missing;  // the chunk's missing-frame mask (Fade only)
};

struct Peer {
  Peer(const PeerSpec& spec, const sockaddr_in& address, size_t datagram_budget);

  const std::string id;
  const sockaddr_in address;
  std::vector<std::unique_ptr<SendRoute>> send;
  std::vector<std::unique_ptr<ReceiveRoute>> receive;
  std::atomic<bool> sending;
  /** Receive thread → real-time callback. */
  DatagramRing inbound;
  /** Real-time callback → send thread. */
  DatagramRing outbound;
  /** Datagrams dropped because a ring was full (a stalled thread on the other side). */
  std::atomic<uint64_t> inbound_drops{0};
  std::atomic<uint64_t> outbound_drops{0};

  ReceiveRoute* receive_route(uint32_t wire_stream) const;
};

}  // namespace syfala
