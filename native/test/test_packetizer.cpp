// StreamPacketizer: the cuts of packages/dataplane/test/packetizer.test.ts and of its vectors
// (packages/dataplane/vectors/packetizer.json: byte indices, counts and copy numbers, AUDI and sealed),
// plus what the C++ interface adds (headers handed over, no copy, no allocation).
#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/packetizer.hpp"
#include "harness.hpp"
#include "json.hpp"

using namespace syfala;

namespace {

struct Sent {
  AudioHeader header;
  std::vector<uint8_t> payload;
  uint8_t copy;
};

/// Bytes 0, 1, 2, … (mod 251) from stream byte `from`: every position is recognisable.
std::vector<uint8_t> pattern(size_t from, size_t count) {
  std::vector<uint8_t> bytes(count);
  for (size_t i = 0; i < count; ++i) bytes[i] = uint8_t((from + i) % 251);
  return bytes;
}

std::vector<Sent> send(StreamPacketizer& p, const std::vector<uint8_t>& payload) {
  std::vector<Sent> sent;
  auto collect = [&](const AudioHeader& h, const uint8_t* run, size_t n, uint8_t copy) {
    CHECK_EQ(size_t(h.byte_count), n);
    sent.push_back({h, std::vector<uint8_t>(run, run + n), copy});
  };
  const size_t count = p.packetize(payload.data(), payload.size(), collect);
  CHECK_EQ(count, sent.size());
  return sent;
}

std::vector<size_t> sizes(const std::vector<Sent>& sent) {
  std::vector<size_t> out;
  for (const Sent& s : sent) out.push_back(s.payload.size());
  return out;
}

std::vector<size_t> list(std::initializer_list<size_t> v) { return v; }

/// Byte ranges [first, end) of the runs sent.
using Runs = std::vector<std::pair<uint64_t, uint64_t>>;
Runs runs(const std::vector<Sent>& sent) {
  Runs out;
  for (const Sent& s : sent) {
    out.emplace_back(s.header.byte_index, s.header.byte_index + s.payload.size());
  }
  return out;
}

}  // namespace

TEST(packetizer_carries_172_frames_per_datagram_for_the_standard_format) {
  StreamPacketizer p(0, 8);
  CHECK_EQ(p.max_payload_bytes(), 172u * 8);
  CHECK(sizes(send(p, pattern(0, 32 * 8))) == list({256}));
  const std::vector<Sent> period512 = send(p, pattern(256, 512 * 8));
  CHECK(sizes(period512) == list({172 * 8, 172 * 8, 168 * 8}));
  CHECK_EQ(period512[0].header.byte_index, 256u);
  CHECK_EQ(period512[1].header.byte_index, 256u + 1376);
  CHECK_EQ(period512[2].header.byte_index, 256u + 2752);
  CHECK_EQ(p.byte_index(), 256u + 512 * 8);
}

TEST(packetizer_hands_over_stream_index_byte_index_and_the_bytes_themselves) {
  StreamPacketizer p(7, 4, kAudioHeaderBytes + 40);
  const std::vector<Sent> sent = send(p, pattern(0, 100));
  REQUIRE(sent.size() == 3);
  for (size_t k = 0; k < 3; ++k) {
    CHECK_EQ(sent[k].header.stream, 7u);
    CHECK_EQ(sent[k].header.byte_index, 40u * k);
    CHECK(sent[k].payload == pattern(40 * k, k < 2 ? 40 : 20));
  }
}

TEST(packetizer_cuts_at_frame_boundaries_when_a_frame_fits) {
  // i24 stereo: 6-byte frames; 20 payload bytes of room hold 3 frames.
  StreamPacketizer p(0, 6, kAudioHeaderBytes + 20);
  CHECK_EQ(p.max_payload_bytes(), 18u);
  CHECK(sizes(send(p, pattern(0, 60))) == list({18, 18, 18, 6}));
}

TEST(packetizer_realigns_to_frame_boundaries_after_a_partial_frame) {
  StreamPacketizer p(0, 6, kAudioHeaderBytes + 20);
  CHECK(sizes(send(p, pattern(0, 4))) == list({4}));
  const std::vector<Sent> sent = send(p, pattern(4, 44));
  CHECK(sizes(sent) == list({14, 18, 12}));
  for (const Sent& s : sent) CHECK_EQ((s.header.byte_index + s.payload.size()) % 6, 0u);
}

