#!/usr/bin/env python3
"""NFStream features (--stats, --splt) of flowshark against an oracle built
from tshark alone (Python standard library only).

For one capture, runs tshark once:

    tshark -r CAPTURE -Y DEFAULT_FILTER -T fields -e frame.protocols
        -e frame.time_epoch -e frame.len -e ip.len -e ipv6.plen -e tcp.len
        -e tcp.hdr_len -e udp.length -e tcp.flags -e eth.src -e eth.dst
        -e vlan.id -e ...stream, ports and addresses

groups the packets into flows by tcp.stream/udp.stream (the innermost
TCP/UDP layer, as the flow-record spec says), computes every --stats and
--splt key independently (sums and exact means through fractions, not
flowshark's running formulas), and compares them with flowshark's records
for each accounting mode (0-3) and both --direction rules: integers and
arrays exactly, floats to 1e-9 relative.

Definitions (NFStream's): times in integer milliseconds (seconds * 1000 +
the fraction's first three digits); piat = difference of consecutive packet
times (of the flow, or of the direction); stddev = sample standard deviation
(n - 1), 0 for fewer than two values; min/max/mean 0 without values; sizes:
0 frame.len, 1 ip.len / ipv6.plen, 2 tcp.hdr_len + tcp.len - 20 or
udp.length - 8, 3 tcp.len or udp.length - 8; src_mac/dst_mac from the first
packet's first eth.src/eth.dst (swapped when it goes dst to src); vlan_id
the first packet's last vlan.id; ip_version of the IP header carrying the
flow's transport header.

Usage: compare_features.py --flowshark BIN [--tshark tshark] CAPTURE...
Exits 0 only when every capture and combination agrees.
"""
import argparse
import json
import math
import os
import subprocess
import sys
from fractions import Fraction

DEFAULT_FILTER = ("(ip or ipv6) and not icmp and not icmpv6"
                  " and not tcp.analysis.retransmission and not mdns and not ssdp"
                  " and (tcp or udp)")
FIELDS = ["frame.protocols", "frame.time_epoch", "frame.len",
          "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.len", "tcp.hdr_len", "tcp.flags",
          "udp.stream", "udp.srcport", "udp.dstport", "udp.length",
          "ip.src", "ip.dst", "ip.len", "ipv6.src", "ipv6.dst", "ipv6.plen",
          "eth.src", "eth.dst", "vlan.id"]
COL = {name: i for i, name in enumerate(FIELDS)}
TRANSPORT = {"tcp": ("tcp.stream", "tcp.srcport", "tcp.dstport"),
             "udp": ("udp.stream", "udp.srcport", "udp.dstport")}
IPS = {"ip": ("ip.src", "ip.dst", "ip.len"), "ipv6": ("ipv6.src", "ipv6.dst", "ipv6.plen")}
FLAGS = [("syn", 0x02), ("cwr", 0x80), ("ece", 0x40), ("urg", 0x20),
         ("ack", 0x10), ("psh", 0x08), ("rst", 0x04), ("fin", 0x01)]
DIRS = ["bidirectional", "src2dst", "dst2src"]
SPLT = 7


def values(cols, name):
    text = cols[COL[name]]
    return text.split(",") if text else []


def nth(cols, name, index):
    v = values(cols, name)
    return v[index] if index < len(v) else None


def parse(line):
    """One tshark line to a packet dict, or None when it is in no flow."""
    cols = line.split("\t")
    layers = cols[COL["frame.protocols"]].split(":")
    tpos = max((i for i, n in enumerate(layers) if n in TRANSPORT), default=None)
    if tpos is None or any(n in ("icmp", "icmpv6") for n in layers[:tpos]):
        return None
    ipos = max((i for i in range(tpos) if layers[i] in IPS), default=None)
    if ipos is None:
        return None
    proto, ipname = layers[tpos], layers[ipos]
    t_i, ip_i = layers[:tpos].count(proto), layers[:ipos].count(ipname)
    f_stream, f_sport, f_dport = TRANSPORT[proto]
    stream = nth(cols, f_stream, t_i)
    if stream is None:
        return None
    secs, _, frac = cols[COL["frame.time_epoch"]].partition(".")
    time_ms = int(secs) * 1000 + int((frac + "000")[:3])
    f_src, f_dst, f_len = IPS[ipname]
    tcp = proto == "tcp"
    tlen = nth(cols, "tcp.len" if tcp else "udp.length", t_i)
    tlen = int(tlen) if tlen is not None else 0
    hdr = int(nth(cols, "tcp.hdr_len", t_i) or 0) if tcp else 0
    flags = int(nth(cols, "tcp.flags", t_i) or "0", 16) if tcp else 0
    eth_src, eth_dst, vlans = values(cols, "eth.src"), values(cols, "eth.dst"), values(cols, "vlan.id")
    ip_len = int(nth(cols, f_len, ip_i) or 0)
    sizes = [int(cols[COL["frame.len"]]), ip_len,
             max(0, hdr + tlen - 20) if tcp else max(0, tlen - 8),
             tlen if tcp else max(0, tlen - 8)]
    return {"key": (proto, int(stream)), "src": nth(cols, f_src, ip_i), "dst": nth(cols, f_dst, ip_i),
            "sport": int(nth(cols, f_sport, t_i)), "dport": int(nth(cols, f_dport, t_i)),
            "time": time_ms, "sizes": sizes, "flags": flags,
            "src_mac": eth_src[0] if eth_src else "", "dst_mac": eth_dst[0] if eth_dst else "",
            "vlan": int(vlans[-1]) if vlans else 0, "ip_version": 4 if ipname == "ip" else 6}


