#!/usr/bin/env python3
"""The worked toy example of ../shared/spec/botcapturer.md §6 as a capture.

Every packet goes from client to server, as in the spec's table; times are
1500000000 + t. The capture's link type is raw IP (101), so a packet's IP
total length, which flowshark's records give as ip_lengths, is the frame
size the spec lists (74, 66, 194...): the spec's byte counts come out
unchanged. Each packet is TCP with ACK and PSH set and a sequence number that
grows by its payload, so that no packet looks like a retransmission; every
flow has its own source port.

    python3 toy_capture.py OUT.pcap     # writes the capture
    import toy_capture; toy_capture.HOSTS, toy_capture.packets()
"""

import struct
import sys

BASE = 1500000000

# The spec's names and their addresses.
HOSTS = {
    "B1": "192.168.5.11", "B2": "192.168.5.12", "B3": "192.168.5.13",
    "N1": "192.168.5.21", "N2": "192.168.5.22", "N3": "192.168.5.23",
    "N4": "192.168.5.24",
    "C2": "203.0.113.7", "W1": "198.51.100.10", "W2": "198.51.100.20",
    "S": "198.51.100.30", "M": "198.51.100.40",
}


def even(n, span):
    """n offsets spread evenly over span seconds, first at 0, last at span."""
    return [span * i / (n - 1) for i in range(n)]


BOT = (list(zip([0, 0.1, 0.2, 0.5], [74, 66, 194, 66])))
WEB = list(zip(even(6, 2.0), [74, 66, 800, 800, 194, 66]))

# (src, dst, dport, flow start times t, [(offset, size)] of each flow);
# N3 -> W2 has two different flows.
FLOWS = [
    ("B1", "C2", 8080, [4, 16, 28, 40], BOT),
    ("B2", "C2", 8080, [5, 17, 29, 41], BOT),
    ("B3", "C2", 8080, [6, 18, 30, 42], BOT),
    ("N1", "W1", 443, [3, 31], WEB),
    ("N2", "W1", 443, [11], WEB),
    ("N2", "W2", 80, [21], list(zip(even(5, 1.0), [74, 66, 500, 294, 66]))),
    ("N3", "W2", 80, [16], list(zip(even(5, 2.0), [74, 66, 600, 194, 66]))),
    ("N3", "W2", 80, [36], list(zip(even(7, 7.0), [74, 66, 1200, 1200, 834, 60, 66]))),
    ("N3", "W1", 443, [50], [(0, 60), (0, 60)]),
    ("N4", "S", 22, [2], list(zip(even(12, 30.0), [74, 66, 126] + [100] * 8 + [134]))),
    ("N4", "M", 25, [40], [(0, 74)]),
]


def checksum(data):
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ip_tcp(src, dst, sport, dport, seq, size):
    """An IPv4 packet of `size` bytes in all: 20 of IP, 20 of TCP (ACK, PSH),
    the rest payload."""
    payload = b"p" * (size - 40)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
    a = bytes(int(x) for x in src.split("."))
    b = bytes(int(x) for x in dst.split("."))
    pseudo = a + b + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload + b"\0")) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, size, 0, 0x4000, 64, 6, 0, a, b)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp + payload


def packets():
    """[(time, bytes)] of the whole example, in time order (98 packets)."""
    out = []
    sport = 40000
    for src, dst, dport, starts, shape in FLOWS:
        for start in starts:
            sport += 1
            seq = 1000
            for offset, size in shape:
                out.append((BASE + start + offset,
                            ip_tcp(HOSTS[src], HOSTS[dst], sport, dport, seq, size)))
                seq += size - 40
    out.sort(key=lambda p: p[0])
    return out


def write_pcap(path, pkts, linktype=101):
    """A pcap file (microseconds) of pkts, raw IP by default."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
        for t, data in pkts:
            us = round(t * 1e6)
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(data), len(data)))
            f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write_pcap(sys.argv[1], packets())