TEST(packetizer_cuts_plain_bytes_when_a_frame_is_larger_than_the_budget) {
  // u64 × 8 channels: 64-byte frames, 10 bytes of room.
  StreamPacketizer p(0, 64, kAudioHeaderBytes + 10);
  CHECK_EQ(p.max_payload_bytes(), 10u);
  CHECK(sizes(send(p, pattern(0, 64))) == list({10, 10, 10, 10, 10, 10, 4}));
}

TEST(packetizer_numbers_bytes_across_calls_and_from_0_after_reset) {
  StreamPacketizer p(1, 4);
  send(p, pattern(0, 12));
  CHECK_EQ(send(p, pattern(12, 8))[0].header.byte_index, 12u);
  CHECK_EQ(p.byte_index(), 20u);
  p.reset();
  CHECK_EQ(p.byte_index(), 0u);
  CHECK_EQ(send(p, pattern(0, 8))[0].header.byte_index, 0u);
}

TEST(packetizer_emits_nothing_for_an_empty_period) {
  StreamPacketizer p(0, 1);
  CHECK_EQ(p.packetize(nullptr, 0, [](const AudioHeader&, const uint8_t*, size_t, uint8_t) {
    CHECK(false);
  }), 0u);
}

TEST(packetizer_runs_point_into_the_callers_payload_without_copying) {
  StreamPacketizer p(0, 2, kAudioHeaderBytes + 4);
  const std::vector<uint8_t> payload = pattern(0, 10);
  std::vector<const uint8_t*> runs;
  p.packetize(payload.data(), payload.size(),
              [&](const AudioHeader&, const uint8_t* run, size_t, uint8_t) { runs.push_back(run); });
  const uint8_t* start = payload.data();
  CHECK(runs == (std::vector<const uint8_t*>{start, start + 4, start + 8}));
}

TEST(packetizer_datagrams_decode_back_to_what_was_cut) {
  StreamPacketizer p(3, 12, 200);
  const std::vector<uint8_t> payload = pattern(0, 12 * 40);
  size_t total = 0;
  auto check = [&](const AudioHeader& h, const uint8_t* run, size_t n, uint8_t) {
    uint8_t datagram[200];
    const size_t len = write_audio_datagram(datagram, h, run);
    CHECK(len <= 200);
    AudioHeader back{};
    CHECK_EQ(read_audio_header(datagram, len, back), DecodeError::None);
    CHECK_EQ(back.byte_index, total);
    CHECK_EQ(size_t(back.byte_count), n);
    total += n;
  };
  p.packetize(payload.data(), payload.size(), check);
  CHECK_EQ(total, payload.size());
}

TEST(packetizer_accepts_the_smallest_budget_and_rejects_bad_ones) {
  StreamPacketizer smallest(0, 8, kAudioHeaderBytes + 1);
  CHECK(sizes(send(smallest, pattern(0, 3))) == list({1, 1, 1}));
  CHECK_THROWS(StreamPacketizer(0, 8, kAudioHeaderBytes), std::invalid_argument);
  CHECK_THROWS(StreamPacketizer(0, 8, kMaxDatagramBytes + 1), std::invalid_argument);
  CHECK_THROWS(StreamPacketizer(0, 0), std::invalid_argument);
  StreamPacketizer largest(0, 8, kMaxDatagramBytes);
  CHECK_EQ(largest.max_payload_bytes(), (kMaxAudioPayloadBytes / 8) * 8);
}

TEST(packetizer_allocates_nothing_while_cutting) {
  if (!test::allocations_counted()) return;
  StreamPacketizer p(0, 8, 100);
  const std::vector<uint8_t> payload = pattern(0, 4096);
  const size_t before = test::allocations();
  size_t bytes = 0;
  p.packetize(payload.data(), payload.size(),
              [&](const AudioHeader&, const uint8_t*, size_t n, uint8_t) { bytes += n; });
  CHECK_EQ(test::allocations(), before);
  CHECK_EQ(bytes, payload.size());
}

