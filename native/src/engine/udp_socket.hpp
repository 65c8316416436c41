#pragma once
// An IPv4 UDP socket for the audio plane, with batched receive and send (recvmmsg/sendmmsg).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace syfala {

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
  /** Sends `count` prepared messages, skipping any the kernel refuses; returns how many failed. */
  int send_batch(mmsghdr* messages, unsigned count);
  /** Wakes a blocked receive_batch for good: used to stop the receive thread. */
  void shutdown();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace syfala
