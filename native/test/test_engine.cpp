// Two engines streaming to each other over real loopback UDP, each driven by a clock thread that
// stands in for JACK's callback: the audio and key threads and the lock-free peer list all run
// at once (`make tsan` checks the hand-offs), and what arrives is what was sent.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "engine_rig.hpp"
#include "harness.hpp"

using namespace syfala;
using namespace test::rig;

namespace {

void stream_both_ways(SampleType type, uint32_t redundancy = 0) {
  Rig a, b;
  PeerSpec to_b = peer_to("b", b.engine().port(), type);
  PeerSpec to_a = peer_to("a", a.engine().port(), type);
  to_b.redundancy = to_a.redundancy = redundancy;
  a.engine().add_peer(to_b);
  b.engine().add_peer(to_a);
  std::vector<float> played_a, played_b;
  // Faster than real time: what matters is that every datagram makes it, in any interleaving.
  std::thread clock_a([&] { a.run(400, 200, played_a); });
  std::thread clock_b([&] { b.run(400, 200, played_b); });
  clock_a.join();
  clock_b.join();
  // Clock threads are not real time: some periods re-prime, but nothing is lost or reordered.
  CHECK(signal_frames(played_a) >= 200 * kPeriod);
  CHECK(signal_frames(played_b) >= 200 * kPeriod);
  const Peer& peer = *a.engine().peers()[0];
  // A period and its history fit one datagram; period k repeats min(k, redundancy) periods.
  CHECK_EQ(peer.send[0]->datagrams.load(), uint64_t(400));
  uint64_t periods_sent = 0;
  for (uint64_t k = 0; k < 400; ++k) periods_sent += 1 + std::min<uint64_t>(k, redundancy);
  const uint64_t period_bytes = kPeriod * bytes_per_frame(Format{kRate, kChannels, type});
  CHECK_EQ(peer.send[0]->bytes.load(), periods_sent * period_bytes);
  CHECK_EQ(peer.receive[0]->buffer.stats().lost_bytes.load(), uint64_t(0));
  CHECK_EQ(a.engine().socket_counters().unknown_source.load(), uint64_t(0));
}

}  // namespace

TEST(engine_two_engines_stream_f32_both_ways_over_loopback_sample_for_sample) {
  stream_both_ways(SampleType::F32);
}

TEST(engine_i16_on_the_wire_arrives_as_the_same_f32_samples) {
  stream_both_ways(SampleType::I16);
}

TEST(engine_with_redundancy_sends_every_byte_twice_and_plays_it_once) {
  stream_both_ways(SampleType::F32, 1);
}

TEST(engine_peers_come_and_go_while_the_audio_thread_runs) {
  Rig a, b;
  std::atomic<bool> done{false};
  std::vector<float> played;
  std::thread clock([&] {
    while (!done.load()) {
      played.clear();
      a.run(10, 100, played);
    }
  });
  for (int i = 0; i < 50; ++i) {
    a.engine().add_peer(peer_to("b", b.engine().port(), SampleType::F32));
    a.engine().set_sending("b", i % 2 == 0);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    CHECK(a.engine().remove_peer("b"));
  }
  done.store(true);
  clock.join();
  CHECK(a.engine().peers().empty());
  CHECK(!a.engine().remove_peer("b"));
}