TEST(packetizer_with_redundancy_starts_each_run_the_previous_periods_early) {
  StreamPacketizer p(2, 8, kDefaultDatagramBudgetBytes, 1, 64 * 8);
  CHECK(runs(send(p, pattern(0, 256))) == (Runs{{0, 256}}));
  CHECK_EQ(p.history_bytes(), 256u);
  const std::vector<Sent> second = send(p, pattern(256, 256));
  CHECK(runs(second) == (Runs{{0, 512}}));
  CHECK(second[0].payload == pattern(0, 512));
  CHECK(runs(send(p, pattern(512, 256))) == (Runs{{256, 768}}));
  CHECK_EQ(p.byte_index(), 768u);
}

TEST(packetizer_with_redundancy_cuts_a_long_run_at_the_budget_from_its_first_byte) {
  StreamPacketizer p(0, 8, kAudioHeaderBytes + 400, 2, 512);
  send(p, pattern(0, 512));
  send(p, pattern(512, 512));
  const std::vector<Sent> third = send(p, pattern(1024, 512));
  CHECK(runs(third) == (Runs{{0, 400}, {400, 800}, {800, 1200}, {1200, 1536}}));
  // Copy numbers: how many periods back each first byte was first sent.
  std::vector<int> copies;
  for (const Sent& s : third) copies.push_back(s.copy);
  CHECK(copies == (std::vector<int>{2, 2, 1, 0}));
}

TEST(packetizer_copy_numbers_make_stream_first_byte_and_copy_unique_as_nonces_need) {
  // Periods of uneven length, runs cut small: (first byte, copy) never repeats within a run of
  // the stream, and each copy is the periods between the datagram's and its first byte's.
  StreamPacketizer p(0, 4, kAudioHeaderBytes + 24, 3, 200);
  std::vector<uint64_t> period_start;  // first byte of each period
  std::vector<std::pair<uint64_t, int>> seen;
  uint64_t at = 0;
  for (size_t period = 0; period < 40; ++period) {
    const size_t len = 4 * (1 + (period * 7) % 37);
    period_start.push_back(at);
    for (const Sent& s : send(p, pattern(at, len))) {
      const auto first = std::upper_bound(period_start.begin(), period_start.end(),
                                          s.header.byte_index) - period_start.begin() - 1;
      CHECK_EQ(int(s.copy), int(period - size_t(first)));
      seen.emplace_back(s.header.byte_index, s.copy);
    }
    at += len;
  }
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.size() > 100u);
}

TEST(packetizer_without_redundancy_numbers_every_copy_0) {
  StreamPacketizer p(0, 8, kAudioHeaderBytes + 80);
  for (const Sent& s : send(p, pattern(0, 800))) CHECK_EQ(int(s.copy), 0);
}

TEST(packetizer_with_redundancy_forgets_empty_periods_and_everything_at_reset) {
  StreamPacketizer p(0, 8, kDefaultDatagramBudgetBytes, 1, 512);
  send(p, pattern(0, 256));
  CHECK_EQ(p.packetize(nullptr, 0, [](const AudioHeader&, const uint8_t*, size_t, uint8_t) {
    CHECK(false);
  }), 0u);
  CHECK(runs(send(p, pattern(256, 8))) == (Runs{{0, 264}}));
  p.reset();
  CHECK_EQ(p.history_bytes(), 0u);
  CHECK(runs(send(p, pattern(0, 8))) == (Runs{{0, 8}}));
}

TEST(packetizer_with_redundancy_sends_every_byte_redundancy_plus_one_times) {
  // Frames of 1 to 24 bytes, budgets from 1 payload byte up, periods of varied lengths.
  const size_t frame_sizes[] = {1, 3, 8, 24};
  const size_t rooms[] = {1, 7, 40, 1376};
  const size_t period_frames[] = {5, 0, 32, 1, 17, 32, 9, 3};
  for (uint32_t redundancy = 0; redundancy <= kMaxRedundancyPeriods; ++redundancy) {
    for (size_t bpf : frame_sizes) {
      for (size_t room : rooms) {
        StreamPacketizer p(0, bpf, kAudioHeaderBytes + room, redundancy, 32 * bpf);
        std::vector<int> copies;
        std::vector<uint64_t> ends;
        for (size_t frames : period_frames) {
          const uint64_t from = p.byte_index();
          uint64_t next = from - p.history_bytes();
          for (const Sent& s : send(p, pattern(from, frames * bpf))) {
            CHECK_EQ(s.header.byte_index, next);
            CHECK(s.payload.size() <= room);
            CHECK(s.payload == pattern(next, s.payload.size()));
            copies.resize(std::max<size_t>(copies.size(), next + s.payload.size()));
            for (size_t b = next; b < next + s.payload.size(); ++b) ++copies[b];
            next += s.payload.size();
          }
          if (frames > 0) {
            CHECK_EQ(next, p.byte_index());
            ends.push_back(next);
          }
        }
        // A byte of the k-th last period has been sent min(k, redundancy + 1) times so far.
        for (size_t k = 1; k <= ends.size(); ++k) {
          const uint64_t end = ends[ends.size() - k];
          const uint64_t start = k < ends.size() ? ends[ends.size() - k - 1] : 0;
          const int expected = int(std::min<size_t>(k, redundancy + 1));
          for (uint64_t b = start; b < end; ++b) CHECK_EQ(copies[b], expected);
        }
      }
    }
  }
}

