#pragma once
// An IPv4 UDP socket for the audio plane, with batched receive and send: recvmmsg/sendmmsg where
// the system has them (Linux), else a loop of recvmsg/sendmsg calls (SYFALA_HAVE_MMSG=0). Where
// the kernel segments and coalesces UDP (Linux's UDP_SEGMENT and UDP_GRO, SYFALA_HAVE_UDP_GSO), a
// run of one peer's datagrams goes down and comes up the stack as one buffer: the kernel's cost is
// per buffer, not per datagram, and the wire carries the same datagrams either way.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef SYFALA_HAVE_MMSG
#ifdef __linux__
#define SYFALA_HAVE_MMSG 1
#else
#define SYFALA_HAVE_MMSG 0
#endif
#endif

namespace syfala {

#ifndef SYFALA_HAVE_UDP_GSO
#if defined(__linux__) && SYFALA_HAVE_MMSG
#define SYFALA_HAVE_UDP_GSO 1
#else
#define SYFALA_HAVE_UDP_GSO 0
#endif
#endif

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

/**
 * The MTU of the route to `peer` as the kernel knows it (the interface's, or a smaller path MTU it
 * has learnt), read from a socket connected to it (nothing is sent); 0 where the system cannot
 * say (no IP_MTU: macOS).
 */
size_t route_mtu(const sockaddr_in& peer);

/**
 * The largest audio datagram to send over a route of MTU `route_mtu` (0: unknown), PROTOCOL.md
 * §3: the MTU less the IP and UDP headers where it exceeds Ethernet's 1,500 bytes (loopback,
 * jumbo frames), up to 65,507; else at most the default 1,400, which leaves room for the tunnels
 * a path may cross beyond this host; below that, what the route carries unfragmented.
 */
size_t datagram_budget_for_route(size_t route_mtu);

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
   * Whether a received buffer may hold several datagrams (UDP GRO): read it through a
   * ReceiveBatch, which splits them again, never with a plain recv.
   */
  bool coalesces() const { return coalesces_; }
  /** Whether send_batch still hands runs of equal datagrams to the kernel whole (UDP_SEGMENT). */
  bool segments() const { return segments_.load(std::memory_order_relaxed); }
  /**
   * Takes as many datagrams as are queued, up to `count`, without ever blocking (the audio thread
   * calls it). Returns how many: 0 when none is queued.
   */
  int receive_batch(mmsghdr* messages, unsigned count);
  /**
   * Sends `count` prepared messages (one iovec each) without ever blocking (the audio thread
   * calls it), skipping any the kernel refuses, a full send buffer included; returns how many
   * failed. Consecutive messages to one address, all of one length but a shorter last one, go in
   * one segmented send; where the kernel or the route refuses that, they go one by one, as from
   * then on.
   */
  int send_batch(mmsghdr* messages, unsigned count);

 private:
  int send_each(mmsghdr* messages, unsigned count);
#if SYFALA_HAVE_UDP_GSO
  int send_segmented(mmsghdr* messages, unsigned count);
#endif

  int fd_ = -1;
  uint16_t port_ = 0;
  bool coalesces_ = false;
  std::atomic<bool> segments_{false};
};

/**
 * How many of `messages` (one iovec each) one segmented send can carry from the first: those to
 * the first one's address, all of its length but a shorter last one, within the kernel's limits
 * on segments and bytes. 1 when the first goes alone.
 */
unsigned segment_run(const mmsghdr* messages, unsigned count);

/**
 * The buffers and message headers of a socket's receive, allocated once. From a socket that
 * coalesces, a buffer may hold a run of one source's datagrams (all of one size but the last):
 * `each` hands them out one by one, as they were sent.
 */
class ReceiveBatch {
 public:
  ReceiveBatch();

  /** As UdpSocket::receive_batch: buffers filled, 0 when none is queued. */
  int receive(UdpSocket& socket);
  /** Buffers one receive() fills at most. */
  size_t capacity() const { return messages_.size(); }

  /**
   * visit(data, length, source, truncated) for each datagram of the `filled` buffers the last
   * receive() filled; `truncated`: it was larger than the buffer (the rest is gone).
   */
  template <class Visit>
  void each(int filled, Visit&& visit) {
    for (int i = 0; i < filled; ++i) {
      const msghdr& header = messages_[size_t(i)].msg_hdr;
      uint8_t* data = buffer(size_t(i));
      const size_t length = messages_[size_t(i)].msg_len;
      const bool truncated = (header.msg_flags & MSG_TRUNC) != 0;
      const size_t segment = truncated ? 0 : segment_bytes(header);
      if (segment == 0 || segment >= length) {
        visit(data, length, sources_[size_t(i)], truncated);
        continue;
      }
      for (size_t at = 0; at < length; at += segment) {
        visit(data + at, std::min(segment, length - at), sources_[size_t(i)], false);
      }
    }
  }

 private:
  /** Room for the UDP_GRO control message (the segment size, an int), aligned for cmsghdr. */
  struct alignas(cmsghdr) Control {
    unsigned char bytes[CMSG_SPACE(sizeof(int))];
  };

  /**
   * Any datagram fits one whole (PROTOCOL.md §3: up to 65,507 bytes, which loopback's MTU
   * allows), as does a coalesced run, which the kernel keeps within the same bound.
   */
  static constexpr size_t kBufferBytes = 65536;

  uint8_t* buffer(size_t i) { return buffers_.data() + i * kBufferBytes; }
  /** The segment size a coalesced buffer's control message gives; 0: one datagram. */
  static size_t segment_bytes(const msghdr& header);

  std::vector<uint8_t> buffers_;
  std::vector<mmsghdr> messages_;
  std::vector<iovec> vectors_;
  std::vector<sockaddr_in> sources_;
  std::vector<Control> controls_;
};

}  // namespace syfala
