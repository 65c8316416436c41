#include "udp_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/udp.h>
#include <stdexcept>
#include <unistd.h>

#include "../core/wire.hpp"

namespace syfala {

namespace {
/** Segments one send may carry (the kernel's UDP_MAX_SEGMENTS, 64 or more). */
constexpr unsigned kMaxSegments = 64;
/** Buffers per receive call. */
constexpr unsigned kReceiveBuffers = 32;
/** IPv4's header without options and UDP's: what a route's MTU holds besides the datagram. */
constexpr size_t kIpUdpHeaderBytes = 28;
/** Ethernet's MTU: routes up to it get at most the default budget (PROTOCOL.md §3). */
constexpr size_t kEthernetMtu = 1500;

bool same_address(const msghdr& a, const msghdr& b) {
  if (a.msg_name == b.msg_name) return true;
  return a.msg_namelen == sizeof(sockaddr_in) && b.msg_namelen == sizeof(sockaddr_in) &&
         same_endpoint(*static_cast<const sockaddr_in*>(a.msg_name),
                       *static_cast<const sockaddr_in*>(b.msg_name));
}

/** The one iovec's length of a plain message; 0 for any other (it goes alone). */
size_t plain_length(const msghdr& message) {
  return message.msg_iovlen == 1 && message.msg_controllen == 0 ? message.msg_iov[0].iov_len : 0;
}
}  // namespace

bool parse_ipv4(const std::string& address, uint16_t port, sockaddr_in& out) {
  std::memset(&out, 0, sizeof out);
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  return inet_pton(AF_INET, address.c_str(), &out.sin_addr) == 1;
}

bool same_endpoint(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
}

size_t route_mtu(const sockaddr_in& peer) {
#ifdef IP_MTU
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  int mtu = 0;
  socklen_t length = sizeof mtu;
  const bool known =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof peer) == 0 &&
      getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &length) == 0 && mtu > 0;
  ::close(fd);
  return known ? size_t(mtu) : 0;
#else
  (void)peer;
  return 0;
#endif
}

size_t datagram_budget_for_route(size_t route_mtu) {
  if (route_mtu <= kIpUdpHeaderBytes) return kDefaultDatagramBudgetBytes;
  const size_t unfragmented = route_mtu - kIpUdpHeaderBytes;
  if (route_mtu > kEthernetMtu) return std::min(unfragmented, kMaxDatagramBytes);
  return std::min(unfragmented, kDefaultDatagramBudgetBytes);
}

UdpSocket::UdpSocket(const std::string& address, uint16_t port, int buffer_bytes) {
  sockaddr_in local;
  if (!parse_ipv4(address, port, local)) {
    throw SocketError("audio socket: " + address + " is not an IPv4 address");
  }
#ifdef SOCK_CLOEXEC
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
#else
  // No SOCK_CLOEXEC (macOS): set afterwards, so a child spawned in between could inherit it.
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd_ >= 0) fcntl(fd_, F_SETFD, FD_CLOEXEC);
#endif
  if (fd_ < 0) throw SocketError(std::string("audio socket: ") + std::strerror(errno));
  // The kernel caps these at net.core.rmem_max/wmem_max; a burst of periods must fit.
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    throw SocketError("audio socket: cannot bind " + address + ":" + std::to_string(port) +
                      ": " + why);
  }
  socklen_t length = sizeof local;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length);
  port_ = ntohs(local.sin_port);
