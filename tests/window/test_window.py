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
(a line that is not a record, a missing option, -r with --from-records).

Capture input: `flowshark window -r CAPTURE` at T = 1 and 10 must equal the
records input for every key both have, and its num_state_* keys must equal
an independent computation: every packet tshark keeps with flowshark's
filter (`tshark -T fields -e frame.time_epoch -e frame.protocols -e
tcp.stream -e udp.stream -e tcp.flags`, the innermost TCP or UDP layer by
frame.protocols), matched to its record by (protocol, stream) and its place
in the flow (its time must be the record's), its direction the sign of its
ip_lengths element, and the state of doc/windows.md computed here per flow
in frame order; then pandas counts the states per window. Several captures
as plain arguments with -j 2 equal their records as well.

--score: at T = 1 and 10 on every sample's records, the rows without
--score followed by <key>_z of num_entries and the count_* keys and
top_features, equal to pandas (median, the MAD as the median of absolute
deviations, ties of top_features in key order). A synthetic capture written
here (pcap, Ethernet/IPv4/TCP/UDP): five minutes of normal exchanges among
a handful of hosts, a SYN scan of 1000 ports from one host to one target in
one window, SYNs from 300 addresses to one port in another; with
`window --seconds 10 --score -r`, the scan window must have the highest
count_dst_port_z and the burst window the highest count_src_ip_z (the table
of those windows is printed).

Exit status 0 when everything holds, 1 otherwise, 77 (a skip for ctest)
when pandas is missing, unless CI=true, where that fails too.

Usage: test_window.py --flowshark BIN --tshark BIN CAPTURE...
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

# The synthetic capture with a scan and a burst (this folder; shared with
# doc/windows_figure.py).
from synthetic_scan import BURST_AT, SCAN_AT, synthetic_packets, write_pcap

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
SCORED = ["num_entries", "count_dst_port", "count_src_port", "count_dst_ip", "count_src_ip",
          "count_conns", "count_flows"]
SCORE_KEYS = [f"{k}_z" for k in SCORED] + ["top_features"]
STATES = ["new", "connecting", "established", "closing", "closed", "reset"]
STATE_KEYS = [f"num_state_{s}" for s in STATES]
# flowshark's filter with its default exclusions (extractor/run.h).
FILTER = ("(ip or ipv6) and not icmp and not icmpv6 and not tcp.analysis.retransmission "
          "and not mdns and not ssdp and (tcp or udp)")

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


# ---- TCP/UDP states from tshark ----

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class FlowState:
    """doc/windows.md: the state of a flow after each of its packets."""

    def __init__(self, tcp):
        self.tcp = tcp
        self.seen = {True: False, False: False}
        self.synack = False
        self.ack = {True: False, False: False}
        self.fin = {True: False, False: False}
        self.rst = False
        self.established = False

    def after(self, forward, flags):
        self.seen[forward] = True
        both = self.seen[True] and self.seen[False]
        if not self.tcp:
            return "established" if both else "new"
        if flags & (SYN | ACK) == SYN | ACK:
            self.synack = True
        if self.synack and flags & ACK:
            self.ack[forward] = True
        if flags & FIN:
            self.fin[forward] = True
        if flags & RST:
            self.rst = True
        if (self.ack[True] and self.ack[False]) if self.synack else both:
            self.established = True
        if self.rst:
            return "reset"
        if self.fin[True] and self.fin[False]:
            return "closed"
        if self.fin[True] or self.fin[False]:
            return "closing"
        if self.established:
            return "established"
        return "connecting" if self.synack else "new"


def state_frame(tshark, capture, records_path, label):
    """One row per packet tshark keeps: its time and its flow's state after
    it; None (with a failure) when the packets do not match the records."""
    p = subprocess.run([tshark, "-n", "-r", capture, "-Y", FILTER, "-T", "fields",
                        "-e", "frame.time_epoch", "-e", "frame.protocols", "-e", "tcp.stream",
                        "-e", "udp.stream", "-e", "tcp.flags", "-E", "occurrence=l"],
                       capture_output=True, text=True)
    flows = {}
    with open(records_path) as f:
        for line in f:
            r = json.loads(line, parse_float=Decimal)
            flows[(r["protocol"], r["stream"])] = (r["ip_lengths"], r["ip_timestamps"])
    done = {key: 0 for key in flows}
    states = {}
    rows = []
    for line in p.stdout.splitlines():
        epoch, protocols, tcp_stream, udp_stream, flags = line.split("\t")
        layers = protocols.split(":")
        inner = max((i for i, l in enumerate(layers) if l in ("tcp", "udp")), default=None)
        if inner is None:
            continue
        protocol = layers[inner]
        stream = tcp_stream if protocol == "tcp" else udp_stream
        key = (protocol, int(stream))
        if key not in flows:
            fail(f"{label}: tshark's {protocol} stream {stream} has no record")
            return None
        lengths, times = flows[key]
        i = done[key]
        if i >= len(lengths) or Decimal(times[i]) != Decimal(epoch):
            fail(f"{label}: {protocol} stream {stream} packet {i} at {epoch} is not the "
                 "record's")
            return None
        done[key] = i + 1
        state = states.setdefault(key, FlowState(protocol == "tcp"))
        rows.append((Decimal(epoch), state.after(lengths[i] >= 0,
                                                  int(flags, 16) if flags else 0)))
    short = [k for k, n in done.items() if n != len(flows[k][0])]
    if short:
        fail(f"{label}: tshark has fewer packets than the records for flows {short[:3]}")
        return None
    return pd.DataFrame(rows, columns=["t", "state"])


def state_oracle(df, seconds):
    """{window_start: {num_state_*: count}}."""
    T = Decimal(seconds)
    df = df.copy()
    df["window"] = [(t / T).to_integral_value(rounding=ROUND_FLOOR) for t in df["t"]]
    out = {}
    for w, d in df.groupby("window"):
        counts = d["state"].value_counts()
        out[w * T] = {f"num_state_{s}": int(counts.get(s, 0)) for s in STATES}
    return out


def check_capture_input(label, bin_, capture, records_text, states_df, seconds):
    """window -r CAPTURE: the records input's rows plus the state counts."""
    p = run([bin_, "window", "--seconds", seconds, "-r", capture], check=False)
    if p.returncode not in (0, 2):
        fail(f"{label}: window -r: exit {p.returncode}: {p.stderr!r}")
        return 0
    rows = read_windows(p.stdout)
    plain = read_windows(records_text)
    if len(rows) != len(plain):
        fail(f"{label}: window -r wrote {len(rows)} windows, records input {len(plain)}")
        return 0
    expected = state_oracle(states_df, seconds) if states_df is not None else None
    checked = 0
    for row, want in zip(rows, plain):
        if list(row.keys()) != KEYS + STATE_KEYS:
            fail(f"{label}: window -r keys {list(row.keys())[-8:]}")
            return checked
        if {k: row[k] for k in KEYS} != want:
            fail(f"{label}: window -r window {row['window_start']} differs from records input")
        if sum(row[k] for k in STATE_KEYS) != row["num_entries"]:
            fail(f"{label}: window {row['window_start']}: states do not add up to entries")
        if expected is not None:
            exp = expected.get(Decimal(row["window_start"]))
            got = {k: row[k] for k in STATE_KEYS}
            if got != exp:
                fail(f"{label}: window {row['window_start']}: states {got}, tshark {exp}")
            checked += len(STATE_KEYS)
    if expected is not None and len(expected) != len(rows):
        fail(f"{label}: tshark's packets fall in {len(expected)} windows, not {len(rows)}")
    return checked


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
                 ["--seconds", "1", "-r", bad, "--from-records", bad],
                 ["--seconds", "1", "--no-exclusions", "--from-records", bad],
                 ["--seconds", "1", "-T", "sqlite", "--from-records", bad]):
        p = run([bin_, "window"] + args, check=False)
        if p.returncode != 1 or not p.stderr.startswith(b"flowshark: window: "):
            fail(f"window {args}: exit {p.returncode}, {p.stderr!r}")
    missing = os.path.join(tmp, "missing.jsonl")
    p = run([bin_, "window", "--seconds", "1", "--from-records", missing], check=False)
    if p.returncode != 3:
        fail(f"missing file: exit {p.returncode}")
    p = run([bin_, "window", "--seconds", "1", "-r", missing], check=False)
    if p.returncode != 3 or missing.encode() not in p.stderr:
        fail(f"missing capture: exit {p.returncode}, {p.stderr!r}")


