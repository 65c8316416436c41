// Engines on real loopback UDP, each with a device of one stereo stream each way clocked by a
// thread that stands in for JACK's callback, and the signal they play (test_engine*.cpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine.hpp"

namespace test::rig {

using namespace syfala;

constexpr uint32_t kRate = 48000;
constexpr uint32_t kPeriod = 64;
constexpr uint32_t kChannels = 2;

/** Sample n of channel c of the test signal: multiples of 2^-11, so exact in f32 and i16. */
inline float signal_at(uint64_t n, uint32_t c) {
  return float(int((n * 7 + c * 13) % 2000) - 1000) / 2048.0f + 1.0f / 64.0f;
}

/**
 * One engine with a device of one stereo stream each way, clocked by its own thread; its datagrams
 * are 1,400 bytes at most unless it is given another budget (kRouteDatagramBudget included).
 */
class Rig {
 public:
  explicit Rig(size_t datagram_budget = kDefaultDatagramBudgetBytes)
      : engine_(EngineOptions{"127.0.0.1", 0, datagram_budget}) {
    engine_.set_device({kChannels}, {kChannels}, kRate, kPeriod);
    in_.assign(kChannels, std::vector<float>(kPeriod));
    out_.assign(kChannels, std::vector<float>(kPeriod));
    for (uint32_t c = 0; c < kChannels; ++c) {
      in_planes_.push_back({in_[c].data()});
      out_planes_.push_back({out_[c].data()});
    }
    inputs_ = {{in_planes_[0][0], in_planes_[1][0]}};
    outputs_ = {{out_planes_[0][0], out_planes_[1][0]}};
  }

  Engine& engine() { return engine_; }

  /** Runs `periods` periods, one every `period_us`, recording channel 0 of what is played. */
  void run(uint32_t periods, int period_us, std::vector<float>& played) {
    for (uint32_t p = 0; p < periods; ++p) {
      for (uint32_t c = 0; c < kChannels; ++c) {
        for (uint32_t i = 0; i < kPeriod; ++i) in_[c][i] = signal_at(frame_ + i, c);
        std::memset(out_[c].data(), 0, kPeriod * sizeof(float));
      }
      engine_.process({&inputs_, &outputs_, kPeriod});
      played.insert(played.end(), out_[0].begin(), out_[0].end());
      frame_ += kPeriod;
      std::this_thread::sleep_for(std::chrono::microseconds(period_us));
    }
  }

 private:
  Engine engine_;
  std::vector<std::vector<float>> in_, out_;
  std::vector<std::vector<float*>> in_planes_, out_planes_;
  std::vector<std::vector<const float*>> inputs_;
  std::vector<std::vector<float*>> outputs_;
  uint64_t frame_ = 0;
};

inline PeerSpec peer_to(const std::string& id, uint16_t port, SampleType type) {
  const Format format{kRate, kChannels, type};
  return PeerSpec{id, "127.0.0.1", port, {{0, 0, format}}, {{0, 0, format}}, kPeriod * 4, true};
}

/**
 * Frames of the signal `played` (channel 0) holds in order, from its start, once the periods of
 * silence are left out: priming and underruns play whole periods of silence and lose nothing.
 */
inline size_t signal_frames(const std::vector<float>& played) {
  size_t n = 0;
  for (size_t period = 0; period + kPeriod <= played.size(); period += kPeriod) {
    const auto begin = played.begin() + long(period);
    if (std::all_of(begin, begin + kPeriod, [](float x) { return x == 0.0f; })) continue;
    for (size_t i = 0; i < kPeriod; ++i, ++n) {
      if (played[period + i] != signal_at(n, 0)) return n;
    }
  }
  return n;
}

/** Sends one datagram from `socket` to 127.0.0.1:`port`; false if the kernel refused it. */
inline bool send_datagram(UdpSocket& socket, uint16_t port, const uint8_t* data, size_t size) {
  sockaddr_in to;
  if (!parse_ipv4("127.0.0.1", port, to)) return false;
  iovec v{const_cast<uint8_t*>(data), size};
  mmsghdr m{};
  m.msg_hdr.msg_name = &to;
  m.msg_hdr.msg_namelen = sizeof to;
  m.msg_hdr.msg_iov = &v;
  m.msg_hdr.msg_iovlen = 1;
  return socket.send_batch(&m, 1) == 0;
}

}  // namespace test::rig
