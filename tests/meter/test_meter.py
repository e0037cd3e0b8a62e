#!/usr/bin/env python3
"""The flow meter: --idle-timeout, --active-timeout, --all-protocols and the
VLAN key of --nfstream, on a capture this test writes with known gaps, and
the timeouts' neutrality on every sample (Python standard library only).

- Pieces: the capture's streams, with gaps and durations chosen around the
  timeouts, must give exactly the pieces the rule (NFStream's: a packet at
  least the idle timeout after its flow's latest packet, or the active
  timeout after its first, begins a new flow) gives on the packet list the
  test wrote, with expiration_id, stream_piece and the order in which
  records come out (ended flows first, as they end).
- Streaming: fed through a FIFO, a flow's record comes out as soon as a
  later packet ends it, before the capture ends.
- Neutral: with timeouts longer than any capture, the records of every
  sample equal the default mode's (less the two added keys).
- Memory is the benchmark's business (bench/), not a test's.

Usage: test_meter.py --flowshark BIN --samples DIR
"""
import argparse
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


# ---- a capture written by the test ----

def ipv4(src, dst, proto, payload, ident=1):
    total = 20 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0, 64, proto, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return header + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, seq, ack, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data


def icmp_echo(kind, ident, seq):
    return struct.pack("!BBHHH", kind, 0, 0, ident, seq) + b"ping" * 8


def ether(ip, vlan=None):
    head = b"\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa"
    if vlan is not None:
        head += struct.pack("!HH", 0x8100, vlan)
    return head + b"\x08\x00" + ip


