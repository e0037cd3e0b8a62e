#!/usr/bin/env python3
"""--fast against the exact mode on every sample (doc/fast-mode.md).

For each sample and option set (the default record; the five extension
fields of the e2e cases; --stats --ndpi) both modes run and their records
are matched by (protocol, stream, time_start). Asserted:
  - the same records in both modes;
  - every key identical, except the two with a documented cause:
    ext_protocols (the Protocol column of the packets libwireshark saw) and
    extension (values of the packets libwireshark saw), where the fast
    mode's values must be among the exact mode's (never invented);
  - with --fast-limit 1, some ext_protocols shrink (packets were skipped),
    while every other key stays identical.
Prints the share of identical records per sample."""
import argparse
import glob
import json
import os
import subprocess
import sys

FIELDS = ["tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
          "dns.qry.name", "http.host", "x509sat.uTF8String"]
OPTION_SETS = {
    "default": [],
    "fields": [a for f in FIELDS for a in ("-e", f)],
    "stats-ndpi": ["--stats", "--ndpi"],
}
DOCUMENTED = {"ext_protocols", "extension"}


def records(flowshark, args):
    run = subprocess.run([flowshark, "-q"] + args, capture_output=True, text=True)
    if run.returncode not in (0, 2):
        sys.exit(f"flowshark {' '.join(args)} failed ({run.returncode}): {run.stderr}")
    out = {}
    for line in run.stdout.splitlines():
        r = json.loads(line)
        out[(r["protocol"], r["stream"], r.get("time_start"))] = r
    return out, run.stderr


def subset(small, big):
    return all(x in big for x in small)


def samples_in(folder):
    return sorted(glob.glob(os.path.join(folder, "*.pcap")) +
                  glob.glob(os.path.join(folder, "*.pcapng")))


def not_among(key, exact_value, fast_value):
    """For a documented key: what has fast-mode values not among the exact
    mode's (the key itself for ext_protocols, the fields for extension);
    empty when the difference is the documented one."""
    if key == "ext_protocols":
        return [] if subset(fast_value or [], exact_value or []) else [key]
    exact_value = exact_value or {}
    return [field for field, values in (fast_value or {}).items()
            if not subset(values, exact_value.get(field, []))]


def compare(exact, fast, where, failures):
    if set(exact) != set(fast):
        failures.append(f"{where}: records differ: exact-only {sorted(set(exact) - set(fast))[:3]}, "
                        f"fast-only {sorted(set(fast) - set(exact))[:3]}")
        return 0, 0
    same = shrunk = 0
    for key, r in exact.items():
        o = fast[key]
        if r == o:
            same += 1
            continue
        for k in set(r) | set(o):
            if r.get(k) == o.get(k):
                continue
            if k not in DOCUMENTED:
                failures.append(f"{where}: record {key}: key {k} differs")
                continue
            shrunk += k == "ext_protocols"
            for what in not_among(k, r.get(k), o.get(k)):
                failures.append(f"{where}: record {key}: {what} values not among the exact mode's "
                                f"({o.get(k)} against {r.get(k)})")
    return same, shrunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowshark", required=True)
    ap.add_argument("--samples", required=True)
    args = ap.parse_args()
    samples = samples_in(args.samples)
    failures = []
    total_same = total = 0
    for name, opts in OPTION_SETS.items():
        for sample in samples:
            exact, _ = records(args.flowshark, opts + ["-r", sample])
            fast, err = records(args.flowshark, opts + ["--fast", "-r", sample])
            if "exact mode" in err:
                failures.append(f"{name} {sample}: --fast fell back: {err.strip()}")
            same, _ = compare(exact, fast, f"{name} {os.path.basename(sample)}", failures)
            total_same += same
            total += len(exact)
            share = 100.0 * same / len(exact) if exact else 100.0
            print(f"{name:11s} {os.path.basename(sample):40s} {same}/{len(exact)} identical ({share:.1f} %)")
    # Limit 1: the fast path takes over after each flow's first packet.
    shrunk_total = 0
    for sample in samples:
        exact, _ = records(args.flowshark, ["-r", sample])
        fast, _ = records(args.flowshark, ["--fast", "--fast-limit", "1", "-r", sample])
        _, shrunk = compare(exact, fast, f"limit-1 {os.path.basename(sample)}", failures)
        shrunk_total += shrunk
    print(f"--fast-limit 1: {shrunk_total} records with fewer ext_protocols (packets skipped)")
    if shrunk_total == 0:
        failures.append("--fast-limit 1 skipped no packet of any sample")
    # A field on every packet: a message, and the exact mode's records.
    exact, _ = records(args.flowshark, ["-e", "tcp.len", "-r", samples[0]])
    fast, err = records(args.flowshark, ["--fast", "-e", "tcp.len", "-r", samples[0]])
    if exact != fast or err.count("uses the exact mode") != 1:
        failures.append(f"-e tcp.len with --fast: expected one fallback message and the exact records, got {err!r}")
    print(f"all option sets: {total_same}/{total} records identical")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
