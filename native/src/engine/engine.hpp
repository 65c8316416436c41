#pragma once
// The native data plane: one UDP audio socket, the peers a device streams with, and the
// per-period work the device's real-time callback does, receiving and sending included.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../core/wire.hpp"
#include "lost_time_watch.hpp"
#include "peer.hpp"
#include "period_callback.hpp"
#include "quiescence.hpp"
#include "udp_socket.hpp"
#include "wake_semaphore.hpp"

namespace syfala {

/**
 * Thrown by Engine's control methods (never on the audio path); `what()` is one sentence, `code`
 * the JS error code: BAD_OPTION, or FORMAT_MISMATCH for a stream the device cannot play.
 */
struct EngineError : std::runtime_error {
  explicit EngineError(const std::string& message, const char* error_code = "BAD_OPTION")
      : std::runtime_error(message), code(error_code) {}
  const char* code;
};

constexpr size_t kDecodeErrorCount = static_cast<size_t>(DecodeError::TooLarge) + 1;

struct SocketCounters {
  std::atomic<uint64_t> datagrams_received{0};
  std::array<std::atomic<uint64_t>, kDecodeErrorCount> rejected{};
  std::atomic<uint64_t> unknown_source{0};
  std::atomic<uint64_t> unknown_stream{0};
  std::atomic<uint64_t> send_errors{0};
};

/** EngineOptions::datagram_budget_bytes: each peer's from the MTU of the route to it. */
constexpr size_t kRouteDatagramBudget = 0;

struct EngineOptions {
  std::string address = "0.0.0.0";
  uint16_t port = 0;
  /**
   * The largest datagram sent to any peer, header included: kAudioHeaderBytes + 1 to
   * kMaxDatagramBytes; kRouteDatagramBudget: each peer's own (datagram_budget_for_route), fewer
   * and larger datagrams over loopback and jumbo frames. Any size is received.
   */
  size_t datagram_budget_bytes = kRouteDatagramBudget;
};

/**
 * Threads: the control thread (Node's main thread) adds and removes peers; the device's
 * real-time thread calls process() once per period, which takes what the socket queued since the
 * last period (non-blocking recvmmsg: checked, opened when sealed, into the jitter buffers), plays
 * it, then seals and sends the period's datagrams (non-blocking sendmmsg). No thread waits on the
 * socket: a receive or send thread's wake-ups, one per datagram, cost more CPU than the work they
 * hand over (native/README.md). The key thread, woken when a peer has used up a key derived
 * ahead, derives the next ones (allocating: never the audio thread). Both read the peer list
 * without locks; the control thread publishes a new list and frees the old one only once each
 * of them has left any pass that could still see it (Quiescence).
 */
class Engine final : public PeriodCallback {
 public:
  explicit Engine(const EngineOptions& options);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  uint16_t port() const { return socket_.port(); }

  /**
   * The largest target latency of the received streams, in device frames (0 with none): what
   * a device reports as its latency. Updated by add_peer and by process() as targets adapt.
   */
  uint32_t latency_frames() const override { return latency_frames_.load(std::memory_order_relaxed); }

  /**
   * The device's streams (channels each), nominal rate and period; peers are checked against
   * them (the period sizes an adaptive target's steps; process() takes any period).
   */
  void set_device(std::vector<uint32_t> input_channels, std::vector<uint32_t> output_channels,
                  uint32_t sample_rate, uint32_t period_frames);

  void add_peer(const PeerSpec& spec);
  void set_sending(const std::string& id, bool enabled);
  /** Returns false when no such peer. */
  bool remove_peer(const std::string& id);

  /** Real-time: the device's callback, once per period. */
  void process(const DevicePeriod& period) override;

  /** Control thread: peers stay alive while it reads their counters. */
  const std::vector<std::unique_ptr<Peer>>& peers() const { return owned_; }
  const SocketCounters& socket_counters() const { return counters_; }

  /** Stops the key thread. Idempotent; peers are dropped. */
  void close();

 private:
  struct PeerList {
    std::vector<Peer*> peers;
  };

  void publish();
  /** Real-time: takes what the socket queued, into the peers' jitter buffers. */
  void receive(const PeerList& list);
  /** Real-time: checks one datagram and hands its audio to its stream's jitter buffer. */
  void accept(uint8_t* data, size_t length, const sockaddr_in& source, bool truncated,
              const PeerList& list);
  /** Real-time: wakes the key thread when `peer` has used up a key derived ahead. */
  void ask_keys_if_used(const Peer& peer);
  void key_loop();
  /** Real-time: sends what process() queued for `peer`, without blocking. */
  void send_queued(Peer& peer);
  Peer* find_by_source(const PeerList& list, const sockaddr_in& source) const;
  uint32_t largest_target(const PeerList& list) const;

  UdpSocket socket_;
  const size_t datagram_budget_;
  std::vector<uint32_t> device_inputs_;
  std::vector<uint32_t> device_outputs_;
  DeviceClock device_clock_{0, 0};
  /** The audio thread's: time the device lost, a step in every compensated stream's fill. */
  LostTimeWatch lost_time_;

  std::vector<std::unique_ptr<Peer>> owned_;
  std::unique_ptr<PeerList> current_;
  std::atomic<PeerList*> published_{nullptr};
  Quiescence key_reader_, audio_reader_;

  SocketCounters counters_;
  /** The audio thread's receive buffers, allocated once. */
  ReceiveBatch received_;
  std::atomic<bool> running_{true};
  WakeSemaphore keys_used_;
  std::atomic<bool> keys_asked_{false};
  std::thread key_thread_;
  std::atomic<uint32_t> latency_frames_{0};
  /** send_queued's batch, allocated once: the audio thread allocates nothing. */
  std::array<mmsghdr, kDatagramBatch> send_messages_{};
  std::array<iovec, kDatagramBatch> send_vectors_{};
};

}  // namespace syfala
