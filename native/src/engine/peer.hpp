#pragma once
// A peer the engine streams with: its address, the streams each way, and the ring that holds what
// the real-time callback packetized until it sends it.
#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../core/audio_security.hpp"
#include "../core/drift_compensated_stream.hpp"
#include "../core/drift_resampler.hpp"
#include "../core/format.hpp"
#include "../core/jitter_buffer.hpp"
#include "../core/latency_adapter.hpp"
#include "../core/loss_concealer.hpp"
#include "../core/packetizer.hpp"
#include "../core/peak_meter.hpp"
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
  /**
   * Resample each received stream so the jitter buffer's fill holds at the target however the
   * peer's clock drifts from the device's (DriftCompensatedStream): an underrun is concealed and
   * the playhead moves on, nothing slips. Needed for a wire rate other than the device's (the
   * same resampler converts it; sent streams go through a RateConverter). Off: slips and
   * rebuffers, but bit-exact.
   */
  bool drift_compensation = false;
  /**
   * Let the measured arrival jitter set each received stream's target (LatencyAdapter), from
   * target_latency_frames on. Needs drift_compensation (a played-straight buffer would only
   * reach a raised target at its next underrun).
   */
  bool adaptive_latency = false;
  /**
   * Seal every datagram sent to this peer and accept only sealed ones from it (AUDE,
   * docs/SECURITY.md); absent: clear AUDI both ways.
   */
  std::optional<AudioSecurity> security = std::nullopt;
};

/** What the device is, for building a peer's routes: its nominal rate and its period. */
struct DeviceClock {
  uint32_t sample_rate;
  uint32_t period_frames;
};

/** Datagrams handed to one send_batch call (a power of two): a send ring's most slots. */
constexpr unsigned kDatagramBatch = 64;

/** Frames converted per pass: bounds scratch memory whatever JACK's period is. */
constexpr size_t kChunkFrames = 1024;

struct SendRoute {
  SendRoute(const StreamRoute& route, size_t datagram_budget, uint32_t redundancy,
            const DeviceClock& device);
  const StreamRoute route;
  StreamPacketizer packetizer;
  std::vector<uint8_t> wire;            // one chunk in wire format
  std::vector<const float*> planes;     // the device planes, offset to the chunk
  /** With a wire rate other than the device's: device frames in, wire frames out; else null. */
  std::unique_ptr<RateConverter> converter;
  std::vector<float> interleaved;  // one chunk at the device rate (converter only)
  std::vector<float> converted;    // what it makes at the wire rate (converter only)
  /** Meters what is sent, at the wire rate. */
  PeakMeter meter;
  std::atomic<uint64_t> datagrams{0};
  std::atomic<uint64_t> bytes{0};
};

struct ReceiveRoute {
  ReceiveRoute(const StreamRoute& route, const PeerSpec& spec, const DeviceClock& device);
  const StreamRoute route;
  const size_t frame_bytes;
  JitterBuffer buffer;
  std::vector<uint8_t> wire;
  std::vector<float*> planes;
  /**
   * With Fade: conceals each chunk, decoded into `samples` first; null with Silence. With drift
   * compensation it conceals inside the stream, before resampling.
   */
  std::unique_ptr<LossConcealer> concealer;
  /** With drift compensation: pulls from `buffer`, resampled to the device's clock. */
  std::unique_ptr<DriftCompensatedStream> compensated;
  /** Measures the arrival jitter (stats); with adaptive latency its target becomes the buffer's. */
  std::unique_ptr<LatencyAdapter> adapter;
  const bool adaptive;
  std::vector<float> samples;    // one chunk, interleaved f32, as it plays
  std::vector<uint8_t> missing;  // the chunk's missing-frame mask (Fade, played straight)
  /** Stream frames per device frame at the nominal rates, and the stream frames played so far
   *  (the adapter's clock, which counts whole frames). */
  const double nominal_ratio;
  double stream_position = 0;
  uint64_t stream_frames_counted = 0;
  /** The audio thread's estimates, published for stats() (only it stores them). */
  std::atomic<double> drift_ppm{0};
  std::atomic<double> resample_ratio;
  std::atomic<double> jitter_frames{0};
  /** Meters what plays (after concealment), at the device's rate. */
  PeakMeter meter;
  /** Sealed audio: the stream's replay window (the audio thread's alone). */
  ReplayWindow replay;
};

struct Peer {
  Peer(const PeerSpec& spec, const sockaddr_in& address, size_t datagram_budget,
       const DeviceClock& device);

  const std::string id;
  const sockaddr_in address;
  /** The largest datagram sent to it, header included: a slot of `outbound`. */
  const size_t datagram_budget;
  std::vector<std::unique_ptr<SendRoute>> send;
  std::vector<std::unique_ptr<ReceiveRoute>> receive;
  std::atomic<bool> sending;
  /** What the real-time callback packetized, until it sends it (when full, and each period). */
  DatagramRing outbound;
  /** With security: seals what the audio thread sends, opens what it receives. */
  std::unique_ptr<AudioSealer> sealer;
  std::unique_ptr<AudioOpener> opener;
  /** Datagrams refused as not authentic (forged, clear, a key id ahead) or as replays. */
  std::atomic<uint64_t> auth_failed{0};
  std::atomic<uint64_t> replayed{0};

  ReceiveRoute* receive_route(uint32_t wire_stream) const;
};

}  // namespace syfala