def write_pcap(path, packets):
    """packets: (time in seconds, frame bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, frame in packets:
            secs, usecs = int(t), round((t - int(t)) * 1e6)
            f.write(struct.pack("<IIII", secs, usecs, len(frame), len(frame)) + frame)


BASE = 1_700_000_000


def build_packets():
    """The test capture's packets and, per flow key, the times of its
    packets. Keys: ("udp"|"tcp"|"icmp", vlan)."""
    packets = []  # (time, frame, key)
    # UDP 10.0.0.1:5000 <-> 10.0.0.2:53, no VLAN: gaps of 8 and 19 s.
    for i, t in enumerate([0, 1, 2, 10, 11, 30]):
        fwd = i % 2 == 0
        ip = ipv4("10.0.0.1", "10.0.0.2", 17, udp(5000, 53, b"q" * 20)) if fwd else \
            ipv4("10.0.0.2", "10.0.0.1", 17, udp(53, 5000, b"r" * 40))
        packets.append((t, ether(ip), ("udp", None)))
    # TCP 10.0.0.3:40000 <-> 10.0.0.4:80, a packet every second for 25 s.
    seq_c, seq_s = 1000, 5000
    for i in range(26):
        t = 0.5 + i
        if i % 2 == 0:
            ip = ipv4("10.0.0.3", "10.0.0.4", 6, tcp(40000, 80, seq_c, seq_s, 0x18, b"c" * 10))
            seq_c += 10
        else:
            ip = ipv4("10.0.0.4", "10.0.0.3", 6, tcp(80, 40000, seq_s, seq_c, 0x18, b"s" * 30))
            seq_s += 30
        packets.append((t, ether(ip), ("tcp", None)))
    # ICMP echo 10.0.0.5 <-> 10.0.0.6, pairs at 3 s and 4 s, then 20 s.
    for i, t in enumerate([3, 3.001, 4, 4.001, 20, 20.001]):
        kind = 8 if i % 2 == 0 else 0
        src, dst = ("10.0.0.5", "10.0.0.6") if kind == 8 else ("10.0.0.6", "10.0.0.5")
        packets.append((t + 0.25, ether(ipv4(src, dst, 1, icmp_echo(kind, 7, i // 2))),
                        ("icmp", None)))
    # UDP 10.0.0.7:6000 <-> 10.0.0.8:6001 in VLAN 10 and VLAN 20 (one
    # Wireshark stream, two NFStream flows).
    for i, t in enumerate([5, 6, 7, 8]):
        vlan = 10 if i % 2 == 0 else 20
        packets.append((t + 0.75, ether(ipv4("10.0.0.7", "10.0.0.8", 17, udp(6000, 6001, b"v" * 12)),
                                         vlan), ("vlan", vlan)))
    packets.sort(key=lambda p: p[0])
    return packets


def expected_pieces(packets, idle, active, vlan_key):
    """The rule applied to the packet list: for each flow key, its pieces
    (times, expiration_id) in the order they end; open ones at the end."""
    open_flows, ended = {}, []
    for t, _, key in packets:
        if key[0] == "vlan" and not vlan_key:
            key = ("vlan", None)
        ms = int(round(t * 1000))
        # Flows idle for the timeout at this packet's time end first.
        for k in sorted(open_flows, key=lambda k: open_flows[k]["last"]):
            f = open_flows[k]
            if idle and ms - f["last"] >= idle * 1000 and k != key:
                ended.append((k, f["times"], 0))
                del open_flows[k]
        f = open_flows.get(key)
        if f and idle and ms - f["last"] >= idle * 1000:
            ended.append((key, f["times"], 0))
            f = None
        elif f and active and ms - f["first"] >= active * 1000:
            ended.append((key, f["times"], 1))
            f = None
        if not f:
            f = open_flows[key] = {"first": ms, "last": ms, "times": []}
        f["last"] = ms
        f["times"].append(t)
    return ended, open_flows


def record_key(r):
    if r["protocol"] == "icmp":
        return ("icmp", None)
    if r["sport"] in (6000, 6001):
        return ("vlan", r.get("vlan_id") or None)
    return (r["protocol"], None)


def run(flowshark, args, capture):
    proc = subprocess.run([flowshark, "-q", "-r", capture] + args, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode not in (0, 2):  # 2: a sample cut short on purpose
        raise SystemExit(f"flowshark {args} failed: {proc.stderr}")
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check_pieces(flowshark, capture, packets, idle, active, extra, vlan_key):
    args = ["--no-exclusions", "--keep-empty", "--all-protocols"] + extra
    if idle:
        args += ["--idle-timeout", str(idle)]
    if active:
        args += ["--active-timeout", str(active)]
    records = run(flowshark, args, capture)
    ended, still_open = expected_pieces(packets, idle, active, vlan_key)
    name = f"idle {idle} active {active} {' '.join(extra)}"
    # Records of ended flows come first, in the order they ended.
    got_ended = [(record_key(r), [round(t - BASE, 3) for t in r["ip_timestamps"]],
                  r["expiration_id"]) for r in records[:len(ended)]]
    want_ended = [(k, [round(t, 3) for t in times], e) for k, times, e in ended]
    check(got_ended == want_ended, f"{name}: {len(ended)} flows ended by a timeout, in order")
    rest = {record_key(r): ([round(t - BASE, 3) for t in r["ip_timestamps"]],
                            r["expiration_id"]) for r in records[len(ended):]}
    want_rest = {k: ([round(t, 3) for t in f["times"]], 0) for k, f in still_open.items()}
    check(rest == want_rest and len(records) == len(ended) + len(still_open),
          f"{name}: {len(still_open)} flows open at the end, expiration_id 0")
    # stream_piece counts the pieces of each stream.
    pieces = {}
    good = True
    for r in records:
        k = (r["protocol"], r["stream"], r.get("vlan_id"))
        good &= r["stream_piece"] == pieces.get(k, 0)
        pieces[k] = pieces.get(k, 0) + 1
    check(good, f"{name}: stream_piece numbers each stream's pieces 0, 1, 2... in order")
    return records


def check_streaming(flowshark, tmp):
    """A FIFO capture: flow A's record must come out when flow B's packet
    ends it, while the capture is still open."""
    fifo = os.path.join(tmp, "live.fifo")
    os.mkfifo(fifo)
    proc = subprocess.Popen([flowshark, "-q", "-r", fifo, "--idle-timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with open(fifo, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            frames = [(BASE, ipv4("10.1.0.1", "10.1.0.2", 17, udp(1111, 53, b"a" * 10))),
                      (BASE + 1, ipv4("10.1.0.2", "10.1.0.1", 17, udp(53, 1111, b"b" * 10))),
                      (BASE + 100, ipv4("10.1.0.3", "10.1.0.4", 17, udp(2222, 53, b"c" * 10)))]
            for t, ip in frames:
                frame = ether(ip)
                f.write(struct.pack("<IIII", t, 0, len(frame), len(frame)) + frame)
            f.flush()
            # Wait (generously) for the first record, the FIFO still open.
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            first = json.loads(proc.stdout.readline()) if ready else None
            check(first is not None and first["sport"] == 1111 and first["expiration_id"] == 0,
                  "streaming: a flow's record is written when a later packet ends it, "
                  "before the capture ends")
        rest = proc.stdout.read().decode().splitlines()
        proc.wait(timeout=60)
        check(proc.returncode == 0 and len(rest) == 1 and json.loads(rest[0])["sport"] == 2222,
              "streaming: the open flow is written at the end")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        packets = [(t, f, k) for t, f, k in build_packets()]
        capture = os.path.join(tmp, "gaps.pcap")
        write_pcap(capture, [(BASE + t, f) for t, f, _ in packets])
        # Idle 5: UDP splits at its 8 s and 19 s gaps, ICMP at its 16 s gap.
        check_pieces(args.flowshark, capture, packets, 5, 0, [], False)
        # Active 10: TCP in three pieces (0.5-9.5, 10.5-19.5, 20.5-25.5), UDP too.
        check_pieces(args.flowshark, capture, packets, 0, 10, [], False)
        # Both, and the VLAN key (--nfstream's): the VLAN stream in two flows.
        records = check_pieces(args.flowshark, capture, packets, 5, 10,
                               ["--nfstream"], True)
        vlans = sorted(r["vlan_id"] for r in records if r["sport"] in (6000, 6001))
        check(vlans == [10, 20], f"--nfstream: one stream in VLANs 10 and 20 is two flows {vlans}")
        check(len({r["stream"] for r in records if r["sport"] in (6000, 6001)}) == 1,
              "--nfstream: both are pieces of one udp.stream")
        check_streaming(args.flowshark, tmp)

    # Timeouts longer than any capture: the default mode's records.
    never = ["--idle-timeout", "2147483647", "--active-timeout", "2147483647"]
    samples = sorted(os.path.join(args.samples, n) for n in os.listdir(args.samples)
                     if n.endswith((".pcap", ".pcapng")))
    same = 0
    for sample in samples:
        plain = run(args.flowshark, [], sample)
        timed = run(args.flowshark, never, sample)
        for r in timed:
            r.pop("expiration_id")
            r.pop("stream_piece")
        same += plain == timed
        if plain != timed:
            print(f"  differs: {sample}")
    check(same == len(samples), f"timeouts longer than the capture: records equal the default "
          f"mode's on {same}/{len(samples)} samples")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
