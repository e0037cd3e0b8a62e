#!/usr/bin/env python3
"""flowshark --nfstream against NFStream's own expected flows and against
ndpiReader's labels (Python standard library only).

Flows: tests/nfstream/expected/CAPTURE.txt holds, for each flow NFStream
reports on a public sample (NFStream's tests/results, made with
NFStreamer(source=CAPTURE, n_dissections=20) and its defaults), its
bidirectional_packets and bidirectional_bytes. Each row must have a
flowshark --nfstream flow with the same two numbers (rows and flows paired
as multisets), except the rows of tests/nfstream/misread.txt: flows NFStream
makes from frames it misreads, which must stay unpaired (so that the list
stays true). NFStream's own labels come from a newer nDPI and are not used.

Labels: flowshark --nfstream's application_name, application_category_name
and application_is_guessed against `ndpiReader -i CAPTURE -t -v 2 -T 20 -U
20` (Debian's libndpi-bin, the nDPI 4.2 flowshark links), on the TCP and UDP
flows that pair one to one by 5-tuple (tests/ndpi/compare_ndpi.py's
reading of ndpiReader's lines). Every paired flow must agree, except the
differences listed with their reason in tests/nfstream/misread.txt.

Usage: test_nfstream.py --flowshark BIN --samples DIR [--ndpireader BIN]
Exits 0 when every expectation holds; prints the agreement per capture.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "ndpi"))
import compare_ndpi  # noqa: E402  (ndpiReader's flows and labels)

LABEL_KEYS = ["application_name", "application_category_name", "application_is_guessed"]


def read_expected(capture):
    with open(os.path.join(HERE, "expected", capture + ".txt")) as f:
        return [tuple(map(int, line.split())) for line in f
                if line.strip() and not line.startswith("#")]


def read_misread():
    """capture -> Counter of (packets, bytes) rows NFStream makes from
    misread frames; capture -> allowed label differences."""
    rows, labels = {}, {}
    with open(os.path.join(HERE, "misread.txt")) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            if line[0] == "row":
                rows.setdefault(line[1], Counter())[(int(line[2]), int(line[3]))] += 1
            elif line[0] == "label":
                labels[line[1]] = int(line[2])
            else:
                raise SystemExit(f"misread.txt: unknown line {line}")
    return rows, labels


def flowshark(binary, capture):
    proc = subprocess.run([binary, "-q", "--nfstream", "-r", capture], capture_output=True,
                          text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"flowshark --nfstream {capture}: exit {proc.returncode}: "
                         f"{proc.stderr[-300:]}")
    return [json.loads(line) for line in proc.stdout.splitlines()]


def check_flows(capture, records, misread):
    want = Counter(read_expected(capture))
    have = Counter((r["bidirectional_packets"], r["bidirectional_bytes"]) for r in records)
    paired = want & have
    unpaired = want - paired
    expected_unpaired = misread.get(capture, Counter())
    total = sum(want.values())
    listed = sum(expected_unpaired.values())
    print(f"{capture:40s} NFStream rows paired {sum(paired.values())}/{total}"
          f" ({listed} misread by NFStream), flowshark flows {len(records)}")
    if unpaired != expected_unpaired:
        print(f"  FAIL: unpaired rows {dict(unpaired)}, listed as misread "
              f"{dict(expected_unpaired)}")
        return False, sum(paired.values()), total - listed
    return True, sum(paired.values()), total - listed


def check_labels(ndpireader, capture, records, allowed):
    theirs = compare_ndpi.ndpireader_flows(ndpireader, capture, 20)
    their_keys = Counter(key for key, _ in theirs)
    ours = [r for r in records if r["protocol"] in ("tcp", "udp")]
    our_keys = Counter(compare_ndpi.flow_key(r["protocol"], r["src"], r["sport"], r["dst"],
                                             r["dport"]) for r in ours)
    lines = {key: line for key, line in theirs if their_keys[key] == 1}
    paired = differ = 0
    for r in ours:
        key = compare_ndpi.flow_key(r["protocol"], r["src"], r["sport"], r["dst"], r["dport"])
        if our_keys[key] != 1 or key not in lines:
            continue
        paired += 1
        bad = [k for k in LABEL_KEYS if not compare_ndpi.agrees(lines[key], k, r[k])]
        if bad:
            differ += 1
            print(f"  labels differ on {r['protocol']} {r['src']}:{r['sport']} "
                  f"{r['dst']}:{r['dport']}: " + ", ".join(
                      f"{k} {r[k]!r} vs {compare_ndpi.theirs(lines[key], k)!r}" for k in bad))
    print(f"  labels: {paired - differ}/{paired} flows paired with ndpiReader agree")
    # A capture may pair none: ndpiReader lists no flow of badpackets.pcap,
    # and the two pieces of ssh.pcap's stream share a 5-tuple.
    ok = differ == allowed.get(capture, 0)
    if not ok:
        print(f"  FAIL: {differ} differ, {allowed.get(capture, 0)} listed")
    return ok, paired, differ


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--ndpireader", default=shutil.which("ndpiReader"))
    args = parser.parse_args()
    if args.ndpireader and not os.path.exists(args.ndpireader):
        args.ndpireader = None  # CMake's NDPIREADER-NOTFOUND
    misread, allowed = read_misread()
    captures = sorted(name[:-4] for name in os.listdir(os.path.join(HERE, "expected")))
    ok = True
    rows = paired_rows = label_pairs = label_diffs = 0
    for capture in captures:
        path = os.path.join(args.samples, capture)
        records = flowshark(args.flowshark, path)
        good, paired, total = check_flows(capture, records, misread)
        ok &= good
        paired_rows += min(paired, total)
        rows += total
        if args.ndpireader:
            good, pairs, diffs = check_labels(args.ndpireader, path, records, allowed)
            ok &= good
            label_pairs += pairs
            label_diffs += diffs
    print(f"overall: {paired_rows}/{rows} NFStream rows (misread ones left out) have a "
          f"flowshark flow with the same packets and bytes; labels agree with ndpiReader "
          f"on {label_pairs - label_diffs}/{label_pairs} paired flows")
    if not args.ndpireader:
        print("ndpiReader not found (libndpi-bin): labels not compared")
        ok &= os.environ.get("CI") != "true"
    elif label_pairs == 0:
        print("FAIL: no flow paired with ndpiReader's")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
