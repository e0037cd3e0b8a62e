#!/usr/bin/env python3
"""flowshark graph against an independent computation (doc/botnet.md,
../shared/spec/botcapturer.md §3.2 and §6).

For every capture given, and for the spec's §6 toy capture (written here by
toy_capture.py): its records (`flowshark -r CAPTURE --keep-empty -q`), then
`flowshark graph --from-records RECORDS --edges E.csv --graphml G.graphml`
(JSON Lines, and -T csv), compared with what this script computes from the
same records: F2 (ip_lengths of 2 elements or more), the graph in networkx
(an edge per pair of distinct hosts, its weight their flows), per host
N = degree, E and W = edges and total weight of nx.ego_graph, the two laws
fitted by numpy (np.polyfit of degree 1 on natural logs, over the hosts with
a neighbour; skipped when the x values are all equal), predictions,
out-line scores and g, distinct peers and distinct dports of the flows a
host is src of, their robust z-scores with pandas' median, internal by
Python's ipaddress over the default networks, graph_anomalous. Every key of
every host must be equal (integers, booleans, nulls) or equal to 1e-9
relative (1e-9 absolute near 0); the rows must come by descending g, ties
by address. The edge list must equal the networkx graph, and the GraphML
(read back by nx.read_graphml) the edge list, with each host's g.

The toy capture must also give the table of §6 to the digits the spec
prints: N = E, W, Ŵ (3 decimals) and g (4 decimals) per node, EWPL
W = 2.1107·E^0.7941, EDPL contributing 0, and with τ_g = 1.5 the
graph-anomalous hosts {B1, B2, B3, N2, N4}. Then the exit statuses: 1 for a
bad command line, 3 for unreadable records, 6 for an output that cannot be
written.

Exit status 0 when everything holds, 1 otherwise, 77 (a skip for ctest)
when networkx, numpy or pandas is missing, unless CI=true.

Usage: test_graph.py --flowshark BIN CAPTURE...
"""
import csv
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toy_capture  # noqa: E402
import input_forms  # noqa: E402
from common import (INTERNAL, addr_key, arguments, close, exit_status, fail,  # noqa: E402
                    from_csv, inside, networks, read_records, run, skip, write_records)

try:
    import networkx as nx
    import numpy as np
    import pandas as pd
except ImportError as e:
    nx = None
    MISSING = str(e)

KEYS = ["host", "internal", "n", "e", "w", "e_pred", "w_pred", "out_edpl", "out_ewpl", "g",
        "peers", "peers_z", "dst_ports", "dst_ports_z", "g_z", "graph_anomalous"]
INTS = {"n", "e", "w", "peers", "dst_ports"}
BOOLS = {"internal", "graph_anomalous"}

def fit(xs, ys):
    """(slope, intercept) of ln y against ln x by numpy, or None (skipped)."""
    if len(xs) < 2 or len(set(xs)) == 1:
        return None
    slope, intercept = np.polyfit(np.log(xs), np.log(ys), 1)
    return float(slope), float(intercept)


def outline(y, yhat):
    return max(y, yhat) / min(y, yhat) * math.log(abs(y - yhat) + 1)


def robust_z(values):
    s = pd.Series(values, dtype=float)
    med = s.median()
    mad = (s - med).abs().median()
    return [0.0 if mad == 0 else (v - med) / (1.4826 * mad) for v in s]


def f2(record, established):
    lengths = record["ip_lengths"]
    return len(lengths) >= 2 and (not established or (any(v > 0 for v in lengths)
                                                      and any(v < 0 for v in lengths)))


