#!/usr/bin/env python3
"""The records against their JSON Schema, doc/flow-record.schema.json, with
Debian's python3-jsonschema (draft 2020-12).

Checks, in turn:
- `flowshark --schema` prints the schema file byte for byte, and it is a
  valid draft 2020-12 schema (Draft202012Validator.check_schema) with a
  description on every property;
- every record of every capture given, under every option set the other
  suites use (tests/e2e/cases.txt, tests/features, tests/csv, tests/ndpi,
  tests/bounded) and some combinations, is valid; all captures go to one
  flowshark run per option set. Beyond validity, each record has exactly
  the keys the schema says its options add (the groups of its `allOf`), in
  the order of the schema's properties, and what the descriptions say in
  words and JSON Schema cannot express (equal sequence lengths, extension
  indexes inside ip_lengths, n entries of --splt n...);
- --label, and --label-from-dir on a small dataset of class folders;
- the schema bites: a real record with an extra key, a wrong type, a
  missing key, an incomplete group of added keys fails validation.

Exit status 0 when everything holds, 1 otherwise, 77 (a skip for ctest)
when jsonschema is missing, unless CI=true, where that fails too.

Usage: test_schema.py --flowshark BIN --schema doc/flow-record.schema.json CAPTURE...
"""
import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    jsonschema = None

SKIP = 77

FIELDS = ["-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ciphersuite",
          "-e", "dns.qry.name", "-e", "http.host", "-e", "x509sat.uTF8String"]
HTTP_FIELDS = ["-e", "http.host", "-e", "http.request.uri", "-e", "http.user_agent",
               "-e", "http.host", "-e", "http.content_type"]
ADDED = ["--stats", "--splt", "5", "--ndpi", "--max-packets", "50"]

# (name, arguments): the option sets of the other suites, then combinations.
OPTION_SETS = [
    ("default", []),
    ("fields", FIELDS),
    ("http_fields_twice", HTTP_FIELDS),
    ("filter", ["-Y", "tls.handshake.type == 1"] + FIELDS),
    ("main_ip", ["--main", "ip"] + FIELDS),
    ("keep_empty", ["--keep-empty"] + FIELDS),
    ("keep_empty_main_ip", ["--keep-empty", "--main", "ip"] + FIELDS),
    ("udp_data_length", ["--udp-data-length"] + FIELDS),
    ("no_exclusions", ["--no-exclusions"] + FIELDS),
    ("no_exclusions_keep_empty", ["--no-exclusions", "--keep-empty"] + FIELDS),
    ("two_pass", ["-2"] + FIELDS),
    ("pref_fields", ["-o", "tcp.relative_sequence_numbers:FALSE", "-e", "tcp.seq", "-e", "tcp.ack"]),
    ("decode_as", ["-d", "tcp.port==8009,http", "-e", "http.request.method", "-e", "ajp13.method"]),
    ("max_packets_1", ["--max-packets", "1"]),
    ("max_packets_3_keep_empty", ["--max-packets", "3", "--keep-empty"] + FIELDS),
    ("stats", ["--stats"]),
    ("splt_1", ["--splt", "1"]),
    ("splt_1024", ["--splt", "1024"]),
    ("ndpi", ["--ndpi"]),
    ("ndpi_vs_ndpireader", ["--ndpi", "--ndpi-packets", "20", "--keep-empty", "--no-exclusions"]),
    ("csv_options", ADDED + ["-e", "tls.handshake.extensions_server_name",
                             "-e", "tls.handshake.ciphersuite", "-e", "http.user_agent",
                             "-e", "dns.qry.name"]),
    ("bounded", ["--stats", "--splt", "8", "--ndpi", "--direction", "first",
                 "--reset-every", "1000"] + FIELDS),
    # The flow meter: other IP protocols, expiration_id and stream_piece.
    ("nfstream", ["--nfstream"]),
    ("nfstream_everything", ["--nfstream", "--splt", "5", "--max-packets", "3",
                             "--idle-timeout", "1", "--active-timeout", "5"] + FIELDS),
    ("idle_timeout", ["--idle-timeout", "10"] + FIELDS),
    ("tls", ["--tls", "--keep-empty", "--no-exclusions"]),
    ("tls_everything", ["--tls", "--nfstream", "--splt", "3"] + FIELDS),
    ("all_protocols", ["--all-protocols", "--no-exclusions", "--stats", "--reset-every", "500"]),
] + [
    # tests/features: every accounting mode, each direction rule twice (they
    # change values, never keys).
    (f"features_mode{mode}_{direction}", ["--keep-empty", "--stats", "--splt", "7",
                                          "--accounting-mode", str(mode), "--direction", direction])
    for mode, direction in ((0, "port"), (1, "first"), (2, "port"), (3, "first"))
] + [
    ("everything", ADDED + ["--keep-empty", "--no-exclusions", "--main", "ip",
                            "--udp-data-length", "--direction", "first",
                            "--accounting-mode", "3"] + FIELDS + HTTP_FIELDS),
]

