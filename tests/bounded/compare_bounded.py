#!/usr/bin/env python3
"""The bounded-memory mode (--reset-every N) against the exact mode on every
sample (Python standard library only).

For each sample (every *.pcap and *.pcapng of --samples; all of them read
in one flowshark run per option set, each by its own worker, so that
libwireshark starts a few times rather than a hundred):

1. One chunk (N larger than any capture) must give the exact mode's records,
   with the default keys and with --stats --splt 8 --ndpi --direction first,
   and the same exit status and warnings.

2. For each row of the cases file (tests/bounded/cases.txt: sample, N and
   the figures measured at that N), the records at --reset-every N are
   compared with the exact mode's, both with the keys of --stats, --splt 8,
   --ndpi and --direction first added (these keys travel from the chunk
   workers too). Flows are paired by protocol, src, sport, dst, dport and
   first timestamp (not by stream: one flow missing shifts the stream
   numbers of all later flows). Then:
   - the share of flows whose records are identical (every key) is at least
     the row's floor, and so is the share identical but for `stream`;
   - no more flows than the row allows are without a counterpart;
   and these hold exactly, whatever the row says:
   - streams keep their order: two paired flows of one protocol are
     numbered in the same order in both modes;
   - a paired flow with the same packets in both modes (ip_timestamps and
     ip_lengths) has the same value in both for every key but stream,
     ext_protocols and extension (the --stats, --splt and --ndpi keys are computed from the
     packets; the Protocol column and the fields come from the dissection,
     which lacks the earlier chunks' state);
   - every packet in one mode's flows and not in the other's is, in tshark's
     one pass over the whole capture (the oracle, run only when some packet
     differs), at the same time and ports as an IP fragment (the datagram is
     reassembled in another chunk, or not at all) or as a TCP segment that
     TCP analysis flags: retransmission when only the bounded mode keeps it
     (the exact mode excludes retransmissions; a worker that did not see the
     first transmission does not), any flag when only the exact mode keeps
     it (a worker saw it as a retransmission).

A row's floors are the figures measured when it was written (see the cases
file for the reasons of each sample's differences), so a change that makes
seams worse fails here; one that makes them better passes and should raise
the floor. Every sample must have a row and every row a sample.

Usage: compare_bounded.py --flowshark BIN --samples DIR [--tshark tshark]
                          [--cases FILE]
Exits 0 when every check of every sample passes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from fractions import Fraction

FIELDS = ["tls.handshake.extensions_server_name", "tls.handshake.ciphersuite", "dns.qry.name",
          "http.host", "x509sat.uTF8String"]
EXTRAS = ["--stats", "--splt", "8", "--ndpi", "--direction", "first"]
ONE_CHUNK = ["--reset-every", "100000000"]
# Keys that come from the dissection rather than from the packets alone.
DISSECTION_KEYS = {"stream", "ext_protocols", "extension"}
# tshark fields (-E occurrence=a: every layer's) that say why a packet can
# be in one mode's flows only.
ORACLE_FIELDS = ["frame.time_epoch", "tcp.port", "udp.port", "tcp.analysis.flags",
                 "tcp.analysis.retransmission", "ip.flags.mf", "ip.frag_offset",
                 "ipv6.fraghdr.ident"]


def records(flowshark, samples, names, extra):
    """flowshark's exit status, standard error and records (floats as
    Decimal, so that timestamps compare as printed) for several samples read
    in one run (each by its own worker, as if alone), by sample. -q: no
    summary line (its time differs from run to run)."""
    args = [flowshark, "-q"]
    for name in names:
        args += ["-r", name]
    for field in FIELDS:
        args += ["-e", field]
    proc = subprocess.run(args + extra, capture_output=True, cwd=samples)
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(args + extra)}: exit {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')}")
    by_sample = {name: [] for name in names}
    for line in proc.stdout.decode().splitlines():
        record = json.loads(line, parse_float=Decimal)
        by_sample[record["file"]].append(record)
    return proc.returncode, proc.stderr.decode(errors="replace"), by_sample


def flow_key(record):
    first = record["ip_timestamps"][0] if record["ip_timestamps"] else None
    return (record["protocol"], record["src"], record["sport"], record["dst"], record["dport"],
            first)


def by_key(flows, label):
    """Flows by flow_key; fails the run when two flows share one (the
    pairing would be ambiguous)."""
    keyed = {}
    for record in flows:
        key = flow_key(record)
        if key in keyed:
            raise SystemExit(f"{label}: two flows share the key {key}")
        keyed[key] = record
    return keyed


def packets(flows):
    """The multiset of packets: (protocol, ends, timestamp, IP length)."""
    counter = Counter()
    for r in flows:
        ends = frozenset([(r["src"], r["sport"]), (r["dst"], r["dport"])])
        for ts, length in zip(r["ip_timestamps"], r["ip_lengths"]):
            counter[(r["protocol"], ends, ts, abs(length))] += 1
    return counter


def oracle_frames(tshark, samples, name):
    """tshark's frames of the whole capture by timestamp: lists of (ports,
    retransmission, any TCP analysis flag, IP fragment)."""
    args = [tshark, "-n", "-r", name, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for field in ORACLE_FIELDS:
        args += ["-e", field]
    proc = subprocess.run(args, capture_output=True, cwd=samples)
    if proc.returncode not in (0, 2):
        raise SystemExit(f"tshark on {name}: exit {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')}")
    frames = {}
    for line in proc.stdout.decode().splitlines():
        cols = dict(zip(ORACLE_FIELDS, line.split("\t")))
        ports = {int(p) for f in ("tcp.port", "udp.port") for p in cols[f].split(",") if p}
        fragment = ("1" in cols["ip.flags.mf"].split(",")
                    or any(o not in ("", "0") for o in cols["ip.frag_offset"].split(","))
                    or cols["ipv6.fraghdr.ident"] != "")
        frames.setdefault(Decimal(cols["frame.time_epoch"]), []).append(
            (ports, cols["tcp.analysis.retransmission"] != "", cols["tcp.analysis.flags"] != "",
             fragment))
    return frames


def explained(frames, packet, only_bounded):
    """Whether a packet kept by one mode only is one the oracle explains."""
    _, ends, ts, _ = packet
    ports = {port for _, port in ends}
    for frame_ports, retransmission, analysis, fragment in frames.get(ts, []):
        if ports <= frame_ports and (fragment or (retransmission if only_bounded else analysis)):
            return True
    return False


def read_cases(path):
    """Rows of the cases file: (sample, N, identical, identical but for
    stream, unmatched at most)."""
    rows = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            cols = [c.strip() for c in line.split("|")]
            if len(cols) != 5:
                raise SystemExit(f"{path}:{number}: expected 5 columns")
            rows.append((cols[0], int(cols[1]), Fraction(cols[2]), Fraction(cols[3]),
                         int(cols[4])))
    return rows


def packet_count(name, samples):
    """The capture's record count from capinfos (information only), or None."""
    capinfos = shutil.which("capinfos")
    if not capinfos:
        return None
    proc = subprocess.run([capinfos, "-T", "-r", "-c", name], capture_output=True, cwd=samples)
    try:
        return int(proc.stdout.decode().split("\t")[1])
    except (IndexError, ValueError):
        return None


