// syfala's native engine hosted by a bare JACK client: no Node around it. Beside the CLI (the
// same engine in a Node process) it tells what the engine costs the JACK graph from what its
// host process does (bench/RESULTS.md, issue #14, twenty-fourth session). By hand, not a test:
//
//   cd native && g++ -std=c++17 -O2 -fvect-cost-model=cheap -pthread -Isrc
//     ../bench/jack/engine-host.cpp src/engine/*.cpp -o /tmp/engine-host -lcrypto -ljack
//   /tmp/engine-host SERVER CLIENT-NAME LOCAL-UDP-PORT PEER-UDP-PORT   (one per side, on 127.0.0.1)
//
// Each side sends 2 f32 channels to the other with the CLI's defaults for JACK (drift
// compensation, `auto` latency from 128 frames, fade concealment), in the clear. BALLAST_MB=N
// first makes N MB resident, a process as large as a runtime's; with BALLAST_HUGE=1 that memory
// is asked for in 2 MB transparent huge pages (madvise), the same bytes in 1/512 the mappings.
#include <jack/jack.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/engine.hpp"

using namespace syfala;

namespace {

constexpr size_t kHugePage = size_t(2) << 20;

volatile std::sig_atomic_t stopping = 0;
jack_client_t* client = nullptr;
Engine* engine = nullptr;
jack_port_t* input_ports[2];
jack_port_t* output_ports[2];
std::vector<std::vector<const float*>> inputs(1, std::vector<const float*>(2));
std::vector<std::vector<float*>> outputs(1, std::vector<float*>(2));

int64_t monotonic_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// What JackDevice::on_process does, but for the latency report.
int process(jack_nframes_t frames, void*) {
  for (int c = 0; c < 2; ++c) {
    inputs[0][c] = static_cast<const float*>(jack_port_get_buffer(input_ports[c], frames));
    auto* plane = static_cast<float*>(jack_port_get_buffer(output_ports[c], frames));
    std::memset(plane, 0, frames * sizeof(float));
    outputs[0][c] = plane;
  }
  DevicePeriod period{&inputs, &outputs, frames};
  jack_nframes_t frame_time = 0;
  jack_time_t start_us = 0, next_us = 0;
  float period_us = 0;
  if (jack_get_cycle_times(client, &frame_time, &start_us, &next_us, &period_us) == 0) {
    period.cycle_start_ns = int64_t(start_us) * 1000;
    period.period_ns = int64_t(double(period_us) * 1000.0);
  }
  period.callback_ns = monotonic_ns();
  engine->process(period);
  return 0;
}

void register_ports() {
  char name[16];
  for (int c = 0; c < 2; ++c) {
    std::snprintf(name, sizeof name, "in_%d", c + 1);
    input_ports[c] = jack_port_register(client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    std::snprintf(name, sizeof name, "out_%d", c + 1);
    output_ports[c] =
        jack_port_register(client, name, JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  }
}

void make_ballast() {
  const char* megabytes = std::getenv("BALLAST_MB");
  if (megabytes == nullptr) return;
  const size_t bytes = size_t(std::atoi(megabytes)) << 20;
  void* memory = nullptr;
  if (posix_memalign(&memory, kHugePage, bytes) != 0) return;
  if (std::getenv("BALLAST_HUGE") != nullptr) madvise(memory, bytes, MADV_HUGEPAGE);
  auto* ballast = static_cast<volatile char*>(memory);
  for (size_t i = 0; i < bytes; i += 4096) ballast[i] = 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: engine-host SERVER CLIENT-NAME LOCAL-UDP-PORT PEER-UDP-PORT\n");
    return 2;
  }
  jack_status_t status;
  client = jack_client_open(argv[2], jack_options_t(JackServerName | JackNoStartServer), &status,
                            argv[1]);
  if (client == nullptr) {
    std::fprintf(stderr, "engine-host: no JACK server %s\n", argv[1]);
    return 1;
  }
  Engine host_engine(EngineOptions{"127.0.0.1", uint16_t(std::atoi(argv[3])), kRouteDatagramBudget});
  engine = &host_engine;
  host_engine.set_device({2}, {2}, jack_get_sample_rate(client), jack_get_buffer_size(client));
  const Format format{jack_get_sample_rate(client), 2, SampleType::F32};
  PeerSpec spec{"peer", "127.0.0.1", uint16_t(std::atoi(argv[4])), {{0, 0, format}},
                {{0, 0, format}}, 128, true};
  spec.concealment = ConcealmentMode::Fade;
  spec.drift_compensation = true;
  spec.adaptive_latency = true;
  host_engine.add_peer(spec);
  register_ports();
  make_ballast();
  jack_set_process_callback(client, process, nullptr);
  std::signal(SIGINT, [](int) { stopping = 1; });
  std::signal(SIGTERM, [](int) { stopping = 1; });
  if (jack_activate(client) != 0) return 1;
  while (stopping == 0) pause();
  jack_deactivate(client);
  const JitterStats& stats = host_engine.peers()[0]->receive[0]->buffer.stats();
  std::fprintf(stderr, "received %llu bytes, lost %llu, underruns %llu, target %llu frames\n",
               static_cast<unsigned long long>(stats.received_bytes.load()),
               static_cast<unsigned long long>(stats.lost_bytes.load()),
               static_cast<unsigned long long>(stats.underruns.load()),
               static_cast<unsigned long long>(stats.target_latency_frames.load()));
  jack_client_close(client);
  host_engine.close();
  return 0;
}
