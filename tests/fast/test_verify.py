#!/usr/bin/env python3
"""flowshark --verify against this script's own comparison of the two modes.

For every sample, with the default record and with the five extension
fields, both modes run separately (JSON Lines read by Python) and are
compared as test_fast.py does; `flowshark --verify` on the same sample must
report the same counts (records in each mode, identical, differing only in
the documented keys, differing otherwise), the same differing keys, and exit
with 0. One --verify run over every sample at once must give each capture's
own share on its line. Usage errors: --verify with -w, with -i, with
standard input, and with -Y (fast mode does not apply) exit with 1 and say
why, writing nothing on standard output."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_fast import DOCUMENTED, OPTION_SETS, not_among, records, samples_in  # noqa: E402

SUMMARY = re.compile(r"--verify: (\d+) records in the exact mode, (\d+) in fast mode; (\d+) identical "
                     r"\([0-9.]+%\), (\d+) differing only where .*?, (\d+) differing otherwise")
KEY = re.compile(r"--verify: (\S+) differs in (\d+) records?")
FILE = re.compile(r"--verify: (.+): (\d+) of (\d+) records identical")


def python_counts(exact, fast):
    """(exact records, fast records, identical, documented only, otherwise, {key: records})."""
    identical = documented = otherwise = 0
    keys = {}
    for k, r in exact.items():
        o = fast.get(k)
        if o is None:
            continue
        if r == o:
            identical += 1
            continue
        beyond = False
        for key in sorted(set(r) | set(o)):
            if r.get(key) == o.get(key):
                continue
            if isinstance(r.get(key, o.get(key)), dict):
                a, b = r.get(key, {}), o.get(key, {})
                for m in set(a) | set(b):
                    if a.get(m) != b.get(m):
                        keys[f"{key}[{m}]"] = keys.get(f"{key}[{m}]", 0) + 1
            else:
                keys[key] = keys.get(key, 0) + 1
            beyond |= key not in DOCUMENTED or bool(not_among(key, r.get(key), o.get(key)))
        if beyond:
            otherwise += 1
        else:
            documented += 1
    return len(exact), len(fast), identical, documented, otherwise, keys


def verify(flowshark, args):
    run = subprocess.run([flowshark, "-q", "--verify"] + args, capture_output=True, text=True)
    return run.returncode, run.stdout, run.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowshark", required=True)
    ap.add_argument("--samples", required=True)
    args = ap.parse_args()
    samples = samples_in(args.samples)
    failures = []
    checked = 0
    per_sample = {}
    for name in ("default", "fields"):
        opts = OPTION_SETS[name]
        for sample in samples:
            where = f"{name} {os.path.basename(sample)}"
            exact, _ = records(args.flowshark, opts + ["-r", sample])
            fast, _ = records(args.flowshark, opts + ["--fast", "-r", sample])
            want = python_counts(exact, fast)
            if name == "default":
                per_sample[sample] = (want[2], want[0])
            code, out, err = verify(args.flowshark, opts + ["-r", sample])
            m = SUMMARY.search(err)
            if code not in (0, 2) or out or not m:
                failures.append(f"{where}: exit {code}, stdout {len(out)} bytes, stderr {err!r}")
                continue
            got = tuple(int(x) for x in m.groups())
            if got != want[:5]:
                failures.append(f"{where}: --verify says {got}, Python {want[:5]}")
            got_keys = {k: int(n) for k, n in KEY.findall(err)}
            if got_keys != want[5]:
                failures.append(f"{where}: --verify's keys {got_keys}, Python's {want[5]}")
            if want[4] and code == 0:
                failures.append(f"{where}: records differ beyond the documented keys, exit 0")
            checked += 1
            print(f"{where:50s} {got[2]}/{got[0]} identical, {got[3]} documented, keys {got_keys}")
    # Every sample in one run: one line per capture.
    code, out, err = verify(args.flowshark, ["-r", args.samples])
    lines = {os.path.abspath(f): (int(i), int(n)) for f, i, n in FILE.findall(err)}
    for sample, want in per_sample.items():
        got = lines.get(os.path.abspath(sample))
        if got != want:
            failures.append(f"one run over the samples: {os.path.basename(sample)}: {got}, Python {want}")
    if code not in (0, 2) or out:
        failures.append(f"one run over the samples: exit {code}, stdout {len(out)} bytes")
    print(f"one run over the samples: {len(lines)} capture lines")
    # Usage errors.
    for extra, why in ((["-w", os.devnull], "writes no records"),
                       (["-Y", "tcp"], "does not apply"),
                       (["-r", "-"], "needs capture files")):
        base = [] if extra[0] == "-r" else ["-r", samples[0]]
        code, out, err = verify(args.flowshark, base + extra)
        if code != 1 or out or why not in err:
            failures.append(f"--verify {' '.join(extra)}: exit {code}, stderr {err!r}")
    print(f"{checked} --verify runs agree with Python")
    for f in failures:
        print("FAIL", f)
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