#if SYFALA_HAVE_UDP_GSO
  // Kernels before 4.18 (segmenting) and 5.0 (coalescing) refuse these: plain datagrams then.
  const int on = 1;
  const int no_segment_size = 0;
  coalesces_ = setsockopt(fd_, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
  segments_.store(
      setsockopt(fd_, SOL_UDP, UDP_SEGMENT, &no_segment_size, sizeof no_segment_size) == 0,
      std::memory_order_relaxed);
#endif
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

#if SYFALA_HAVE_MMSG
int UdpSocket::receive_batch(mmsghdr* messages, unsigned count) {
  for (;;) {
    const int got = ::recvmmsg(fd_, messages, count, MSG_DONTWAIT, nullptr);
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    // Empty; any other error (a peer's ICMP unreachable reported here) shows no datagram either.
    return 0;
  }
}

int UdpSocket::send_each(mmsghdr* messages, unsigned count) {
  unsigned done = 0;
  int failed = 0;
  while (done < count) {
    const int sent = ::sendmmsg(fd_, messages + done, count - done, MSG_DONTWAIT);
    if (sent > 0) {
      done += static_cast<unsigned>(sent);
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else {
      // The first message failed (unreachable peer, full buffer): skip it, keep the rest.
      ++failed;
      ++done;
    }
  }
  return failed;
}
#else
int UdpSocket::receive_batch(mmsghdr* messages, unsigned count) {
  unsigned got = 0;
  while (got < count) {
    const ssize_t length = ::recvmsg(fd_, &messages[got].msg_hdr, MSG_DONTWAIT);
    if (length >= 0) {
      messages[got++].msg_len = static_cast<unsigned>(length);
    } else if (errno != EINTR) {
      break;  // empty, or an error that shows no datagram (as recvmmsg's)
    }
  }
  return static_cast<int>(got);
}

int UdpSocket::send_each(mmsghdr* messages, unsigned count) {
  int failed = 0;
  for (unsigned i = 0; i < count; ++i) {
    ssize_t sent;
    do {
      sent = ::sendmsg(fd_, &messages[i].msg_hdr, MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) ++failed;  // Unreachable peer, full buffer: skip it, keep the rest.
  }
  return failed;
}
#endif

int UdpSocket::send_batch(mmsghdr* messages, unsigned count) {
#if SYFALA_HAVE_UDP_GSO
  if (segments()) return send_segmented(messages, count);
#endif
  return send_each(messages, count);
}

#if SYFALA_HAVE_UDP_GSO
int UdpSocket::send_segmented(mmsghdr* messages, unsigned count) {
  int failed = 0;
  for (unsigned done = 0; done < count;) {
    mmsghdr* first = messages + done;
    const unsigned run = segment_run(first, count - done);
    if (run == 1) {
      failed += send_each(first, 1);
      ++done;
      continue;
    }
    iovec vectors[kMaxSegments];
    for (unsigned i = 0; i < run; ++i) vectors[i] = first[i].msg_hdr.msg_iov[0];
    alignas(cmsghdr) unsigned char control[CMSG_SPACE(sizeof(uint16_t))] = {};
    msghdr message{};
    message.msg_name = first->msg_hdr.msg_name;
    message.msg_namelen = first->msg_hdr.msg_namelen;
    message.msg_iov = vectors;
    message.msg_iovlen = run;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* segment = CMSG_FIRSTHDR(&message);
    segment->cmsg_level = SOL_UDP;
    segment->cmsg_type = UDP_SEGMENT;
    segment->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const uint16_t segment_size = uint16_t(vectors[0].iov_len);
    std::memcpy(CMSG_DATA(segment), &segment_size, sizeof segment_size);
    ssize_t sent;
    do {
      sent = ::sendmsg(fd_, &message, MSG_DONTWAIT);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      failed += int(run);  // a full send buffer: none of it fits now, as one by one
    } else if (sent < 0) {
      // Refused whole (a route whose device cannot segment, a segment above its MTU): one by
      // one, and where that goes through, this socket stops segmenting.
      const int refused = send_each(first, run);
      if (refused < int(run)) segments_.store(false, std::memory_order_relaxed);
      failed += refused;
    }
    done += run;
  }
  return failed;
}
#endif

unsigned segment_run(const mmsghdr* messages, unsigned count) {
  const msghdr& first = messages[0].msg_hdr;
  const size_t size = plain_length(first);
  if (size == 0 || size > UINT16_MAX) return 1;
  size_t total = size;
  unsigned run = 1;
  while (run < count && run < kMaxSegments) {
    const msghdr& next = messages[run].msg_hdr;
    const size_t length = plain_length(next);
    if (length == 0 || length > size || total + length > kMaxDatagramBytes ||
        !same_address(first, next)) {
      break;
    }
    total += length;
    ++run;
    if (length < size) break;  // only the last segment may be shorter
  }
  return run;
}

ReceiveBatch::ReceiveBatch() {
  buffers_.resize(kReceiveBuffers * kBufferBytes);
  messages_.resize(kReceiveBuffers);
  vectors_.resize(kReceiveBuffers);
  sources_.resize(kReceiveBuffers);
  controls_.resize(kReceiveBuffers);
}

int ReceiveBatch::receive(UdpSocket& socket) {
  for (size_t i = 0; i < messages_.size(); ++i) {
    vectors_[i] = {buffer(i), kBufferBytes};
    msghdr& header = messages_[i].msg_hdr;
    header = {};
    header.msg_name = &sources_[i];
    header.msg_namelen = sizeof(sockaddr_in);
    header.msg_iov = &vectors_[i];
    header.msg_iovlen = 1;
    header.msg_control = controls_[i].bytes;
    header.msg_controllen = sizeof controls_[i].bytes;
  }
  return socket.receive_batch(messages_.data(), unsigned(messages_.size()));
}

size_t ReceiveBatch::segment_bytes(const msghdr& header) {
#if SYFALA_HAVE_UDP_GSO
  msghdr& h = const_cast<msghdr&>(header);
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? size_t(size) : 0;
    }
  }
#else
  (void)header;
#endif
  return 0;
}

}  // namespace syfala
