#!/usr/bin/env python3
"""flowshark botnet against an independent computation of the vote
(doc/botnet.md, ../shared/spec/botcapturer.md §3.1, §5.3 and §6).

1. The spec's §6 toy capture (toy_capture.py), end to end: `flowshark
   botnet -r toy.pcap --time-unit 10 --groups G` must give s = 0.6 for B1,
   B2 and B3, 1/6 for N2, 0 for N4 and every other host, exactly the bots
   suspicious, and one group {B1, B2, B3} of mean 0.6.
2. The toy, every capture given (the samples) and the synthetic capture:
   their records (`flowshark -r CAPTURE --keep-empty -q`), then the vote
   recomputed here from the CLI's own `flowshark graph` rows (the A-set
   "graph" = the rows with graph_anomalous true; g), `flowshark cflows`
   rows (a C-set per cluster id >= 0: its distinct src) and the scan rule
   recomputed from the records (botnet/activity.h: per internal source,
   over every record with packets, (src, dst) flagged when the distinct
   dports towards dst or the distinct destinations of the source, divided
   by its active time, last - first packet of its records or 99999 s when
   that is 0, exceed 6 per second). Then §5.1's formula with real
   division for every internal host (Python's ipaddress over 10/8,
   172.16/12, 192.168/16 and fc00::/7; empty A-sets left out), suspicious
   when s >= theta, groups = connected components of the suspicious hosts
   sharing a C-set, numbered by descending mean s, ties by smallest
   address. Every host's g, A-set columns, C-sets, s (1e-9), suspicious
   and group, the rows' order (descending s, ties by address) and the
   groups table must agree; also with --theta and --weight on some
   captures. -T csv must give the JSON Lines' values; the input forms (-r,
   a plain argument, standard input, --from-db, --db-run) the rows of
   --from-records (input_forms.py); bad options exit 1, an output that
   cannot be written 6.
3. The synthetic capture (synthetic_botnet.py), `flowshark botnet -r
   synth.pcap --groups G` with the defaults: the top 10 rows of both
   tables and the facts issue 15 asks about are printed. Asserted only
   what holds with the defaults: the scan A-set is exactly the scanner,
   the scanner has the highest g, and all five bots are suspicious and in
   group 1.

   Not asserted, because it does not hold yet: that the five bots are one
   group of their own ranked first, and that no normal client is
   suspicious. With the spec's default tau_g = 1.5, OddBall's out-line
   score marks 129 of the 300 normal clients as graph-anomalous on
   this client-server graph (a client with a few servers sits off the
   EWPL line fitted over servers and clients alike), and the large
   C-clusters of ordinary browsing (DBSCAN joins most web C-flows) then
   carry their s over theta = 0.5: the bots end up inside one large group
   with 116 normal clients (121 hosts). peers_z is 0 for every host: the
   scanner's 4,600 answered probes make most nodes have one peer, so the
   median absolute deviation is 0. Calibration (tau_g, eps, theta) on
   this capture is left to issue 15's next step.

Exit status 0 when everything holds, 1 otherwise. Only Python's standard
library is needed, so the test is never skipped (ctest's SKIP_RETURN_CODE
77 is set as for the other botnet tests).

Usage: test_botnet.py --flowshark BIN CAPTURE...
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import input_forms  # noqa: E402
import synthetic_botnet  # noqa: E402
import toy_capture  # noqa: E402
from common import (addr_key, arguments, close, exit_status, fail, from_csv,  # noqa: E402
                    internal, jsonl, read_records, run, write_records)

SCAN_RATE = 6.0
SINGLE_PACKET_SECONDS = 99999.0

def scan_set(records_path, rate=SCAN_RATE):
    """The scan rule of botnet/activity.h, recomputed from the records."""
    sources = {}
    for r in read_records(records_path, exact=True):
        times = r.get("ip_timestamps") or []
        if not times or not internal(r["src"]):
            continue
        s = sources.setdefault(r["src"], {"dsts": {}, "first": times[0], "last": times[0]})
        s["dsts"].setdefault(r["dst"], set()).add(r.get("dport"))
        s["first"] = min(s["first"], min(times))
        s["last"] = max(s["last"], max(times))
    flagged = set()
    for src, s in sources.items():
        active = float(s["last"] - s["first"]) or SINGLE_PACKET_SECONDS
        if len(s["dsts"]) / active > rate or any(len(p) / active > rate
                                                 for p in s["dsts"].values()):
            flagged.add(src)
    return flagged


def expected_vote(graph_rows, cflow_rows, scans, theta=0.5, weights=None):
    """(rows by host, groups as {frozenset: mean}) by §5.1 and §5.3."""
    weights = weights or {}
    asets = [(t, weights.get(t, 1.0), members) for t, members in (
        ("graph", {r["host"] for r in graph_rows if r["graph_anomalous"]}),
        ("scan", scans)) if members]
    csets = {}
    for r in cflow_rows:
        if r["cluster"] >= 0:
            csets.setdefault(r["cluster"], set()).add(r["src"])
    g = {r["host"]: r["g"] for r in graph_rows}
    hosts = {r["host"] for r in graph_rows if r["internal"]}
    for members in [a[2] for a in asets] + list(csets.values()):
        hosts |= {h for h in members if internal(h)}

    def jac(a, b):
        return len(a & b) / len(a | b)

    rows = {}
    for h in hosts:
        s = 0.0
        mine = sorted(k for k, c in csets.items() if h in c)
        for i, (ti, wi, ai) in enumerate(asets):
            if h not in ai:
                continue
            for tj, wj, aj in asets[i + 1:]:
                if h in aj and ti != tj:
                    s += wi * wj * jac(ai, aj)
            for k in mine:
                s += wi * jac(ai, csets[k])
        row = {"host": h, "g": g.get(h)}
        for t, _, members in asets:
            row["a_" + t] = h in members
        row.update({"csets": mine, "s": s, "suspicious": s >= theta})
        rows[h] = row
    # Groups: components of "share a C-set" among the suspicious hosts.
    parent = {h: h for h in hosts if rows[h]["suspicious"]}

    def root(h):
        while parent[h] != h:
            h = parent[h]
        return h

    for members in csets.values():
        sus = [h for h in members if h in parent]
        for h in sus[1:]:
            parent[root(h)] = root(sus[0])
    comps = {}
    for h in parent:
        comps.setdefault(root(h), set()).add(h)
    groups = {frozenset(c): sum(rows[h]["s"] for h in c) / len(c) for c in comps.values()}
    return rows, groups


def compare(name, got, groups_got, rows, groups):
    """Failures between botnet's tables and the expected ones; the number
    of values compared."""
    values = 0
    if sorted(r["host"] for r in got) != sorted(rows):
        fail(f"{name}: hosts {sorted(r['host'] for r in got)}, expected {sorted(rows)}")
        return values
    for r in got:
        want = rows[r["host"]]
        if set(r) - {"group"} != set(want):
            fail(f"{name}: keys {list(r)}, expected {list(want)} and group")
            return values
        for k, v in want.items():
            values += 1
            ok = close(r[k], v) if k in ("g", "s") else r[k] == v
            if not ok:
                fail(f"{name}: {r['host']} {k} = {r[k]!r}, expected {v!r}")
    if [r["host"] for r in got] != [r["host"] for r in
                                    sorted(got, key=lambda r: (-r["s"], addr_key(r["host"])))]:
        fail(f"{name}: rows not by descending s, ties by address")
    # The groups table: the same components, means, numbering and columns.
    by_members = {frozenset(g["members"]): g for g in groups_got}
    if set(by_members) != set(groups) or len(groups_got) != len(groups):
        fail(f"{name}: groups {[sorted(g) for g in by_members]}, "
             f"expected {[sorted(g) for g in groups]}")
        return values
    for members, mean in groups.items():
        g = by_members[members]
        values += 3
        if not close(g["mean_s"], mean) or g["size"] != len(members) or \
                g["members"] != sorted(members, key=addr_key):
            fail(f"{name}: group {g}, expected mean {mean}")
    order = sorted(groups_got, key=lambda g: (-g["mean_s"], addr_key(g["members"][0])))
    if [g["group"] for g in order] != list(range(1, len(groups) + 1)) or order != groups_got:
        fail(f"{name}: groups not numbered by descending mean, ties by smallest address")
    group_of = {h: g["group"] for g in groups_got for h in g["members"]}
    for r in got:
        values += 1
        if r["group"] != group_of.get(r["host"]):
            fail(f"{name}: {r['host']} group {r['group']}, expected {group_of.get(r['host'])}")
    return values


def botnet(flowshark, tmp, args):
    """(hosts rows, groups rows) of flowshark botnet args, or (None, None)."""
    groups_path = os.path.join(tmp, "groups.jsonl")
    if os.path.exists(groups_path):
        os.remove(groups_path)
    p = run([flowshark, "botnet"] + args + ["--groups", groups_path])
    if p.returncode != 0:
        fail(f"botnet {' '.join(args)}: exit {p.returncode}: {p.stderr}")
        return None, None
    with open(groups_path) as f:
        return jsonl(p.stdout), jsonl(f.read())


def check_records(flowshark, name, records_path, tmp, variants=False, unit=None, options=()):
    """The vote of botnet over records_path (with options, which graph
    takes too: --tau-g-z) against expected_vote(); the number of values
    compared."""
    unit_opts = ["--time-unit", unit] if unit else []
    p = run([flowshark, "graph", "--from-records", records_path, *options])
    q = run([flowshark, "cflows", "--from-records", records_path] + unit_opts)
    if p.returncode or q.returncode:
        fail(f"{name}: graph exit {p.returncode}, cflows exit {q.returncode}")
        return 0
    graph_rows, cflow_rows = jsonl(p.stdout), jsonl(q.stdout)
    scans = scan_set(records_path)
    values = 0
    settings = [([], {})]
    if variants:
        settings += [(["--theta", "0.2"], {"theta": 0.2}),
                     (["--theta", "1", "--weight", "graph=2"],
                      {"theta": 1.0, "weights": {"graph": 2.0}}),
                     (["--weight", "graph=2", "--weight", "scan=3", "--theta", "0"],
                      {"theta": 0.0, "weights": {"graph": 2.0, "scan": 3.0}})]
    for extra, kw in settings:
        args = ["--from-records", records_path] + unit_opts + list(options) + extra
        got, groups_got = botnet(flowshark, tmp, args)
        if got is None:
            continue
        rows, groups = expected_vote(graph_rows, cflow_rows, scans, **kw)
        values += compare(" ".join([name] + extra), got, groups_got, rows, groups)
        if extra:
            continue
        # -T csv: the same values in both tables.
        groups_csv = os.path.join(tmp, "groups.csv")
        p = run([flowshark, "botnet", "-T", "csv", "--groups", groups_csv] + args)
        with open(groups_csv) as f:
            if p.returncode != 0 or from_csv(p.stdout) != got or \
                    from_csv(f.read()) != groups_got:
                fail(f"{name}: -T csv differs from JSON Lines")
    a_sets = sum(1 for r in graph_rows if r["graph_anomalous"])
    clusters = len({r["cluster"] for r in cflow_rows if r["cluster"] >= 0})
    print(f"{name}: {len(graph_rows)} graph hosts, {a_sets} graph-anomalous, "
          f"{len(scans)} scanning, {clusters} C-sets; {values} values equal")
    return values


def check_toy(flowshark, pcap, tmp):
    got, groups = botnet(flowshark, tmp, ["-r", pcap, "--time-unit", "10"])
    if got is None:
        return
    name = {v: k for k, v in toy_capture.HOSTS.items()}
    want = {"B1": 0.6, "B2": 0.6, "B3": 0.6, "N2": 1 / 6}
    scores = {name[r["host"]]: r["s"] for r in got}
    if set(scores) != {"B1", "B2", "B3", "N1", "N2", "N3", "N4"}:
        fail(f"toy: hosts {sorted(scores)}")
    for h, s in scores.items():
        if not close(s, want.get(h, 0.0)):
            fail(f"toy: s({h}) = {s}, §6: {want.get(h, 0.0)}")
    suspicious = {name[r["host"]] for r in got if r["suspicious"]}
    if suspicious != {"B1", "B2", "B3"}:
        fail(f"toy: suspicious {sorted(suspicious)}")
    bots = [toy_capture.HOSTS[b] for b in ("B1", "B2", "B3")]
    if len(groups) != 1 or groups[0]["members"] != bots or groups[0]["group"] != 1 or \
            not close(groups[0]["mean_s"], 0.6):
        fail(f"toy: groups {groups}")
    print("toy (§6):", ", ".join(f"s({h}) = {s:.4f}" for h, s in scores.items()),
          f"; groups {[(g['group'], [name[m] for m in g['members']], g['mean_s']) for g in groups]}")


def check_errors(flowshark, records_path, tmp):
    base = [flowshark, "botnet", "--from-records", records_path]
    cases = [(["--weight", "graph"], 1), (["--weight", "graph=x"], 1),
             (["--weight", "telnet=1"], 1), (["--weight", "graph=-1"], 1),
             (["--theta", "x"], 1), (["--theta", "-0.5"], 1), (["--theta"], 1),
             (["-T", "sqlite"], 1), (["-w", os.path.join(tmp, "no", "x")], 6),
             (["--groups", os.path.join(tmp, "no", "x")], 6)]
    for args, status in cases:
        p = run(base + args)
        if p.returncode != status:
            fail(f"botnet {' '.join(args)}: exit {p.returncode}, expected {status}")
    if run([flowshark, "botnet"]).returncode != 1:
        fail("botnet without input: not exit 1")


def check_synthetic(flowshark, tmp):
    pcap = os.path.join(tmp, "synth.pcap")
    synthetic_botnet.write_pcap(pcap)
    got, groups = botnet(flowshark, tmp, ["-r", pcap])
    if got is None:
        return 0
    records = os.path.join(tmp, "synth.jsonl")
    if not write_records(flowshark, pcap, records):
        return 0
    values = check_records(flowshark, "synthetic", records, tmp)
    graph_rows = jsonl(run([flowshark, "graph", "--from-records", records]).stdout)
    bots = set(synthetic_botnet.BOTS)
    print("synthetic: the hosts table, top 10 (of %d):" % len(got))
    print("| host | role | g | a_graph | a_scan | C-sets | s | suspicious | group |")
    for r in got[:10]:
        role = "scanner" if r["host"] == synthetic_botnet.SCANNER else \
            "bot" if r["host"] in bots else "client"
        print(f"| {r['host']} | {role} | {r['g']:.4f} | {str(r.get('a_graph')).lower()} | "
              f"{str(r.get('a_scan')).lower()} | {len(r['csets'])} | {r['s']:.4f} | "
              f"{str(r['suspicious']).lower()} | {r['group']} |")
    print("synthetic: the groups table, top 10 (of %d):" % len(groups))
    print("| group | size | bots | mean s |")
    for g in groups[:10]:
        print(f"| {g['group']} | {g['size']} | {len(bots & set(g['members']))} | "
              f"{g['mean_s']:.4f} |")
    first = set(groups[0]["members"]) if groups else set()
    clients = [r for r in got if r["host"] not in bots]
    top_g = max(graph_rows, key=lambda r: r["g"])
    top_z = max(graph_rows, key=lambda r: r["peers_z"])
    print(f"synthetic: the five bots in group 1: {bots <= first}; group 1 = the bots alone: "
          f"{first == bots}")
    print(f"synthetic: normal clients suspicious: {sum(r['suspicious'] for r in clients)} of "
          f"{len(clients)}; graph-anomalous: {sum(bool(r.get('a_graph')) for r in clients)}")
    print(f"synthetic: highest g {top_g['host']} ({top_g['g']:.4f}); highest peers_z "
          f"{top_z['host']} ({top_z['peers_z']}), peers_z 0 for "
          f"{sum(r['peers_z'] == 0 for r in graph_rows)} of {len(graph_rows)} hosts")
    scan = {r["host"] for r in got if r.get("a_scan")}
    if scan != {synthetic_botnet.SCANNER}:
        fail(f"synthetic: scan A-set {sorted(scan)}")
    if top_g["host"] != synthetic_botnet.SCANNER:
        fail(f"synthetic: highest g {top_g['host']}, not the scanner")
    if not bots <= first or not all(r["suspicious"] for r in got if r["host"] in bots):
        fail("synthetic: the bots are not all suspicious in group 1")
    # With --tau-g-z 3.5 (graph-anomalous also needs ln(1 + g) 3.5 robust
    # deviations above the internal hosts' median), issue 15's goal: the
    # five bots are one group, ranked first, and no normal client is
    # suspicious; the vote is recomputed as above with that option.
    got_z, groups_z = botnet(flowshark, tmp, ["-r", pcap, "--tau-g-z", "3.5"])
    if got_z is None:
        return values
    values += check_records(flowshark, "synthetic --tau-g-z 3.5", records, tmp,
                            options=["--tau-g-z", "3.5"])
    print("synthetic --tau-g-z 3.5: the hosts table, top 7:")
    print("| host | role | g | g_z | a_graph | a_scan | C-sets | s | suspicious | group |")
    g_z = {r["host"]: r["g_z"] for r in jsonl(run([flowshark, "graph", "--from-records",
                                                    records]).stdout)}
    for r in got_z[:7]:
        role = "scanner" if r["host"] == synthetic_botnet.SCANNER else \
            "bot" if r["host"] in bots else "client"
        print(f"| {r['host']} | {role} | {r['g']:.2f} | {g_z[r['host']]:.2f} | "
              f"{str(r.get('a_graph')).lower()} | {str(r.get('a_scan')).lower()} | "
              f"{len(r['csets'])} | {r['s']:.4f} | {str(r['suspicious']).lower()} | "
              f"{r['group']} |")
    print("groups:", [(g["group"], g["size"], round(g["mean_s"], 4)) for g in groups_z])
    if not groups_z or set(groups_z[0]["members"]) != bots:
        fail(f"synthetic --tau-g-z 3.5: group 1 is not the five bots: {groups_z[:1]}")
    suspicious_clients = [r["host"] for r in got_z
                          if r["suspicious"] and r["host"] not in bots]
    if suspicious_clients:
        fail(f"synthetic --tau-g-z 3.5: normal clients suspicious: {suspicious_clients[:5]}")
    return values


def main():
    a = arguments()
    values = 0
    with tempfile.TemporaryDirectory() as tmp:
        toy = os.path.join(tmp, "toy.pcap")
        toy_capture.write_pcap(toy, toy_capture.packets())
        check_toy(a.flowshark, toy, tmp)
        for i, capture in enumerate([toy] + a.captures):
            name = os.path.basename(capture)
            records = os.path.join(tmp, name + ".jsonl")
            if not write_records(a.flowshark, capture, records):
                continue
            values += check_records(a.flowshark, name, records, tmp, variants=i % 4 == 0,
                                    unit="10" if capture == toy else None)
            if capture == toy:
                check_errors(a.flowshark, records, tmp)
                for msg in input_forms.check(a.flowshark, "botnet", capture, records, tmp,
                                             ["--time-unit", "10"]):
                    fail(msg)
        values += check_synthetic(a.flowshark, tmp)
        print(f"{len(a.captures) + 2} captures, {values} values compared")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
