#!/usr/bin/env python3
"""Compares the bounded-memory mode (--reset-every N) with the exact mode on
every sample: with N larger than any capture the records must be identical
(one chunk). With smaller N (seams every N records) it prints, per sample,
how many flows are identical and which keys differ; flows are matched by
protocol, endpoints and first timestamp, so a stream numbered differently
counts once (as "stream"), not as a cascade. It fails if, for N =
--checked, fewer flows than --min-identical (a fraction) are identical in
some sample; other values of N (--reported) are information only.

Usage: compare_bounded.py --flowshark BIN --samples DIR [--checked 1000]
                          [--reported 100,300] [--min-identical 0.9]
"""
import argparse
import json
import os
import subprocess
import sys

FIELDS = ["tls.handshake.extensions_server_name", "tls.handshake.ciphersuite", "dns.qry.name",
          "http.host", "x509sat.uTF8String"]


def records(flowshark, path, extra):
    args = [flowshark, "-r", os.path.basename(path)]
    for field in FIELDS:
        args += ["-e", field]
    proc = subprocess.run(args + extra, capture_output=True, cwd=os.path.dirname(path))
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(args + extra)}: exit {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')}")
    flows = {}
    for line in proc.stdout.decode().splitlines():
        record = json.loads(line)
        key = (record["protocol"], record["src"], record["sport"], record["dst"],
               record["dport"], record["ip_timestamps"][0] if record["ip_timestamps"] else None)
        flows[key] = record
    return proc.returncode, flows


def compare(exact, bounded):
    """Returns (identical, differing keys counter, flows only in one side)."""
    identical, keys, unmatched = 0, {}, 0
    for key in exact.keys() | bounded.keys():
        a, b = exact.get(key), bounded.get(key)
        if a is None or b is None:
            unmatched += 1
            continue
        if a == b:
            identical += 1
            continue
        for name in a:
            if a[name] != b.get(name):
                keys[name] = keys.get(name, 0) + 1
    return identical, keys, unmatched


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--checked", type=int, default=1000)
    parser.add_argument("--reported", default="100,300")
    parser.add_argument("--min-identical", type=float, default=0.9)
    args = parser.parse_args()
    flowshark = os.path.abspath(args.flowshark)
    names = sorted(n for n in os.listdir(args.samples) if n.endswith((".pcap", ".pcapng")))
    failures = 0
    total = {}
    for name in names:
        path = os.path.join(os.path.abspath(args.samples), name)
        status, exact = records(flowshark, path, [])
        one_status, one_chunk = records(flowshark, path, ["--reset-every", "100000000"])
        if one_chunk != exact or one_status != status:
            print(f"FAIL {name}: one chunk differs from the exact mode")
            failures += 1
        # The added keys travel through the chunk workers too.
        extras = ["--stats", "--splt", "8", "--ndpi", "--direction", "first"]
        _, exact_extras = records(flowshark, path, extras)
        _, one_chunk_extras = records(flowshark, path, extras + ["--reset-every", "100000000"])
        if one_chunk_extras != exact_extras:
            print(f"FAIL {name}: one chunk with {' '.join(extras)} differs from the exact mode")
            failures += 1
        reported = [int(x) for x in args.reported.split(",") if x]
        for n in [args.checked] + reported:
            _, bounded = records(flowshark, path, ["--reset-every", str(n)])
            identical, keys, unmatched = compare(exact, bounded)
            flows = max(len(exact), 1)
            t = total.setdefault(n, [0, 0])
            t[0] += identical
            t[1] += len(exact)
            detail = ", ".join(f"{k} {v}" for k, v in sorted(keys.items()))
            print(f"{name} N={n}: {identical}/{len(exact)} flows identical"
                  + (f", {unmatched} unmatched" if unmatched else "")
                  + (f"; differing keys: {detail}" if detail else ""))
            if n == args.checked and identical / flows < args.min_identical:
                print(f"FAIL {name} N={n}: fewer than {args.min_identical:.0%} identical")
                failures += 1
    for n, (identical, flows) in sorted(total.items()):
        print(f"all samples N={n}: {identical}/{flows} flows identical "
              f"({100.0 * identical / max(flows, 1):.1f}%)")
    print("FAILED" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
