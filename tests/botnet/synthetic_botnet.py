#!/usr/bin/env python3
"""A synthetic capture for flowshark botnet (issue 15): a network of normal
clients browsing, five bots beaconing to one C&C, one of them scanning.

One hour (BASE to BASE + 3600 s) on a raw-IP link (pcap link type 101),
written with a snap length of SNAPLEN bytes: every packet keeps its IP and
TCP/UDP headers (so ip.len, the records' ip_lengths, and tcp.len are the
real sizes) and the first bytes of its payload, which keeps the file small.
Everything comes from random.Random(SEED): the same bytes on every run.

- CLIENTS: 300 normal internal hosts (200 in 10.1.0.0/16, 100 in
  192.168.1.0/24). Each makes 3 to 7 web visits spread over the hour (one
  in the first and one in the last 15 minutes), to SERVERS (80 external web
  servers in 198.18.0.0/16, picked with a skewed popularity), on port 443
  (70 %) or 80: a TCP exchange with its handshake, 1 to 3 request/response
  rounds (requests 150-700 B, responses 300 B to 14 KB in segments of up
  to 1460 B, acknowledged every second segment), and FIN, FIN, ACK. Round
  trip times differ by server (10-150 ms); half of the visits start with a
  DNS query over UDP to RESOLVER (198.19.255.53:53).
- BOTS: 5 internal hosts (10.1.200.11-15), which also browse like clients.
  Each beacons to CNC (203.0.113.66:443) every PERIOD = 60 s over the
  hour, starting 3 + 11 i s: the same 9-packet TCP exchange every time
  (handshake, a 180 B request, a 120 B answer, FIN, FIN, ACK; 0.3 s).
- SCANNER = BOTS[0] also SYN-scans SCAN_TARGETS = 23,000 distinct addresses
  of 100.64.0.0/10 on port 23 (every tenth on 2323), 400 per second from
  1200 s (57.5 s), each probe from a new source port (32768-60999, above
  the scanned ports, so that the scanner is the records' src); every fifth target
  answers with RST/ACK. 23,000 destinations over the scanner's active time
  (at most the hour) is above det_scan.py's 6 per second, so the scan rule
  flags it even over the whole capture.

    python3 synthetic_botnet.py OUT.pcap        # writes the capture
    import synthetic_botnet as s; s.packets(); s.write_pcap(path)
    s.BOTS, s.SCANNER, s.CNC, s.CLIENTS, s.SERVERS, s.RESOLVER

Records: run flowshark with --keep-empty, or the scan's flows (no payload)
are left out.
"""

import random
import struct
import sys

SEED = 15
BASE = 1600000000
DURATION = 3600
SNAPLEN = 56
PERIOD = 60
SCAN_TARGETS = 23000
SCAN_START = 1200
SCAN_RATE = 400  # probes per second

