// The engine's receive path with concealment: one engine gets the same lossy stream over loopback
// UDP from two peers, one with 'fade' concealment and one with 'silence', each into its own device
// stream. The fade stream must be what a JitterBuffer and a LossConcealer give offline (the pair
// test_loss_concealer.cpp holds to the TS), bit for bit; the silence stream keeps the zeros.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/sample_convert.hpp"
#include "engine/engine.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

constexpr uint32_t kRate = 48000;
constexpr uint32_t kPeriod = 64;
constexpr uint32_t kChannels = 2;
constexpr size_t kTarget = 2 * kPeriod;
const Format kFormat{kRate, kChannels, SampleType::F32};
constexpr double kTwoPi = 6.283185307179586;

/** One period of a 220 Hz note, a little softer on the second channel, interleaved f32. */
std::vector<float> note_period(uint64_t period) {
  std::vector<float> samples(kPeriod * kChannels);
  for (uint32_t f = 0; f < kPeriod; ++f) {
    const double t = kTwoPi * 220 * double(period * kPeriod + f) / kRate;
    for (uint32_t c = 0; c < kChannels; ++c) {
      samples[f * kChannels + c] = float(0.5 * std::sin(t) * (1 - 0.2 * c));
    }
  }
  return samples;
}

/** Sends AUDI datagrams to the engine from one socket, as a peer would. */
class Sender {
 public:
  explicit Sender(uint16_t engine_port) : socket_("127.0.0.1", 0, 1 << 20) {
    REQUIRE(parse_ipv4("127.0.0.1", engine_port, to_));
  }

  uint16_t port() const { return socket_.port(); }

  void send(const AudioHeader& header, const uint8_t* payload) {
    std::vector<uint8_t> datagram(kAudioHeaderBytes + header.byte_count);
    write_audio_header(datagram.data(), header);
    std::memcpy(datagram.data() + kAudioHeaderBytes, payload, header.byte_count);
    iovec v{datagram.data(), datagram.size()};
    mmsghdr m{};
    m.msg_hdr.msg_name = &to_;
    m.msg_hdr.msg_namelen = sizeof to_;
    m.msg_hdr.msg_iov = &v;
    m.msg_hdr.msg_iovlen = 1;
    REQUIRE(socket_.send_batch(&m, 1) == 0);
  }

 private:
  UdpSocket socket_;
  sockaddr_in to_{};
};

PeerSpec receiving_peer(const std::string& id, uint16_t port, uint32_t device,
                        ConcealmentMode concealment) {
  PeerSpec spec{id, "127.0.0.1", port, {}, {{device, 0, kFormat}}, kTarget, false};
  spec.concealment = concealment;
  return spec;
}

}  // namespace

TEST(engine_conceals_a_fade_peers_gaps_as_the_concealer_does_and_a_silence_peers_not) {
  Engine engine(EngineOptions{"127.0.0.1", 0, 1400});
  engine.set_device({}, {kChannels, kChannels}, kRate, kPeriod);
  Sender fade_sender(engine.port()), silence_sender(engine.port());
  engine.add_peer(receiving_peer("fade", fade_sender.port(), 0, ConcealmentMode::Fade));
  engine.add_peer(receiving_peer("silence", silence_sender.port(), 1, ConcealmentMode::Silence));

  // The offline twin of the fade peer's route (its capacity only matters for overruns: none).
  JitterBuffer buffer(kFormat, 16 * kPeriod, kTarget);
  LossConcealer concealer(kChannels, kRate);
  std::vector<uint8_t> wire(kPeriod * bytes_per_frame(kFormat));
  std::vector<uint8_t> missing(kPeriod);
  std::vector<float> expected(kPeriod * kChannels);

  std::vector<std::vector<float>> planes(2 * kChannels, std::vector<float>(kPeriod));
  const std::vector<std::vector<const float*>> inputs;
  const std::vector<std::vector<float*>> outputs = {{planes[0].data(), planes[1].data()},
                                                    {planes[2].data(), planes[3].data()}};
  const size_t period_bytes = wire.size();
  uint64_t sent = 0;
  size_t allocations = 0;
  bool concealed_audibly = false;
  for (uint64_t p = 0; p < 80 && test::failures() == 0; ++p) {
    SCOPE("period " + std::to_string(p));
    std::vector<uint8_t> bytes(period_bytes);
    encode_samples(SampleType::F32, note_period(p).data(), kPeriod * kChannels, bytes.data());
    // A lost period, the first half of one, and two in a row (an underrun).
    const bool lost = p == 20 || p == 40 || p == 41;
    const size_t first = p == 30 ? period_bytes / 2 : 0;
    if (!lost) {
      const AudioHeader header{0, p * period_bytes + first, uint32_t(period_bytes - first)};
      fade_sender.send(header, bytes.data() + first);
      silence_sender.send(header, bytes.data() + first);
      buffer.push(header.byte_index, bytes.data() + first, header.byte_count);
      sent += 2;
    }
    for (std::vector<float>& plane : planes) std::fill(plane.begin(), plane.end(), 0.0f);
    const size_t before = test::allocations();
    engine.process({&inputs, &outputs, kPeriod});
    allocations += test::allocations() - before;
    // Loopback delivered the period's datagrams within their send; the period took them all.
    REQUIRE(engine.socket_counters().datagrams_received.load() == sent);

    const PullResult& pulled = buffer.pull(wire.data(), kPeriod, missing.data());
    std::vector<float> plain(kPeriod * kChannels);
    decode_samples(SampleType::F32, wire.data(), plain.size(), plain.data());
    expected = plain;
    concealer.conceal(expected.data(), kPeriod, pulled, missing.data());
    for (uint32_t f = 0; f < kPeriod; ++f) {
      for (uint32_t c = 0; c < kChannels; ++c) {
        // The engine adds into zeroed planes: 0 + x, as here.
        const float want_fade = 0.0f + expected[f * kChannels + c];
        const float want_silence = 0.0f + plain[f * kChannels + c];
        CHECK(std::memcmp(&planes[c][f], &want_fade, sizeof(float)) == 0);
        CHECK(std::memcmp(&planes[kChannels + c][f], &want_silence, sizeof(float)) == 0);
        if (missing[f] == 1 && planes[c][f] != 0.0f) concealed_audibly = true;
      }
    }
  }
  CHECK(concealed_audibly);
  if (test::allocations_counted()) CHECK_EQ(allocations, 0u);
  const ReceiveRoute& fade_route = *engine.peers()[0]->receive[0];
  const ReceiveRoute& silence_route = *engine.peers()[1]->receive[0];
  CHECK(fade_route.concealer != nullptr);
  CHECK(silence_route.concealer == nullptr);
  CHECK_EQ(fade_route.concealer->gaps(), concealer.gaps());
  CHECK(concealer.gaps() >= 3);
  CHECK_EQ(fade_route.buffer.stats().underruns.load(), 1u);
  CHECK_EQ(silence_route.buffer.stats().lost_frames(), fade_route.buffer.stats().lost_frames());
}
