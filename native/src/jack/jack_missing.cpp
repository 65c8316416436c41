// Built instead of the JACK layer when libjack's headers were missing at install time.
#include "jack_options.hpp"

namespace syfala {

namespace {
const char* const kInstall =
    "this build of syfala has no JACK support: install jackd2 and libjack-jackd2-dev "
    "(apt-get install -y jackd2 libjack-jackd2-dev), then run pnpm install again";
}  // namespace

bool jack_available() { return false; }

uint64_t jack_abandoned_closes() { return 0; }

JackServerInfo probe_jack(const std::string&, const std::string&) { throw DeviceError("NOT_INSTALLED", kInstall); }

std::unique_ptr<Device> open_jack(const JackDeviceOptions&, PeriodCallback&, DeviceEvents&) {
  throw DeviceError("NOT_INSTALLED", kInstall);
}

}  // namespace syfala