IMPLIED_BY_NFSTREAM = {"--stats", "--ndpi", "--idle-timeout", "--active-timeout"}

# A run over several captures ends with the status of the worst: 2 when a
# capture is cut short (signal-truncated.pcap).
ACCEPTED_EXIT = (0, 2)


def run(argv):
    """Runs flowshark; returns (exit status, stdout bytes, stderr text)."""
    proc = subprocess.run(argv, capture_output=True, timeout=900)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def option_value(args, name):
    """The value of the last `name VALUE` in args, or None."""
    value = None
    for i, arg in enumerate(args[:-1]):
        if arg == name:
            value = args[i + 1]
    return value


class Checker:
    """The schema, its validator, and what the schema says about keys."""

    def __init__(self, schema):
        self.schema = schema
        self.validator = jsonschema.Draft202012Validator(schema)
        self.order = list(schema["properties"])
        self.required = list(schema["required"])
        # The groups of added keys: {option: [keys]}, from the allOf entries
        # "OPTION: all of its keys or none."
        # "OPTION, OPTION: ..." when several options add the same keys.
        self.groups = {}
        for entry in schema.get("allOf", []):
            options = tuple(entry["$comment"].split(":")[0].split(", "))
            self.groups[options] = entry["anyOf"][0]["required"]

    def expected_keys(self, args):
        keys = set(self.required)
        # --nfstream is --stats --ndpi with both timeouts (flowshark --help).
        given = set(args) | (IMPLIED_BY_NFSTREAM if "--nfstream" in args else set())
        for options, group in self.groups.items():
            if given & set(options):
                keys.update(group)
        if "--label" in args or "--label-from-dir" in args:
            keys.add("label")
        return keys

    def problems(self, record, args):
        """Everything wrong with one record produced with args."""
        found = [f"{'/'.join(str(p) for p in e.absolute_path) or '(record)'}: {e.message[:200]}"
                 for e in self.validator.iter_errors(record)]
        if found:
            return found
        keys = list(record)
        want = self.expected_keys(args)
        if set(keys) != want:
            found.append(f"keys: missing {sorted(want - set(keys))}, "
                         f"unexpected {sorted(set(keys) - want)}")
        if keys != [k for k in self.order if k in record]:
            found.append(f"keys not in the schema's order: {keys}")
        if "label" in record and keys[-1] != "label":
            found.append("label is not the last key")
        return found + described_problems(record, args)


def described_problems(record, args):
    """What the schema's descriptions say and JSON Schema cannot express."""
    found = []
    n = len(record["ip_lengths"])
    if len(record["ip_timestamps"]) != n:
        found.append("ip_timestamps and ip_lengths differ in length")
    if len(record["payload_timestamps"]) != len(record["payload_lengths"]):
        found.append("payload_timestamps and payload_lengths differ in length")
    if len(record["payload_lengths"]) > n:
        found.append("more payload_lengths than ip_lengths")
    max_packets = option_value(args, "--max-packets")
    if max_packets is not None and n > int(max_packets):
        found.append(f"{n} packets in ip_lengths with --max-packets {max_packets}")
    if (record["time_start"] is None) != (record["time_end"] is None):
        found.append("one of time_start, time_end is null")
    for field, pairs in record["extension"].items():
        indexes = [index for _, index in pairs]
        if any(a >= b for a, b in zip(indexes, indexes[1:])) or indexes[-1] >= n:
            found.append(f"extension {field}: indexes {indexes} for {n} packets")
    splt = option_value(args, "--splt")
    if splt is not None:
        for key in ("splt_direction", "splt_ps", "splt_piat_ms"):
            if len(record[key]) != int(splt):
                found.append(f"{key}: {len(record[key])} entries with --splt {splt}")
    return found