def check_several(bin_, captures, tmp):
    """Plain arguments, two workers: the records of the same captures."""
    records = os.path.join(tmp, "several.jsonl")
    with open(records, "wb") as f:
        subprocess.run([bin_, "--keep-empty", "-q"] + captures, stdout=f,
                       stderr=subprocess.DEVNULL)
    want = read_windows(run([bin_, "window", "--seconds", "10", "--from-records",
                             records]).stdout)
    p = run([bin_, "window", "--seconds", "10", "-j", "2"] + captures, check=False)
    got = [{k: r[k] for k in KEYS} for r in read_windows(p.stdout)]
    if p.returncode not in (0, 2) or got != want:
        fail(f"several captures with -j 2: exit {p.returncode}, "
             f"{len(got)} windows, records input {len(want)}")


# ---- --score ----

def score_oracle(rows):
    """pandas: per scored key, (v - median) / (1.4826 * MAD) over all rows,
    0 when MAD = 0; top_features the three highest, ties in key order."""
    df = pd.DataFrame([{k: float(r[k]) for k in SCORED} for r in rows])
    med = df.median()
    mad = (df - med).abs().median()
    z = (df - med) / (1.4826 * mad)
    for k in SCORED:
        if mad[k] == 0:
            z[k] = 0.0
    out = []
    for _, zr in z.iterrows():
        top = sorted(SCORED, key=lambda k: (-zr[k], SCORED.index(k)))[:3]
        out.append(({k: zr[k] for k in SCORED}, top))
    return out


