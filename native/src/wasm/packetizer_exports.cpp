// StreamPacketizer (packetizer.hpp) for the TS side: packages/dataplane/src/packetizer.ts, whose
// caller lends a buffer per datagram (DatagramSink). Each packetize() writes the period's datagrams
// back to back into this export's own buffer, whole (AUDI, or AUDE laid out for sealing in place:
// its header with key id 0 and the copy, then room for the tag), with a (length, copy) record
// each; the TS wrapper copies every datagram into the buffer its sink lends.
#include <cstring>
#include <vector>

#include "export.hpp"
#include "packetizer.hpp"
#include "wire.hpp"

namespace {

using namespace syfala;

class Packetizer {
 public:
  /// `max_period_bytes`: 0 when unknown (no redundancy); the first periods size the buffers then.
  Packetizer(uint32_t stream, uint32_t bytes_per_frame, uint32_t datagram_budget_bytes,
             uint32_t redundancy, uint32_t max_period_bytes, bool sealed)
      // Sealing adds its header and tag within the datagram's budget.
      : core_(stream, bytes_per_frame,
              sealed ? datagram_budget_bytes - kSealOverheadBytes : datagram_budget_bytes,
              redundancy, max_period_bytes),
        sealed_(sealed),
        redundancy_(redundancy) {
    reserve(max_period_bytes);
  }

  StreamPacketizer& core() { return core_; }
  const uint8_t* datagrams() const { return datagrams_.data(); }
  const double* records() const { return records_.data(); }

  /// Cuts a period into datagrams(), one (length, copy) pair of records() each; returns how many.
  size_t packetize(const uint8_t* payload, size_t len) {
    if (len > reserved_period_bytes_) reserve(len);
    uint8_t* out = datagrams_.data();
    double* record = records_.data();
    return core_.packetize(payload, len, [&](const AudioHeader& header, const uint8_t* run,
                                             size_t run_len, uint8_t copy) {
      size_t length = kAudioHeaderBytes;
      if (sealed_) {
        write_sealed_header(out, SealedHeader{header, 0, copy});
        length = kSealedHeaderBytes;
      } else {
        write_audio_header(out, header);
      }
      std::memcpy(out + length, run, run_len);
      length += run_len;
      if (sealed_) {
        std::memset(out + length, 0, kSealedTagBytes);
        length += kSealedTagBytes;
      }
      out += length;
      *record++ = double(length);
      *record++ = copy;
    });
  }

 private:
  /// Room for the datagrams of a period of `period_bytes` and the history before it.
  void reserve(size_t period_bytes) {
    const size_t run = (size_t(redundancy_) + 1) * period_bytes;
    // Every datagram but a run's first and last carries a whole payload.
    const size_t count = run / core_.max_payload_bytes() + 2;
    const size_t overhead = sealed_ ? kSealedHeaderBytes + kSealedTagBytes : kAudioHeaderBytes;
    datagrams_.resize(run + count * overhead);
    records_.resize(2 * count);
    reserved_period_bytes_ = period_bytes;
  }

  StreamPacketizer core_;
  const bool sealed_;
  const uint32_t redundancy_;
  size_t reserved_period_bytes_ = 0;
  std::vector<uint8_t> datagrams_;
  std::vector<double> records_;
};

}  // namespace

SYFALA_WASM_EXPORT(packetizer_new)
Packetizer* packetizer_new(uint32_t stream, uint32_t bytes_per_frame,
                           uint32_t datagram_budget_bytes, uint32_t redundancy,
                           uint32_t max_period_bytes, uint32_t sealed) {
  return new Packetizer(stream, bytes_per_frame, datagram_budget_bytes, redundancy,
                        max_period_bytes, sealed != 0);
}

SYFALA_WASM_DELETE(packetizer_free, Packetizer)

SYFALA_WASM_EXPORT(packetizer_packetize)
uint32_t packetizer_packetize(Packetizer* packetizer, const uint8_t* payload, uint32_t len) {
  return packetizer->packetize(payload, len);
}

SYFALA_WASM_EXPORT(packetizer_datagrams)
const uint8_t* packetizer_datagrams(const Packetizer* packetizer) {
  return packetizer->datagrams();
}

SYFALA_WASM_EXPORT(packetizer_records)
const double* packetizer_records(const Packetizer* packetizer) { return packetizer->records(); }

SYFALA_WASM_EXPORT(packetizer_byte_index)
double packetizer_byte_index(Packetizer* packetizer) {
  return double(packetizer->core().byte_index());
}

SYFALA_WASM_EXPORT(packetizer_max_payload)
uint32_t packetizer_max_payload(Packetizer* packetizer) {
  return packetizer->core().max_payload_bytes();
}

SYFALA_WASM_EXPORT(packetizer_history_bytes)
uint32_t packetizer_history_bytes(Packetizer* packetizer) {
  return packetizer->core().history_bytes();
}

SYFALA_WASM_EXPORT(packetizer_reset)
void packetizer_reset(Packetizer* packetizer) { packetizer->core().reset(); }