def check_records(checker, flowshark, captures, name, args):
    """One flowshark run over every capture with args; returns (records,
    problems)."""
    argv = [flowshark]
    for capture in captures:
        argv += ["-r", capture]
    argv += args
    status, out, err = run(argv)
    if status not in ACCEPTED_EXIT:
        return [], [f"{name}: exit {status}: {err.strip()[-300:]}"]
    if "Sanitizer" in err or "runtime error:" in err:
        return [], [f"{name}: sanitizer report: {err.strip()[-300:]}"]
    records, problems = [], []
    for number, line in enumerate(out.decode("utf-8").splitlines()):
        record = json.loads(line)
        records.append(record)
        for p in checker.problems(record, args):
            problems.append(f"{name}: record {number} ({record.get('file')} "
                            f"{record.get('protocol')} {record.get('stream')}): {p}")
    if not records:
        problems.append(f"{name}: no records")
    return records, problems


def check_printed(flowshark, path):
    """--schema prints the file byte for byte, and nothing else."""
    status, out, err = run([flowshark, "--schema"])
    with open(path, "rb") as f:
        text = f.read()
    problems = []
    if (status, err) != (0, ""):
        problems.append(f"--schema: exit {status}, stderr {err!r}")
    if out != text:
        problems.append(f"--schema: {len(out)} bytes that differ from {path} ({len(text)} bytes)")
    return problems


def check_meta(schema):
    """A valid 2020-12 schema, with the parts the contract promises."""
    problems = []
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        problems.append(f"not a valid draft 2020-12 schema: {e.message}")
    if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        problems.append(f"$schema is {schema.get('$schema')!r}")
    for key in ("$id", "title", "$comment", "description"):
        if not schema.get(key):
            problems.append(f"no {key}")
    if schema.get("additionalProperties") is not False:
        problems.append("additionalProperties is not false")
    for key, sub in schema["properties"].items():
        if not sub.get("description"):
            problems.append(f"property {key} has no description")
    for option in ("--max-packets", "--stats", "--splt", "--ndpi", "--label"):
        if option not in schema["$comment"]:
            problems.append(f"$comment does not say which keys {option} adds")
    return problems


def mutations(record):
    """(what, broken copy) pairs: each must fail validation."""
    def changed(what, change):
        broken = copy.deepcopy(record)
        change(broken)
        return what, broken

    first_field = next(iter(record["extension"]))
    return [
        changed("an extra key", lambda r: r.update(typo=1)),
        changed("a misspelt added key",
                lambda r: r.update(src2dst_byte=r.pop("src2dst_bytes"))),
        changed("stream as a string", lambda r: r.update(stream=str(r["stream"]))),
        changed("stream as a fraction", lambda r: r.update(stream=r["stream"] + 0.5)),
        changed("protocol TCP", lambda r: r.update(protocol="TCP")),
        changed("protocol empty", lambda r: r.update(protocol="")),
        changed("expiration_id 2", lambda r: r.update(expiration_id=2, stream_piece=0)),
        changed("stream_piece without expiration_id", lambda r: r.update(stream_piece=0)),
        changed("sport beyond 65535", lambda r: r.update(sport=65536)),
        changed("time_start as a string", lambda r: r.update(time_start="0")),
        changed("a fractional IP length", lambda r: r["ip_lengths"].append(1.5)),
        changed("a payload length 0", lambda r: r["payload_lengths"].append(0)),
        changed("a timestamp null", lambda r: r["ip_timestamps"].append(None)),
        changed("an extension index as a string",
                lambda r: r["extension"][first_field].append(["x", "0"])),
        changed("an extension triple",
                lambda r: r["extension"][first_field].append(["x", 0, 0])),
        changed("an empty extension value",
                lambda r: r["extension"][first_field].append(["", 0])),
        changed("an extension that is a list", lambda r: r.update(extension=[])),
        changed("a splt_direction 2", lambda r: r["splt_direction"].append(2)),
        changed("application_is_guessed true",
                lambda r: r.update(application_is_guessed=True)),
        changed("ip_version 5", lambda r: r.update(ip_version=5)),
        changed("a label number", lambda r: r.update(label=5)),
        changed("no file", lambda r: r.pop("file")),
        changed("no extension", lambda r: r.pop("extension")),
        changed("no time_end", lambda r: r.pop("time_end")),
        changed("--splt without splt_ps", lambda r: r.pop("splt_ps")),
        changed("--stats without bidirectional_packets", lambda r: r.pop("bidirectional_packets")),
        changed("--max-packets without bytes_total", lambda r: r.pop("bytes_total")),
        changed("--ndpi without content_type", lambda r: r.pop("content_type")),
    ]


