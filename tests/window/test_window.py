#!/usr/bin/env python3
"""flowshark window --from-records against an independent pandas computation
(doc/windows.md).

For every capture given: its records (`flowshark -r CAPTURE --keep-empty
-q`), then `flowshark window --seconds T --from-records RECORDS` for
T = 1 and T = 10 (and T = 0.25 on the first capture), compared with the
windows pandas computes from the same records: one row per packet of every
record (every element of ip_lengths, with the record's protocol, src,
sport, dst, dport), window floor(t / T) with t read exactly (Decimal), and
per window the counts (nunique, ngroups) and the distributions (max, mean,
quantile(.25), median(), quantile(.75), quantile(.9): pandas' default,
linear interpolation), as the analysis notebook writes them but with
distinct counts where it counted rows. Counts must be equal, means and
percentiles equal to 1e-9 relative; the keys and their order are those of
doc/windows.md. Also: -T csv holds the same values as JSON Lines,
--empty-windows fills the gaps, records on standard input, and the errors
(a line that is not a record, a missing option, -r).

Exit status 0 when everything holds, 1 otherwise, 77 (a skip for ctest)
when pandas is missing, unless CI=true, where that fails too.

Usage: test_window.py --flowshark BIN CAPTURE...
"""
import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from decimal import Decimal, ROUND_FLOOR

try:
    import pandas as pd
except ImportError:
    pd = None

SKIP = 77
REL = 1e-9

COUNTS = ["num_entries", "bytes_up", "bytes_down", "packets_up", "packets_down",
          "count_dst_port", "count_src_port", "count_dst_ip", "count_src_ip",
          "count_conns", "count_flows"]
DISTRIBUTIONS = ["entries_per_conn", "dst_port_per_conn", "dst_port_per_dst_ip",
                 "src_ip_per_dst_ip", "dst_port_per_src_ip", "dst_ip_per_src_ip",
                 "dst_ip_per_dst_port", "src_ip_per_dst_port"]
SUFFIXES = ["max", "mean", "perc25", "perc50", "perc75", "perc90"]
KEYS = (["window_start"] + COUNTS + ["num_flows_per_conn_mean"]
        + [f"{d}_{s}" for d in DISTRIBUTIONS for s in SUFFIXES])

failures = []


def fail(what):
    failures.append(what)
    print("FAIL:", what)


def run(args, stdin=None, check=True):
    p = subprocess.run(args, input=stdin, capture_output=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{args}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    return p


# ---- the oracle ----

def entries_frame(records_path):
    """One row per packet of every record, its window time kept exact."""
    rows = []
    with open(records_path) as f:
        for line in f:
            r = json.loads(line, parse_float=Decimal)
            assert len(r["ip_lengths"]) == len(r["ip_timestamps"])
            for length, t in zip(r["ip_lengths"], r["ip_timestamps"]):
                rows.append((r["protocol"], r["src"], r["sport"], r["dst"], r["dport"],
                             length, Decimal(t)))
    return pd.DataFrame(rows, columns=["protocol", "src", "sport", "dst", "dport",
                                       "length", "t"])


def describe(dist):
    """The notebook's describe_distribution."""
    return {"max": dist.max(), "mean": dist.mean(), "perc25": dist.quantile(.25),
            "perc50": dist.median(), "perc75": dist.quantile(.75),
            "perc90": dist.quantile(.9)}


def oracle(df, seconds):
    """{window_start (Decimal): {key: value}} for windows with entries."""
    T = Decimal(seconds)
    df = df.copy()
    df["window"] = [(t / T).to_integral_value(rounding=ROUND_FLOOR) for t in df["t"]]
    out = {}
    for w, d in df.groupby("window"):
        s = {}
        s["num_entries"] = len(d)
        up = d["length"] >= 0
        s["bytes_up"] = int(d.loc[up, "length"].sum())
        s["bytes_down"] = int(-d.loc[~up, "length"].sum())
        s["packets_up"] = int(up.sum())
        s["packets_down"] = int((~up).sum())
        s["count_dst_port"] = d["dport"].nunique()
        s["count_src_port"] = d["sport"].nunique()
        s["count_dst_ip"] = d["dst"].nunique()
        s["count_src_ip"] = d["src"].nunique()
        conn = d.groupby(["src", "dst"])
        s["count_conns"] = conn.ngroups
        s["count_flows"] = d.groupby(["protocol", "src", "sport", "dst", "dport"]).ngroups
        s["num_flows_per_conn_mean"] = s["count_flows"] / s["count_conns"]
        by_dst, by_src, by_dport = d.groupby("dst"), d.groupby("src"), d.groupby("dport")
        dists = {
            "entries_per_conn": conn.size(),
            "dst_port_per_conn": conn["dport"].nunique(),
            "dst_port_per_dst_ip": by_dst["dport"].nunique(),
            "src_ip_per_dst_ip": by_dst["src"].nunique(),
            "dst_port_per_src_ip": by_src["dport"].nunique(),
            "dst_ip_per_src_ip": by_src["dst"].nunique(),
            "dst_ip_per_dst_port": by_dport["dst"].nunique(),
            "src_ip_per_dst_port": by_dport["src"].nunique(),
        }
        for name, dist in dists.items():
            for k, v in describe(dist).items():
                s[f"{name}_{k}"] = v
        out[w * T] = s
    return out


# ---- comparison ----

def close(a, b):
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b))


