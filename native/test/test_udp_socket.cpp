// The audio socket's batches over real loopback UDP: a run of equal datagrams sent as one
// segmented buffer (UDP_SEGMENT) and received as one coalesced buffer (UDP_GRO) comes out of
// ReceiveBatch as the datagrams that were sent, in order, byte for byte; and which messages
// segment_run puts in one send.

#include <netinet/in.h>
#include <sys/utsname.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/wire.hpp"
#include "engine/udp_socket.hpp"
#include "harness.hpp"

using namespace syfala;

namespace {

/** `count` messages to `to`, datagram i being `lengths[i]` bytes of the value i. */
struct Outgoing {
  Outgoing(const sockaddr_in& to, const std::vector<size_t>& lengths) : address(to) {
    for (size_t i = 0; i < lengths.size(); ++i) datagrams.emplace_back(lengths[i], uint8_t(i));
    vectors.resize(lengths.size());
    messages.resize(lengths.size());
    for (size_t i = 0; i < lengths.size(); ++i) {
      vectors[i] = {datagrams[i].data(), datagrams[i].size()};
      messages[i].msg_hdr.msg_name = &address;
      messages[i].msg_hdr.msg_namelen = sizeof address;
      messages[i].msg_hdr.msg_iov = &vectors[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
  }

  sockaddr_in address;
  std::vector<std::vector<uint8_t>> datagrams;
  std::vector<iovec> vectors;
  std::vector<mmsghdr> messages;
};

#if SYFALA_HAVE_UDP_GSO
/** Whether the running kernel has UDP_SEGMENT (4.18) and UDP_GRO (5.0): Linux 5.0 or later. */
bool kernel_segments_and_coalesces() {
  utsname name{};
  int major = 0;
  return uname(&name) == 0 && std::string(name.sysname) == "Linux" &&
         std::sscanf(name.release, "%d", &major) == 1 && major >= 5;
}
#endif

sockaddr_in loopback(uint16_t port) {
  sockaddr_in to{};
  REQUIRE(parse_ipv4("127.0.0.1", port, to));
  return to;
}

/** Everything queued at `socket` (sent synchronously before), and how many buffers it took. */
std::vector<std::vector<uint8_t>> receive_all(UdpSocket& socket, int& buffers) {
  std::vector<std::vector<uint8_t>> got;
  ReceiveBatch batch;
  buffers = 0;
  for (int filled; (filled = batch.receive(socket)) > 0;) {
    buffers += filled;
    batch.each(filled, [&](const uint8_t* data, size_t length, const sockaddr_in&, bool truncated) {
      CHECK(!truncated);
      got.emplace_back(data, data + length);
    });
  }
  return got;
}

}  // namespace

TEST(udp_socket_a_run_of_equal_datagrams_arrives_as_sent_in_fewer_buffers_where_coalesced) {
  UdpSocket sender("127.0.0.1", 0, 1 << 20);
  UdpSocket receiver("127.0.0.1", 0, 1 << 20);
  // A 64-channel f32 period cut to a 1,400-byte budget: twelve full datagrams and a short one.
  std::vector<size_t> lengths(12, 1300);
  lengths.push_back(700);
  Outgoing out(loopback(receiver.port()), lengths);
  CHECK_EQ(sender.send_batch(out.messages.data(), unsigned(out.messages.size())), 0);
  int buffers = 0;
  const std::vector<std::vector<uint8_t>> got = receive_all(receiver, buffers);
  CHECK(got == out.datagrams);
#if SYFALA_HAVE_UDP_GSO
  if (kernel_segments_and_coalesces()) {
    // The run went down and came up the stack whole.
    CHECK(sender.segments());
    CHECK(receiver.coalesces());
    CHECK_EQ(buffers, 1);
  }
#else
  CHECK_EQ(buffers, int(lengths.size()));  // one datagram per buffer
#endif
}

TEST(udp_socket_datagrams_of_mixed_lengths_each_arrive_whole_and_in_order) {
  UdpSocket sender("127.0.0.1", 0, 1 << 20);
  UdpSocket receiver("127.0.0.1", 0, 1 << 20);
  // Runs broken by a longer datagram, a shorter one ending a run, and single ones.
  Outgoing out(loopback(receiver.port()), {500, 500, 500, 900, 900, 200, 900, 64, 64, 1400, 1});
  CHECK_EQ(sender.send_batch(out.messages.data(), unsigned(out.messages.size())), 0);
  int buffers = 0;
  CHECK(receive_all(receiver, buffers) == out.datagrams);
}

TEST(udp_socket_segment_run_takes_equal_lengths_to_one_address_and_a_shorter_last) {
  const sockaddr_in a = loopback(1000);
  const sockaddr_in b = loopback(1001);
  Outgoing equal(a, {100, 100, 100, 40, 100});
  CHECK_EQ(segment_run(equal.messages.data(), 5), 4u);  // the shorter one ends the run
  CHECK_EQ(segment_run(equal.messages.data() + 3, 2), 1u);  // a longer one never follows
  CHECK_EQ(segment_run(equal.messages.data(), 2), 2u);

  Outgoing split(a, {100, 100, 100});
  sockaddr_in elsewhere = b;
  split.messages[2].msg_hdr.msg_name = &elsewhere;
  CHECK_EQ(segment_run(split.messages.data(), 3), 2u);  // another address: another send

  Outgoing same(a, {100, 100});
  sockaddr_in copy = a;  // the same address held in another place
  same.messages[1].msg_hdr.msg_name = &copy;
  CHECK_EQ(segment_run(same.messages.data(), 2), 2u);

  Outgoing many(a, std::vector<size_t>(70, 10));
  CHECK_EQ(segment_run(many.messages.data(), 70), 64u);  // the kernel's segment limit

  Outgoing large(a, std::vector<size_t>(50, 1400));
  CHECK_EQ(segment_run(large.messages.data(), 50), 46u);  // 65,507 bytes at most in one datagram

  Outgoing empty(a, {0, 0});
  CHECK_EQ(segment_run(empty.messages.data(), 2), 1u);
}

TEST(udp_socket_a_routes_budget_is_its_mtu_less_headers_above_ethernets_else_at_most_1400) {
  CHECK_EQ(datagram_budget_for_route(0), kDefaultDatagramBudgetBytes);  // unknown (macOS)
  CHECK_EQ(datagram_budget_for_route(1500), kDefaultDatagramBudgetBytes);
  CHECK_EQ(datagram_budget_for_route(1420), size_t(1392));  // a WireGuard tunnel's
  CHECK_EQ(datagram_budget_for_route(1280), size_t(1252));
  CHECK_EQ(datagram_budget_for_route(9000), size_t(8972));  // jumbo frames
  CHECK_EQ(datagram_budget_for_route(65536), kMaxDatagramBytes);  // loopback
#ifdef IP_MTU
  CHECK(route_mtu(loopback(9)) > 1500);
#else
  CHECK_EQ(route_mtu(loopback(9)), size_t(0));
#endif
}
