#!/usr/bin/env python3
"""End-to-end comparison of flowshark's flow records with an oracle built from
tshark alone (Python standard library only).

For each case of a cases file (format: see the header of cases.txt), runs

    flowshark -r CAPTURE ARGS...
    tshark -r CAPTURE [-o/-d ...] [-2] -Y FILTER -T fields -e ... -e FIELD...

in the samples directory (so that `file` is the capture name as written in
the cases file), builds the records that the flow-record spec
(flow-record.md, schema version 1) defines from tshark's per-packet fields,
and compares both sides as parsed JSON values, never as text.

Usage:
    compare.py --flowshark BIN --samples DIR [--tshark tshark]
               [--case NAME ...] [--oracle-only] CASES_FILE

Prints one line per case (`case NAME: N flows, M equal`), the differences,
and at the end `N passed, M failed` (cases). Exits 0 only when every case
passed. With --oracle-only, prints the oracle's records as JSON Lines
instead (no flowshark needed).
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal

# The spec's default packet filter, and the one with the exclusions off.
DEFAULT_FILTER = ("(ip or ipv6) and not icmp and not icmpv6"
                  " and not tcp.analysis.retransmission and not mdns and not ssdp"
                  " and (tcp or udp)")
NO_EXCLUSIONS_FILTER = "(ip or ipv6) and (tcp or udp)"

# The fields the oracle always asks tshark for, in this column order; the
# case's requested fields follow them.
BASE_FIELDS = [
    "frame.protocols", "frame.time_epoch", "_ws.col.Protocol",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.len",
    "udp.stream", "udp.srcport", "udp.dstport", "udp.length",
    "ip.src", "ip.dst", "ip.len",
    "ipv6.src", "ipv6.dst", "ipv6.plen",
]
COL = {name: i for i, name in enumerate(BASE_FIELDS)}

# Per transport / IP layer name: the fields of (stream, sport, dport, length)
# and of (src, dst, length).
TRANSPORT_FIELDS = {
    "tcp": ("tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.len"),
    "udp": ("udp.stream", "udp.srcport", "udp.dstport", "udp.length"),
}
IP_FIELDS = {
    "ip": ("ip.src", "ip.dst", "ip.len"),
    "ipv6": ("ipv6.src", "ipv6.dst", "ipv6.plen"),
}

RECORD_KEYS = ["file", "protocol", "stream", "src", "sport", "dst", "dport",
               "ext_protocols", "time_start", "time_end", "ip_lengths",
               "ip_timestamps", "payload_lengths", "payload_timestamps",
               "extension"]
TIMESTAMP_KEYS = ("time_start", "time_end", "ip_timestamps", "payload_timestamps")

SUBPROCESS_TIMEOUT = 900  # seconds, per flowshark or tshark run
MAX_DIFFS_SHOWN = 20      # per case
MAX_VALUE_CHARS = 160     # a value longer than this is cut in reports


class CaseError(Exception):
    """A case that cannot be run or whose oracle cannot be built."""


# --------------------------------------------------------------------------
# Cases file

@dataclass
class Options:
    """What a case's flowshark arguments mean for the oracle."""
    fields: list = field(default_factory=list)   # requested, duplicates removed
    user_filter: str = None                      # -Y
    tshark_opts: list = field(default_factory=list)  # -o / -d, passed on as is
    two_pass: bool = False                       # -2
    main: str = "payload"                        # --main payload|ip
    keep_empty: bool = False
    udp_data_length: bool = False
    no_exclusions: bool = False


@dataclass
class Case:
    name: str
    capture: str     # relative to the samples directory
    exit_status: int  # flowshark's expected exit status
    args: list       # flowshark's arguments after -r CAPTURE
    options: Options