def read_windows(text):
    return [json.loads(line, parse_float=Decimal) for line in text.decode().splitlines()]


def compare(label, rows, expected):
    got = {}
    for row in rows:
        if list(row.keys()) != KEYS:
            fail(f"{label}: keys {list(row.keys())}")
            return
        got[Decimal(row["window_start"])] = row
    if list(got) != sorted(got):
        fail(f"{label}: windows not in time order")
    if set(got) != set(expected):
        fail(f"{label}: windows {sorted(set(got) ^ set(expected))[:5]} differ")
        return
    checked = 0
    for start, exp in expected.items():
        row = got[start]
        for key, want in exp.items():
            have = row[key]
            if key in COUNTS or key.endswith("_max"):
                ok = isinstance(have, int) and have == int(want)
            else:
                ok = isinstance(have, Decimal) and close(float(have), float(want))
            checked += 1
            if not ok:
                fail(f"{label}: window {start}: {key} = {have}, pandas {want}")
    return checked


def csv_matches_jsonl(label, jsonl, csv_text):
    raw = [json.loads(line, parse_float=str, parse_int=str)
           for line in jsonl.decode().splitlines()]
    table = list(csv.reader(io.StringIO(csv_text.decode())))
    if table[0] != KEYS:
        fail(f"{label}: CSV header {table[0]}")
    if len(table) - 1 != len(raw):
        fail(f"{label}: {len(table) - 1} CSV rows, {len(raw)} JSON lines")
    for cells, rec in zip(table[1:], raw):
        want = ["" if v is None else v for v in rec.values()]
        if cells != want:
            fail(f"{label}: CSV row {cells[:3]}... differs from {want[:3]}...")
            return


def check_empty_windows(label, bin_, records, seconds):
    plain = read_windows(run([bin_, "window", "--seconds", seconds,
                              "--from-records", records]).stdout)
    full = read_windows(run([bin_, "window", "--seconds", seconds, "--empty-windows",
                             "--from-records", records]).stdout)
    T = Decimal(seconds)
    starts = [Decimal(r["window_start"]) for r in full]
    if not plain:
        if full:
            fail(f"{label}: --empty-windows wrote rows for no records")
        return
    first, last = Decimal(plain[0]["window_start"]), Decimal(plain[-1]["window_start"])
    n = int((last - first) / T) + 1
    if starts != [first + i * T for i in range(n)]:
        fail(f"{label}: --empty-windows starts {starts[:5]}...")
    by_start = {Decimal(r["window_start"]): r for r in plain}
    for r in full:
        start = Decimal(r["window_start"])
        if start in by_start:
            if r != by_start[start]:
                fail(f"{label}: --empty-windows changed window {start}")
        else:
            if any(r[k] != 0 for k in COUNTS) or any(
                    r[k] is not None for k in KEYS if k not in COUNTS and k != "window_start"):
                fail(f"{label}: empty window {start}: {r}")