def series(xs):
    """(min, mean, stddev, max) as the oracle defines them."""
    if not xs:
        return 0, 0.0, 0.0, 0
    mean = Fraction(sum(xs), len(xs))
    var = sum((Fraction(x) - mean) ** 2 for x in xs) / (len(xs) - 1) if len(xs) > 1 else 0
    return min(xs), float(mean), math.sqrt(var), max(xs)


def expected(packets, mode, direction):
    first = packets[0]
    if direction == "first" or first["sport"] > first["dport"]:
        src, sport = first["src"], first["sport"]
    else:
        src, sport = first["dst"], first["dport"]
    fwd0 = (first["src"], first["sport"]) == (src, sport)
    rec = {"src_mac": first["src_mac"] if fwd0 else first["dst_mac"],
           "dst_mac": first["dst_mac"] if fwd0 else first["src_mac"],
           "ip_version": first["ip_version"], "vlan_id": first["vlan"]}
    groups = {"bidirectional": packets,
              "src2dst": [p for p in packets if (p["src"], p["sport"]) == (src, sport)],
              "dst2src": [p for p in packets if (p["src"], p["sport"]) != (src, sport)]}
    for d in DIRS:
        ps = groups[d]
        times = [p["time"] for p in ps]
        rec[f"{d}_first_seen_ms"] = times[0] if ps else 0
        rec[f"{d}_last_seen_ms"] = times[-1] if ps else 0
        rec[f"{d}_duration_ms"] = (times[-1] - times[0]) if ps else 0
        rec[f"{d}_packets"] = len(ps)
        rec[f"{d}_bytes"] = sum(p["sizes"][mode] for p in ps)
    for d in DIRS:
        for name, v in zip(("min", "mean", "stddev", "max"), series([p["sizes"][mode] for p in groups[d]])):
            rec[f"{d}_{name}_ps"] = v
    for d in DIRS:
        t = [p["time"] for p in groups[d]]
        for name, v in zip(("min", "mean", "stddev", "max"), series([b - a for a, b in zip(t, t[1:])])):
            rec[f"{d}_{name}_piat_ms"] = v
    for d in DIRS:
        for name, bit in FLAGS:
            rec[f"{d}_{name}_packets"] = sum(1 for p in groups[d] if p["flags"] & bit)
    head = packets[:SPLT]
    pad = [-1] * (SPLT - len(head))
    rec["splt_direction"] = [0 if (p["src"], p["sport"]) == (src, sport) else 1 for p in head] + pad
    rec["splt_ps"] = [p["sizes"][mode] for p in head] + pad
    rec["splt_piat_ms"] = [0] + [b["time"] - a["time"] for a, b in zip(head, head[1:])] + pad
    rec["splt_piat_ms"] = rec["splt_piat_ms"][:SPLT]
    return rec


def same(want, got):
    if isinstance(want, float):
        return isinstance(got, (int, float)) and math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9)
    return type(want) is type(got) and want == got


def run(argv, env):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=900)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def check_capture(args, capture, env):
    argv = [args.tshark, "-r", capture, "-Y", DEFAULT_FILTER, "-T", "fields"]
    for f in FIELDS:
        argv += ["-e", f]
    status, out, err = run(argv, env)
    if status not in (0, 2):
        return [f"tshark exited {status}: {err.strip()[-300:]}"]
    flows = {}
    for line in out.split("\n"):
        if line:
            p = parse(line)
            if p:
                flows.setdefault(p["key"], []).append(p)
    problems = []
    for mode in range(4):
        for direction in ("port", "first"):
            status, out, err = run([args.flowshark, "-r", capture, "--keep-empty", "--stats",
                                    "--splt", str(SPLT), "--accounting-mode", str(mode),
                                    "--direction", direction], env)
            if status not in (0, 2):
                problems.append(f"flowshark exited {status}: {err.strip()[-300:]}")
                continue
            records = {(r["protocol"], r["stream"]): r for r in map(json.loads, out.splitlines())}
            label = f"mode {mode}, direction {direction}"
            if set(records) != set(flows):
                problems.append(f"{label}: flows differ: only tshark {sorted(set(flows) - set(records))[:5]}, "
                                f"only flowshark {sorted(set(records) - set(flows))[:5]}")
            for key in sorted(set(records) & set(flows)):
                want, got = expected(flows[key], mode, direction), records[key]
                bad = [k for k in want if k not in got or not same(want[k], got[k])]
                if bad:
                    problems.append(f"{label}: {key}: " + "; ".join(
                        f"{k}: tshark {want[k]!r}, flowshark {got.get(k)!r}" for k in bad[:4]))
    print(f"{capture}: {len(flows)} flows, {len(problems)} problems")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("captures", nargs="+")
    args = parser.parse_args(argv)
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    failed = 0
    for capture in args.captures:
        problems = check_capture(args, capture, env)
        for p in problems[:20]:
            print("  " + p)
        failed += bool(problems)
    print(f"{len(args.captures) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