TEST(engine_sends_from_the_callback_a_period_longer_than_its_send_ring_holds_each_byte_once) {
  // One second in one period: more datagrams than the send ring's slots. The callback sends
  // what is queued when the ring fills and goes on: every byte goes out once, none is dropped.
  constexpr uint32_t kLongPeriod = kRate;
  Engine engine(EngineOptions{"127.0.0.1", 0, 1400});
  engine.set_device({kChannels}, {kChannels}, kRate, kLongPeriod);
  UdpSocket capture("127.0.0.1", 0, 8 * 1024 * 1024);
  engine.add_peer(peer_to("capture", capture.port(), SampleType::F32));
  std::vector<std::vector<float>> in(kChannels, std::vector<float>(kLongPeriod, 0.25f));
  std::vector<std::vector<float>> out(kChannels, std::vector<float>(kLongPeriod));
  const std::vector<std::vector<const float*>> inputs = {{in[0].data(), in[1].data()}};
  const std::vector<std::vector<float*>> outputs = {{out[0].data(), out[1].data()}};
  engine.process({&inputs, &outputs, kLongPeriod});
  std::vector<std::pair<uint64_t, uint32_t>> runs;
  ReceiveBatch batch;
  // Sent synchronously: all of it is queued at the socket by now; 0 is the receive's timeout.
  for (int filled; (filled = batch.receive(capture)) > 0;) {
    batch.each(filled, [&](const uint8_t* data, size_t length, const sockaddr_in&, bool) {
      AudioHeader header{};
      REQUIRE(read_audio_header(data, length, header) == DecodeError::None);
      runs.emplace_back(header.byte_index, header.byte_count);
    });
  }
  const uint64_t period_bytes = uint64_t(kLongPeriod) * kChannels * sizeof(float);
  CHECK(runs.size() > engine.peers()[0]->outbound.slots());  // it did fill
  std::sort(runs.begin(), runs.end());
  uint64_t next = 0;
  for (const auto& [index, count] : runs) {
    CHECK_EQ(index, next);
    next = index + count;
  }
  CHECK_EQ(next, period_bytes);
  CHECK_EQ(engine.socket_counters().send_errors.load(), 0u);
}

TEST(engine_sizes_a_peers_datagrams_from_the_route_to_it_fewer_and_larger_over_loopback) {
  // By default (kRouteDatagramBudget) a loopback peer's datagrams are up to 65,507 bytes, not
  // 1,400: a period of 8 chunks (what the packetizer is handed at once) of stereo f32 goes in 8
  // datagrams of a chunk each, not 48.
  constexpr uint32_t kLongPeriod = 8 * kChunkFrames;
  Engine engine(EngineOptions{"127.0.0.1", 0});
  engine.set_device({kChannels}, {kChannels}, kRate, kLongPeriod);
  UdpSocket capture("127.0.0.1", 0, 8 * 1024 * 1024);
  engine.add_peer(peer_to("capture", capture.port(), SampleType::F32));
  sockaddr_in to{};
  REQUIRE(parse_ipv4("127.0.0.1", capture.port(), to));
  const size_t budget = datagram_budget_for_route(route_mtu(to));
  CHECK_EQ(engine.peers()[0]->datagram_budget, budget);
  CHECK(budget > kDefaultDatagramBudgetBytes);  // loopback's MTU is larger than Ethernet's
  std::vector<std::vector<float>> in(kChannels, std::vector<float>(kLongPeriod, 0.25f));
  std::vector<std::vector<float>> out(kChannels, std::vector<float>(kLongPeriod));
  const std::vector<std::vector<const float*>> inputs = {{in[0].data(), in[1].data()}};
  const std::vector<std::vector<float*>> outputs = {{out[0].data(), out[1].data()}};
  engine.process({&inputs, &outputs, kLongPeriod});
  ReceiveBatch batch;
  size_t datagrams = 0, largest = 0;
  uint64_t bytes = 0;
  for (int filled; (filled = batch.receive(capture)) > 0;) {
    batch.each(filled, [&](const uint8_t* data, size_t length, const sockaddr_in&, bool) {
      AudioHeader header{};
      REQUIRE(read_audio_header(data, length, header) == DecodeError::None);
      ++datagrams;
      largest = std::max(largest, length);
      bytes += header.byte_count;
    });
  }
  const size_t chunk_bytes = kChunkFrames * kChannels * sizeof(float);
  CHECK_EQ(bytes, uint64_t(kLongPeriod) * kChannels * sizeof(float));
  CHECK_EQ(datagrams, size_t(8));
  CHECK_EQ(largest, kAudioHeaderBytes + chunk_bytes);
}

