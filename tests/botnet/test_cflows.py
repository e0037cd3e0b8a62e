#!/usr/bin/env python3
"""flowshark cflows against the spec's toy example and an independent
computation (doc/botnet.md, ../shared/spec/botcapturer.md §4.3).

1. The toy example of the spec's §6 (toy_capture.py writes it): records of
   `flowshark -r toy.pcap --keep-empty -q`, then `flowshark cflows
   --from-records RECORDS --time-unit 10 --verbose`, number for number: 20
   flows kept of 21, the split points of the four features, each C-flow's
   key, flows, bins, 8-dim values and cluster as the spec's table gives,
   C0 = the three bot C-flows, C1 = {N1->W1, N2->W1}, four noise points, and
   the distance 0.2828 between N1->W1 and N2->W1.

2. Every capture given (the samples): its records, then flowshark cflows
   with several option sets, against numpy computing the same definitions
   from the same records: the filters (F2, --established, F1 with Python's
   ipaddress, F3), the flows' ppf, bpp and bps (timestamps read exactly,
   as Decimal), the C-flows in key order, the fph slots, the split points
   (numpy sort, index (N * pct) // 100 in integers), the bins (numpy
   searchsorted: the number of split points p1..p12 below a value) and the
   8-dim values (numpy mean and var). Every value equal to 1e-9 relative.
   The clusters against scikit-learn's DBSCAN(eps, min_samples) on the
   52-dim rows in the same order: labels equal; where they are not, the
   test recomputes with a distance matrix summed in flowshark's order
   (metric="precomputed"), which must give the labels exactly, and accepts
   the difference only for points at a distance within 1e-9 of eps of
   another (a tie the dot-product distances of scikit-learn's brute-force
   search may round either way). Core points are compared as well.

3. -T csv holds the same values as JSON Lines, -w FILE, standard input, and
   the errors with their exit statuses (1 usage, 3 input).

Exit status 0 when everything holds, 1 otherwise, 77 (a skip for ctest)
when numpy or scikit-learn is missing, unless CI=true, where that fails too.

Usage: test_cflows.py --flowshark BIN CAPTURE...
"""
import collections
import csv
import io
import ipaddress
import json
import math
import os
import re
import sys
import tempfile
from decimal import Decimal

try:
    import numpy as np
    from sklearn.cluster import DBSCAN
except ImportError:
    np = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_capture  # noqa: E402
import input_forms  # noqa: E402
from common import (INTERNAL_TEXT, addr_key, arguments, close, exit_status,  # noqa: E402
                    fail, inside, networks, read_records, run_bytes, skip, write_records)

ABS = 1e-12
PCTS = [5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90]
FEATURES = ["fph", "ppf", "bpp", "bps"]
VECTOR = [f"{f}_{i}" for f in FEATURES for i in range(13)]
VECTOR8 = [f"{f}_{s}" for f in FEATURES for s in ("mean", "var")]
KEYS = ["protocol", "src", "dst", "dport", "flows", "cluster"] + VECTOR + VECTOR8
PROTOCOLS = {"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
             "icmpv6": 58, "sctp": 132}

tally = collections.Counter()


# ---- flowshark's side ----

def cflows(flowshark, records, options, fmt="jsonl"):
    """The rows (dicts, values as numbers) and the --verbose report."""
    p = run_bytes([flowshark, "cflows", "--from-records", records, "--verbose", "-T", fmt]
                  + options)
    text = p.stdout.decode()
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines() if line]
    else:
        rows = []
        for r in csv.DictReader(io.StringIO(text)):
            rows.append({k: (v if k in ("protocol", "src", "dst") else
                             int(v) if k in ("dport", "flows", "cluster") else float(v))
                         for k, v in r.items()})
    return rows, verbose_report(p.stderr.decode())


def verbose_report(stderr):
    report = {"splits": {}, "warning": "warning" in stderr}
    m = re.search(r"records (\d+), dropped by F2 (\d+), F1 (\d+), F3 (\d+), kept (\d+), "
                  r"C-flows (\d+)", stderr)
    report["counts"] = tuple(int(x) for x in m.groups())
    m = re.search(r"S (\d+)", stderr)
    report["slots"] = int(m.group(1))
    for m in re.finditer(r"split (\w+) N (\d+):((?: \S+){14})", stderr):
        report["splits"][m.group(1)] = (int(m.group(2)), [float(x) for x in m.group(3).split()])
    return report