def parse_case_args(args):
    """Reads a case's flowshark arguments into Options (raises CaseError)."""
    opts = Options()
    with_value = {"-e", "-Y", "-o", "-d", "--main"}
    i = 0
    while i < len(args):
        arg = args[i]
        name, value = arg, None
        if arg.startswith("--main="):
            name, value = "--main", arg.split("=", 1)[1]
        elif arg in with_value:
            if i + 1 >= len(args):
                raise CaseError(f"option {arg} needs a value")
            i += 1
            value = args[i]
        i += 1
        if name == "-e":
            if value not in opts.fields:
                opts.fields.append(value)
        elif name == "-Y":
            opts.user_filter = value
        elif name in ("-o", "-d"):
            opts.tshark_opts += [name, value]
        elif name == "--main":
            if value not in ("payload", "ip"):
                raise CaseError(f"--main {value}: expected payload or ip")
            opts.main = value
        elif name == "-2":
            opts.two_pass = True
        elif name == "--keep-empty":
            opts.keep_empty = True
        elif name == "--udp-data-length":
            opts.udp_data_length = True
        elif name == "--no-exclusions":
            opts.no_exclusions = True
        else:
            raise CaseError(f"argument not supported by the oracle: {arg}")
    return opts


def parse_rows(path, columns):
    """Reads a table file of rows `a | b | ...` with the columns named in
    `columns` (written the same way), '#' comments and blank lines skipped.
    Yields (line number, line, fields): the line stripped, its fields
    stripped, the last one keeping any further '|'. Raises CaseError
    "PATH:N: expected 'COLUMNS'" for a line with fewer fields."""
    count = columns.count("|") + 1
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|", count - 1)]
            if len(parts) != count:
                raise CaseError(f"{path}:{number}: expected '{columns}'")
            yield number, line, parts


def parse_cases(path):
    """Reads the cases file: `name | capture | exit | args`, '#' comments."""
    cases = []
    columns = "name | capture | exit | args"
    for number, _, parts in parse_rows(path, columns):
        if not parts[0] or not parts[1] or not parts[2].isdigit():
            raise CaseError(f"{path}:{number}: expected '{columns}'")
        name, capture, status, args = parts
        try:
            argv = shlex.split(args)
            cases.append(Case(name, capture, int(status), argv, parse_case_args(argv)))
        except (ValueError, CaseError) as e:
            raise CaseError(f"{path}:{number}: {e}") from None
    names = [c.name for c in cases]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        raise CaseError(f"{path}: duplicate case names: {', '.join(sorted(dups))}")
    return cases


# --------------------------------------------------------------------------
# Running the programs

def pinned_env(home):
    """TZ=UTC, LC_ALL=C and an empty profile directory for both programs."""
    env = dict(os.environ)
    env.update(TZ="UTC", LC_ALL="C", HOME=home, WIRESHARK_CONFIG_DIR=home)
    return env


def run(argv, cwd, env):
    """Runs a program; returns (exit status, stdout text, stderr text)."""
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True,
                              timeout=SUBPROCESS_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CaseError(f"cannot run {argv[0]}: {e}") from None
    try:
        out = proc.stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CaseError(f"{os.path.basename(argv[0])}: standard output is not UTF-8: {e}") from None
    return proc.returncode, out, proc.stderr.decode("utf-8", "replace")


def packet_filter(opts):
    base = NO_EXCLUSIONS_FILTER if opts.no_exclusions else DEFAULT_FILTER
    return f"{base} and ({opts.user_filter})" if opts.user_filter is not None else base