def expected(records, established=False, internal=INTERNAL, tau_g=1.5, tau_g_z=None):
    """The rows (dict by host), the networkx graph and the laws."""
    graph = nx.Graph()
    ports = {}
    for r in records:
        if not f2(r, established):
            continue
        src, dst = r["src"], r["dst"]
        graph.add_node(src)
        graph.add_node(dst)
        if src != dst:
            w = graph.edges[src, dst]["weight"] if graph.has_edge(src, dst) else 0
            graph.add_edge(src, dst, weight=w + 1)
        ports.setdefault(src, set()).add(r["dport"])
    hosts = sorted(graph.nodes, key=addr_key)
    rows = {}
    for h in hosts:
        ego = nx.ego_graph(graph, h)
        rows[h] = {"host": h, "n": graph.degree(h), "e": ego.number_of_edges(),
                   "w": int(ego.size(weight="weight"))}
    linked = [rows[h] for h in hosts if rows[h]["n"] > 0]
    edpl = fit([r["n"] for r in linked], [r["e"] for r in linked])
    ewpl = fit([r["e"] for r in linked], [r["w"] for r in linked])
    for h in hosts:
        r = rows[h]
        r["internal"] = inside(h, internal)
        for law, x, y, pred, out in ((edpl, "n", "e", "e_pred", "out_edpl"),
                                     (ewpl, "e", "w", "w_pred", "out_ewpl")):
            if law is None or r["n"] == 0:
                r[pred], r[out] = None, 0.0
            else:
                r[pred] = math.exp(law[1]) * r[x] ** law[0]
                r[out] = outline(r[y], r[pred])
        r["g"] = max(r["out_edpl"], r["out_ewpl"])
        r["peers"] = r["n"]
        r["dst_ports"] = len(ports.get(h, ()))
    for key in ("peers", "dst_ports"):
        for h, z in zip(hosts, robust_z([rows[h][key] for h in hosts])):
            rows[h][key + "_z"] = z
    # g_z: the robust z-score of ln(1 + g) over the internal hosts.
    internal_hosts = [h for h in hosts if rows[h]["internal"]]
    for h in hosts:
        rows[h]["g_z"] = None
    for h, z in zip(internal_hosts, robust_z([math.log1p(rows[h]["g"]) for h in internal_hosts])):
        rows[h]["g_z"] = z
    for h in hosts:
        r = rows[h]
        r["graph_anomalous"] = bool(r["internal"] and r["g"] >= tau_g
                                    and (tau_g_z is None or r["g_z"] >= tau_g_z))
    return rows, graph, edpl, ewpl


def check_capture(flowshark, name, records_path, tmp, options=(), **settings):
    """Compares graph's outputs over records_path (with options) with
    expected(records, **settings); returns the rows."""
    records = list(read_records(records_path))
    edges_path = os.path.join(tmp, "edges.csv")
    graphml_path = os.path.join(tmp, "graph.graphml")
    p = run([flowshark, "graph", "--from-records", records_path, "--edges", edges_path,
             "--graphml", graphml_path] + list(options))
    if p.returncode != 0:
        fail(f"{name}: graph exited {p.returncode}: {p.stderr}")
        return None
    got = [json.loads(line) for line in p.stdout.splitlines()]
    rows, graph, edpl, ewpl = expected(records, **settings)
    values = 0
    if sorted(r["host"] for r in got) != sorted(rows):
        fail(f"{name}: hosts differ: {len(got)} rows, {len(rows)} expected")
        return None
    for row in got:
        if list(row) != KEYS:
            fail(f"{name}: keys {list(row)}")
            break
        want = rows[row["host"]]
        for k in KEYS[1:]:
            values += 1
            ok = (row[k] == want[k] and type(row[k]) is type(want[k])) if k in INTS | BOOLS \
                else close(row[k], want[k])
            if not ok:
                fail(f"{name}: {row['host']} {k} = {row[k]!r}, expected {want[k]!r}")
    # Order: descending g, ties by address (g as flowshark wrote it).
    order = sorted(got, key=lambda r: (-r["g"], addr_key(r["host"])))
    if [r["host"] for r in order] != [r["host"] for r in got]:
        fail(f"{name}: rows not in descending g, ties by address")
    # -T csv: the same values.
    p = run([flowshark, "graph", "--from-records", records_path, "-T", "csv"] + list(options))
    if p.returncode != 0 or from_csv(p.stdout) != got:
        fail(f"{name}: -T csv differs from JSON Lines")
    # The edge list against networkx, in address order.
    with open(edges_path) as f:
        edge_rows = list(csv.DictReader(f))
    edges = {(e["u"], e["v"]): int(e["weight"]) for e in edge_rows}
    want_edges = {tuple(sorted((u, v), key=addr_key)): d["weight"]
                  for u, v, d in graph.edges(data=True)}
    if edges != want_edges or len(edges) != len(edge_rows):
        fail(f"{name}: edge list differs from networkx ({len(edges)} against {len(want_edges)})")
    if [(e["u"], e["v"]) for e in edge_rows] != sorted(
            edges, key=lambda uv: (addr_key(uv[0]), addr_key(uv[1]))):
        fail(f"{name}: edge list not in address order")
    # GraphML read back.
    gml = nx.read_graphml(graphml_path)
    host = nx.get_node_attributes(gml, "host")
    gml_edges = {tuple(sorted((host[u], host[v]), key=addr_key)): d["weight"]
                 for u, v, d in gml.edges(data=True)}
    if gml_edges != edges or sorted(host.values()) != sorted(rows):
        fail(f"{name}: GraphML differs from the edge list")
    by_host = {r["host"]: r["g"] for r in got}
    for node, g in nx.get_node_attributes(gml, "g").items():
        if not math.isclose(g, by_host[host[node]], rel_tol=1e-12, abs_tol=1e-12):
            fail(f"{name}: GraphML g of {host[node]} = {g}, rows {by_host[host[node]]}")
    print(f"{name}: {len(got)} hosts, {len(edges)} edges, {values} values equal; "
          f"EDPL {edpl and tuple(round(v, 4) for v in edpl)}, "
          f"EWPL {ewpl and tuple(round(v, 4) for v in ewpl)}")
    return got


