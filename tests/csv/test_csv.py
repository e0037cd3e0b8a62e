#!/usr/bin/env python3
"""-T csv against -T jsonl (Python standard library only).

For each capture, runs flowshark twice with the same options (every option
that adds keys, and -e fields), once with -T jsonl and once with -T csv,
loads the CSV with the csv module and checks: the header is the JSONL
records' keys in order; there is one row per record, in the same order;
each cell is the record's value (strings as they are, numbers as their
text, null as an empty cell, arrays and objects as JSON text that parses
to the same value). Then checks that several captures (-r repeated) give
exactly one header row, with parallel workers, one worker at a time and
--no-fork, and that a CSV with a field value holding commas and quotes
round-trips.

Usage: test_csv.py --flowshark BIN CAPTURE...
"""
import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys

OPTIONS = ["--stats", "--splt", "5", "--ndpi", "--max-packets", "50",
           "-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ciphersuite",
           "-e", "http.user_agent", "-e", "dns.qry.name"]


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    if p.returncode not in (0, 2):
        raise SystemExit(f"{argv}: exit {p.returncode}: {p.stderr.decode()[-300:]}")
    return p.stdout.decode("utf-8")


def cell_matches(value, cell):
    if value is None:
        return cell == ""
    if isinstance(value, str):
        return cell == value
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return cell == str(value)
    if isinstance(value, float):
        return math.isclose(float(cell), value, rel_tol=0, abs_tol=0)
    return json.loads(cell) == value


def compare(flowshark, captures, extra):
    args = [flowshark]
    for c in captures:
        args += ["-r", c]
    args += extra
    records = [json.loads(line) for line in run(args + ["-T", "jsonl"]).splitlines()]
    text = run(args + ["-T", "csv"])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems = []
    header, body = rows[0], rows[1:]
    if records and list(records[0]) != header:
        problems.append(f"header {header[:5]}... differs from the JSON keys {list(records[0])[:5]}...")
    if len(body) != len(records):
        problems.append(f"{len(body)} rows for {len(records)} records")
    for number, (record, row) in enumerate(zip(records, body)):
        if len(row) != len(header):
            problems.append(f"row {number}: {len(row)} cells for {len(header)} columns")
            continue
        for key, cell in zip(header, row):
            if not cell_matches(record.get(key), cell):
                problems.append(f"row {number} ({record['protocol']} {record['stream']}): "
                                f"{key}: json {record.get(key)!r}, csv {cell!r}")
    return problems, text


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("captures", nargs="+")
    args = parser.parse_args(argv)
    failed = []
    for capture in args.captures:
        problems, _ = compare(args.flowshark, [capture], OPTIONS)
        print(f"{capture}: {len(problems)} problems")
        failed += problems[:10]
    # Several captures: one header row, however the workers run.
    for mode in ([], ["-j", "1"], ["--no-fork"], ["-j", "3"]):
        problems, text = compare(args.flowshark, args.captures[:4], OPTIONS + mode)
        header_rows = sum(1 for row in csv.reader(io.StringIO(text, newline="")) if row and row[0] == "file")
        if header_rows != 1:
            problems.append(f"{header_rows} header rows")
        print(f"{len(args.captures[:4])} captures {' '.join(mode) or '(default workers)'}: "
              f"{len(problems)} problems")
        failed += problems[:10]
    # Quoting: values with commas (cipher suite lists, JSON arrays) and the
    # file name with a comma and a quote.
    with open(args.captures[0], "rb") as f:
        data = f.read()
    odd = os.path.join(os.environ.get("TMPDIR", "/tmp"), f'fs csv,"odd" {os.getpid()}.pcap')
    try:
        with open(odd, "wb") as f:
            f.write(data)
        problems, text = compare(args.flowshark, [odd], OPTIONS)
        print(f"quoted file name: {len(problems)} problems")
        failed += problems[:10]
    finally:
        os.unlink(odd)
    for p in failed:
        print("  " + p)
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