def check_score(label, bin_, args, plain_rows, extra_keys=()):
    """window --score on args: the rows of plain_rows (written without
    --score) with their z-scores and top_features appended, as pandas
    computes them. Returns the rows."""
    rows = read_windows(run([bin_, "window", "--score"] + args).stdout)
    if len(rows) != len(plain_rows):
        fail(f"{label} --score: {len(rows)} rows, {len(plain_rows)} without")
        return rows
    for row, plain in zip(rows, plain_rows):
        if list(row.keys()) != list(plain.keys()) + SCORE_KEYS:
            fail(f"{label} --score: keys {list(row.keys())[-9:]}")
            return rows
        if any(row[k] != plain[k] for k in plain):
            fail(f"{label} --score: window {row['window_start']} differs without --score")
    for row, (zs, top) in zip(rows, score_oracle(plain_rows)):
        for k in SCORED:
            have = row[f"{k}_z"]
            if not (isinstance(have, Decimal) and close(float(have), zs[k])):
                fail(f"{label} --score: window {row['window_start']}: {k}_z = {have}, "
                     f"pandas {zs[k]}")
        if row["top_features"] != top:
            fail(f"{label} --score: window {row['window_start']}: top_features "
                 f"{row['top_features']}, pandas {top}")
    return rows


def check_synthetic(bin_, tmp):
    """The scan window has the highest count_dst_port_z, the burst window
    the highest count_src_ip_z (window --seconds 10 --score -r)."""
    path = os.path.join(tmp, "synthetic.pcap")
    write_pcap(path, synthetic_packets())
    args = ["--seconds", "10", "-r", path]
    plain = read_windows(run([bin_, "window"] + args).stdout)
    rows = check_score("synthetic.pcap", bin_, args, plain)
    if not rows or "count_dst_port_z" not in rows[0]:
        fail("synthetic.pcap: no scores")
        return
    by_start = {int(r["window_start"]): r for r in rows}
    scan, burst = by_start.get(SCAN_AT), by_start.get(BURST_AT)
    if scan is None or burst is None:
        fail(f"synthetic.pcap: no window at {SCAN_AT} or {BURST_AT}")
        return
    top_port = max(rows, key=lambda r: r["count_dst_port_z"])
    top_src = max(rows, key=lambda r: r["count_src_ip_z"])
    if top_port is not scan or sum(r["count_dst_port_z"] == scan["count_dst_port_z"]
                                   for r in rows) != 1:
        fail(f"synthetic.pcap: highest count_dst_port_z at {top_port['window_start']}, "
             f"not the scan's {SCAN_AT}")
    if top_src is not burst or sum(r["count_src_ip_z"] == burst["count_src_ip_z"]
                                   for r in rows) != 1:
        fail(f"synthetic.pcap: highest count_src_ip_z at {top_src['window_start']}, "
             f"not the burst's {BURST_AT}")
    cols = ["window_start", "count_dst_port", "count_dst_port_z", "count_src_ip",
            "count_src_ip_z", "top_features"]
    print(f"synthetic.pcap: {len(rows)} windows of 10 s; the scan ({SCAN_AT}), the burst "
          f"({BURST_AT}) and the two normal windows before each:")
    print("| " + " | ".join(cols) + " |")
    print("|" + " --- |" * len(cols))
    for start in (SCAN_AT - 20, SCAN_AT - 10, SCAN_AT, BURST_AT - 20, BURST_AT - 10, BURST_AT):
        r = by_start.get(start)
        if r:
            cells = [str(r["window_start"]), str(r["count_dst_port"]),
                     f"{float(r['count_dst_port_z']):.2f}", str(r["count_src_ip"]),
                     f"{float(r['count_src_ip_z']):.2f}", ", ".join(r["top_features"])]
            print("| " + " | ".join(cells) + " |")
    med = pd.DataFrame([{k: int(r[k]) for k in ("count_dst_port", "count_src_ip")}
                        for r in rows])
    print(f"over the run: median count_dst_port {med['count_dst_port'].median()}, "
          f"count_src_ip {med['count_src_ip'].median()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowshark", required=True)
    ap.add_argument("--tshark", required=True)
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    if pd is None:
        print("pandas missing (Debian: python3-pandas)")
        return 1 if os.environ.get("CI") == "true" else SKIP

    with tempfile.TemporaryDirectory() as tmp:
        total_windows = total_values = total_states = total_scored = 0
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
            states_df = state_frame(a.tshark, capture, records, name)
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
                if seconds in ("1", "10"):
                    check_score(label, a.flowshark, ["--seconds", seconds, "--from-records",
                                                     records], read_windows(out))
                    total_scored += len(expected)
                if seconds in ("1", "10"):
                    total_states += check_capture_input(label, a.flowshark, capture, out,
                                                        states_df, seconds)
            if i == 0:
                with open(records, "rb") as f:
                    stdin_out = run([a.flowshark, "window", "--seconds", "1",
                                     "--from-records", "-"], stdin=f.read()).stdout
                if stdin_out != run([a.flowshark, "window", "--seconds", "1",
                                     "--from-records", records]).stdout:
                    fail(f"{name}: standard input differs from the file")
            check_empty_windows(name, a.flowshark, records, "1")
            print(f"{name}: {len(df)} entries checked at T = {', '.join(seconds_list)}")
        check_synthetic(a.flowshark, tmp)
        check_several(a.flowshark, a.captures[:3], tmp)
        check_errors(a.flowshark, tmp)
        print(f"{total_windows} windows, {total_values} values compared with pandas "
              f"{pd.__version__}; capture input equal to records input, "
              f"{total_states} state counts compared with tshark; --score of "
              f"{total_scored} windows compared with pandas")

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("all window checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
