"""Shared helpers of the damaged-input tests: running flowshark, checking a
run ended cleanly, and validating records against doc/flow-record.md.
Python standard library only."""
import json
import math
import subprocess

# Keys of the default record, in this order (doc/flow-record.md).
RECORD_KEYS = ["file", "protocol", "stream", "src", "sport", "dst", "dport", "ext_protocols",
               "time_start", "time_end", "ip_lengths", "ip_timestamps", "payload_lengths",
               "payload_timestamps", "extension"]

# Exit statuses a capture may cause (README.md "Exit status").
EXIT_OK, EXIT_TRUNCATED, EXIT_OPEN = 0, 2, 3

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ERROR: UndefinedBehaviorSanitizer")


def run_flowshark(flowshark, args, timeout=300):
    """Runs flowshark; returns (exit status, stdout bytes, stderr text)."""
    proc = subprocess.run([flowshark, *args], capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def run_problems(status, stderr, allowed):
    """What is wrong with how a run ended: a signal, an undocumented status,
    a sanitizer report. An empty list when nothing is."""
    problems = []
    if status < 0:
        problems.append("killed by signal %d" % -status)
    elif status not in allowed:
        problems.append("exit status %d, expected one of %s" % (status, sorted(allowed)))
    for mark in SANITIZER_MARKS:
        if mark in stderr:
            problems.append("sanitizer report on stderr: " + mark)
    return problems


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def record_problems(record, fields):
    """Checks one parsed record against the spec; returns a list of problems.
    fields: the -e names in the order given."""
    p = []
    if not isinstance(record, dict):
        return ["not an object"]
    if list(record) != RECORD_KEYS:
        return ["keys %s, expected %s" % (list(record), RECORD_KEYS)]
    if not isinstance(record["file"], str):
        p.append("file is not a string")
    if record["protocol"] not in ("tcp", "udp"):
        p.append("protocol %r" % (record["protocol"],))
    if not _is_int(record["stream"]) or record["stream"] < 0:
        p.append("stream %r" % (record["stream"],))
    for addr, port in (("src", "sport"), ("dst", "dport")):
        if not isinstance(record[addr], str) or not record[addr]:
            p.append("%s %r" % (addr, record[addr]))
        if not _is_int(record[port]) or not 0 <= record[port] <= 65535:
            p.append("%s %r" % (port, record[port]))
    protos = record["ext_protocols"]
    if (not isinstance(protos, list) or not all(isinstance(x, str) for x in protos)
            or len(set(protos)) != len(protos)):
        p.append("ext_protocols %r is not a list of distinct strings" % (protos,))
    for lengths, stamps in (("ip_lengths", "ip_timestamps"),
                            ("payload_lengths", "payload_timestamps")):
        if not isinstance(record[lengths], list) or not all(_is_int(x) for x in record[lengths]):
            p.append("%s is not a list of integers" % lengths)
        if not isinstance(record[stamps], list) or not all(_is_number(x) for x in record[stamps]):
            p.append("%s is not a list of numbers" % stamps)
        elif len(record[stamps]) != len(record[lengths]):
            p.append("%s and %s differ in length" % (lengths, stamps))
    if p:
        return p
    if not record["ip_lengths"]:
        p.append("no packets")
    if any(x == 0 for x in record["payload_lengths"]):
        p.append("payload_lengths holds a 0")
    if len(record["payload_lengths"]) > len(record["ip_lengths"]):
        p.append("more payload entries than packets")
    # Default options: flows without payload are dropped, and the main
    # sequence is the payload one.
    if not record["payload_lengths"]:
        p.append("flow without payload kept")
    elif (record["time_start"] != min(record["payload_timestamps"])
          or record["time_end"] != max(record["payload_timestamps"])):
        p.append("time_start/time_end are not the payload sequence's range")
    ext = record["extension"]
    if not isinstance(ext, dict):
        return p + ["extension is not an object"]
    if [k for k in fields if k in ext] != list(ext):
        p.append("extension keys %s not the requested fields %s in order" % (list(ext), fields))
    for name, pairs in ext.items():
        if not isinstance(pairs, list) or not pairs:
            p.append("extension %s is not a non-empty list" % name)
            continue
        for pair in pairs:
            if (not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str)
                    or not pair[0] or not _is_int(pair[1])
                    or not 0 <= pair[1] < len(record["ip_lengths"])):
                p.append("extension %s: bad pair %r" % (name, pair))
    return p


def parse_records(stdout, fields):
    """Decodes stdout (strict UTF-8, strict JSON, one object per line) and
    validates every record. Returns (records, problems)."""
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError as e:
        return [], ["stdout is not valid UTF-8: %s" % e]
    if text and not text.endswith("\n"):
        return [], ["stdout does not end with a newline"]
    records, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError as e:
            problems.append("line %d is not JSON: %s" % (number, e))
            continue
        for problem in record_problems(record, fields):
            problems.append("line %d: %s" % (number, problem))
        records.append(record)
    return records, problems


def flow_key(record):
    return (record["protocol"], record["stream"])


def without_file(records):
    """The records sorted by flow, with the file key dropped (the spec leaves
    the order of records open)."""
    out = []
    for r in sorted(records, key=flow_key):
        r = dict(r)
        del r["file"]
        out.append(r)
    return out
