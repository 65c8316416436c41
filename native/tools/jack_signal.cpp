// A JACK client for end-to-end tests: plays a seeded pseudo-random signal on its port `signal`
// and records its port `return` beside it, frame-aligned, as raw interleaved f32 pairs
// (signal, return) to a file. Usage: jack_signal SERVER SECONDS OUT.raw [SEED]
#include <jack/jack.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

jack_port_t* signal_port;
jack_port_t* return_port;
std::vector<float> recording;  // preallocated: the callback never allocates
std::atomic<size_t> recorded{0};
uint32_t state = 1;

/** xorshift32 mapped to [-0.8, 0.8): exactly representable in f32 and never repeating early. */
float next_sample() {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return (float(state) / 4294967296.0f - 0.5f) * 1.6f;
}

int process(jack_nframes_t frames, void*) {
  auto* out = static_cast<float*>(jack_port_get_buffer(signal_port, frames));
  const auto* in = static_cast<const float*>(jack_port_get_buffer(return_port, frames));
  const size_t at = recorded.load(std::memory_order_relaxed);
  const size_t room = (recording.size() - at) / 2;
  for (jack_nframes_t i = 0; i < frames; ++i) {
    out[i] = next_sample();
    if (i < room) {
      recording[at + 2 * i] = out[i];
      recording[at + 2 * i + 1] = in[i];
    }
  }
  recorded.store(at + 2 * std::min<size_t>(frames, room), std::memory_order_release);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: jack_signal SERVER SECONDS OUT.raw [SEED]\n");
    return 2;
  }
  state = argc > 4 ? uint32_t(std::strtoul(argv[4], nullptr, 10)) | 1u : 1u;
  jack_status_t status;
  jack_client_t* client = jack_client_open(
      "jack_signal", jack_options_t(JackNoStartServer | JackServerName), &status, argv[1]);
  if (client == nullptr) {
    std::fprintf(stderr, "jack_signal: cannot open a client on JACK server %s\n", argv[1]);
    return 1;
  }
  const double seconds = std::atof(argv[2]);
  recording.assign(size_t(seconds * jack_get_sample_rate(client)) * 2, 0.0f);
  signal_port = jack_port_register(client, "signal", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  return_port = jack_port_register(client, "return", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  jack_set_process_callback(client, process, nullptr);
  jack_activate(client);
  std::printf("ready\n");
  std::fflush(stdout);
  while (recorded.load(std::memory_order_acquire) < recording.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  jack_deactivate(client);
  jack_client_close(client);
  FILE* file = std::fopen(argv[3], "wb");
  if (file == nullptr) return 1;
  std::fwrite(recording.data(), sizeof(float), recording.size(), file);
  std::fclose(file);
  return 0;
}
