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

-T sqlite -w DB: on every sample's records at T = 10, on three samples'
records at T = 1 with --score and --empty-windows and at T = 0.25, and on
two captures (-r, with the state keys), every row read back from the
database with Python's sqlite3 (the run's keys from window_runs.window_keys,
top_features parsed from its JSON text) equals the JSON Lines output of the
same command: keys, order, values and their types (int, float, None, list).
All these runs go into one database made by the main command (flowshark -r
SAMPLE -T sqlite -w DB), whose tables stay as they were and which it can
still append to; a run that fails midway (a trigger of the test's raises an
error on one window) leaves no row and no column of its own; a file that is
not a database and another application's database are refused untouched;
-T sqlite without -w (or with -w -) is a usage error.

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
import sqlite3
import subprocess
import sys
import tempfile
from decimal import Decimal, ROUND_FLOOR

# The synthetic capture with a scan and a burst (this folder; shared with
# doc/windows_figure.py).
from synthetic_scan import BURST_AT, SCAN_AT, T0, synthetic_packets, write_pcap

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


def state_frame(tshark_lines, records_path, label):
    """One row per packet tshark keeps: its time and its flow's state after
    it, the state starting afresh with each piece of a flow (stream_piece:
    the flow meter's timeouts); None (with a failure) when the packets do
    not match the records."""
    pieces = {}
    with open(records_path) as f:
        for line in f:
            r = json.loads(line, parse_float=Decimal)
            pieces.setdefault((r["protocol"], r["stream"]), []).append(
                (r.get("stream_piece", 0), r["ip_lengths"], r["ip_timestamps"]))
    for key in pieces:
        pieces[key].sort(key=lambda p: p[0])
    at = {key: [0, 0] for key in pieces}  # piece, packet within it
    states = {}
    rows = []
    for line in tshark_lines:
        epoch, protocols, tcp_stream, udp_stream, flags = line.split("\t")
        layers = protocols.split(":")
        inner = max((i for i, l in enumerate(layers) if l in ("tcp", "udp")), default=None)
        if inner is None:
            continue
        protocol = layers[inner]
        stream = tcp_stream if protocol == "tcp" else udp_stream
        key = (protocol, int(stream))
        if key not in pieces:
            fail(f"{label}: tshark's {protocol} stream {stream} has no record")
            return None
        piece, i = at[key]
        if piece < len(pieces[key]) and i >= len(pieces[key][piece][1]):
            piece, i = piece + 1, 0  # the next piece of the stream
            states.pop(key, None)
        if piece >= len(pieces[key]):
            fail(f"{label}: {protocol} stream {stream}: tshark has more packets")
            return None
        _, lengths, times = pieces[key][piece]
        if Decimal(times[i]) != Decimal(epoch):
            fail(f"{label}: {protocol} stream {stream} piece {piece} packet {i} at {epoch} "
                 "is not the record's")
            return None
        at[key] = [piece, i + 1]
        state = states.setdefault(key, FlowState(protocol == "tcp"))
        rows.append((Decimal(epoch), state.after(lengths[i] >= 0,
                                                  int(flags, 16) if flags else 0)))
    short = [k for k, (piece, i) in at.items()
             if piece != len(pieces[k]) - 1 or i != len(pieces[k][piece][1])]
    if short:
        fail(f"{label}: tshark has fewer packets than the records for flows {short[:3]}")
        return None
    return pd.DataFrame(rows, columns=["t", "state"])


def tshark_packets(tshark, capture):
    """Per packet tshark keeps with flowshark's filter: time, protocols,
    streams and TCP flags (innermost layer: -E occurrence=l)."""
    p = subprocess.run([tshark, "-n", "-r", capture, "-Y", FILTER, "-T", "fields",
                        "-e", "frame.time_epoch", "-e", "frame.protocols", "-e", "tcp.stream",
                        "-e", "udp.stream", "-e", "tcp.flags", "-E", "occurrence=l"],
                       capture_output=True, text=True)
    return p.stdout.splitlines()


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


def check_capture_input(label, bin_, capture, records_text, states_df, seconds, extra=()):
    """window -r CAPTURE (extra: its options): the records input's rows plus
    the state counts."""
    p = run([bin_, "window", "--seconds", seconds, "-r", capture, *extra], check=False)
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
                 ["--seconds", "1", "-T", "sqlite", "--from-records", bad],
                 ["--seconds", "1", "-T", "sqlite", "-w", "-", "--from-records", bad]):
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


# ---- -T sqlite ----

