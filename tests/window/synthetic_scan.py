"""A synthetic capture with a port scan and a burst, for flowshark window:
five minutes of normal exchanges among six clients and three servers (TCP
handshakes, data and closes on eight services, DNS-like UDP), a SYN scan of
ports 1 to 1000 from one host to one server (each answered by RST/ACK) in
the window of 10 s at SCAN_AT, and SYNs from 300 addresses to port 80 of
one server in the window at BURST_AT. Written as a pcap with Python's
struct (Ethernet, IPv4 with its header checksum, TCP, UDP), the same bytes
on every run (a fixed random seed).

Used by tests/window/test_window.py (--score finds the scan and the burst)
and doc/windows_figure.py (the figure of doc/windows.md). Standard library
only.

    from synthetic_scan import synthetic_packets, write_pcap
    write_pcap("synthetic.pcap", synthetic_packets())
"""

import random
import struct

T0 = 1700000000  # a multiple of 10: windows [T0 + 10 k, T0 + 10 k + 10)
SCAN_AT = T0 + 120
BURST_AT = T0 + 200


def ip_checksum(header):
    total = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, len(header), 2))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def frame(src, dst, proto, sport, dport, flags=0, payload=b"", seq=0, ack=0):
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    l4 += payload
    a = bytes(int(x) for x in src.split("."))
    b = bytes(int(x) for x in dst.split("."))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, a, b)
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    return eth + ip + l4


def synthetic_packets():
    """(time, frame) of: five minutes of normal traffic among a handful of
    hosts, a SYN scan of 1000 ports from one host to one target in the
    window at SCAN_AT, SYNs from 300 addresses to one port in the window at
    BURST_AT."""
    rnd = random.Random(14)
    clients = [f"10.0.0.{i}" for i in range(10, 16)]
    servers = ["10.0.1.1", "10.0.1.2", "10.0.1.3"]
    services = [22, 80, 443, 8080, 3306, 5432, 25, 993]
    packets = []
    sport = 40000
    t = float(T0)
    while t < T0 + 300:
        t += rnd.expovariate(1.5)  # about 15 exchanges per 10 s
        c, s = rnd.choice(clients), rnd.choice(servers)
        sport += 1
        if rnd.random() < 0.3:  # a DNS-like UDP exchange
            packets += [(t, frame(c, s, 17, sport, 53, payload=b"q" * 30)),
                        (t + 0.01, frame(s, c, 17, 53, sport, payload=b"r" * 60))]
            continue
        d = rnd.choice(services)
        steps = [(c, s, sport, d, 0x02, b""), (s, c, d, sport, 0x12, b""),
                 (c, s, sport, d, 0x10, b""), (c, s, sport, d, 0x18, b"x" * 100),
                 (s, c, d, sport, 0x18, b"y" * 400), (c, s, sport, d, 0x11, b""),
                 (s, c, d, sport, 0x11, b""), (c, s, sport, d, 0x10, b"")]
        for i, (a, b, p, q, flags, data) in enumerate(steps):
            packets.append((t + 0.005 * i, frame(a, b, 6, p, q, flags, data, seq=1000 + i)))
    for port in range(1, 1001):  # the scan: SYN, RST/ACK back
        ts = SCAN_AT + 1 + port * 0.005
        packets += [(ts, frame("10.0.0.66", "10.0.1.2", 6, 55555, port, 0x02, seq=7)),
                    (ts + 0.001, frame("10.0.1.2", "10.0.0.66", 6, port, 55555, 0x14,
                                       ack=8))]
    for i in range(300):  # the burst: 300 addresses, a SYN each to port 80
        ts = BURST_AT + 2 + i * 0.01
        packets.append((ts, frame(f"172.16.{i // 200}.{i % 200 + 1}", "10.0.1.3", 6,
                                  30000 + i, 80, 0x02, seq=9)))
    packets.sort(key=lambda p: p[0])
    return packets


def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, data in packets:
            us = round(t * 1e6)
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(data), len(data)))
            f.write(data)