# ---- the oracle ----

def oracle(records_path, internal=INTERNAL_TEXT, whitelist="", established=False,
           unit_ns=3600 * 10**9):
    """counts, S, split points per feature and the rows in key order."""
    internal_nets = networks(internal) if internal else []
    white_nets = networks(whitelist)
    counts = collections.Counter()
    flows = []  # (key, first_ns, ppf, bpp, bps)
    for r in read_records(records_path, exact=True):
        counts["records"] += 1
        lengths = r["ip_lengths"]
        if len(lengths) < 2 or (established and not (
                any(x > 0 for x in lengths) and any(x < 0 for x in lengths))):
            counts["f2"] += 1
            continue
        if internal_nets and (not inside(r["src"], internal_nets)
                              or inside(r["dst"], internal_nets)):
            counts["f1"] += 1
            continue
        if white_nets and inside(r["dst"], white_nets):
            counts["f3"] += 1
            continue
        ns = [int(Decimal(t) * 10**9) for t in r["ip_timestamps"]]
        total = sum(abs(x) for x in lengths)
        duration = (max(ns) - min(ns)) / 1e9
        flows.append(((r["protocol"], r["src"], r["dst"], r["dport"]), min(ns), max(ns),
                      len(lengths), total / len(lengths),
                      total / (duration if max(ns) > min(ns) else 999.0)))
    counts["kept"] = len(flows)
    if not flows:
        return counts, 0, {}, []
    keys = sorted({f[0] for f in flows}, key=lambda k: (
        PROTOCOLS.get(k[0], 256), k[0], addr_key(k[1]), addr_key(k[2]), k[3]))
    t0 = min(f[1] for f in flows)
    t1 = max(f[2] for f in flows)
    slots = (t1 - t0) // unit_ns + 1
    samples = {k: {name: [] for name in FEATURES} for k in keys}
    fph = {k: np.zeros(slots) for k in keys}
    for key, first, _, ppf, bpp, bps in flows:
        fph[key][(first - t0) // unit_ns] += 1
        samples[key]["ppf"].append(ppf)
        samples[key]["bpp"].append(bpp)
        samples[key]["bps"].append(bps)
    for k in keys:
        samples[k]["fph"] = fph[k]
    splits = {}
    for name in FEATURES:
        pool = np.sort(np.concatenate([np.asarray(samples[k][name], dtype=float)
                                       for k in keys]))
        n = len(pool)
        splits[name] = (n, [-1.0] + [float(pool[(n * p) // 100]) for p in PCTS]
                        + [float(pool[n - 1])])
    rows = []
    for k in keys:
        row = {"protocol": k[0], "src": k[1], "dst": k[2], "dport": k[3],
               "flows": len(samples[k]["ppf"])}
        for name in FEATURES:
            x = np.asarray(samples[k][name], dtype=float)
            bins = np.searchsorted(np.asarray(splits[name][1][1:13]), x, side="left")
            hist = np.bincount(bins, minlength=13) / len(x)
            for i in range(13):
                row[f"{name}_{i}"] = float(hist[i])
            row[f"{name}_mean"] = float(np.mean(x))
            row[f"{name}_var"] = float(np.var(x))
        rows.append(row)
    return counts, slots, splits, rows


# ---- comparisons ----

def compare_rows(what, got, want):
    if [list(r.keys()) for r in got] != [KEYS] * len(got):
        fail(f"{what}: keys {list(got[0].keys()) if got else []}")
        return
    if [(r["protocol"], r["src"], r["dst"], r["dport"]) for r in got] != \
            [(r["protocol"], r["src"], r["dst"], r["dport"]) for r in want]:
        fail(f"{what}: C-flow keys or their order differ")
        return
    for g, w in zip(got, want):
        label = f"{what} {g['protocol']} {g['src']}->{g['dst']}:{g['dport']}"
        if g["flows"] != w["flows"]:
            fail(f"{label}: flows {g['flows']} != {w['flows']}")
        for k in VECTOR + VECTOR8:
            tally["values"] += 1
            if not close(g[k], w[k], abs_tol=ABS):
                fail(f"{label}: {k} {g[k]!r} != {w[k]!r}")
        tally["cflows"] += 1


def compare_report(what, report, counts, slots, splits):
    want = (counts["records"], counts["f2"], counts["f1"], counts["f3"], counts["kept"])
    if report["counts"][:5] != want:
        fail(f"{what}: counts {report['counts']} != {want}")
    if report["slots"] != slots:
        fail(f"{what}: S {report['slots']} != {slots}")
    if set(report["splits"]) != set(splits):
        fail(f"{what}: split points of {sorted(report['splits'])} != {sorted(splits)}")
        return
    for name, (n, points) in splits.items():
        got_n, got = report["splits"][name]
        tally["splits"] += 14
        if got_n != n or not all(close(a, b, abs_tol=ABS) for a, b in zip(got, points)):
            fail(f"{what}: split {name} N {got_n} {got} != N {n} {points}")
    few = any(n < 13 for n, _ in splits.values())
    if report["warning"] != few:
        fail(f"{what}: warning for fewer than 13 samples: {report['warning']} != {few}")


def sequential_distances(x):
    """Distances summed in flowshark's order (dbscan.c)."""
    n = len(x)
    d = np.zeros((n, n))
    rows = [list(map(float, r)) for r in x]
    for i in range(n):
        for j in range(i + 1, n):
            s = 0.0
            for a, b in zip(rows[i], rows[j]):
                s += (a - b) * (a - b)
            d[i, j] = d[j, i] = math.sqrt(s)
    return d


def compare_clusters(what, rows, eps, min_pts):
    if not rows:
        return
    x = np.array([[r[k] for k in VECTOR] for r in rows])
    ours = np.array([r["cluster"] for r in rows])
    sk = DBSCAN(eps=eps, min_samples=min_pts).fit(x)
    d = sequential_distances(x)
    core = set(np.flatnonzero((d <= eps).sum(axis=1) >= min_pts))
    exact = DBSCAN(eps=eps, min_samples=min_pts, metric="precomputed").fit(d)
    tally["dbscan_runs"] += 1
    tally["dbscan_points"] += len(rows)
    tally["dbscan_clusters"] += int(ours.max()) + 1 if len(ours) else 0
    if list(exact.labels_) != list(ours):
        fail(f"{what}: clusters {list(ours)} != scikit-learn precomputed {list(exact.labels_)}")
    if set(exact.core_sample_indices_) != core:
        fail(f"{what}: core points differ")
    if list(sk.labels_) == list(ours) and set(sk.core_sample_indices_) == core:
        tally["dbscan_equal"] += 1
        return
    ties = {i for i in range(len(rows)) if np.any(np.abs(d[i] - eps) <= 1e-9)}
    differ = set(np.flatnonzero(sk.labels_ != ours)) | (set(sk.core_sample_indices_) ^ core)
    if differ <= ties:
        tally["dbscan_ties"] += 1
        print(f"note: {what}: scikit-learn on the rows differs at {sorted(differ)}, "
              f"points at distance eps of another (a tie)")
    else:
        fail(f"{what}: clusters {list(ours)} != scikit-learn {list(sk.labels_)}")


# ---- 1. the toy example ----

def toy_expected():
    """The spec's §6 table: key -> (flows, bins of fph (of 5 samples), ppf, bpp,
    bps (of flows), 8-dim, cluster)."""
    h = toy_capture.HOSTS
    bot = (4, {0: 1, 8: 4}, {0: 4}, {0: 4}, {3: 4}, [0.8, 0.16, 4, 0, 100, 0, 800, 0], 0)
    table = [
        ("B1", "C2", 8080, bot), ("B2", "C2", 8080, bot), ("B3", "C2", 8080, bot),
        ("N1", "W1", 443, (2, {0: 3, 8: 2}, {10: 2}, {10: 2}, {10: 2},
                           [0.4, 0.24, 6, 0, 1000 / 3, 0, 1000, 0], 1)),
        ("N2", "W1", 443, (1, {0: 4, 8: 1}, {10: 1}, {10: 1}, {10: 1},
                           [0.2, 0.16, 6, 0, 1000 / 3, 0, 1000, 0], 1)),
        ("N2", "W2", 80, (1, {0: 4, 8: 1}, {9: 1}, {9: 1}, {10: 1},
                          [0.2, 0.16, 5, 0, 200, 0, 1000, 0], -1)),
        ("N3", "W1", 443, (1, {0: 4, 8: 1}, {0: 1}, {0: 1}, {0: 1},
                           [0.2, 0.16, 2, 0, 60, 0, 120 / 999, 0], -1)),
        ("N3", "W2", 80, (2, {0: 3, 8: 2}, {9: 1, 11: 1}, {9: 1, 12: 1}, {1: 2},
                          [0.4, 0.24, 6, 1, 350, 22500, 500, 0], -1)),
        ("N4", "S", 22, (1, {0: 4, 8: 1}, {12: 1}, {0: 1}, {0: 1},
                         [0.2, 0.16, 12, 0, 100, 0, 40, 0], -1)),
    ]
    rows = []
    for src, dst, dport, (flows, fph, ppf, bpp, bps, eight, cluster) in table:
        row = {"protocol": "tcp", "src": h[src], "dst": h[dst], "dport": dport,
               "flows": flows, "cluster": cluster}
        for name, bins, of in (("fph", fph, 5), ("ppf", ppf, flows), ("bpp", bpp, flows),
                               ("bps", bps, flows)):
            for i in range(13):
                row[f"{name}_{i}"] = bins.get(i, 0) / of
        row.update(zip(VECTOR8, map(float, eight)))
        rows.append(row)
    splits = {
        "fph": (45, [-1.0] + [0.0] * 8 + [1.0] * 5),
        "ppf": (20, [-1.0] + [4.0] * 9 + [5.0, 6.0, 7.0, 12.0]),
        "bpp": (20, [-1.0] + [100.0] * 9 + [200.0, 1000 / 3, 1000 / 3, 500.0]),
        "bps": (20, [-1.0, 40.0, 500.0, 500.0] + [800.0] * 7 + [1000.0] * 3),
    }
    return rows, splits


def test_toy(flowshark, tmp):
    pcap = os.path.join(tmp, "toy.pcap")
    records = os.path.join(tmp, "toy.jsonl")
    toy_capture.write_pcap(pcap, toy_capture.packets())
    write_records(flowshark, pcap, records)
    for msg in input_forms.check(flowshark, "cflows", pcap, records, tmp, ["--time-unit", "10"]):
        fail(msg)
    want, splits = toy_expected()
    counts = {"records": 21, "f2": 1, "f1": 0, "f3": 0, "kept": 20}
    for options in (["--time-unit", "10"], ["--time-unit", "10", "--no-f1"]):
        what = f"toy {' '.join(options)}"
        rows, report = cflows(flowshark, records, options)
        compare_report(what, report, counts, 5, splits)
        if report["counts"][5] != 9:
            fail(f"{what}: {report['counts'][5]} C-flows, not 9")
        compare_rows(what, rows, want)
        if [r["cluster"] for r in rows] != [w["cluster"] for w in want]:
            fail(f"{what}: clusters {[r['cluster'] for r in rows]}")
        n1, n2 = ([r[k] for k in VECTOR] for r in rows[3:5])
        if not close(math.dist(n1, n2), math.sqrt(0.08), abs_tol=ABS):
            fail(f"{what}: distance N1->W1, N2->W1 {math.dist(n1, n2)} != 0.2828")
        compare_clusters(what, rows, 0.5, 2)
        # The oracle on the toy too.
        o_counts, o_slots, o_splits, o_rows = oracle(records, unit_ns=10 * 10**9)
        compare_rows(what + " (oracle)", rows, o_rows)
    print("toy example: C-flows as produced (key, flows, cluster, 8-dim):")
    for r in rows:
        print(f"  {r['src']}->{r['dst']}:{r['dport']} flows {r['flows']} cluster {r['cluster']}"
              f" | {' '.join(f'{r[k]:.6g}' for k in VECTOR8)}")
    return records


# ---- 2. the samples ----

def option_sets(records):
    """(name, flowshark options, oracle arguments, eps, min_pts) for a sample;
    the whitelist is its most frequent destination and a /24 or /64 around
    another one."""
    dsts = collections.Counter(r["dst"] for r in read_records(records))
    white = []
    for i, (dst, _) in enumerate(dsts.most_common(2)):
        a = ipaddress.ip_address(dst)
        white.append(dst if i == 0 else
                     str(ipaddress.ip_network(f"{dst}/{24 if a.version == 4 else 64}",
                                              strict=False)))
    whitelist = ",".join(white)
    return [
        ("F1, U 10", ["--time-unit", "10"], {"unit_ns": 10 * 10**9}, 0.5, 2),
        ("no F1", ["--no-f1"], {"internal": ""}, 0.5, 2),
        ("empty --internal, established, U 1, eps 0.3",
         ["--internal", "", "--established", "--time-unit", "1", "--eps", "0.3"],
         {"internal": "", "established": True, "unit_ns": 10**9}, 0.3, 2),
        ("no F1, whitelist, U 0.5, eps 1, min-pts 3",
         ["--no-f1", "--whitelist", whitelist, "--time-unit", "0.5", "--eps", "1",
          "--min-pts", "3"],
         {"internal": "", "whitelist": whitelist, "unit_ns": 5 * 10**8}, 1.0, 3),
    ]


def test_sample(flowshark, capture, tmp):
    name = os.path.basename(capture)
    records = os.path.join(tmp, name + ".jsonl")
    if not write_records(flowshark, capture, records):
        return
    for what, options, args, eps, min_pts in (option_sets(records)
                                               if os.path.getsize(records) else []):
        label = f"{name} [{what}]"
        rows, report = cflows(flowshark, records, options)
        counts, slots, splits, want = oracle(records, **args)
        compare_report(label, report, counts, slots, splits)
        compare_rows(label, rows, want)
        compare_clusters(label, rows, eps, min_pts)
        tally["runs"] += 1


# ---- 3. output forms and errors ----

def test_forms(flowshark, records, tmp):
    rows, _ = cflows(flowshark, records, ["--time-unit", "10"])
    csv_rows, _ = cflows(flowshark, records, ["--time-unit", "10"], fmt="csv")
    if csv_rows != rows:
        fail("-T csv differs from -T jsonl")
    out = os.path.join(tmp, "out.jsonl")
    run_bytes([flowshark, "cflows", "--from-records", records, "--time-unit", "10", "-w", out])
    with open(out) as f:
        if [json.loads(line) for line in f] != rows:
            fail("-w FILE differs from standard output")
    with open(records, "rb") as f:
        p = run_bytes([flowshark, "cflows", "--from-records", "-", "--time-unit", "10"],
                      stdin=f.read())
    if [json.loads(line) for line in p.stdout.decode().splitlines()] != rows:
        fail("--from-records - differs from a file")
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"protocol": "tcp"}\n')
    for args, status in (
            ([], 1),
            (["--from-records", records, "--eps", "0"], 1),
            (["--from-records", records, "--min-pts", "0"], 1),
            (["--from-records", records, "--time-unit", "-1"], 1),
            (["--from-records", records, "--internal", "10.0.0.0/33"], 1),
            (["--from-records", records, "--whitelist", "not-an-address"], 1),
            (["--from-records", records, "-T", "sqlite"], 1),
            (["--from-records", records, "extra"], 1),
            (["--from-records", os.path.join(tmp, "missing.jsonl")], 3),
            (["--from-records", bad], 3),
            (["--from-records", records, "-w", os.path.join(tmp, "no", "such", "dir")], 6)):
        p = run_bytes([flowshark, "cflows"] + args, check=False)
        if p.returncode != status or not p.stderr or p.stdout:
            fail(f"cflows {' '.join(args)}: exit {p.returncode} (want {status}), "
                 f"stderr {p.stderr!r}, stdout {p.stdout[:60]!r}")
        tally["errors"] += 1


def main():
    a = arguments()
    if np is None:
        return skip("numpy or scikit-learn missing")
    with tempfile.TemporaryDirectory() as tmp:
        records = test_toy(a.flowshark, tmp)
        for capture in a.captures:
            test_sample(a.flowshark, capture, tmp)
        test_forms(a.flowshark, records, tmp)
    print(f"compared: {tally['runs']} sample runs, {tally['cflows']} C-flows, "
          f"{tally['values']} vector values, {tally['splits']} split points; DBSCAN: "
          f"{tally['dbscan_runs']} runs over {tally['dbscan_points']} points "
          f"({tally['dbscan_clusters']} clusters), equal to scikit-learn on the rows in "
          f"{tally['dbscan_equal']}, ties at eps in {tally['dbscan_ties']}; "
          f"{tally['errors']} error cases")
    return exit_status("all good")


if __name__ == "__main__":
    sys.exit(main())
