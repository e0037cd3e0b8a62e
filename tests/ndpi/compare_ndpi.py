#!/usr/bin/env python3
"""flowshark --ndpi application_name against Debian's ndpiReader (libndpi-bin,
the same nDPI 4.2 library) on the same captures (standard library only).

For each capture: `ndpiReader -i CAPTURE -v 2 -T N -U N` (N packets per
flow before nDPI gives up, as --ndpi-packets N; -v 2 lists every flow with
its transport, ends and "[proto: ID/NAME]", unknown ones too) and `flowshark -r CAPTURE --ndpi
--ndpi-packets N --keep-empty --no-exclusions` (every packet of a flow, as
ndpiReader sees them). Flows are matched by transport protocol and the
unordered pair of (address, port) ends; a 5-tuple that occurs more than once
on either side (port reuse: ndpiReader splits it by its own rules) is left
out of the comparison and counted apart.

Expected differences, the reasons the threshold is below 100 %:
- ndpiReader feeds nDPI the packets of its own flow table: it decodes some
  tunnels differently (GTP only with -t; it follows the outer headers of
  6in4 and similar), so its 5-tuples there are other flows;
- flowshark hands nDPI the IP packet Wireshark dissected: IPv4 fragments
  reassembled into one packet, where ndpiReader sees the fragments (and
  skips the non-first ones);
- flowshark's flows are Wireshark's tcp.stream/udp.stream, which start a
  new stream on a reused port after FIN/RST where ndpiReader keeps one flow
  until its idle timeout, so their first packets (what nDPI classifies)
  differ;
- ndpiReader calls ndpi_detection_giveup when a flow is purged idle or at
  the end, and may count packets without payload differently when it stops
  after N packets.
Prints the agreement figure and exits 1 when it is below --threshold
(default 0.95 of the matched flows), or when fewer than --min-flows flows
could be matched at all.

Usage: compare_ndpi.py --flowshark BIN [--ndpireader ndpiReader]
       [--packets N] [--threshold F] CAPTURE...
"""
import argparse
import json
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

def key(proto, a, aport, b, bport):
    return (proto, frozenset([(a, int(aport)), (b, int(bport))]))


FLOW_LINE = re.compile(r"^\s+\d+\s+(TCP|UDP) (\S+) <-> (\S+) (?:\[VLAN: \d+\])?\[proto: [0-9.]+/([^\]]+)\]")


def split_end(text):
    """'1.2.3.4:80' or '[2001:db8::1]:443' to (address, port)."""
    address, _, port = text.rpartition(":")
    return address.strip("[]"), port


def ndpireader_flows(ndpireader, capture, packets, tmp):
    """ndpiReader's flows: its -C CSV (every classified flow) and, for the
    others, its -v 2 listing (which 4.2 prints for only part of the flows,
    but always for the unknown ones; the CSV leaves those out)."""
    out = os.path.join(tmp, "ndpi.csv")
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([ndpireader, "-i", capture, "-v", "2", "-T", str(packets), "-U", str(packets),
                        "-C", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    if p.returncode != 0:
        raise SystemExit(f"ndpiReader failed on {capture}: {p.stderr.decode()[-300:]}")
    flows = []
    if os.path.exists(out):
        with open(out, newline="") as f:
            rows = csv.reader(f)
            header = next(rows, [""])
            header[0] = header[0].lstrip("#")
            col = {name: i for i, name in enumerate(header)}
            for row in rows:
                proto = {"6": "tcp", "17": "udp"}.get(row[col["protocol"]])
                if proto:
                    flows.append((key(proto, row[col["src_ip"]], row[col["src_port"]],
                                      row[col["dst_ip"]], row[col["dst_port"]]),
                                  row[col["ndpi_proto"]]))
    listed = {k for k, _ in flows}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        m = FLOW_LINE.match(line)
        if m:
            (a, aport), (b, bport) = split_end(m.group(2)), split_end(m.group(3))
            k = key(m.group(1).lower(), a, aport, b, bport)
            if k not in listed:
                flows.append((k, m.group(4)))
    return flows


def flowshark_flows(flowshark, capture, packets):
    p = subprocess.run([flowshark, "-r", capture, "--ndpi", "--ndpi-packets", str(packets),
                        "--keep-empty", "--no-exclusions"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=900)
    if p.returncode not in (0, 2):
        raise SystemExit(f"flowshark failed on {capture}: {p.stderr.decode()[-300:]}")
    flows = []
    for line in p.stdout.decode().splitlines():
        r = json.loads(line)
        flows.append((key(r["protocol"], r["src"], r["sport"], r["dst"], r["dport"]), r["application_name"]))
    return flows


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--ndpireader", default="ndpiReader")
    parser.add_argument("--packets", type=int, default=20)
    parser.add_argument("--threshold", type=float, default=0.95)
    parser.add_argument("--min-flows", type=int, default=500)
    parser.add_argument("captures", nargs="+")
    args = parser.parse_args(argv)
    ndpireader = shutil.which(args.ndpireader)
    if not ndpireader:
        print(f"{args.ndpireader} not found (Debian: apt-get install libndpi-bin)")
        return 1
    total = agree = ambiguous = unmatched = 0
    tmp = tempfile.TemporaryDirectory()
    for capture in args.captures:
        theirs = ndpireader_flows(ndpireader, capture, args.packets, tmp.name)
        ours = flowshark_flows(args.flowshark, capture, args.packets)
        tc, oc = Counter(k for k, _ in theirs), Counter(k for k, _ in ours)
        tmap, omap = dict(theirs), dict(ours)
        n = a = 0
        for k, name in omap.items():
            if oc[k] > 1 or tc[k] > 1:
                ambiguous += oc[k]
                continue
            if k not in tmap:
                unmatched += 1
                continue
            n += 1
            if tmap[k] == name:
                a += 1
            else:
                ends = sorted(k[1])
                print(f"  {os.path.basename(capture)}: {k[0]} {ends[0][0]}:{ends[0][1]} - "
                      f"{ends[1][0]}:{ends[1][1]}: ndpiReader {tmap[k]}, flowshark {name}")
        print(f"{capture}: {a}/{n} matched flows agree")
        total += n
        agree += a
    tmp.cleanup()
    share = agree / total if total else 0.0
    print(f"agreement: {agree}/{total} = {share:.2%} of the flows matched by 5-tuple "
          f"({ambiguous} flows on a reused 5-tuple and {unmatched} without a counterpart left out)")
    if total < args.min_flows:
        print(f"FAIL: fewer than {args.min_flows} flows matched")
        return 1
    if share < args.threshold:
        print(f"FAIL: below the threshold {args.threshold:.0%}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