class Checker:
    def __init__(self):
        self.failures = 0

    def check(self, ok, message):
        if not ok:
            print(f"FAIL {message}")
            self.failures += 1
        return ok


def compare_at(args, name, n, count, exact, bounded_list, floors, frames, checker):
    """Checks one row: the records at --reset-every n against exact (count:
    the sample's packets, or None)."""
    identical_floor, same_floor, unmatched_max = floors
    bounded = by_key(bounded_list, f"{name} N={n}")
    paired = exact.keys() & bounded.keys()
    unmatched = len(exact.keys() ^ bounded.keys())
    identical = same = stream_moved = 0
    differing = Counter()
    for key in paired:
        a, b = exact[key], bounded[key]
        if a == b:
            identical += 1
            same += 1
            continue
        names = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
        differing.update(names)
        if names == ["stream"]:
            same += 1
        if "stream" in names:
            stream_moved += 1
        if (a["ip_timestamps"], a["ip_lengths"]) == (b["ip_timestamps"], b["ip_lengths"]):
            wrong = sorted(set(names) - DISSECTION_KEYS)
            checker.check(not wrong, f"{name} N={n}: flow {key} has the same packets in both "
                          f"modes but other {', '.join(wrong)}")
    for protocol in ("tcp", "udp"):
        keys = [k for k in paired if k[0] == protocol]
        order_exact = sorted(keys, key=lambda k: exact[k]["stream"])
        order_bounded = sorted(keys, key=lambda k: bounded[k]["stream"])
        checker.check(order_exact == order_bounded,
                      f"{name} N={n}: {protocol} streams numbered in another order")

    exact_packets = packets(exact.values())
    bounded_packets = packets(bounded.values())
    moved = [(p, False) for p in exact_packets - bounded_packets] + \
            [(p, True) for p in bounded_packets - exact_packets]
    if moved and frames.get(name) is None:
        frames[name] = oracle_frames(args.tshark, args.samples, name)
    for packet, only_bounded in moved:
        checker.check(explained(frames[name], packet, only_bounded),
                      f"{name} N={n}: packet {packet[0]} {sorted(packet[1])} at {packet[2]} "
                      f"only in the {'bounded' if only_bounded else 'exact'} mode, and tshark "
                      f"shows no {'retransmission' if only_bounded else 'TCP analysis flag'} "
                      f"or IP fragment there")

    flows = len(exact)
    share = Fraction(identical, flows) if flows else Fraction(1)
    same_share = Fraction(same, flows) if flows else Fraction(1)
    detail = ", ".join(f"{k} {v}" for k, v in sorted(differing.items()))
    chunks = f" ({-(-count // n)} chunks)" if count else ""
    print(f"{name} N={n}{chunks}: {identical}/{flows} flows identical ({float(share):.1%}), "
          f"{same}/{flows} but for stream ({stream_moved} renumbered), {unmatched} unmatched, "
          f"{len(moved)} packets in one mode only"
          + (f"; differing keys: {detail}" if detail else ""))
    checker.check(share >= identical_floor,
                  f"{name} N={n}: {identical}/{flows} identical, below the floor {identical_floor}")
    checker.check(same_share >= same_floor,
                  f"{name} N={n}: {same}/{flows} identical but for stream, below the floor "
                  f"{same_floor}")
    checker.check(unmatched <= unmatched_max,
                  f"{name} N={n}: {unmatched} flows without a counterpart, more than "
                  f"{unmatched_max}")
    return identical, same, flows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--cases", default=os.path.join(here, "cases.txt"))
    args = parser.parse_args()
    args.flowshark = os.path.abspath(args.flowshark)
    args.samples = os.path.abspath(args.samples)
    args.tshark = shutil.which(args.tshark) or args.tshark
    names = sorted(n for n in os.listdir(args.samples) if n.endswith((".pcap", ".pcapng")))
    cases = read_cases(args.cases)
    checker = Checker()
    for sample in sorted({row[0] for row in cases} - set(names)):
        checker.check(False, f"{args.cases}: {sample} is not a sample")
    for name in names:
        checker.check(any(row[0] == name for row in cases), f"{name}: no row in {args.cases}")

    # Every sample in one run per option set (each read by its own worker):
    # one libwireshark start instead of one per sample.
    def run(some, extra):
        return records(args.flowshark, args.samples, some, extra)

    status, errors, exact_plain = run(names, [])
    one_status, one_errors, one_chunk = run(names, ONE_CHUNK)
    checker.check(one_status == status and one_errors == errors,
                  f"one chunk: exit {one_status} and warnings {one_errors!r}, the exact mode: "
                  f"exit {status} and warnings {errors!r}")
    _, _, exact_extras = run(names, EXTRAS)
    _, _, one_chunk_extras = run(names, EXTRAS + ONE_CHUNK)
    for name in names:
        checker.check(one_chunk[name] == exact_plain[name],
                      f"{name}: one chunk differs from the exact mode")
        checker.check(one_chunk_extras[name] == exact_extras[name],
                      f"{name}: one chunk with {' '.join(EXTRAS)} differs from the exact mode")
    exact = {name: by_key(exact_extras[name], name) for name in names}

    bounded = {}
    for n in sorted({row[1] for row in cases}):
        row_names = [row[0] for row in cases if row[1] == n and row[0] in names]
        if row_names:
            _, _, by_sample = run(row_names, EXTRAS + ["--reset-every", str(n)])
            for name in row_names:
                bounded[name, n] = by_sample[name]

    frames = {}
    totals = {}
    for name in names:
        count = packet_count(name, args.samples)
        print(f"{name}: {count if count is not None else '?'} packets, {len(exact[name])} flows")
        for _, n, *floors in (row for row in cases if row[0] == name):
            identical, same, flows = compare_at(args, name, n, count, exact[name],
                                                bounded[name, n], floors, frames, checker)
            label = f"N={n}" if n in (100, 1000) else "other N (a quarter of the packets)"
            t = totals.setdefault(label, [0, 0, 0])
            t[0] += identical
            t[1] += same
            t[2] += flows
    # Information only: the per-sample floors imply these.
    for label, (identical, same, flows) in sorted(totals.items()):
        print(f"all samples, {label}: {identical}/{flows} flows identical "
              f"({100.0 * identical / max(flows, 1):.1f}%), {same}/{flows} but for stream")
    print(f"FAILED ({checker.failures} checks)" if checker.failures else "OK")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
