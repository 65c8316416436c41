#pragma once
// The JACK layer as the addon sees it; no JACK header here, so a build without libjack's headers
// still compiles and says what to install when asked for JACK.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../engine/device.hpp"
#include "../engine/device_events.hpp"
#include "../engine/period_callback.hpp"

namespace syfala {

struct JackServerInfo {
  uint32_t sample_rate;
  uint32_t period_frames;
  std::vector<std::string> physical_capture;   // ports that capture (JACK outputs)
  std::vector<std::string> physical_playback;  // ports that play (JACK inputs)
};

struct JackDeviceOptions {
  std::string server;       // empty: the default server ($JACK_DEFAULT_SERVER)
  std::string client_name;  // JACK may add a suffix when taken
  /**
   * Channels of each stream. Channel c of a direction's only stream is port `<prefix>_<c+1>`,
   * as system:capture_1 is; with several streams, stream k's is `<prefix><k+1>_<c+1>`.
   */
  std::vector<uint32_t> inputs;
  std::vector<uint32_t> outputs;
  /** Named from the JACK user's side: the client's JACK inputs take "in", its outputs give "out". */
  std::string input_prefix = "in";
  std::string output_prefix = "out";
  /**
   * What patchbays show (JACK metadata's pretty name): the client's, and each port's as
   * `<pretty_name> <prefix> <c+1>`, with ` (stream <k+1>)` when there are several. Empty: none.
   */
  std::string pretty_name;
  /** Ports to connect, in channel order across streams; empty: the physical ports. */
  std::vector<std::string> connect_inputs_from;
  std::vector<std::string> connect_outputs_to;
  bool auto_connect = true;
  /** The streams' rate: a server at another one is refused unless `resample`. 0: any. */
  uint32_t sample_rate = 0;
  /**
   * Accept a server at another rate than the streams': each peer is then resampled, which
   * needs its drift compensation (Engine::add_peer refuses a peer without, FORMAT_MISMATCH).
   */
  bool resample = false;
};

/** Whether this build links libjack. */
bool jack_available();
/**
 * JACK client closes of this process given up on so far: each did not return in 2 s (a jack2
 * race) and was left to its server. While one has not returned, opening another fails with
 * CLOSE_HUNG instead of waiting for ever.
 */
uint64_t jack_abandoned_closes();
/**
 * The server's clock and its physical ports, read by a client of its own. With `keep_for` that
 * client is named so and kept open for the device of that name on that server, which takes it
 * (open_jack): a process starting opens one JACK client and closes none, where a close can meet
 * jack2's race. Without, the client is closed before this returns.
 */
JackServerInfo probe_jack(const std::string& server, const std::string& keep_for = "");
/** Opens (does not start) a JACK client whose process callback drives `callback`. */
std::unique_ptr<Device> open_jack(const JackDeviceOptions& options, PeriodCallback& callback,
                                  DeviceEvents& events);

}  // namespace syfala
