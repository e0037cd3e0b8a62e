#!/usr/bin/env python3
"""Size limits: writes three synthetic captures and checks that flowshark
completes on each with the right records, printing time and peak RSS:

  one-flow     one UDP flow of --packets packets (default 1,000,000)
  many-flows   --flows UDP flows of one packet each (default 1,000,000)
  big-packet   one TCP flow whose data packet is a 65,535-byte IPv4 datagram

Too slow for every test run (about a minute, more under sanitizers), so it
is not part of ctest: run it by hand or in a benchmark session.

Usage: limits.py --flowshark BIN [--packets N] [--flows N] [--work DIR]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"


def ipv4(src, dst, proto, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                         src, dst)
    return header + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, seq, ack, flags, data):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data


def write_pcap(path, frames):
    """frames: iterable of (seconds, microseconds, ethernet frame bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for secs, usecs, frame in frames:
            f.write(struct.pack("<IIII", secs, usecs, len(frame), len(frame)))
            f.write(frame)


def one_flow(count):
    a, b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    for i in range(count):
        forward = i % 2 == 0
        payload = udp(40000 if forward else 5000, 5000 if forward else 40000, b"x" * 20)
        yield 1000 + i // 1000000, i % 1000000, ETH + ipv4(a if forward else b,
                                                           b if forward else a, 17, payload)


def many_flows(count):
    for i in range(count):
        src = bytes([10, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF])
        payload = udp(1024 + i % 60000, 7, b"y" * 10)
        yield 2000 + i // 1000000, i % 1000000, ETH + ipv4(src, bytes([192, 0, 2, 1]), 17,
                                                           payload)


def big_packet():
    a, b = bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2])
    syn, ack_flag, psh_ack = 0x02, 0x10, 0x18
    data = bytes(range(256)) * 255 + bytes(range(255 - 40))  # 65,495 bytes
    yield 3000, 0, ETH + ipv4(a, b, 6, tcp(40000, 80, 0, 0, syn, b""))
    yield 3000, 1, ETH + ipv4(b, a, 6, tcp(80, 40000, 0, 1, syn | ack_flag, b""))
    yield 3000, 2, ETH + ipv4(a, b, 6, tcp(40000, 80, 1, 1, ack_flag, b""))
    yield 3000, 3, ETH + ipv4(a, b, 6, tcp(40000, 80, 1, 1, psh_ack, data))


def run(flowshark, path, check):
    """Runs flowshark on path under /usr/bin/time (so the peak RSS is
    flowshark's own, not inherited from this Python process) and checks the
    records one by one; returns (seconds, peak RSS MB, records, check ok)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        status = subprocess.call(["/usr/bin/time", "-f", "maxrss_kb=%M", flowshark, "-r", path],
                                 stdout=out, stderr=err)
        seconds = time.monotonic() - start
        err.seek(0)
        messages = err.read().decode(errors="replace")
        if status != 0:
            raise SystemExit(f"{path}: flowshark failed ({status}): {messages}")
        rss_kb = int(messages.rsplit("maxrss_kb=", 1)[1].split()[0])
        out.seek(0)
        count, ok = 0, True
        for line in out:
            ok = check(json.loads(line)) and ok
            count += 1
    return seconds, rss_kb / 1024, count, ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--packets", type=int, default=1000000)
    parser.add_argument("--flows", type=int, default=1000000)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="flowshark-limits-")
    failures = 0
    cases = [
        ("one-flow", one_flow(args.packets), 1,
         lambda r: len(r["ip_lengths"]) == args.packets),
        ("many-flows", many_flows(args.flows), args.flows,
         lambda r: len(r["ip_lengths"]) == 1),
        ("big-packet", big_packet(), 1,
         lambda r: r["ip_lengths"] == [40, -40, 40, 65535] and r["payload_lengths"] == [65495]),
    ]
    for name, frames, want_records, check in cases:
        path = os.path.join(work, name + ".pcap")
        write_pcap(path, frames)
        seconds, rss, count, ok = run(os.path.abspath(args.flowshark), path, check)
        ok = ok and count == want_records
        failures += not ok
        size = os.path.getsize(path) / 1e6
        print(f"{name}: {'ok' if ok else 'WRONG RECORDS'}: {size:.1f} MB, {count} records, "
              f"{seconds:.1f} s, peak RSS {rss:.0f} MB")
        os.unlink(path)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