TEST(engine_takes_a_datagram_of_any_size_the_protocol_allows_whatever_its_own_budget) {
  // PROTOCOL.md §3: up to 65,507 bytes. A peer that sends larger datagrams than this side does
  // (its route's MTU, or its own setting) is heard; the engine took at most 1,500 bytes before.
  Rig a;  // sends 1,400-byte datagrams
  UdpSocket peer("127.0.0.1", 0, 1 << 20);
  a.engine().add_peer(peer_to("large", peer.port(), SampleType::F32));
  const uint32_t frame_bytes = kChannels * sizeof(float);
  uint64_t sent = 0;
  for (const size_t length : {size_t(9000), kMaxDatagramBytes}) {
    const uint32_t count = uint32_t((length - kAudioHeaderBytes) / frame_bytes * frame_bytes);
    std::vector<uint8_t> datagram(kAudioHeaderBytes + count);
    write_audio_header(datagram.data(), AudioHeader{0, sent, count});
    CHECK(send_datagram(peer, a.engine().port(), datagram.data(), datagram.size()));
    sent += count;
  }
  std::vector<float> played;
  a.run(1, 0, played);
  const SocketCounters& counters = a.engine().socket_counters();
  CHECK_EQ(counters.datagrams_received.load(), uint64_t(2));
  CHECK_EQ(counters.rejected[size_t(DecodeError::TooLarge)].load(), uint64_t(0));
  CHECK_EQ(a.engine().peers()[0]->receive[0]->buffer.stats().received_bytes.load(), sent);
}

TEST(engine_malformed_datagrams_and_strangers_are_counted_never_queued) {
  Rig a;
  UdpSocket stranger("127.0.0.1", 0, 65536);
  const uint8_t garbage[] = {'n', 'o', 't', ' ', 'a', 'u', 'd', 'i', 'o'};
  uint8_t audio[kAudioHeaderBytes + 8] = {};
  write_audio_header(audio, AudioHeader{0, 0, 8});
  CHECK(send_datagram(stranger, a.engine().port(), garbage, sizeof garbage));
  CHECK(send_datagram(stranger, a.engine().port(), audio, sizeof audio));
  const SocketCounters& counters = a.engine().socket_counters();
  std::vector<float> played;
  a.run(1, 0, played);
  CHECK_EQ(counters.datagrams_received.load(), uint64_t(2));
  CHECK_EQ(counters.rejected[size_t(DecodeError::Truncated)].load() +
               counters.rejected[size_t(DecodeError::BadMagic)].load(),
           uint64_t(1));
  CHECK_EQ(counters.unknown_source.load(), uint64_t(1));
}

TEST(engine_takes_datagrams_in_the_period_no_thread_waits_on_the_socket) {
  // A datagram waits in the socket's queue until the next period takes it: nothing is woken
  // for it in between (the CPU a receive thread's wake-ups cost, native/README.md).
  Rig a;
  UdpSocket stranger("127.0.0.1", 0, 65536);
  const uint8_t garbage[] = {'n', 'o', 't', ' ', 'a', 'u', 'd', 'i', 'o'};
  const SocketCounters& counters = a.engine().socket_counters();
  std::vector<float> played;
  for (uint64_t k = 1; k <= 3; ++k) {
    CHECK(send_datagram(stranger, a.engine().port(), garbage, sizeof garbage));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_EQ(counters.datagrams_received.load(), k - 1);
    a.run(1, 0, played);
    CHECK_EQ(counters.datagrams_received.load(), k);
  }
}

TEST(engine_refuses_a_peer_whose_streams_do_not_fit_the_device) {
  Rig a;
  PeerSpec spec = peer_to("x", 9, SampleType::F32);
  spec.send[0].format.sample_rate = 44100;
  CHECK_THROWS(a.engine().add_peer(spec), EngineError);
  CHECK(a.engine().peers().empty());
}

TEST(engine_refuses_a_second_peer_at_an_address_another_peer_holds) {
  Rig a;
  a.engine().add_peer(peer_to("victim", 9, SampleType::F32));
  CHECK_THROWS(a.engine().add_peer(peer_to("victim", 10, SampleType::F32)), EngineError);
  CHECK_THROWS(a.engine().add_peer(peer_to("attacker", 9, SampleType::F32)), EngineError);
  REQUIRE(a.engine().peers().size() == 1u);
  CHECK_EQ(a.engine().peers()[0]->id, std::string("victim"));
  CHECK_EQ(ntohs(a.engine().peers()[0]->address.sin_port), 9);
}
