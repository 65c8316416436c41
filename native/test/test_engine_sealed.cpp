// Encrypted audio through the engine over real loopback UDP (docs/SECURITY.md §3–§4): two engines
// stream sealed both ways, sample for sample, across key rotations with redundancy; clear audio
// from an encrypted peer (authFailed), and sealed from a clear one (an unknown tag, as the TS
// engine counts it), are refused and counted; forged, replayed
// and out-of-window datagrams from a peer's own address never reach the jitter buffer.
#include <thread>
#include <vector>

#include "engine_rig.hpp"
#include "harness.hpp"

using namespace syfala;
using namespace test::rig;

namespace {

AudioKey filled(uint8_t value) {
  AudioKey key;
  key.fill(value);
  return key;
}

const AudioKey kClientToServer = filled(0xc2);
const AudioKey kServerToClient = filled(0x2c);
constexpr uint32_t kFirstKeyId = 3 * kKeyIdsPerRun;  // the connection's fourth I/O run

AudioSecurity client_security(uint64_t rotate_after) {
  return {AudioDirection::ClientToServer, kClientToServer, kServerToClient, kFirstKeyId,
          rotate_after};
}

AudioSecurity server_security(uint64_t rotate_after) {
  return {AudioDirection::ServerToClient, kServerToClient, kClientToServer, kFirstKeyId,
          rotate_after};
}

/** Streams `periods` periods each way at once, recording what each side plays. */
void run_both(Rig& a, Rig& b, uint32_t periods, std::vector<float>& played_a,
              std::vector<float>& played_b) {
  std::thread clock_a([&] { a.run(periods, 200, played_a); });
  std::thread clock_b([&] { b.run(periods, 200, played_b); });
  clock_a.join();
  clock_b.join();
  // Each takes, in one more period with sending off, what the other sent in its last ones.
  a.engine().set_sending("b", false);
  b.engine().set_sending("a", false);
  a.run(1, 0, played_a);
  b.run(1, 0, played_b);
}

/**
 * Two engines with datagram budget `budget` stream sealed both ways with `redundancy`, a period and
 * its history in one datagram, across key rotations: sample for sample, nothing refused.
 */
void sealed_both_ways(size_t budget, uint32_t redundancy) {
  constexpr uint64_t kRotateAfter = 25;
  constexpr uint32_t kPeriods = 400;
  Rig a(budget), b(budget);
  PeerSpec to_b = peer_to("b", b.engine().port(), SampleType::F32);
  PeerSpec to_a = peer_to("a", a.engine().port(), SampleType::F32);
  to_b.redundancy = to_a.redundancy = redundancy;
  to_b.security = client_security(kRotateAfter);
  to_a.security = server_security(kRotateAfter);
  a.engine().add_peer(to_b);
  b.engine().add_peer(to_a);
  std::vector<float> played_a, played_b;
  run_both(a, b, kPeriods, played_a, played_b);
  CHECK(signal_frames(played_a) >= 200 * kPeriod);
  CHECK(signal_frames(played_b) >= 200 * kPeriod);
  const Peer& b_at_a = *a.engine().peers()[0];
  const Peer& a_at_b = *b.engine().peers()[0];
  // One datagram a period, 16 keys each way.
  CHECK_EQ(b_at_a.send[0]->datagrams.load(), uint64_t(kPeriods));
  const uint32_t last_key = kFirstKeyId + (kPeriods - 1) / kRotateAfter;
  CHECK_EQ(b_at_a.sealer->key_id(), last_key);
  CHECK_EQ(a_at_b.sealer->key_id(), last_key);
  CHECK_EQ(a_at_b.opener->key_id(), last_key);
  CHECK_EQ(b_at_a.opener->key_id(), last_key);
  for (const Peer* peer : {&b_at_a, &a_at_b}) {
    CHECK_EQ(peer->auth_failed.load(), 0u);
    CHECK_EQ(peer->replayed.load(), 0u);
    CHECK_EQ(peer->receive[0]->buffer.stats().lost_bytes.load(), 0u);
  }
}

}  // namespace

TEST(engine_sealed_streams_both_ways_sample_for_sample_across_key_rotations_with_redundancy) {
  sealed_both_ways(kDefaultDatagramBudgetBytes, 1);
}

TEST(engine_sealed_datagrams_larger_than_ethernet_carries_open_over_loopback_sample_for_sample) {
  // Over loopback each side's datagrams may be up to 65,507 bytes: a 64-frame stereo f32 period
  // and its 3 periods of history are one 2,096-byte sealed datagram (two at 1,400 bytes).
  sealed_both_ways(kRouteDatagramBudget, 3);
}

TEST(engine_refuses_clear_audio_from_an_encrypted_peer_and_sealed_audio_from_a_clear_one) {
  constexpr uint32_t kPeriods = 100;
  Rig a, b;
  PeerSpec to_b = peer_to("b", b.engine().port(), SampleType::F32);
  to_b.security = client_security(kRotateAfterDatagrams);
  a.engine().add_peer(to_b);
  b.engine().add_peer(peer_to("a", a.engine().port(), SampleType::F32));
  std::vector<float> played_a, played_b;
  run_both(a, b, kPeriods, played_a, played_b);
  const Peer& b_at_a = *a.engine().peers()[0];
  const Peer& a_at_b = *b.engine().peers()[0];
  CHECK_EQ(b_at_a.auth_failed.load(), kPeriods);
  // A clear peer's reader knows no AUDE: an unknown tag, as the TS engine counts it.
  const auto& b_rejected = b.engine().socket_counters().rejected[size_t(DecodeError::UnknownTag)];
  CHECK_EQ(b_rejected.load(), kPeriods);
  CHECK_EQ(a_at_b.auth_failed.load(), 0u);
  CHECK_EQ(signal_frames(played_a), 0u);
  CHECK_EQ(signal_frames(played_b), 0u);
  CHECK_EQ(b_at_a.receive[0]->buffer.stats().datagrams.load(), 0u);
  CHECK_EQ(a_at_b.receive[0]->buffer.stats().datagrams.load(), 0u);
}