def check_errors(bin_, tmp):
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"protocol":"tcp","src":"a","sport":1,"dst":"b","dport":2,'
                '"ip_lengths":[1],"ip_timestamps":[1.5]}\n{"a":1}\n')
    p = run([bin_, "window", "--seconds", "1", "--from-records", bad], check=False)
    if p.returncode != 3 or b"bad.jsonl:2: not a flow record" not in p.stderr or p.stdout:
        fail(f"not a record: exit {p.returncode}, {p.stderr!r}, {p.stdout!r}")
    for args in (["--from-records", bad], ["--seconds", "0", "--from-records", bad],
                 ["--seconds", "-1", "--from-records", bad], ["--seconds", "1"],
                 ["--seconds", "1", "-r", bad], ["--seconds", "1", "-T", "sqlite",
                                                 "--from-records", bad]):
        p = run([bin_, "window"] + args, check=False)
        if p.returncode != 1 or not p.stderr.startswith(b"flowshark: window: "):
            fail(f"window {args}: exit {p.returncode}, {p.stderr!r}")
    missing = os.path.join(tmp, "missing.jsonl")
    p = run([bin_, "window", "--seconds", "1", "--from-records", missing], check=False)
    if p.returncode != 3:
        fail(f"missing file: exit {p.returncode}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowshark", required=True)
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    if pd is None:
        print("pandas missing (Debian: python3-pandas)")
        return 1 if os.environ.get("CI") == "true" else SKIP

    with tempfile.TemporaryDirectory() as tmp:
        total_windows = total_values = 0
        for i, capture in enumerate(a.captures):
            name = os.path.basename(capture)
            records = os.path.join(tmp, name + ".jsonl")
            with open(records, "wb") as f:
                p = subprocess.run([a.flowshark, "-r", capture, "--keep-empty", "-q"],
                                   stdout=f, stderr=subprocess.PIPE)
            if p.returncode not in (0, 2):  # 2: a capture cut short, records written
                fail(f"{name}: records: exit {p.returncode}")
                continue
            df = entries_frame(records)
            seconds_list = ["1", "10"] + (["0.25"] if i == 0 else [])
            for seconds in seconds_list:
                label = f"{name} T={seconds}"
                out = run([a.flowshark, "window", "--seconds", seconds,
                           "--from-records", records]).stdout
                expected = oracle(df, seconds)
                checked = compare(label, read_windows(out), expected)
                total_windows += len(expected)
                total_values += checked or 0
                csv_out = run([a.flowshark, "window", "--seconds", seconds, "-T", "csv",
                               "--from-records", records]).stdout
                csv_matches_jsonl(label, out, csv_out)
            if i == 0:
                with open(records, "rb") as f:
                    stdin_out = run([a.flowshark, "window", "--seconds", "1",
                                     "--from-records", "-"], stdin=f.read()).stdout
                if stdin_out != run([a.flowshark, "window", "--seconds", "1",
                                     "--from-records", records]).stdout:
                    fail(f"{name}: standard input differs from the file")
            check_empty_windows(name, a.flowshark, records, "1")
            print(f"{name}: {len(df)} entries checked at T = {', '.join(seconds_list)}")
        check_errors(a.flowshark, tmp)
        print(f"{total_windows} windows, {total_values} values compared with pandas "
              f"{pd.__version__}")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all window checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
