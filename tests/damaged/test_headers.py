#!/usr/bin/env python3
"""Impossible record headers (issue 10, defect 6): captures whose pcap records
carry a time fraction that wiretap reads as negative or as one second or
more, and original lengths over 2^31 (tests/data/impossible-headers-*.pcap,
written by tests/data/make_impossible_headers.py). For each capture,
flowshark's records (--stats --splt 5 --main ip, JSON Lines and CSV) must:

- print every timestamp normalised (a fraction of exactly 6 or 9 digits,
  so in [0, 1)) and equal to tshark's frame.time_epoch normalised and cut
  to the capture's precision;
- count frame sizes (--accounting-mode 0) as tshark's frame.len: bytes are
  their sums, max_ps their maximum, splt_ps the first five;
- agree with themselves: time_start/time_end are the smallest and largest
  ip_timestamps, and the *_first_seen_ms, *_last_seen_ms and splt_piat_ms
  keys are the floor of those same timestamps in milliseconds;
- say the same in CSV as in JSON Lines.

Usage: test_headers.py --flowshark BIN --tshark BIN CAPTURE...
"""
import argparse
import collections
import csv
import io
import json
import os
import re
import subprocess
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowrecord  # noqa: E402

NSEC_MAGICS = (b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1")
NS = 10**9
SPLT = 5
TSHARK_FIELDS = ["frame.time_epoch", "frame.len", "tcp.stream", "udp.stream"]
TIME_KEYS = ["time_start", "time_end", "ip_timestamps", "payload_timestamps"]
CSV_KEYS = TIME_KEYS + ["bidirectional_bytes", "bidirectional_max_ps",
                        "bidirectional_first_seen_ms", "bidirectional_last_seen_ms", "splt_ps",
                        "splt_piat_ms"]


def decimals_of(path):
    """6, or 9 for a pcap with the nanosecond magic."""
    with open(path, "rb") as f:
        return 9 if f.read(4) in NSEC_MAGICS else 6


def tshark_time_ns(text):
    """tshark 4.0 prints frame.time_epoch from the record's seconds and
    fraction as they are, without normalising them: a fraction of 1e9 or
    more comes out with 10 digits (1600000000.1500000000), a negative one
    as its absolute value with a minus in front of the whole number
    (seconds 1600000002, fraction -1000 ns: -1600000002.000001000). pcap
    seconds are unsigned, so a minus always belongs to the fraction. Returns
    the instant in nanoseconds, i.e. the normalised value computed from
    tshark's numbers."""
    m = re.fullmatch(r"(-?)(\d+)\.(\d{9,})", text)
    if not m:
        raise ValueError("unexpected frame.time_epoch %r" % text)
    secs, frac = int(m.group(2)), int(m.group(3))
    return secs * NS + (-frac if m.group(1) else frac)


def format_ns(total_ns, decimals):
    """The normalised time (fraction in [0, 1)) with `decimals` digits, cut
    (not rounded) as flowshark prints it; times here are never negative."""
    secs, frac = divmod(total_ns, NS)
    return "%d.%0*d" % (secs, decimals, frac // 10 ** (9 - decimals))


def floor_ms(text):
    """The floor of a printed time in milliseconds."""
    return int((Decimal(text) * 1000).to_integral_value(rounding="ROUND_FLOOR"))


def tshark_flows(tshark, path):
    """{(protocol, stream): [(time ns, frame.len, frame.time_epoch text)]}
    in frame order."""
    args = [tshark, "-r", path, "-T", "fields", "-E", "separator=/t"]
    for f in TSHARK_FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    flows = collections.defaultdict(list)
    for line in out.splitlines():
        epoch, frame_len, tcp_stream, udp_stream = line.split("\t")
        key = ("tcp", int(tcp_stream)) if tcp_stream else ("udp", int(udp_stream))
        flows[key].append((tshark_time_ns(epoch), int(frame_len), epoch))
    return flows


def jsonl_records(out):
    """Records with every float kept as the text flowshark printed."""
    return [json.loads(line, parse_float=str) for line in out.decode().splitlines() if line]


def csv_records(out, keys):
    """CSV rows reduced to `keys`, whose cells (numbers, or arrays as JSON
    text) are parsed the same way as the JSON Lines records."""
    return [{k: json.loads(row[k], parse_float=str) for k in keys}
            for row in csv.DictReader(io.StringIO(out.decode()))]


def direction_ms(record, sign):
    """The printed ip_timestamps of one direction (+1 src2dst, -1 dst2src),
    or of every packet (0), in milliseconds."""
    return [floor_ms(t) for t, n in zip(record["ip_timestamps"], record["ip_lengths"])
            if sign == 0 or (n > 0) == (sign > 0)]


def check_flow(record, packets, decimals):
    """Problems of one record against tshark's packets of its flow."""
    p = []
    times = record["ip_timestamps"]
    if len(times) != len(packets):
        return ["%d packets, tshark has %d" % (len(times), len(packets))]

    # Printed times: normalised, tshark's instants cut to the precision.
    stamp = re.compile(r"\d+\.\d{%d}" % decimals)
    for key in TIME_KEYS:
        values = record[key] if isinstance(record[key], list) else [record[key]]
        for text in values:
            if not stamp.fullmatch(text):
                p.append("%s %s: not a normalised time with %d decimals" % (key, text, decimals))
    want = [format_ns(ns, decimals) for ns, _, _ in packets]
    if times != want:
        p.append("ip_timestamps %s, tshark's frame.time_epoch %s normalised is %s"
                 % (times, [e for _, _, e in packets], want))
    if record["time_start"] != min(times, key=Decimal):
        p.append("time_start %s is not the smallest ip_timestamp" % record["time_start"])
    if record["time_end"] != max(times, key=Decimal):
        p.append("time_end %s is not the largest ip_timestamp" % record["time_end"])
    if not set(record["payload_timestamps"]) <= set(times):
        p.append("payload_timestamps %s not among ip_timestamps" % record["payload_timestamps"])

    # Sizes: tshark's frame.len (accounting mode 0).
    lengths = [n for _, n, _ in packets]
    forward = [n > 0 for n in record["ip_lengths"]]
    want_bytes = {
        "bidirectional": sum(lengths),
        "src2dst": sum(n for n, f in zip(lengths, forward) if f),
        "dst2src": sum(n for n, f in zip(lengths, forward) if not f),
    }
    for d, total in want_bytes.items():
        if record[d + "_bytes"] != total:
            p.append("%s_bytes %s, sum of tshark's frame.len %d" % (d, record[d + "_bytes"], total))
    if record["bidirectional_max_ps"] != max(lengths):
        p.append("bidirectional_max_ps %s, tshark's largest frame.len %d"
                 % (record["bidirectional_max_ps"], max(lengths)))
    want_ps = (lengths + [-1] * SPLT)[:SPLT]
    if record["splt_ps"] != want_ps:
        p.append("splt_ps %s, tshark's frame.len %s" % (record["splt_ps"], want_ps))

    # Statistics' times: the floor of the record's own timestamps in ms.
    for d, sign in (("bidirectional", 0), ("src2dst", 1), ("dst2src", -1)):
        ms = direction_ms(record, sign)
        first, last = (ms[0], ms[-1]) if ms else (0, 0)
        for key, value in (("first_seen_ms", first), ("last_seen_ms", last)):
            if record["%s_%s" % (d, key)] != value:
                p.append("%s_%s %s, the record's timestamps give %d"
                         % (d, key, record["%s_%s" % (d, key)], value))
    ms = direction_ms(record, 0)
    want_piat = ([0] + [b - a for a, b in zip(ms, ms[1:])] + [-1] * SPLT)[:SPLT]
    if record["splt_piat_ms"] != want_piat:
        p.append("splt_piat_ms %s, the record's timestamps give %s"
                 % (record["splt_piat_ms"], want_piat))
    return p


def check_capture(flowshark, tshark, path):
    """Problems of one capture."""
    name = os.path.basename(path)
    args = ["-r", path, "--stats", "--splt", str(SPLT), "--main", "ip"]
    status, out, err = flowrecord.run_flowshark(flowshark, args)
    problems = flowrecord.run_problems(status, err, {flowrecord.EXIT_OK})
    status, out_csv, err = flowrecord.run_flowshark(flowshark, args + ["-T", "csv"])
    problems += flowrecord.run_problems(status, err, {flowrecord.EXIT_OK})
    if problems:
        return ["%s: %s" % (name, q) for q in problems]

    flows = tshark_flows(tshark, path)
    # The capture must exercise the case: fractions tshark shows out of
    # [0, 1e9) and lengths it shows as 2^31 - 1.
    epochs = [e for packets in flows.values() for _, _, e in packets]
    if not any(e.startswith("-") or len(e.split(".")[1]) > 9 for e in epochs):
        problems.append("tshark shows no impossible fraction: the crafted capture is wrong")
    if not any(n == 2**31 - 1 for packets in flows.values() for _, n, _ in packets):
        problems.append("tshark shows no frame.len of 2^31 - 1: the crafted capture is wrong")

    records = jsonl_records(out)
    decimals = decimals_of(path)
    seen = set()
    for r in records:
        key = (r["protocol"], r["stream"])
        seen.add(key)
        if key not in flows:
            problems.append("%s %d: no such flow in tshark" % key)
            continue
        problems += ["%s %d: %s" % (key + (q,)) for q in check_flow(r, flows[key], decimals)]
    for key in sorted(set(flows) - seen):
        problems.append("%s %d: no record" % key)

    rows = csv_records(out_csv, CSV_KEYS)
    if len(rows) != len(records):
        problems.append("%d CSV rows, %d JSON Lines records" % (len(rows), len(records)))
    for r, row in zip(records, rows):
        for key in CSV_KEYS:
            if row[key] != r[key]:
                problems.append("%s %d: CSV %s %s, JSON Lines %s"
                                % (r["protocol"], r["stream"], key, row[key], r[key]))

    # The bounded mode copies records into chunk files (pcapng) for its
    # workers: the same normalised times and capped lengths must come back.
    status, out_bounded, err = flowrecord.run_flowshark(flowshark, args + ["--reset-every", "2"])
    problems += flowrecord.run_problems(status, err, {flowrecord.EXIT_OK})
    bounded = jsonl_records(out_bounded)
    if bounded != records:
        problems.append("--reset-every 2 gives other records than the exact mode")
    return ["%s: %s" % (name, q) for q in problems]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--tshark", required=True)
    parser.add_argument("captures", nargs="+")
    args = parser.parse_args()

    failures = []
    for path in args.captures:
        failures += check_capture(args.flowshark, args.tshark, path)
    for f in failures:
        print("FAIL: " + f)
    print("%d captures, %d failures" % (len(args.captures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
