#include "udp_socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/time.h>
#include <unistd.h>

namespace syfala {

namespace {
// A blocked receive wakes this often to notice a shutdown() that raced with it.
constexpr long kReceiveTimeoutUs = 100000;
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
  timeval timeout{0, kReceiveTimeoutUs};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    throw SocketError("audio socket: cannot bind " + address + ":" + std::to_string(port) +
                      ": " + why);
  }
  socklen_t length = sizeof local;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length);
  port_ = ntohs(local.sin_port);
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

#if SYFALA_HAVE_MMSG
int UdpSocket::receive_batch(mmsghdr* messages, unsigned count) {
  for (;;) {
    const int got = ::recvmmsg(fd_, messages, count, MSG_WAITFORONE, nullptr);
    if (shut_down_.load(std::memory_order_relaxed)) return -1;
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return -1;
  }
}

int UdpSocket::send_batch(mmsghdr* messages, unsigned count) {
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
    // As MSG_WAITFORONE: only the first call waits, the others take what is already queued.
    const ssize_t length = ::recvmsg(fd_, &messages[got].msg_hdr, got == 0 ? 0 : MSG_DONTWAIT);
    if (shut_down_.load(std::memory_order_relaxed)) return -1;
    if (length >= 0) {
      messages[got++].msg_len = static_cast<unsigned>(length);
    } else if (errno == EINTR) {
      continue;
    } else if (got > 0) {
      break;  // Queue empty; an error other than that shows again on the next call.
    } else {
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
  }
  return static_cast<int>(got);
}

int UdpSocket::send_batch(mmsghdr* messages, unsigned count) {
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

void UdpSocket::shutdown() {
  shut_down_.store(true, std::memory_order_relaxed);
  ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace syfala
