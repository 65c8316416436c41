#pragma once
// An IPv4 UDP socket for the audio plane, with batched receive and send: recvmmsg/sendmmsg where
// the system has them (Linux), else a loop of recvmsg/sendmsg calls (SYFALA_HAVE_MMSG=0).
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#ifndef SYFALA_HAVE_MMSG
#ifdef __linux__
#define SYFALA_HAVE_MMSG 1
#else
#define SYFALA_HAVE_MMSG 0
#endif
#endif

namespace syfala {

#ifndef __linux__
// Linux's batch entry where the system has none (macOS), so callers fill one array everywhere;
// msg_len: bytes received. Keyed on __linux__, not SYFALA_HAVE_MMSG: Linux declares its own even
// on the portable path, and a second one would be ambiguous.
struct mmsghdr {
  msghdr msg_hdr;
  unsigned msg_len;
};
#endif

/** Thrown (construction only) when the socket cannot be made; `what()` is one sentence. */
struct SocketError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool parse_ipv4(const std::string& address, uint16_t port, sockaddr_in& out);
bool same_endpoint(const sockaddr_in& a, const sockaddr_in& b);

class UdpSocket {
 public:
  /** Binds to address:port (port 0: a free one) with `buffer_bytes` kernel buffers asked for. */
  UdpSocket(const std::string& address, uint16_t port, int buffer_bytes);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  uint16_t port() const { return port_; }
  int fd() const { return fd_; }
  /**
   * Blocks until at least one datagram arrives (or the timeout passes), then takes as many as
   * are queued, up to `count`. Returns how many, 0 on timeout, -1 once shut down.
   */
  int receive_batch(mmsghdr* messages, unsigned count);
  /**
   * Sends `count` prepared messages without ever blocking (the audio thread calls it), skipping
   * any the kernel refuses, a full send buffer included; returns how many failed.
   */
  int send_batch(mmsghdr* messages, unsigned count);
  /**
   * Ends receive_batch for good: used to stop the receive thread. A blocked call returns at once
   * on Linux, within the receive timeout (100 ms) where shutdown() does not wake it (macOS).
   */
  void shutdown();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  // Linux wakes a blocked receive with an empty datagram, not an error: this tells them apart.
  std::atomic<bool> shut_down_{false};
};

}  // namespace syfala
