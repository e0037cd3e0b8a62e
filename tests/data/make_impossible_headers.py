#!/usr/bin/env python3
"""Writes the captures with impossible record headers (issue 10, defect 6)
into this folder: pcap records whose time fraction is negative or of one
second or more once wiretap reads it, and whose original length is over
2^31. One UDP and one TCP flow per capture, Ethernet/IPv4.

Usage: make_impossible_headers.py [OUTDIR]   (default: this script's folder)
"""
import os
import struct
import sys

USEC_MAGIC = 0xA1B2C3D4
NSEC_MAGIC = 0xA1B23C4D


def ether(payload):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + payload


def ipv4(src, dst, proto, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, 64, proto, 0,
                         bytes(src), bytes(dst))
    return header + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


CLIENT, SERVER = [10, 0, 0, 1], [10, 0, 0, 2]


def udp_packet(forward, size):
    if forward:
        return ether(ipv4(CLIENT, SERVER, 17, udp(40000, 7000, b"u" * size)))
    return ether(ipv4(SERVER, CLIENT, 17, udp(7000, 40000, b"v" * size)))


def tcp_packets():
    syn, ack, psh = 0x02, 0x10, 0x18
    return [
        ether(ipv4(CLIENT, SERVER, 6, tcp(50000, 80, 1000, 0, syn))),
        ether(ipv4(SERVER, CLIENT, 6, tcp(80, 50000, 5000, 1001, syn | ack))),
        ether(ipv4(CLIENT, SERVER, 6, tcp(50000, 80, 1001, 5001, ack))),
        ether(ipv4(CLIENT, SERVER, 6, tcp(50000, 80, 1001, 5001, psh, b"GET / x\r\n\r\n"))),
        ether(ipv4(SERVER, CLIENT, 6, tcp(80, 50000, 5001, 1012, ack))),
    ]


def pcap(magic, records):
    """records: (ts_sec, ts_frac, orig_len or None, data); orig_len None is
    the data's length."""
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, 65535, 1)
    for ts_sec, ts_frac, orig_len, data in records:
        orig = len(data) if orig_len is None else orig_len
        out += struct.pack("<IIII", ts_sec, ts_frac, len(data), orig) + data
    return out


def usec_records():
    """The first three records are sound, so that wiretap's guess of the
    pcap variant (from the first records) sees ordinary ones. ts_usec is multiplied by 1000 into a signed 32-bit
    nanosecond count, so 1500000 gives 1.5 s, 2500000 wraps to
    -1.794967296 s and 0xffffffff to -1 us."""
    base = 1600000000
    t = tcp_packets()
    return [
        (base, 100000, None, udp_packet(True, 10)),
        (base, 200000, None, t[0]),
        (base, 300000, None, t[1]),
        (base, 1500000, None, udp_packet(False, 20)),      # fraction >= 1 s
        (base + 2, 0xFFFFFFFF, None, udp_packet(True, 30)),  # fraction -1 us
        (base + 3, 2500000, None, udp_packet(False, 40)),   # wraps negative
        (base + 3, 400000, 0x90000000, t[2]),                # orig_len > 2^31
        (base + 3, 500000, 0xFFFFFFFF, t[3]),                # orig_len 2^32 - 1
        (base + 4, 999999, None, t[4]),
        (base + 4, 999999, 0x80000000, udp_packet(True, 50)),  # orig_len 2^31
    ]


def nsec_records():
    """ts_nsec goes straight into the signed 32-bit nanosecond count:
    1500000000 is 1.5 s, 0x80000000 is -2.147483648 s, 0xffffffff -1 ns."""
    base = 1600000000
    t = tcp_packets()
    return [
        (base, 100000000, None, udp_packet(True, 10)),
        (base, 200000000, None, t[0]),
        (base, 300000000, None, t[1]),
        (base, 1500000000, None, udp_packet(False, 20)),   # fraction >= 1 s
        (base + 2, 0xFFFFFFFF, None, udp_packet(True, 30)),  # fraction -1 ns
        (base + 5, 0x80000000, None, udp_packet(False, 40)),  # -2.147483648 s
        (base + 3, 400000000, 0x90000000, t[2]),           # orig_len > 2^31
        (base + 3, 999999999, 0xFFFFFFFF, t[3]),           # orig_len 2^32 - 1
        (base + 4, 1999999999, None, t[4]),                # fraction >= 1 s
        (base + 4, 5, 0x80000000, udp_packet(True, 50)),   # orig_len 2^31
    ]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    files = {
        "impossible-headers-usec.pcap": pcap(USEC_MAGIC, usec_records()),
        "impossible-headers-nsec.pcap": pcap(NSEC_MAGIC, nsec_records()),
    }
    for name, data in files.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