def check_bites(checker, records):
    """A record with every added key and an extension: valid as it is,
    invalid after each mutation."""
    full = [r for r in records if r["extension"]]
    if not full:
        return ["no record with an extension value to mutate"]
    record = dict(full[0], label="x")
    problems = []
    if list(checker.validator.iter_errors(record)):
        problems.append("the record to mutate is not valid itself")
    for what, broken in mutations(record):
        if checker.validator.is_valid(broken):
            problems.append(f"a record with {what} passes validation")
    print(f"negative checks: {len(mutations(record))} mutations, {len(problems)} problems")
    return problems


def check_labels(checker, flowshark, captures):
    """--label TEXT on every capture; --label-from-dir on a dataset of two
    class folders (one with a folder below it) and a capture directly in the
    dataset's directory, which has no class, walked from its directory, and
    on a capture named by its own path (the folder holding it)."""
    problems = []
    for name, args in (("label", ["--label", "x"]),
                       ("label_everything", ADDED + FIELDS + ["--label", "x y"])):
        records, found = check_records(checker, flowshark, captures, name, args)
        found += [f"{name}: label {r['label']!r}" for r in records
                  if r.get("label") != option_value(args, "--label")]
        print(f"{name}: {len(records)} records, {len(found)} problems")
        problems += found
    small = sorted(captures, key=os.path.getsize)[:3]
    tmp = tempfile.mkdtemp(prefix="fs-schema-")
    try:
        places = {"youtube": os.path.join(tmp, "youtube"),
                  "netflix": os.path.join(tmp, "netflix", "deep"), None: tmp}
        labels, paths = {}, {}
        for (label, folder), capture in zip(places.items(), small):
            os.makedirs(folder, exist_ok=True)
            shutil.copy(capture, folder)
            labels[os.path.basename(capture)] = label
            paths[label] = os.path.join(folder, os.path.basename(capture))
        args = ["--label-from-dir", "--keep-empty", "--stats"]
        for name, inputs, want in (
                ("label_from_dir", [tmp], lambda r: labels.get(os.path.basename(r["file"]), "?")),
                ("label_from_dir_named", [paths["youtube"]], lambda r: "youtube")):
            records, found = check_records(checker, flowshark, inputs, name, args)
            found += [f"{name}: {r['file']}: label {r['label']!r}" for r in records
                      if r.get("label") != want(r)]
            seen = {r.get("label") for r in records}
            if name == "label_from_dir" and seen != set(places):
                found.append(f"{name}: labels {seen}, not one record for each of {set(places)}")
            print(f"{name}: {len(records)} records, {len(found)} problems")
            problems += found
    finally:
        shutil.rmtree(tmp)
    return problems


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("captures", nargs="+")
    args = parser.parse_args(argv)
    if jsonschema is None:
        message = "jsonschema is not installed (Debian: python3-jsonschema)"
        if os.environ.get("CI", "").lower() == "true":
            print(f"FAIL: {message} (a failure, not a skip: CI=true)")
            return 1
        print(f"SKIP: {message}")
        return SKIP
    print(f"jsonschema {getattr(jsonschema, '__file__', '')}")
    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    failed = check_printed(args.flowshark, args.schema) + check_meta(schema)
    print(f"--schema and the schema itself: {len(failed)} problems")
    if failed:
        for p in failed:
            print("  " + p)
        print("FAIL")
        return 1
    checker = Checker(schema)
    everything = []
    for name, option_args in OPTION_SETS:
        records, problems = check_records(checker, args.flowshark, args.captures, name,
                                          option_args)
        print(f"{name}: {len(records)} records, {len(problems)} problems")
        failed += problems[:10]
        if name == "everything":
            everything = records
    failed += check_labels(checker, args.flowshark, args.captures)
    failed += check_bites(checker, everything)
    for p in failed:
        print("  " + p)
    print("FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