CLIENTS = ["10.1.%d.%d" % (1 + i // 100, 10 + i % 100) for i in range(200)] + \
          ["192.168.1.%d" % (20 + i) for i in range(100)]
BOTS = ["10.1.200.%d" % (11 + i) for i in range(5)]
SCANNER = BOTS[0]
CNC = "203.0.113.66"
CNC_PORT = 443
SERVERS = ["198.18.%d.%d" % (1 + i // 40, 10 + i % 40) for i in range(80)]
RESOLVER = "198.19.255.53"

# TCP flags.
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def ip_header(src, dst, proto, total):
    a = bytes(int(x) for x in src.split("."))
    b = bytes(int(x) for x in dst.split("."))
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, a, b)
    return ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]


def payload_bytes(size, head):
    """size bytes of payload starting with head (only SNAPLEN bytes of a
    packet are written, so the rest is never stored)."""
    head = head[:size]
    return head + b"." * (size - len(head))


def tcp(src, dst, sport, dport, seq, ack, flags, size=0, head=b""):
    """The bytes of an IPv4/TCP packet with `size` payload bytes (no TCP
    options, so ip.len = 40 + size); the TCP checksum is left 0 (only the
    first SNAPLEN bytes are stored anyway)."""
    header = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                         5 << 4, flags, 65535, 0, 0)
    return ip_header(src, dst, 6, 40 + size) + header + payload_bytes(size, head)


def udp(src, dst, sport, dport, size, head=b""):
    header = struct.pack("!HHHH", sport, dport, 8 + size, 0)
    return ip_header(src, dst, 17, 28 + size) + header + payload_bytes(size, head)


class Connection:
    """A TCP connection being written: packets with their times, sequence
    numbers kept per side."""

    def __init__(self, out, client, server, sport, dport, t, rtt):
        self.out, self.client, self.server = out, client, server
        self.sport, self.dport, self.t, self.rtt = sport, dport, t, rtt
        self.cseq, self.sseq = 1000, 5000

    def send(self, from_client, flags, size=0, head=b"", dt=0.0):
        self.t += dt
        if from_client:
            data = tcp(self.client, self.server, self.sport, self.dport, self.cseq,
                       self.sseq, flags, size, head)
            self.cseq += size + (1 if flags & (SYN | FIN) else 0)
        else:
            data = tcp(self.server, self.client, self.dport, self.sport, self.sseq,
                       self.cseq, flags, size, head)
            self.sseq += size + (1 if flags & (SYN | FIN) else 0)
        self.out.append((self.t, data))

    def handshake(self):
        self.send(True, SYN)
        self.send(False, SYN | ACK, dt=self.rtt / 2)
        self.send(True, ACK, dt=self.rtt / 2)

    def close(self):
        self.send(True, FIN | ACK, dt=0.01)
        self.send(False, FIN | ACK, dt=self.rtt / 2)
        self.send(True, ACK, dt=self.rtt / 2)


def request_head(dport, size):
    if dport == 80:
        return b"GET /page HTTP/1.1\r\n"
    return b"\x17\x03\x03" + struct.pack("!H", max(size - 5, 0))


def response_head(dport, size):
    if dport == 80:
        return b"HTTP/1.1 200 OK\r\n"
    return b"\x17\x03\x03" + struct.pack("!H", max(size - 5, 0))


def visit(out, rng, client, t, sport):
    """One web visit of client at t (seconds from BASE), with its DNS
    query half of the time."""
    server = SERVERS[min(int(rng.paretovariate(1.2)) - 1, len(SERVERS) - 1)]
    rtt = 0.01 + 0.14 * (SERVERS.index(server) % 15) / 14
    if rng.random() < 0.5:
        q = rng.randint(28, 48)
        out.append((t, udp(client, RESOLVER, sport + 1, 53, q, b"\x12\x34\x01\x00")))
        r = q + rng.randint(16, 200)
        out.append((t + rng.uniform(0.005, 0.04), udp(RESOLVER, client, 53, sport + 1, r,
                                                      b"\x12\x34\x81\x80")))
        t += 0.05
    dport = 443 if rng.random() < 0.7 else 80
    c = Connection(out, client, server, sport, dport, t, rtt)
    c.handshake()
    for _ in range(rng.randint(1, 3)):
        size = rng.randint(150, 700)
        c.send(True, PSH | ACK, size, request_head(dport, size), dt=0.001)
        total = rng.randint(300, 14000)
        first = True
        segments = 0
        while total > 0:
            seg = min(total, 1460)
            c.send(False, ACK | (PSH if seg == total else 0), seg,
                   response_head(dport, seg) if first else b"",
                   dt=rtt / 2 + 0.005 if first else 0.001)
            first = False
            total -= seg
            segments += 1
            if segments % 2 == 0 or total == 0:
                c.send(True, ACK, dt=0.0005)
        c.t += rng.uniform(0.05, 2.0)  # the user reads
    c.close()


def browsing(out, rng, host, ports):
    n = rng.randint(3, 7)
    times = [rng.uniform(0, 900), rng.uniform(2700, DURATION - 60)]
    times += [rng.uniform(0, DURATION - 60) for _ in range(n - 2)]
    for t in sorted(times):
        visit(out, rng, host, t, next(ports))


def beacons(out, bot, i, ports):
    t = 3 + 11 * i
    while t < DURATION:
        c = Connection(out, bot, CNC, next(ports), CNC_PORT, t, 0.05)
        c.handshake()
        c.send(True, PSH | ACK, 180, b"\x17\x03\x03\x00\xaf", dt=0.01)
        c.send(False, PSH | ACK, 120, b"\x17\x03\x03\x00\x73", dt=0.05)
        c.send(True, ACK, dt=0.01)
        c.send(True, FIN | ACK, dt=0.04)
        c.send(False, FIN | ACK, dt=0.025)
        c.send(True, ACK, dt=0.025)
        t += PERIOD


def scan(out, rng):
    targets = rng.sample(range(1 << 22), SCAN_TARGETS)
    for k, n in enumerate(targets):
        target = "100.%d.%d.%d" % (64 + (n >> 16), (n >> 8) & 0xff, n & 0xff)
        dport = 2323 if k % 10 == 9 else 23
        sport = rng.randint(32768, 60999)
        t = SCAN_START + k / SCAN_RATE
        seq = rng.getrandbits(32)
        out.append((t, tcp(SCANNER, target, sport, dport, seq, 0, SYN)))
        if k % 5 == 0:
            out.append((t + rng.uniform(0.02, 0.2),
                        tcp(target, SCANNER, dport, sport, 0, seq + 1, RST | ACK)))


def ports_from(start):
    while True:
        yield start
        start += 2  # a DNS query may take start + 1
        if start > 65000:
            start = 49152


def packets():
    """[(time, bytes)] of the whole capture, in time order (time in epoch
    seconds; bytes: the whole packet, of which write_pcap stores SNAPLEN)."""
    rng = random.Random(SEED)
    out = []
    for i, host in enumerate(CLIENTS + BOTS):
        browsing(out, rng, host, ports_from(49152 + 37 * i))
    for i, bot in enumerate(BOTS):
        beacons(out, bot, i, ports_from(40001 + 200 * i))
    scan(out, rng)
    out.sort(key=lambda p: p[0])
    return [(BASE + t, data) for t, data in out if t < DURATION]


def write_pcap(path, pkts=None):
    """A pcap file (microseconds, raw IP, snap length SNAPLEN) of pkts
    (default: packets())."""
    if pkts is None:
        pkts = packets()
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, SNAPLEN, 101))
        for t, data in pkts:
            us = round(t * 1e6)
            kept = data[:SNAPLEN]
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(kept), len(data)))
            f.write(kept)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write_pcap(sys.argv[1])