TEST(engine_plays_only_authentic_datagrams_from_a_peers_own_address_and_counts_the_rest) {
  Rig engine;
  UdpSocket peer("127.0.0.1", 0, 1 << 20);
  PeerSpec spec = peer_to("peer", peer.port(), SampleType::F32);
  spec.sending = false;
  spec.security = server_security(kRotateAfterDatagrams);
  engine.engine().add_peer(spec);
  const uint16_t port = engine.engine().port();
  // The peer's side, from its own address: six periods under three keys (two datagrams each).
  AudioSealer sealer(kClientToServer, AudioDirection::ClientToServer, kFirstKeyId, 2);
  const size_t period_bytes = kPeriod * kChannels * sizeof(float);
  std::vector<uint8_t> run(period_bytes, 0x3c);
  std::vector<std::vector<uint8_t>> sent;
  for (uint64_t k = 0; k < 6; ++k) {
    std::vector<uint8_t> d(kSealedHeaderBytes + period_bytes + kSealedTagBytes);
    REQUIRE(sealer.seal(d.data(), AudioHeader{0, k * period_bytes, uint32_t(period_bytes)}, 0,
                        run.data()) == d.size());
    REQUIRE(send_datagram(peer, port, d.data(), d.size()));
    sent.push_back(d);
  }
  const Peer& p = *engine.engine().peers()[0];
  std::vector<float> played;
  engine.run(1, 0, played);  // takes what the socket queued
  CHECK_EQ(p.opener->key_id(), kFirstKeyId + 2);
  // Replayed under a retired key; tampered; a key id two ahead; clear AUDI: none is authentic.
  REQUIRE(send_datagram(peer, port, sent[0].data(), sent[0].size()));
  std::vector<uint8_t> tampered = sent[5];
  tampered[kSealedHeaderBytes + 9] ^= 0x20;
  REQUIRE(send_datagram(peer, port, tampered.data(), tampered.size()));
  AudioSealer ahead(kClientToServer, AudioDirection::ClientToServer, kFirstKeyId + 4, 2);
  std::vector<uint8_t> future(sent[5].size());
  ahead.seal(future.data(), AudioHeader{0, 6 * period_bytes, uint32_t(period_bytes)}, 0,
             run.data());
  REQUIRE(send_datagram(peer, port, future.data(), future.size()));
  std::vector<uint8_t> clear(kAudioHeaderBytes + period_bytes);
  write_audio_datagram(clear.data(), AudioHeader{0, 6 * period_bytes, uint32_t(period_bytes)},
                       run.data());
  REQUIRE(send_datagram(peer, port, clear.data(), clear.size()));
  engine.run(1, 0, played);
  CHECK_EQ(p.replayed.load(), 1u);
  CHECK_EQ(p.auth_failed.load(), 3u);
  // What the audio thread took is the six authentic periods, nothing else.
  const JitterStatsSnapshot stats = p.receive[0]->buffer.stats().snapshot();
  CHECK_EQ(stats.datagrams, 6u);
  CHECK_EQ(stats.received_bytes, 6 * period_bytes);
  CHECK_EQ(stats.duplicate, 0u);
}

TEST(engine_refuses_sealed_audio_when_the_datagram_budget_leaves_no_room) {
  Engine small(EngineOptions{"127.0.0.1", 0, kAudioHeaderBytes + kSealOverheadBytes});
  small.set_device({kChannels}, {kChannels}, kRate, kPeriod);
  PeerSpec spec = peer_to("x", 9, SampleType::F32);
  spec.security = client_security(kRotateAfterDatagrams);
  CHECK_THROWS(small.add_peer(spec), EngineError);
  spec.security->rotate_after_datagrams = 0;
  Rig rig;
  CHECK_THROWS(rig.engine().add_peer(spec), EngineError);
}

TEST(engine_audio_thread_seals_a_period_without_allocating) {
  if (!test::allocations_counted()) return;  // ASan: its own allocator
  Engine engine(EngineOptions{"127.0.0.1", 0, 1400});
  engine.set_device({kChannels}, {kChannels}, kRate, kPeriod);
  UdpSocket capture("127.0.0.1", 0, 1 << 20);
  PeerSpec spec = peer_to("capture", capture.port(), SampleType::F32);
  spec.redundancy = 2;
  spec.security = client_security(kRotateAfterDatagrams);
  engine.add_peer(spec);
  std::vector<std::vector<float>> in(kChannels, std::vector<float>(kPeriod, 0.5f));
  std::vector<std::vector<float>> out(kChannels, std::vector<float>(kPeriod));
  const std::vector<std::vector<const float*>> inputs = {{in[0].data(), in[1].data()}};
  const std::vector<std::vector<float*>> outputs = {{out[0].data(), out[1].data()}};
  const size_t before = test::allocations();
  for (int p = 0; p < 20; ++p) engine.process({&inputs, &outputs, kPeriod});
  CHECK_EQ(test::allocations(), before);
  std::vector<uint8_t> datagram(2048);
  const ssize_t length = ::recv(capture.fd(), datagram.data(), datagram.size(), MSG_DONTWAIT);
  SealedHeader header{};
  REQUIRE(length > 0);
  CHECK(read_sealed_header(datagram.data(), size_t(length), header) == DecodeError::None);
  CHECK_EQ(header.key_id, kFirstKeyId);
}