MAIN_TABLES = ["runs", "captures", "flows", "extension"]


def same_value(a, b):
    """Equal, and of the same JSON type (1 and 1.0 differ)."""
    return type(a) is type(b) and a == b


def read_db_run(db, run=None):
    """The rows of a window run (the last one by default) as JSON Lines
    would give them: its keys in order from window_keys, top_features
    parsed from its JSON text. Returns (window_runs row as a dict, rows)."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    if run is None:
        info = con.execute("SELECT * FROM window_runs ORDER BY id DESC LIMIT 1").fetchone()
    else:
        info = con.execute("SELECT * FROM window_runs WHERE id = ?", (run,)).fetchone()
    keys = json.loads(info["window_keys"])
    select = ", ".join('"%s"' % k.replace('"', '""') for k in keys)
    rows = []
    for values in con.execute(f"SELECT {select} FROM windows WHERE run = ? ORDER BY id",
                              (info["id"],)):
        row = dict(zip(keys, values))
        if row.get("top_features") is not None:
            row["top_features"] = json.loads(row["top_features"])
        rows.append(row)
    con.close()
    return dict(info), rows


def main_tables(db):
    """Every row of the main command's tables, to see they are left as
    they were."""
    con = sqlite3.connect(db)
    out = {t: con.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in MAIN_TABLES}
    con.close()
    return out


def db_count(db, sql):
    con = sqlite3.connect(db)
    n = con.execute(sql).fetchone()[0]
    con.close()
    return n


def window_columns(db):
    con = sqlite3.connect(db)
    names = [r[1] for r in con.execute("PRAGMA table_info(windows)")]
    con.close()
    return names


def check_sqlite_run(label, bin_, args, db):
    """window ARGS into db equals window ARGS as JSON Lines. Returns the
    number of rows compared."""
    p = run([bin_, "window"] + args, check=False)
    if p.returncode not in (0, 2):
        fail(f"{label} sqlite: JSON Lines: exit {p.returncode}")
        return 0
    want = [json.loads(line) for line in p.stdout.decode().splitlines()]
    q = run([bin_, "window"] + args + ["-T", "sqlite", "-w", db], check=False)
    if q.returncode != p.returncode or q.stdout:
        fail(f"{label} sqlite: exit {q.returncode} (JSON Lines {p.returncode}), "
             f"{q.stderr.decode(errors='replace')}")
        return 0
    info, got = read_db_run(db)
    status = {0: "ok", 2: "truncated"}[p.returncode]
    if info["status"] != status or info["finished"] is None:
        fail(f"{label} sqlite: window_runs status {info['status']}, finished "
             f"{info['finished']}")
    seconds = args[args.index("--seconds") + 1]
    if not same_value(info["seconds"], json.loads(seconds if "." not in seconds
                                                  else str(float(seconds)))):
        fail(f"{label} sqlite: window_runs seconds {info['seconds']!r}")
    if info["input"] != ("records" if "--from-records" in args else "captures"):
        fail(f"{label} sqlite: window_runs input {info['input']}")
    if want and json.loads(info["window_keys"]) != list(want[0].keys()):
        fail(f"{label} sqlite: window_keys {info['window_keys'][:80]}...")
    if len(got) != len(want):
        fail(f"{label} sqlite: {len(got)} rows, JSON Lines {len(want)}")
        return 0
    for have, row in zip(got, want):
        if list(have.keys()) != list(row.keys()):
            fail(f"{label} sqlite: keys {list(have.keys())[:5]}...")
            return 0
        bad = [k for k in row if not same_value(have[k], row[k])]
        if bad:
            k = bad[0]
            fail(f"{label} sqlite: window {row['window_start']}: {k} = {have[k]!r}, "
                 f"JSON Lines {row[k]!r}")
            return 0
    return len(want)


def check_sqlite(bin_, samples, tmp):
    """-T sqlite (module docstring). samples: (capture, records) pairs."""
    db = os.path.join(tmp, "dataset.db")
    capture0 = samples[0][0]
    p = run([bin_, "-r", capture0, "-T", "sqlite", "-w", db, "-q"], check=False)
    if p.returncode not in (0, 2):
        fail(f"sqlite: the main command's database: exit {p.returncode}")
        return
    before = main_tables(db)
    runs = rows = 0
    for i, (capture, records) in enumerate(samples):
        name = os.path.basename(capture)
        variants = [["--seconds", "10", "--from-records", records]]
        if i < 3:
            variants.append(["--seconds", "1", "--score", "--empty-windows",
                             "--from-records", records])
        if i == 0:
            variants.append(["--seconds", "0.25", "--from-records", records])
        if i < 2:
            variants.append(["--seconds", "10", "--score", "-r", capture])
        for args in variants:
            rows += check_sqlite_run(f"{name} {' '.join(args[:-2])}", bin_, args, db)
            runs += 1
    if db_count(db, "SELECT count(*) FROM window_runs") != runs:
        fail(f"sqlite: {db_count(db, 'SELECT count(*) FROM window_runs')} window runs, "
             f"{runs} written")
    # Every run kept, not only the last: the first one again.
    first, first_rows = read_db_run(db, 1)
    want = [json.loads(line) for line in run(
        [bin_, "window", "--seconds", "10", "--from-records", samples[0][1]]).stdout.splitlines()]
    if first_rows != want:
        fail("sqlite: the first window run changed")
    if main_tables(db) != before:
        fail("sqlite: the main command's tables changed")
    p = run([bin_, "-r", capture0, "-T", "sqlite", "-w", db, "-q"], check=False)
    if p.returncode not in (0, 2) or db_count(db, "SELECT count(*) FROM runs") != 2:
        fail(f"sqlite: the main command appending after the windows: exit {p.returncode}")
    if db_count(db, "SELECT count(*) FROM window_runs") != runs:
        fail("sqlite: the main command's run changed the window runs")
    con = sqlite3.connect(db)
    if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("sqlite: integrity_check")
    con.close()

    # A window database first, then the main command into it.
    fresh = os.path.join(tmp, "windows-first.db")
    check_sqlite_run("windows first", bin_, ["--seconds", "10", "--from-records",
                                             samples[0][1]], fresh)
    p = run([bin_, "-r", capture0, "-T", "sqlite", "-w", fresh, "-q"], check=False)
    if p.returncode not in (0, 2) or db_count(fresh, "SELECT count(*) FROM flows") == 0:
        fail(f"sqlite: the main command into a database window made: exit {p.returncode}")

    # A run that fails midway leaves nothing of itself: no window_runs row,
    # no windows, no column (its _z keys).
    con = sqlite3.connect(fresh)
    con.execute("CREATE TRIGGER test_abort BEFORE INSERT ON windows "
                "WHEN (SELECT count(*) FROM windows WHERE run = NEW.run) >= 1 "
                "BEGIN SELECT RAISE(ABORT, 'test: no second window'); END")
    con.commit()
    con.close()
    columns = window_columns(fresh)
    count = db_count(fresh, "SELECT count(*) FROM windows")
    p = run([bin_, "window", "--seconds", "1", "--score", "--from-records", samples[0][1],
             "-T", "sqlite", "-w", fresh], check=False)
    if (p.returncode != 6 or b"no second window" not in p.stderr
            or db_count(fresh, "SELECT count(*) FROM window_runs") != 1
            or db_count(fresh, "SELECT count(*) FROM windows") != count
            or window_columns(fresh) != columns):
        fail(f"sqlite: a failed run: exit {p.returncode}, {p.stderr!r}, "
             f"columns {len(window_columns(fresh))} (before {len(columns)})")

    # Not a flowshark database: refused, left byte for byte.
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("not a database\n")
    foreign = os.path.join(tmp, "foreign.db")
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t (a)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    for path, message in ((text, b"is not an SQLite database"),
                          (foreign, b"is an SQLite database, but not flowshark's")):
        with open(path, "rb") as f:
            was = f.read()
        p = run([bin_, "window", "--seconds", "10", "--from-records", samples[0][1],
                 "-T", "sqlite", "-w", path], check=False)
        with open(path, "rb") as f:
            now = f.read()
        if p.returncode != 6 or message not in p.stderr or now != was:
            fail(f"sqlite: {os.path.basename(path)}: exit {p.returncode}, {p.stderr!r}, "
                 f"{'unchanged' if now == was else 'changed'}")
    print(f"-T sqlite: {runs} window runs, {rows} rows equal to JSON Lines, in a database "
          f"of the main command's")


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


# ---- the horizon ----

def check_horizon(bin_, tmp):
    """Windows written once the capture is past them by the horizon (idle +
    active timeout + 1 s): on the synthetic capture with timeouts 1 and 2 s
    (a 4 s horizon), the rows equal those of --hold (every window at the
    end) with the same timeouts; through a pipe, the first rows come out
    while the capture is still being written; a capture given twice (its
    packets go back in time) is refused with exit status 2 and its late
    packets named, and counted twice with --hold."""
    path = os.path.join(tmp, "synthetic.pcap")
    packets = synthetic_packets()
    write_pcap(path, packets)
    meter = ["--idle-timeout", "1", "--active-timeout", "2"]
    for seconds in ("1", "10"):
        base = [bin_, "window", "--seconds", seconds, *meter, "-r", path]
        streamed, held = run(base), run(base + ["--hold"])
        if streamed.stdout != held.stdout or not streamed.stdout:
            fail(f"horizon T={seconds}: rows differ from --hold's")
        for fmt in (["--empty-windows"], ["--score"], ["-T", "csv", "--empty-windows"]):
            if run(base + fmt).stdout != run(base + fmt + ["--hold"]).stdout:
                fail(f"horizon T={seconds} {fmt}: rows differ from --hold's")

    # Through a pipe: the first half of the capture, then a row must come
    # out before the rest is written.
    import select
    half = T0 + 150
    first = [p for p in packets if p[0] < half]
    rest = [p for p in packets if p[0] >= half]
    first_path = os.path.join(tmp, "first.pcap")
    write_pcap(first_path, first)
    rest_path = os.path.join(tmp, "rest.pcap")
    write_pcap(rest_path, rest)
    proc = subprocess.Popen([bin_, "window", "--seconds", "10", *meter, "-r", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    with open(first_path, "rb") as f:
        proc.stdin.write(f.read())
    proc.stdin.flush()
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    early = proc.stdout.readline() if ready else b""
    with open(rest_path, "rb") as f:
        proc.stdin.write(f.read()[24:])  # without its file header
    proc.stdin.close()
    out = early + proc.stdout.read()
    proc.wait()
    if not early:
        fail("horizon: no row before the end of the capture through a pipe")
    elif int(json.loads(early)["window_start"]) + 10 > half - 4:
        fail(f"horizon: early row {early[:40]!r} is not past the horizon")
    if proc.returncode != 0 or out != run([bin_, "window", "--seconds", "10", *meter,
                                           "-r", path]).stdout:
        fail(f"horizon: the pipe's rows (exit {proc.returncode}) differ from the file's")
    print(f"horizon: first row {early.decode()[:30]}... out while the capture was at "
          f"{half}")

    twice = [bin_, "window", "--seconds", "10", *meter, "--no-fork", "-r", path, "-r", path]
    p = run(twice, check=False)
    err = p.stderr.decode()
    if p.returncode != 2 or err.count("packets are not counted") != 1:
        fail(f"horizon: a capture twice: exit {p.returncode}, {err!r}")
    once = read_windows(run([bin_, "window", "--seconds", "10", "--hold", "-r", path]).stdout)
    doubled = read_windows(run(twice + ["--hold"]).stdout)
    if [2 * r["num_entries"] for r in once] != [r["num_entries"] for r in doubled]:
        fail("horizon: a capture twice with --hold is not counted twice")


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
        sqlite_samples = []
        for i, capture in enumerate(a.captures):
            name = os.path.basename(capture)
            records = os.path.join(tmp, name + ".jsonl")
            with open(records, "wb") as f:
                p = subprocess.run([a.flowshark, "-r", capture, "--keep-empty", "-q"],
                                   stdout=f, stderr=subprocess.PIPE)
            if p.returncode not in (0, 2):  # 2: a capture cut short, records written
                fail(f"{name}: records: exit {p.returncode}")
                continue
            sqlite_samples.append((capture, records))
            df = entries_frame(records)
            # window -r's flows: by default ended by NFStream's timeouts (the
            # state counts start afresh with each piece), with --hold as the
            # records above.
            metered = os.path.join(tmp, name + ".metered.jsonl")
            with open(metered, "wb") as f:
                subprocess.run([a.flowshark, "-r", capture, "--keep-empty", "-q",
                                "--idle-timeout", "120", "--active-timeout", "1800"],
                               stdout=f, stderr=subprocess.DEVNULL)
            packets = tshark_packets(a.tshark, capture)
            states_df = state_frame(packets, metered, name)
            held_df = state_frame(packets, records, name + " --hold")
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
                if seconds == "10":
                    total_states += check_capture_input(label + " --hold", a.flowshark,
                                                        capture, out, held_df, seconds,
                                                        ["--hold"])
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
        check_horizon(a.flowshark, tmp)
        check_several(a.flowshark, a.captures[:3], tmp)
        check_sqlite(a.flowshark, sqlite_samples, tmp)
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