def synthetic_records(path, seed=15):
    """Records of a random graph that has triangles (so that EDPL is not
    exact), IPv4 and IPv6 hosts inside and outside, flows of one packet
    (dropped by F2), flows one way only (dropped by --established) and
    flows from a host to itself (a node without an edge)."""
    import random
    rng = random.Random(seed)
    hosts = ([f"10.0.{i // 4}.{i}" for i in range(1, 13)] + [f"192.0.2.{i}" for i in range(1, 13)]
             + [f"fd00::{i:x}" for i in range(1, 7)] + [f"2001:db8::{i:x}" for i in range(1, 7)])
    with open(path, "w") as f:
        for i in range(400):
            src, dst = rng.sample(hosts[:24] if i % 3 else hosts, 2)
            if i % 50 == 7:
                dst = src
            n = rng.choice([1, 2, 3, 5, 8])
            lengths = [rng.choice([60, 1500]) * (1 if (j % 2 == 0 or i % 4 == 0) else -1)
                       for j in range(n)]
            times = [f"{1600000000 + i + j / 10:.6f}" for j in range(n)]
            f.write(f'{{"protocol":"{rng.choice(["tcp", "udp"])}","src":"{src}",'
                    f'"sport":{40000 + i},"dst":"{dst}","dport":{rng.choice([22, 53, 80, 443, 8080])},'
                    f'"ip_lengths":{json.dumps(lengths)},"ip_timestamps":[{",".join(times)}]}}\n')
        # A host that only talks to itself: a node with no neighbour.
        f.write('{"protocol":"udp","src":"10.9.9.9","sport":5353,"dst":"10.9.9.9","dport":5353,'
                '"ip_lengths":[80,-80],"ip_timestamps":[1600000500.0,1600000500.5]}\n')


# The table of §6: node -> (N = E, W, Ŵ, g).
TOY_TABLE = {
    "C2": (3, 12, 5.050, 4.9258),
    "B1": (1, 4, 2.111, 2.0107), "B2": (1, 4, 2.111, 2.0107), "B3": (1, 4, 2.111, 2.0107),
    "N2": (2, 2, 3.660, 1.7904),
    "N4": (1, 1, 2.111, 1.5768), "S": (1, 1, 2.111, 1.5768),
    "W1": (3, 4, 5.050, 0.9066),
    "N3": (2, 3, 3.660, 0.6184), "W2": (2, 3, 3.660, 0.6184),
    "N1": (1, 2, 2.111, 0.1108),
}