def tshark_argv(tshark, case):
    opts = case.options
    argv = [tshark, "-r", case.capture, *opts.tshark_opts]
    if opts.two_pass:
        argv.append("-2")
    argv += ["-Y", packet_filter(opts), "-T", "fields", "-E", "separator=/t",
             "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
    for name in BASE_FIELDS + opts.fields:
        argv += ["-e", name]
    return argv


def text_lines(text):
    """Splits on LF only: str.splitlines() would also split on characters
    that neither tshark nor JSON escape (\\x1c, \\x85, U+2028...)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def tshark_packets(tshark, case, samples, env):
    """tshark's per-packet lines for the case, as lists of column texts."""
    status, out, err = run(tshark_argv(tshark, case), samples, env)
    if status != 0 and not (status == 2 and case.exit_status == 2):
        raise CaseError(f"tshark exited {status}: {err.strip()[-500:]}")
    ncols = len(BASE_FIELDS) + len(case.options.fields)
    rows = []
    for number, line in enumerate(text_lines(out), 1):
        cols = line.split("\t")
        if len(cols) != ncols:
            raise CaseError(f"tshark line {number}: {len(cols)} columns, expected {ncols}")
        rows.append(cols)
    return rows


# --------------------------------------------------------------------------
# The oracle: flow records from tshark's fields

@dataclass
class Packet:
    protocol: str
    stream: int
    src: str
    sport: int
    dst: str
    dport: int
    ip_length: int
    payload_length: int
    timestamp: Decimal
    col_protocol: str
    values: list  # one text per requested field ("" when absent)


def flow_layers(layers):
    """Finds the packet's flow header in frame.protocols' layer list.

    Returns (transport name, its occurrence, IP name, its occurrence), with
    0-based occurrences among layers of the same name, or None when the
    packet belongs to no flow: no TCP/UDP layer, an ICMP/ICMPv6 layer before
    the last one (a quoted header), or no IP layer before it."""
    tpos = max((i for i, name in enumerate(layers) if name in TRANSPORT_FIELDS), default=None)
    if tpos is None or any(name in ("icmp", "icmpv6") for name in layers[:tpos]):
        return None
    ipos = max((i for i in range(tpos) if layers[i] in IP_FIELDS), default=None)
    if ipos is None:
        return None
    return (layers[tpos], layers[:tpos].count(layers[tpos]),
            layers[ipos], layers[:ipos].count(layers[ipos]))


def occurrence(cols, name, nth, count):
    """The nth (0-based) of the comma-separated values of field `name`, for a
    packet with `count` layers of that field's protocol; None when the field
    is absent. Raises CaseError when some but not all layers have it, since
    the values can then not be matched to the layers."""
    text = cols[COL[name]]
    values = text.split(",") if text else []
    if not values:
        return None
    if len(values) != count:
        raise CaseError(f"{name} has {len(values)} values for {count} layers: {text!r}")
    return values[nth]


def parse_packet(cols, opts, nfields):
    """One tshark line to a Packet, or None when it belongs to no flow."""
    layers = cols[COL["frame.protocols"]].split(":")
    found = flow_layers(layers)
    if found is None:
        return None
    proto, tnth, ipname, inth = found
    tcount, icount = layers.count(proto), layers.count(ipname)
    f_stream, f_sport, f_dport, f_len = TRANSPORT_FIELDS[proto]
    stream = occurrence(cols, f_stream, tnth, tcount)
    if stream is None:
        return None
    f_src, f_dst, f_iplen = IP_FIELDS[ipname]
    src, dst, iplen = (occurrence(cols, f, inth, icount) for f in (f_src, f_dst, f_iplen))
    sport, dport = (occurrence(cols, f, tnth, tcount) for f in (f_sport, f_dport))
    if None in (src, dst, iplen, sport, dport):
        raise CaseError(f"packet of {proto} stream {stream} without addresses, ports or IP length")
    length = occurrence(cols, f_len, tnth, tcount)  # None: header cut short
    payload = int(length) if length is not None else 0
    if proto == "udp" and opts.udp_data_length and length is not None:
        payload -= 8
    return Packet(proto, int(stream), src, int(sport), dst, int(dport), int(iplen), payload,
                  Decimal(cols[COL["frame.time_epoch"]]), cols[COL["_ws.col.Protocol"]],
                  cols[len(BASE_FIELDS):len(BASE_FIELDS) + nfields])


def build_record(file, packets, opts):
    """The spec's record for one flow's packets (in capture order), or None
    when it is left out (no payload packet and no --keep-empty)."""
    first = packets[0]
    if first.sport > first.dport:
        src, sport, dst, dport = first.src, first.sport, first.dst, first.dport
    else:
        src, sport, dst, dport = first.dst, first.dport, first.src, first.sport
    ext_protocols, ip_lengths, ip_ts, pl_lengths, pl_ts = [], [], [], [], []
    extension = {name: [] for name in opts.fields}
    for index, p in enumerate(packets):
        sign = 1 if (p.src, p.sport) == (src, sport) else -1
        if p.col_protocol not in ext_protocols:
            ext_protocols.append(p.col_protocol)
        ip_lengths.append(sign * p.ip_length)
        ip_ts.append(p.timestamp)
        if p.payload_length != 0:
            pl_lengths.append(sign * p.payload_length)
            pl_ts.append(p.timestamp)
        for name, text in zip(opts.fields, p.values):
            if text != "":
                extension[name].append([text, index])
    if not pl_lengths and not opts.keep_empty:
        return None
    main = pl_ts if opts.main == "payload" else ip_ts
    return {
        "file": file, "protocol": first.protocol, "stream": first.stream,
        "src": src, "sport": sport, "dst": dst, "dport": dport,
        "ext_protocols": ext_protocols,
        "time_start": min(main) if main else None,
        "time_end": max(main) if main else None,
        "ip_lengths": ip_lengths, "ip_timestamps": ip_ts,
        "payload_lengths": pl_lengths, "payload_timestamps": pl_ts,
        "extension": {k: v for k, v in extension.items() if v},
    }


def oracle_records(rows, case):
    """All records of a case, keyed by (file, protocol, stream)."""
    opts = case.options
    flows = {}  # (protocol, stream) -> packets, in capture order
    for number, cols in enumerate(rows, 1):
        try:
            packet = parse_packet(cols, opts, len(opts.fields))
        except CaseError as e:
            raise CaseError(f"tshark line {number}: {e}") from None
        if packet is not None:
            flows.setdefault((packet.protocol, packet.stream), []).append(packet)
    records = {}
    for (proto, stream), packets in flows.items():
        record = build_record(case.capture, packets, opts)
        if record is not None:
            records[(case.capture, proto, stream)] = record
    return records


# --------------------------------------------------------------------------
# flowshark's side

def flowshark_records(flowshark, case, samples, env):
    """Runs flowshark; returns (records keyed like the oracle's, problems)."""
    status, out, err = run([flowshark, "-r", case.capture, *case.args], samples, env)
    problems = []
    if status != case.exit_status:
        problems.append(f"flowshark exited {status}, expected {case.exit_status}: "
                        f"{shorten(err.strip())}")
    records = {}
    for number, line in enumerate(text_lines(out), 1):
        try:
            record = json.loads(line, parse_float=Decimal)
        except ValueError as e:
            problems.append(f"stdout line {number} is not JSON ({e}): {shorten(line)}")
            continue
        if not isinstance(record, dict):
            problems.append(f"stdout line {number} is not a JSON object: {shorten(line)}")
            continue
        key = (record.get("file"), record.get("protocol"), record.get("stream"))
        if key in records:
            problems.append(f"stdout line {number}: second record for {key}")
        records[key] = record
        problems += timestamp_problems(record, number)
    return records, problems


def timestamp_problems(record, number):
    """Timestamps must be JSON numbers with 6 or 9 decimals (or null)."""
    problems = []
    for key in TIMESTAMP_KEYS:
        value = record.get(key)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if v is None and key in ("time_start", "time_end"):
                continue
            if not (isinstance(v, Decimal) and v.as_tuple().exponent in (-6, -9)):
                problems.append(f"stdout line {number}: {key}: {shorten(repr(v))} "
                                "is not a number with 6 or 9 decimals")
                break
    return problems


# --------------------------------------------------------------------------
# Comparison

def kind(value):
    """JSON type of a parsed value; keeps bool apart from int (True == 1)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return type(value).__name__


def first_difference(a, b, path=""):
    """Path and both values of the first difference of two parsed JSON
    values (dict key order counts), or None when they are equal."""
    if kind(a) != kind(b):
        return path, a, b
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path} keys" if path else "keys", list(a), list(b)
        for k in a:
            diff = first_difference(a[k], b[k], f"{path}.{k}" if path else k)
            if diff:
                return diff
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            diff = first_difference(x, y, f"{path}[{i}]")
            if diff:
                return diff
        if len(a) != len(b):
            return f"{path} length", len(a), len(b)
        return None
    return None if a == b else (path, a, b)


def shorten(text):
    text = str(text)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."


def show(value):
    return shorten(to_json(value))


def compare(expected, actual):
    """Compares oracle and flowshark records; returns (flows, equal, report lines)."""
    keys = sorted(set(expected) | set(actual), key=lambda k: tuple(map(str, k)))
    equal, report = 0, []
    for key in keys:
        label = "/".join(map(str, key))
        if key not in actual:
            report.append(f"  only in tshark: {label}")
        elif key not in expected:
            report.append(f"  only in flowshark: {label}")
        else:
            diff = first_difference(expected[key], actual[key])
            if diff is None:
                equal += 1
                continue
            path, want, got = diff
            report.append(f"  {label}: {path}: tshark {show(want)}, flowshark {show(got)}")
    return len(keys), equal, report


# --------------------------------------------------------------------------
# Output

def to_json(value):
    """Compact JSON that prints Decimal timestamps exactly."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{to_json(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, ensure_ascii=False)


def run_case(case, args, env):
    """Runs one case; prints its summary and differences; True when passed."""
    try:
        expected = oracle_records(tshark_packets(args.tshark, case, args.samples, env), case)
        if args.oracle_only:
            for key in sorted(expected, key=lambda k: tuple(map(str, k))):
                print(to_json(expected[key]))
            return True
        actual, problems = flowshark_records(args.flowshark, case, args.samples, env)
    except CaseError as e:
        print(f"case {case.name}: error: {e}", file=sys.stderr if args.oracle_only else sys.stdout)
        return False
    flows, equal, report = compare(expected, actual)
    print(f"case {case.name}: {flows} flows, {equal} equal")
    for line in problems[:MAX_DIFFS_SHOWN]:
        print(f"  {line}")
    for line in report[:MAX_DIFFS_SHOWN]:
        print(line)
    hidden = max(0, len(problems) - MAX_DIFFS_SHOWN) + max(0, len(report) - MAX_DIFFS_SHOWN)
    if hidden:
        print(f"  ... and {hidden} more")
    return not problems and not report


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flowshark", help="the flowshark binary")
    parser.add_argument("--samples", required=True, help="directory of the captures")
    parser.add_argument("--tshark", default="tshark", help="tshark binary (default: tshark)")
    parser.add_argument("--case", action="append", dest="cases", metavar="NAME",
                        help="run only this case (repeatable)")
    parser.add_argument("--oracle-only", action="store_true",
                        help="print the oracle's records as JSON Lines, run no flowshark")
    parser.add_argument("cases_file", metavar="CASES_FILE")
    args = parser.parse_args(argv)
    if not args.oracle_only and not args.flowshark:
        parser.error("--flowshark is required (unless --oracle-only)")
    # The programs run in the samples directory: make their paths absolute.
    args.samples = os.path.abspath(args.samples)
    if args.flowshark:
        args.flowshark = os.path.abspath(args.flowshark)
    tshark = shutil.which(args.tshark)
    if tshark is None:
        parser.error(f"tshark not found: {args.tshark}")
    args.tshark = os.path.abspath(tshark)
    return args


def main(argv):
    args = parse_args(argv)
    try:
        cases = parse_cases(args.cases_file)
    except (OSError, CaseError) as e:
        print(f"compare.py: {e}", file=sys.stderr)
        return 2
    if args.cases:
        unknown = set(args.cases) - {c.name for c in cases}
        if unknown:
            print(f"compare.py: unknown case(s): {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        cases = [c for c in cases if c.name in args.cases]
    passed = failed = 0
    out = sys.stderr if args.oracle_only else sys.stdout
    for case in cases:
        with tempfile.TemporaryDirectory(prefix="flowshark-e2e-") as home:
            ok = run_case(case, args, pinned_env(home))
        passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    print(f"{passed} passed, {failed} failed", file=out)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:  # e.g. --oracle-only piped into head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
