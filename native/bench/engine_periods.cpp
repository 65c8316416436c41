// What a period of the native engine costs at 64 channels of f32 and 64-frame periods, clear
// and sealed (docs/SECURITY.md), with the CLI's JACK defaults (drift compensation, the adaptive
// target, fade concealment): two engines stream both ways over real loopback UDP, one thread
// running a period of each in turn, as fast as it can. CPU time of that thread per period of
// both sides (the kernel's UDP send and receive included; no JACK, no context switches), median
// of 9 rounds, the four pairs taking turns: clear and sealed, with datagrams as large as
// loopback carries (the default, one a period each way) and at the 1,400 bytes of Ethernet (a
// dozen). A library-level figure: `make -C native bench`; figures in bench/RESULTS.md.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "engine/engine.hpp"

using namespace syfala;

namespace {

constexpr uint32_t kChannels = 64;
constexpr uint32_t kFrames = 64;
constexpr uint32_t kRate = 48000;
constexpr int kWarmUpPeriods = 2000;
constexpr int kPeriods = 10000;
constexpr int kRounds = 9;

double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e6 + double(t.tv_nsec) / 1e3;
}

/** One engine and its device's planes: one 64-channel stream each way. */
struct Side {
  explicit Side(size_t datagram_budget)
      : engine(EngineOptions{"127.0.0.1", 0, datagram_budget}), in(kChannels), out(kChannels) {
    engine.set_device({kChannels}, {kChannels}, kRate, kFrames);
    for (uint32_t c = 0; c < kChannels; ++c) {
      in[c].resize(kFrames);
      out[c].resize(kFrames);
      for (uint32_t f = 0; f < kFrames; ++f) in[c][f] = float((f * 7 + c * 13) % 200) / 256.0f;
      inputs[0].push_back(in[c].data());
      outputs[0].push_back(out[c].data());
    }
  }
  void period() {
    for (auto& plane : out) std::fill(plane.begin(), plane.end(), 0.0f);
    engine.process({&inputs, &outputs, kFrames});
  }
  Engine engine;
  std::vector<std::vector<float>> in, out;
  std::vector<std::vector<const float*>> inputs{1};
  std::vector<std::vector<float*>> outputs{1};
};

PeerSpec peer_to(const char* id, uint16_t port, bool sealed, bool client) {
  const Format format{kRate, kChannels, SampleType::F32};
  PeerSpec spec{id, "127.0.0.1", port, {{0, 0, format}}, {{0, 0, format}}, kFrames * 2, true};
  spec.concealment = ConcealmentMode::Fade;
  spec.drift_compensation = true;
  spec.adaptive_latency = true;
  if (sealed) {
    AudioKey up, down;
    up.fill(0xc2);
    down.fill(0x2c);
    spec.security = client ? AudioSecurity{AudioDirection::ClientToServer, up, down, 0,
                                           kRotateAfterDatagrams}
                           : AudioSecurity{AudioDirection::ServerToClient, down, up, 0,
                                           kRotateAfterDatagrams};
  }
  return spec;
}

/** Two engines streaming to each other, `sealed` or clear, with datagrams of `budget`. */
struct Pair {
  Pair(bool sealed, size_t budget) : a(budget), b(budget) {
    a.engine.add_peer(peer_to("b", b.engine.port(), sealed, true));
    b.engine.add_peer(peer_to("a", a.engine.port(), sealed, false));
    run(kWarmUpPeriods);
  }
  /** µs of this thread's CPU per period of both sides. */
  double run(int periods) {
    const double start = thread_cpu_us();
    for (int i = 0; i < periods; ++i) {
      a.period();
      b.period();
    }
    return (thread_cpu_us() - start) / periods;
  }
  Side a, b;
};

double median(std::vector<double> rounds) {
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

}  // namespace

int main() {
  struct Case {
    const char* name;
    Pair pair;
    std::vector<double> rounds;
  };
  Case cases[] = {
      {"clear (AUDI), datagrams as large as loopback carries", {false, kRouteDatagramBudget}, {}},
      {"sealed (AUDE), datagrams as large as loopback carries", {true, kRouteDatagramBudget}, {}},
      {"clear (AUDI), 1,400-byte datagrams", {false, kDefaultDatagramBudgetBytes}, {}},
      {"sealed (AUDE), 1,400-byte datagrams", {true, kDefaultDatagramBudgetBytes}, {}},
  };
  // Rounds take turns, so that the machine's load weighs on all alike.
  for (int r = 0; r < kRounds; ++r) {
    for (Case& c : cases) c.rounds.push_back(c.pair.run(kPeriods));
  }
  std::printf("| 64 channels f32 each way, 64-frame periods, both sides  | µs per period |\n");
  std::printf("| ------------------------------------------------------- | ------------: |\n");
  for (Case& c : cases) std::printf("| %-55s | %13.1f |\n", c.name, median(c.rounds));
}