def check_toy(flowshark, records_path, got):
    name = {v: k for k, v in toy_capture.HOSTS.items()}
    if got is None or len(got) != 11:
        fail(f"toy: {got and len(got)} nodes, 11 expected")
        return
    for r in got:
        n_e, w, w_pred, g = TOY_TABLE[name[r["host"]]]
        if (r["n"], r["e"], r["w"], round(r["w_pred"], 3), round(r["g"], 4)) != (n_e, n_e, w, w_pred, g):
            fail(f"toy: {name[r['host']]}: N {r['n']}, E {r['e']}, W {r['w']}, "
                 f"Ŵ {r['w_pred']}, g {r['g']}; §6: {TOY_TABLE[name[r['host']]]}")
        if r["out_edpl"] != 0.0 or r["e_pred"] != r["e"]:
            fail(f"toy: {name[r['host']]}: EDPL contributes {r['out_edpl']}")
    anomalous = {name[r["host"]] for r in got if r["graph_anomalous"]}
    if anomalous != {"B1", "B2", "B3", "N2", "N4"}:
        fail(f"toy: graph-anomalous {sorted(anomalous)}")
    p = run([flowshark, "graph", "--from-records", records_path, "-v", "-T", "csv"])
    if "EDPL e = 1.0000*n^1.0000; EWPL w = 2.1107*e^0.7941" not in p.stderr:
        fail(f"toy: laws: {p.stderr.strip()}")
    print("toy (§6):")
    print("| node | N=E | W | Ŵ | g | graph_anomalous |")
    for r in got:
        print(f"| {name[r['host']]} | {r['n']} | {r['w']} | {r['w_pred']:.3f} | {r['g']:.4f} "
              f"| {str(r['graph_anomalous']).lower()} |")
    print(p.stderr.strip())


def check_errors(flowshark, records_path, tmp):
    cases = [
        (["graph"], 1),
        (["graph", "--from-records", records_path, "--tau-g", "x"], 1),
        (["graph", "--from-records", records_path, "--internal", "nope"], 1),
        (["graph", "--from-records", records_path, "-T", "sqlite"], 1),
        (["graph", "--from-records", os.path.join(tmp, "missing.jsonl")], 3),
        (["graph", "--from-records", records_path, "-w", os.path.join(tmp, "no", "x")], 6),
        (["graph", "--from-records", records_path, "--graphml", os.path.join(tmp, "no", "x")], 6),
    ]
    for args, status in cases:
        p = run([flowshark] + args)
        if p.returncode != status:
            fail(f"{' '.join(args)}: exit {p.returncode}, expected {status}")
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w") as f:
        f.write('{"not": "a record"}\n')
    p = run([flowshark, "graph", "--from-records", bad])
    if p.returncode != 3 or p.stdout:
        fail(f"a line that is not a record: exit {p.returncode}")
    with open(records_path) as f:
        p = run([flowshark, "graph", "--from-records", "-"], stdin=f)
    q = run([flowshark, "graph", "--from-records", records_path])
    if p.returncode != 0 or p.stdout != q.stdout:
        fail("records on standard input differ")


def main():
    a = arguments()
    if nx is None:
        return skip(f"skipped: {MISSING}")
    with tempfile.TemporaryDirectory() as tmp:
        toy = os.path.join(tmp, "toy.pcap")
        toy_capture.write_pcap(toy, toy_capture.packets())
        hosts = 0
        for capture in [toy] + a.captures:
            name = os.path.basename(capture)
            records = os.path.join(tmp, name + ".jsonl")
            if not write_records(a.flowshark, capture, records):
                continue
            got = check_capture(a.flowshark, name, records, tmp)
            hosts += len(got or [])
            if capture == toy:
                check_toy(a.flowshark, records, got)
                check_errors(a.flowshark, records, tmp)
                for msg in input_forms.check(a.flowshark, "graph", capture, records, tmp):
                    fail(msg)
        synthetic = os.path.join(tmp, "synthetic.jsonl")
        synthetic_records(synthetic)
        nets = "10.0.0.0/16,fd00::/8,192.0.2.5"
        for options, settings in (
                ((), {}),
                (("--established",), {"established": True}),
                (("--tau-g-z", "0.5"), {"tau_g_z": 0.5}),
                (("--internal", nets, "--tau-g", "0.5"),
                 {"internal": networks(nets), "tau_g": 0.5})):
            got = check_capture(a.flowshark, " ".join(("synthetic",) + options), synthetic, tmp,
                                options, **settings)
            hosts += len(got or [])
        print(f"{len(a.captures) + 1} captures and 4 runs on synthetic records, "
              f"{hosts} hosts compared")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