TEST(packetizer_with_redundancy_rejects_bad_settings_and_oversized_periods) {
  CHECK_THROWS(StreamPacketizer(0, 8, 1400, kMaxRedundancyPeriods + 1, 512),
               std::invalid_argument);
  CHECK_THROWS(StreamPacketizer(0, 8, 1400, 1, 0), std::invalid_argument);
  StreamPacketizer p(0, 8, 1400, 1, 16);
  const std::vector<uint8_t> big = pattern(0, 17);
  CHECK_THROWS(p.packetize(big.data(), big.size(),
                           [](const AudioHeader&, const uint8_t*, size_t, uint8_t) { CHECK(false); }),
               std::length_error);
  CHECK_EQ(p.byte_index(), 0u);
}

TEST(packetizer_with_redundancy_allocates_nothing_while_cutting) {
  if (!test::allocations_counted()) return;
  StreamPacketizer p(0, 8, 100, 3, 1024);
  const std::vector<uint8_t> payload = pattern(0, 1024);
  const size_t before = test::allocations();
  size_t bytes = 0;
  for (int period = 0; period < 6; ++period) {
    p.packetize(payload.data(), payload.size(),
                [&](const AudioHeader&, const uint8_t*, size_t n, uint8_t) { bytes += n; });
  }
  CHECK_EQ(test::allocations(), before);
  CHECK_EQ(bytes, 1024u * (1 + 2 + 3 + 4 + 4 + 4));
}

TEST(packetizer_cuts_every_vector_scenario_as_the_ts_does_copies_and_sealed_budgets_included) {
  const test::Json vectors =
      test::Json::parse_file(test::repo_path("packages/dataplane/vectors/packetizer.json"));
  size_t datagrams = 0, sealed_scenarios = 0, copies = 0;
  for (const test::Json& scenario : vectors["scenarios"].items()) {
    SCOPE(scenario["name"].str());
    const bool sealed = scenario["sealed"].boolean();
    sealed_scenarios += sealed;
    // Sealing adds its header and tag within the datagram's budget: the runs are that much shorter.
    const size_t budget =
        scenario["datagramBudgetBytes"].u64() - (sealed ? kSealOverheadBytes : 0);
    StreamPacketizer p(0, scenario["bytesPerFrame"].u64(), budget,
                       uint32_t(scenario["redundancy"].u64()), scenario["maxPeriodBytes"].u64());
    uint64_t at = 0;
    for (const test::Json& period : scenario["periods"].items()) {
      const std::vector<Sent> sent = send(p, pattern(at, period["bytes"].u64()));
      at += period["bytes"].u64();
      REQUIRE(sent.size() == period["datagrams"].size());
      for (size_t k = 0; k < sent.size(); ++k) {
        const test::Json& expected = period["datagrams"][k];
        CHECK_EQ(sent[k].header.byte_index, expected[0].u64());
        CHECK_EQ(uint64_t(sent[k].header.byte_count), expected[1].u64());
        CHECK_EQ(uint64_t(sent[k].copy), expected[2].u64());
        const size_t overhead = sealed ? kSealedHeaderBytes + kSealedTagBytes : kAudioHeaderBytes;
        CHECK_EQ(uint64_t(overhead + sent[k].header.byte_count), expected[3].u64());
        copies += sent[k].copy > 0;
        ++datagrams;
      }
    }
  }
  CHECK(datagrams > 50u);
  CHECK(sealed_scenarios > 0u);
  CHECK(copies > 0u);
}
