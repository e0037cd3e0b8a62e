#!/usr/bin/env python3
"""Command-line behaviour of flowshark: errors and exit statuses, -w, "-r -",
compressed captures, --help and --version. Python standard library only.

Usage: test_cli.py --flowshark BIN --samples DIR [unittest options]
"""
import argparse
import fcntl
import gzip
import json
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import struct
import tempfile
import termios
import threading
import time
import unittest

FLOWSHARK = None
SAMPLES = None
OPTIONS_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "extractor",
                         "options.c")

# Exit statuses (extractor/status.h, doc/flowshark.1).
(EXIT_OK, EXIT_USAGE, EXIT_TRUNCATED, EXIT_OPEN, EXIT_FILTER, EXIT_FIELD, EXIT_OUTPUT,
 EXIT_INIT, EXIT_INTERRUPTED, EXIT_WORKER) = range(10)


def run(*args, stdin=None, cwd=None, env=None, quiet=True):
    """Runs flowshark; returns (exit status, stdout text, stderr text). With
    quiet (the default), -q goes first: no summary line (a later --progress
    still turns the progress line and the summary on)."""
    args = ("-q", *args) if quiet else args
    proc = subprocess.run([FLOWSHARK, *args], input=stdin, capture_output=True, cwd=cwd,
                          env=None if env is None else {**os.environ, **env})
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")


def records(text):
    return [json.loads(line) for line in text.splitlines()]


def sample(name):
    return os.path.join(SAMPLES, name)


def sample_bytes(name):
    """The whole of a sample capture, as fed to `flowshark -r -`."""
    with open(sample(name), "rb") as f:
        return f.read()


class Errors(unittest.TestCase):
    def test_missing_file(self):
        status, out, err = run("-r", "/nonexistent/capture.pcap")
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertIn("/nonexistent/capture.pcap", err)
        self.assertIn("No such file or directory", err)

    def test_folder_without_captures(self):
        # A folder is walked; one that holds no capture is an error.
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "notes.txt"), "w") as f:
                f.write("this is a text file, not a capture\n" * 10)
            status, out, err = run("-r", d)
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertEqual(err, "flowshark: no captures found (1 other file)\n")

    def test_not_a_capture(self):
        with tempfile.NamedTemporaryFile("w", suffix=".pcap") as f:
            f.write("this is a text file, not a capture\n" * 10)
            f.flush()
            status, out, err = run("-r", f.name)
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertIn("isn't a capture file in a known format", err)

    def test_no_packets_is_said(self):
        # An empty file (wiretap opens it as an empty ERF capture) and a pcap
        # file header alone: no records, status 0, and a warning saying so;
        # --reset-every (in a worker or not, from a file or standard input)
        # warns as the exact mode does.
        with open(sample("tls.pcap"), "rb") as f:
            header = f.read(24)
        for content, fmt in ((b"", "ERF"), (header, "pcap")):
            with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
                f.write(content)
                f.flush()
                plain = run("-r", f.name)
                status, out, err = plain
                self.assertEqual((status, out), (EXIT_OK, ""))
                self.assertIn(f"{f.name}: no packets (read as ", err)
                self.assertIn(fmt, err)
                for extra in (["--reset-every", "5"], ["--reset-every", "5", "--no-fork"]):
                    with self.subTest(fmt=fmt, extra=extra):
                        self.assertEqual(run("-r", f.name, *extra), plain)
        plain = run("-r", "-", stdin=header)
        self.assertIn("-: no packets (read as ", plain[2])
        self.assertEqual(run("-r", "-", "--reset-every", "5", stdin=header), plain)

    def test_header_cut_short(self):
        with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
            with open(sample("tls.pcap"), "rb") as src:
                f.write(src.read(12))  # inside the 24-byte pcap file header
            f.flush()
            status, out, err = run("-r", f.name)
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertIn("cut short", err)

    def test_truncated_capture_keeps_complete_packets(self):
        status, out, err = run("-r", sample("signal-truncated.pcap"))
        self.assertEqual(status, EXIT_TRUNCATED)
        self.assertIn("cut short in the middle of a packet", err)
        flows = records(out)
        self.assertGreater(len(flows), 0)
        # Every packet written is complete: the same capture cut at the last
        # complete packet gives the same records (checked against tshark in
        # the e2e case signal_truncated).
        for flow in flows:
            self.assertEqual(len(flow["ip_lengths"]), len(flow["ip_timestamps"]))

    def test_bad_filter_reported_before_reading(self):
        # The capture does not exist: the filter error must come first.
        status, out, err = run("-r", "/nonexistent.pcap", "-Y", "tcp.port ==")
        self.assertEqual(status, EXIT_FILTER)
        self.assertEqual(out, "")
        self.assertIn("bad display filter", err)
        self.assertNotIn("nonexistent", err)

    def test_bad_filter_value_message_is_wiresharks(self):
        status, _, err = run("-r", sample("tls.pcap"), "-Y", "tcp.port == 99999999")
        self.assertEqual(status, EXIT_FILTER)
        self.assertIn('"99999999" too big for this field, maximum 65535', err)

    def test_unknown_field_named_with_suggestion(self):
        status, out, err = run("-r", "/nonexistent.pcap", "-e", "tls.handshake.extension_server_name")
        self.assertEqual(status, EXIT_FIELD)
        self.assertEqual(out, "")
        self.assertIn('"tls.handshake.extension_server_name" is not a valid field', err)
        self.assertIn("tls.handshake.extensions_server_name", err)

    def test_every_unknown_field_reported(self):
        status, _, err = run("-r", sample("tls.pcap"), "-e", "nosuch.one", "-e", "dns.qry.name",
                             "-e", "nosuch.two")
        self.assertEqual(status, EXIT_FIELD)
        self.assertIn("nosuch.one", err)
        self.assertIn("nosuch.two", err)

    def test_bad_pref(self):
        status, _, err = run("-r", sample("tls.pcap"), "-o", "nosuchmodule.nosuchpref:1")
        self.assertEqual(status, EXIT_USAGE)
        self.assertIn("nosuchmodule.nosuchpref", err)

    def test_pref_syntax(self):
        status, _, err = run("-r", sample("tls.pcap"), "-o", "no-colon-here")
        self.assertEqual(status, EXIT_USAGE)
        self.assertIn("no-colon-here", err)

    def test_bad_decode_as(self):
        for spec, needle in (("tcp.port=8443,tls", "expected"),
                             ("nosuch.table==1,tls", "no dissector table"),
                             ("tcp.port==8443,nosuchproto", "nosuchproto"),
                             ("tcp.port==abc,tls", "not a number")):
            status, _, err = run("-r", sample("tls.pcap"), "-d", spec)
            self.assertEqual(status, EXIT_USAGE, spec)
            self.assertIn(needle, err, spec)

    def test_usage_errors(self):
        for args in ((), ("-r",), ("--bogus", "-r", "x"),
                     ("--main", "both", "-r", "x"), ("-2", "-r", "-")):
            status, out, err = run(*args)
            self.assertEqual(status, EXIT_USAGE, args)
            self.assertEqual(out, "", args)
            self.assertTrue(err.startswith("flowshark: "), args)

    def test_output_directory_missing(self):
        status, out, err = run("-r", sample("tls.pcap"), "-w", "/nonexistent/dir/out.jsonl")
        self.assertEqual(status, EXIT_OUTPUT)
        self.assertIn("/nonexistent/dir/out.jsonl", err)

    def test_full_disk(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full here")
        with open("/dev/full", "w") as full:
            proc = subprocess.run([FLOWSHARK, "-r", sample("1592993485_noise.pcap")],
                                  stdout=full, stderr=subprocess.PIPE)
        self.assertEqual(proc.returncode, EXIT_OUTPUT)
        self.assertIn(b"No space left on device", proc.stderr)


class Inputs(unittest.TestCase):
    def reference(self, name="tls.pcap", *extra):
        status, out, _ = run("-r", sample(name), *extra)
        self.assertEqual(status, EXIT_OK)
        return records(out)

    def test_stdin(self):
        status, out, _ = run("-r", "-", stdin=sample_bytes("tls.pcap"))
        self.assertEqual(status, EXIT_OK)
        got = records(out)
        want = self.reference()
        self.assertEqual([r["file"] for r in got], ["-"] * len(want))
        for r in got + want:
            del r["file"]
        self.assertEqual(got, want)

    def test_gzip_capture(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tls.pcap.gz")
            with open(sample("tls.pcap"), "rb") as src, gzip.open(path, "wb") as dst:
                dst.write(src.read())
            status, out, _ = run("-r", path)
        self.assertEqual(status, EXIT_OK)
        got = records(out)
        want = self.reference()
        for r in got + want:
            del r["file"]
        self.assertEqual(got, want)

    def test_several_captures_number_streams_separately(self):
        status, out, _ = run("-r", sample("tls.pcap"), "-r", sample("dnscrypt-v2-doh.pcap"))
        self.assertEqual(status, EXIT_OK)
        got = records(out)
        want = self.reference("tls.pcap") + self.reference("dnscrypt-v2-doh.pcap")
        self.assertEqual(got, want)

    def test_one_missing_capture_among_several(self):
        status, out, err = run("-r", "/nonexistent.pcap", "-r", sample("tls.pcap"))
        self.assertEqual(status, EXIT_OPEN)
        self.assertIn("/nonexistent.pcap", err)
        self.assertEqual(records(out), self.reference())

    def test_write_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "flows.jsonl")
            status, out, _ = run("-r", sample("tls.pcap"), "-w", path)
            self.assertEqual(status, EXIT_OK)
            self.assertEqual(out, "")
            with open(path) as f:
                self.assertEqual(records(f.read()), self.reference())
            self.assertEqual(os.listdir(tmp), ["flows.jsonl"])  # no temporary left

    def test_write_file_not_created_on_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "flows.jsonl")
            status, _, _ = run("-r", sample("tls.pcap"), "-e", "nosuch.field", "-w", path)
            self.assertEqual(status, EXIT_FIELD)
            self.assertEqual(os.listdir(tmp), [])

    def test_help_and_version(self):
        status, out, _ = run("--help")
        self.assertEqual(status, EXIT_OK)
        for option in ("-r", "-Y", "-e", "-o", "-d", "-2", "-w", "--main", "--keep-empty",
                       "--udp-data-length", "--no-exclusions", "--max-packets", "--no-fork", "--reset-every", "--jobs", "--progress",
                       "--schema", "Exit status"):
            self.assertIn(option, out)
        status, out, _ = run("--version")
        self.assertEqual(status, EXIT_OK)
        self.assertRegex(out, r"^flowshark \S+ \(libwireshark 4\.\d+\.\d+\)\n$")

    def test_schema(self):
        # The records' JSON Schema, with no capture needed (tests/schema
        # checks it against doc/flow-record.schema.json and the records).
        status, out, err = run("--schema")
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertEqual(json.loads(out)["$schema"], "https://json-schema.org/draft/2020-12/schema")
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full here")
        with open("/dev/full", "w") as full:
            proc = subprocess.run([FLOWSHARK, "--schema"], stdout=full, stderr=subprocess.PIPE)
        self.assertEqual(proc.returncode, EXIT_OUTPUT)
        self.assertEqual(proc.stderr.decode(),
                         "flowshark: cannot write standard output: No space left on device\n")


# ---- the option table: --help against the parser ----

def help_entries(text):
    """The options --help lists: {spelling: entry} where an entry is a dict
    with "names" (short and long spellings), "metavar" (None for a flag)
    and "text" (the description, continuation lines included, and the lines
    under it)."""
    entries, current = {}, None
    for line in text.splitlines():
        m = re.match(r"^  (?:(-[A-Za-z0-9])(?:, |\s|$))?(--[a-z][a-z-]*)?(?: (\S+))?(?:\s{2,}(.*))?$",
                     line)
        if m and (m.group(1) or m.group(2)):
            names = [n for n in (m.group(1), m.group(2)) if n]
            current = {"names": names, "metavar": m.group(3), "text": m.group(4) or "",
                       "lines": []}
            for name in names:
                entries[name] = current
        elif current and line.startswith(" " * 29):
            current["text"] += " " + line.strip()
            current["lines"].append(line[29:])
        else:
            current = None
    return entries


def source_options():
    """The parser's options, read from the getopt table in options.c:
    {spelling: takes_value} for every long and short spelling, and the
    numeric maxima {spelling: FS_*_MAX value}."""
    with open(OPTIONS_C) as f:
        source = f.read()
    short_string = re.search(r'short_options\[\] = "([^"]*)"', source).group(1)
    options = {}
    for long_name, arg, val in re.findall(
            r'\{ "([a-z-]+)", (no_argument|required_argument), NULL, (\'.\'|\w+) \}', source):
        takes = arg == "required_argument"
        options["--" + long_name] = takes
        if val.startswith("'"):
            options["-" + val[1]] = takes
    # Short options without a long form are in the short option string only.
    for m in re.finditer(r"([A-Za-z0-9])(:?)", short_string.lstrip(":")):
        options.setdefault("-" + m.group(1), m.group(2) == ":")
        assert options["-" + m.group(1)] == (m.group(2) == ":"), m.group(0)
    defines = {name: value for name, value in
               re.findall(r"#define (FS_\w+_MAX)\s+(\w+)", source)}
    named = {"G_MAXINT32": 2**31 - 1}
    maxima = {}
    for option, macro in re.findall(r'parse_count\(\s*optarg,\s*"([-\w]+)",\s*(FS_\w+_MAX)',
                                    source):
        value = defines[macro]
        maxima[option] = named[value] if value in named else int(value)
    # The feature modules declare their own options (struct fs_feature_option
    # tables in extractor/feature_*.c): a flag, or a number with .min/.max.
    for path in sorted(glob.glob(os.path.join(os.path.dirname(OPTIONS_C), "feature_*.c"))):
        with open(path) as f:
            module = f.read()
        for name, rest in re.findall(r'\{\s*\.name = "([a-z-]+)",(.*?)\}', module, re.S):
            if ".help" not in rest:
                continue  # the module's own name in its ops table
            takes = ".metavar" in rest
            options["--" + name] = takes
            if takes:
                low = int(re.search(r"\.min = (\d+)", rest).group(1))
                assert low == 1, name  # the option tests assume ranges from 1
                maxima["--" + name] = int(re.search(r"\.max = (\d+)", rest).group(1))
    return options, maxima


# Valid values for the options whose value is free text (only parsed here;
# these runs stop at --help).
TEXT_VALUES = {"<file>": "capture.pcap", "<path>": "capture.pcap", "<list>": "captures.txt",
               "<folder>": "dataset", "<text>": "youtube", "<f>": "tcp", "<field>": "tls.handshake.type",
               "<name>:<value>": "tcp.desegment_tcp_streams:TRUE",
               "<layer>==<selector>,<protocol>": "tcp.port==8443,tls",
               "<iface>": "eth0", "<cond>": "duration:10"}


def value_kind(entry):
    """("text", [valid]), ("choice", [valid words]) or ("number", (1, max))
    for an option that takes a value, from its --help entry."""
    metavar = entry["metavar"]
    if metavar in TEXT_VALUES:
        return "text", [TEXT_VALUES[metavar]]
    if "|" in metavar:
        return "choice", metavar.split("|")
    if metavar in ("<n>", "<s>"):  # a count, or seconds
        m = re.search(r"\((\d+)-(\d+)\b", entry["text"])
        if not m:
            raise AssertionError(f"--help gives no range for {entry['names']}")
        return "number", (int(m.group(1)), int(m.group(2)))
    if metavar == "<format>":  # one format per line under the option
        return "choice", [re.match(r"(\w+)", line).group(1) for line in entry["lines"]]
    if metavar == "<m>":  # "0 frame (default), 1 IP, ..."
        return "choice", re.findall(r"\b(\d) [A-Za-z]", entry["text"])
    raise AssertionError(f"no valid value known for {entry['names']} {metavar}")


class OptionTable(unittest.TestCase):
    """Every option of --help against the getopt table of options.c and the
    parser itself; every bad value of every option that takes one."""

    @classmethod
    def setUpClass(cls):
        status, out, _ = run("--help")
        assert status == EXIT_OK
        cls.help = help_entries(out)
        cls.source, cls.maxima = source_options()

    def test_help_lists_exactly_the_parsers_options(self):
        self.assertEqual(sorted(self.help), sorted(self.source))
        for name, entry in self.help.items():
            self.assertEqual(entry["metavar"] is not None, self.source[name], name)

    def test_help_ranges_are_the_parsers(self):
        for name, maximum in self.maxima.items():
            kind, (low, high) = value_kind(self.help[name])
            self.assertEqual((kind, low, high), ("number", 1, maximum), name)

    def accepted(self, *args):
        # --help after the option: the parser must accept it, nothing runs.
        status, out, err = run(*args, "--help")
        self.assertEqual((status, err), (EXIT_OK, ""), args)
        self.assertTrue(out.startswith("Usage: flowshark"), args)

    def test_every_listed_option_is_accepted(self):
        for name, entry in self.help.items():
            with self.subTest(option=name):
                if entry["metavar"] is None:
                    self.accepted(name)
                    continue
                kind, valid = value_kind(entry)
                # Numbers: the range's ends; words: every one.
                values = [str(valid[0]), str(valid[1])] if kind == "number" else valid
                if name == entry["names"][0]:
                    for value in values:
                        self.accepted(name, value)
                else:
                    self.accepted(f"{name}={values[-1]}")

    def rejected(self, entry, spelling, value):
        args = [spelling + value] if spelling.endswith("=") else [spelling, value]
        status, out, err = run("-r", sample("tls.pcap"), *args)
        lines = err.splitlines()
        what = f"{args} gave {status}: {err!r}"
        self.assertEqual(status, EXIT_USAGE, what)
        self.assertEqual(out, "", what)
        self.assertEqual(len(lines), 1, what)
        self.assertTrue(lines[0].startswith("flowshark: "), what)
        self.assertTrue(any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", lines[0])
                            for n in entry["names"]), what)
        self.assertIn(f'"{value}"', lines[0], what)

    def test_every_bad_value_is_rejected(self):
        for name, entry in self.help.items():
            if entry["metavar"] is None or name != entry["names"][-1]:
                continue
            kind, valid = value_kind(entry)
            if kind == "text":
                continue
            if kind == "number":
                low, high = valid
                # 0 and 4000000000 are bad unless the range holds them
                # (--min-packets and --min-bytes take 0 to 2^63 - 1).
                bad = ["", "ten", *(["0"] if low > 0 else []), "-1", str(high + 1),
                       *(["4000000000"] if high < 4000000000 else []),
                       "99999999999999999999", "5x"]
            else:
                bad = ["", "nosuch", valid[0] + "x"]
                if name == "--output-format":
                    bad.append("json")  # the old name of jsonl
                if valid[0].isdigit():
                    bad.append(str(int(valid[-1]) + 1))
            # Each spelling in turn, and --long=value.
            spellings = entry["names"] + [entry["names"][-1] + "="]
            for i, value in enumerate(bad):
                with self.subTest(option=name, value=value):
                    self.rejected(entry, spellings[i % len(spellings)], value)

    def test_missing_value_is_named(self):
        for name, entry in self.help.items():
            if entry["metavar"] is None:
                continue
            with self.subTest(option=name):
                status, out, err = run("-r", sample("tls.pcap"), name)
                self.assertEqual((status, out), (EXIT_USAGE, ""), name)
                self.assertEqual(err, f"flowshark: option {name} needs a value\n")


def separate_runs(names, *args):
    """Records of each capture run on its own, in order."""
    want = []
    for name in names:
        status, out, _ = run("-r", sample(name), *args)
        if status != EXIT_OK:
            raise AssertionError(f"reference run on {name} failed: {status}")
        want += records(out)
    return want


class SeveralCaptures(unittest.TestCase):
    NAMES = ["tls.pcap", "dnscrypt-v2-doh.pcap", "tls.pcap", "quic_interop_V.pcapng"]

    def test_workers_equal_separate_runs(self):
        args = [a for name in self.NAMES for a in ("-r", sample(name))]
        fields = ["-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ciphersuite"]
        want = separate_runs(self.NAMES, *fields)
        for mode in ([], ["--no-fork"]):
            with self.subTest(mode=mode):
                status, out, err = run(*args, *fields, *mode)
                self.assertEqual(status, EXIT_OK, err)
                self.assertEqual(records(out), want)

    def test_parallel_workers_keep_capture_order(self):
        names = self.NAMES * 3
        args = [a for name in names for a in ("-r", sample(name))]
        want = separate_runs(names)
        for jobs in ("1", "2", "5"):
            with self.subTest(jobs=jobs):
                status, out, err = run(*args, "-j", jobs)
                self.assertEqual(status, EXIT_OK, err)
                self.assertEqual(records(out), want)

    def test_worker_statuses_combine(self):
        # A truncated capture (2) then a missing one (3): the worst wins, and
        # the records of both readable captures are there.
        status, out, err = run("-r", sample("signal-truncated.pcap"), "-r", "/nonexistent.pcap",
                               "-r", sample("tls.pcap"))
        self.assertEqual(status, EXIT_OPEN)
        self.assertIn("cut short", err)
        self.assertIn("/nonexistent.pcap", err)
        got = records(out)
        self.assertEqual([r["file"] for r in got if r["file"].endswith("tls.pcap")],
                         [sample("tls.pcap")] * 2)
        self.assertGreater(sum(r["file"].endswith("signal-truncated.pcap") for r in got), 0)

    def test_write_file_from_workers(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "flows.jsonl")
            args = [a for name in self.NAMES for a in ("-r", sample(name))]
            status, out, err = run(*args, "-w", path)
            self.assertEqual(status, EXIT_OK, err)
            with open(path) as f:
                self.assertEqual(records(f.read()), separate_runs(self.NAMES))

    def test_full_device_from_workers(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full here")
        status, _, err = run("-r", sample("tls.pcap"), "-r", sample("tls.pcap"), "-w", "/dev/full")
        self.assertEqual(status, EXIT_OUTPUT)
        self.assertIn("No space left on device", err)
        # Written in place: the device is still a device.
        self.assertFalse(os.path.isfile("/dev/full"))


class DecodeAsRanges(unittest.TestCase):
    """-d selectors must fit the table's field; a range must not run
    backwards or cover more than 65536 selectors (each is a table entry)."""

    def decode_as(self, spec):
        # The timeout stands for "it loops": the old binary took minutes.
        proc = subprocess.run([FLOWSHARK, "-r", sample("tls.pcap"), "-d", spec],
                              capture_output=True, timeout=30)
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    def test_out_of_range_selectors_rejected(self):
        for spec, value, allowed in (
                ("udp.port==1-4000000000,quic", "1-4000000000", "0-65535"),
                ("udp.port==70000,quic", "70000", "0-65535"),
                ("udp.port==65530:7,quic", "65530:7", "0-65535"),
                ("udp.port==99999999999999999999,quic", "99999999999999999999", "0-65535"),
                ("ip.proto==256,udp", "256", "0-255"),
                ("sctp.ppi==4294967296,m3ua", "4294967296", "0-4294967295")):
            with self.subTest(spec=spec):
                status, out, err = self.decode_as(spec)
                self.assertEqual((status, out), (EXIT_USAGE, ""), err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn(f'"{value}"', err)
                self.assertIn(allowed, err)

    def test_bad_ranges_rejected(self):
        for spec, needle in (("udp.port==4010-4000,quic", '"4010-4000" starts after it ends'),
                             ("udp.port==5:0,quic", '"5:0"'),
                             ("sctp.ppi==1-4000000000,m3ua", "65536"),
                             ("udp.port==-1,quic", "not a number"),
                             ("udp.port==5-,quic", "not a number")):
            with self.subTest(spec=spec):
                status, out, err = self.decode_as(spec)
                self.assertEqual((status, out), (EXIT_USAGE, ""), err)
                self.assertIn(needle, err)

    def test_valid_ranges_apply(self):
        status, plain, err = self.decode_as("udp.port==4000-4010,quic")
        self.assertEqual(status, EXIT_OK, err)
        # A 32-bit table takes a selector above 65535.
        status, out, err = self.decode_as("sctp.ppi==4000000000,m3ua")
        self.assertEqual((status, out), (EXIT_OK, plain), err)
        # tls.pcap's flows are on TCP port 443: a range over it turns TLS
        # into HTTP; ranges that end just before or start just after it do
        # nothing.
        tls = [r["ext_protocols"] for r in records(plain)]
        self.assertTrue(all("TLSv1.2" in p for p in tls), tls)
        for spec in ("tcp.port==440-442,http", "tcp.port==444:10,http", "tcp.port==0-442,http"):
            with self.subTest(spec=spec):
                status, out, err = self.decode_as(spec)
                self.assertEqual((status, out), (EXIT_OK, plain), err)
        for spec in ("tcp.port==440-450,http", "tcp.port==443:1,http", "tcp.port==443-443,http",
                     "tcp.port==0-65535,http"):
            with self.subTest(spec=spec):
                status, out, err = self.decode_as(spec)
                self.assertEqual(status, EXIT_OK, err)
                got = [r["ext_protocols"] for r in records(out)]
                self.assertEqual(len(got), len(tls))
                self.assertFalse(any("TLSv1.2" in p for p in got), got)


class MessagesOnce(unittest.TestCase):
    """A write error is reported once, whoever met it; a closed pipe is not
    reported at all."""

    def test_closed_pipe_quiet_every_time(self):
        # flowshark ... --stats | head -1, twenty times: it was intermittent.
        for attempt in range(20):
            with self.subTest(attempt=attempt):
                proc = subprocess.Popen([FLOWSHARK, "-r", sample("1592993485_noise.pcap"),
                                         "--stats"], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                head = subprocess.Popen(["head", "-1"], stdin=proc.stdout,
                                        stdout=subprocess.PIPE)
                proc.stdout.close()  # head's copy is the only reader
                first, _ = head.communicate(timeout=60)
                err = proc.stderr.read().decode(errors="replace")
                proc.stderr.close()
                self.assertEqual(proc.wait(timeout=60), EXIT_OUTPUT)
                self.assertEqual(err, "")
                json.loads(first)

    def test_full_device_reported_once(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full here")
        one, two = sample("tls.pcap"), sample("ssh.pcap")
        want = "flowshark: cannot write /dev/full: No space left on device\n"
        for args in (["-r", one], ["-r", one, "--reset-every", "5"],
                     ["-r", one, "-r", two, "-r", one], ["-j", "1", "-r", one, "-r", two],
                     ["-j", "3", "-r", one, "-r", two, "-r", one],
                     ["--no-fork", "-r", one, "-r", two]):
            with self.subTest(args=args):
                status, out, err = run(*args, "-w", "/dev/full")
                self.assertEqual((status, out, err), (EXIT_OUTPUT, "", want))
        with open("/dev/full", "w") as full:
            proc = subprocess.run([FLOWSHARK, "-r", one, "-r", two], stdout=full,
                                  stderr=subprocess.PIPE)
        self.assertEqual(proc.returncode, EXIT_OUTPUT)
        self.assertEqual(proc.stderr.decode(),
                         "flowshark: cannot write standard output: No space left on device\n")


class BrokenOutput(unittest.TestCase):
    def test_closed_pipe_ends_quietly(self):
        # As in "flowshark ... | head -1": the reader goes away after one
        # line; flowshark stops with status 6 and no message.
        for args in (["-r", sample("1592993485_noise.pcap")],
                     ["-r", sample("1592993485_noise.pcap"), "-r", sample("alexa-app.pcapng")]):
            with self.subTest(args=len(args)):
                proc = subprocess.Popen([FLOWSHARK, *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                first = proc.stdout.readline()
                proc.stdout.close()
                err = proc.stderr.read().decode(errors="replace")
                status = proc.wait(timeout=60)
                proc.stderr.close()
                json.loads(first)
                self.assertEqual(status, EXIT_OUTPUT)
                self.assertEqual(err, "")

    def test_write_file_never_half_written(self):
        # A file-size limit makes the writes fail part-way (EFBIG, with
        # SIGXFSZ ignored as a full disk would): the target is not created
        # and no temporary file is left.
        import resource

        def limit():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "flows.jsonl")
            proc = subprocess.run([FLOWSHARK, "-r", sample("1592993485_noise.pcap"), "-w", path],
                                  capture_output=True, preexec_fn=limit)
            self.assertEqual(proc.returncode, EXIT_OUTPUT)
            self.assertIn("File too large", proc.stderr.decode())
            self.assertEqual(os.listdir(tmp), [])


class ResetEvery(unittest.TestCase):
    def test_bad_values(self):
        for bad in ("0", "-5", "ten", ""):
            status, _, err = run("-r", sample("tls.pcap"), "--reset-every", bad)
            self.assertEqual(status, EXIT_USAGE, bad)
            self.assertIn("--reset-every", err)

    def test_standard_input_and_truncation(self):
        # Chunks are copied from whatever is read, standard input too; a cut
        # capture keeps its status and the flows of its complete packets.
        name = "signal-truncated.pcap"
        with open(sample(name), "rb") as f:
            data = f.read()
        status, out, err = run("-r", sample(name), "--reset-every", "50")
        self.assertEqual(status, EXIT_TRUNCATED, err)
        self.assertIn("cut short", err)
        with tempfile.TemporaryDirectory() as tmp:
            in_status, in_out, _ = run("-r", "-", "--reset-every", "50", stdin=data,
                                       env={"TMPDIR": tmp})
            self.assertEqual(os.listdir(tmp), [])  # no chunk file left behind
        self.assertEqual(in_status, EXIT_TRUNCATED)
        got = records(in_out)
        for record in got:
            record["file"] = sample(name)
        self.assertEqual(got, records(out))
        self.assertGreater(len(got), 0)


class MaxPackets(unittest.TestCase):
    def test_first_packets_and_totals(self):
        fields = ["-e", "tls.handshake.extensions_server_name", "-e", "x509sat.uTF8String"]
        for n in (1, 3, 10):
            with self.subTest(n=n):
                status, out, err = run("-r", sample("tls.pcap"), "--max-packets", str(n), *fields)
                self.assertEqual(status, EXIT_OK, err)
                _, full_out, _ = run("-r", sample("tls.pcap"), *fields)
                got, full = records(out), records(full_out)
                self.assertEqual(len(got), len(full))
                for g, f in zip(got, full):
                    self.assertEqual(list(g)[:len(f)], list(f))  # spec keys first, same order
                    self.assertEqual(g["ip_lengths"], f["ip_lengths"][:n])
                    self.assertEqual(g["ip_timestamps"], f["ip_timestamps"][:n])
                    kept = [i for i in range(min(n, len(f["ip_lengths"])))]
                    payload = [abs(x) for x in f["payload_lengths"]]
                    self.assertEqual(g["packets_total"], len(f["ip_lengths"]))
                    self.assertEqual(g["bytes_total"], sum(abs(x) for x in f["ip_lengths"]))
                    self.assertEqual(g["payload_packets_total"], len(payload))
                    self.assertEqual(g["payload_bytes_total"], sum(payload))
                    for name, values in g["extension"].items():
                        self.assertTrue(all(index in kept for _, index in values))
                        self.assertEqual(values, [v for v in f["extension"][name] if v[1] < n])

    def test_bad_values(self):
        for bad in ("0", "-1", "x", "", "99999999999"):
            status, out, err = run("-r", sample("tls.pcap"), "--max-packets", bad)
            self.assertEqual(status, EXIT_USAGE, bad)
            self.assertIn("--max-packets", err)


def unread_bytes(fd):
    """Bytes written to the pipe or FIFO `fd` (either end) not yet read."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def syscall_argument(pid):
    """The first argument of the system call process `pid` sleeps in, or
    None when it runs."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            call = f.read().split()
    except OSError:
        return None
    if len(call) < 2 or call[0] in ("running", "-1"):
        return None
    return int(call[1], 16)


def blocked_reading(pid, target):
    """True when process `pid` sleeps in a system call on one of its file
    descriptors open on `target` ("pipe:[inode]" or a FIFO's path), i.e.
    waits for more of it. The descriptor is the call's first argument."""
    fd = syscall_argument(pid)
    try:
        return fd is not None and os.readlink(f"/proc/{pid}/fd/{fd}") == target
    except OSError:
        return False


def children(pid):
    """The child processes of `pid`, any thread's."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return found


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def wait_for(condition, what, timeout=60.0):
    """Polls `condition` until it holds (the timeout only stops a hang)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


def pcap_packet_ends(data):
    """Offsets where each packet of a little-endian pcap capture ends."""
    ends, offset = [], 24
    while offset + 16 <= len(data):
        offset += 16 + struct.unpack("<I", data[offset + 8:offset + 12])[0]
        ends.append(offset)
    return ends


def worker_pid(pid, timeout=30.0):
    """The forked worker of flowshark process `pid`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        if children:
            return int(children[0])
        time.sleep(0.02)
    raise AssertionError("no worker process appeared")


def waiting_on_pipe(args, data, reader="parent", env=None):
    """Starts flowshark reading standard input, feeds it `data`, and returns
    the process once the reader (flowshark itself, or its worker) has read
    it all and waits for more, the pipe still open."""
    proc = subprocess.Popen([FLOWSHARK, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdin.write(data)
    proc.stdin.flush()
    pid = proc.pid if reader == "parent" else worker_pid(proc.pid)
    pipe = os.readlink(f"/proc/{proc.pid}/fd/0")
    wait_for(lambda: unread_bytes(proc.stdin.fileno()) == 0 and blocked_reading(pid, pipe),
             "the reader has read everything and waits for more")
    return proc


def slow_pipe_run(args, data, sig, reader="parent"):
    """Starts flowshark reading standard input, feeds it `data`, keeps the
    pipe open until the reader (flowshark itself, or its worker) waits for
    more, then sends `sig` to flowshark; returns (status, stdout, stderr)."""
    proc = waiting_on_pipe(args, data, reader)
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out.decode(), err.decode("utf-8", "replace")


class FifoInterrupts(unittest.TestCase):
    """Several captures, one of them a FIFO fed part of a capture and kept
    open; the other captures are read in full; then a signal to flowshark
    itself. Every capture read wholly or in part has its records written,
    and the messages say so exactly."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.fifo = os.path.join(self.tmp.name, "live.pcap")
        os.mkfifo(self.fifo)
        with open(sample("1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        self.part = data[:len(data) // 2]  # ends inside a packet

    def tearDown(self):
        self.tmp.cleanup()

    def open_fifo(self, proc):
        """The FIFO's writing end, once flowshark (or its worker) opened
        the reading end."""
        fd = None

        def opened():
            nonlocal fd
            if proc.poll() is not None:
                raise AssertionError(f"flowshark ended early: {proc.returncode}")
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                return False
            return True

        wait_for(opened, "the FIFO is opened for reading")
        os.set_blocking(fd, True)
        return fd

    def interrupted_run(self, args, sig):
        """Runs flowshark; feeds the FIFO; waits until its reader waits for
        more and every other worker has exited; sends `sig` to flowshark.
        Returns (status, stdout, stderr)."""
        proc = subprocess.Popen([FLOWSHARK, "-q", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        fd = self.open_fifo(proc)
        try:
            # stdout/stderr are read by threads: nothing blocks on them.
            out, err = [], []
            readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()))
                       for s, b in ((proc.stdout, out), (proc.stderr, err))]
            for t in readers:
                t.start()
            os.write(fd, self.part)  # a FIFO holds 64 KiB: this waits for the reader
            reader_pid = None

            def reader_waits():
                nonlocal reader_pid
                if unread_bytes(fd):
                    return False
                for pid in [proc.pid] + children(proc.pid):
                    if blocked_reading(pid, self.fifo):
                        reader_pid = pid
                        return True
                return False

            wait_for(reader_waits, "the FIFO's reader has read it all and waits for more")
            # flowshark waits for the reader's worker (so it has started
            # every worker it will start) and its other workers have exited.
            wait_for(lambda: reader_pid == proc.pid or (
                     syscall_argument(proc.pid) == reader_pid
                     and all(state(c) in ("Z", "gone")
                             for c in children(proc.pid) if c != reader_pid)),
                     "flowshark waits for the FIFO's worker alone")
            os.kill(proc.pid, sig)
            status = proc.wait(timeout=60)
            for t in readers:
                t.join()
        finally:
            os.close(fd)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        return status, out[0].decode(), err[0].decode("utf-8", "replace")

    def fifo_records(self):
        """The records of the part fed: a capture that simply ends there."""
        status, out, _ = run("-r", "-", stdin=self.part)
        self.assertEqual(status, EXIT_TRUNCATED)
        got = records(out)
        for record in got:
            record["file"] = self.fifo
        self.assertGreater(len(got), 0)
        return got

    def check(self, sig, jobs, order, to_file):
        """`order`: the captures, "FIFO" for the FIFO; those before it are
        read in full when -j 1, every one with -j 3; those after it with
        -j 1 are not read."""
        paths = [self.fifo if name == "FIFO" else sample(name) for name in order]
        fifo_at = order.index("FIFO")
        whole = [n for i, n in enumerate(order) if n != "FIFO" and (jobs > 1 or i < fifo_at)]
        unread = len(order) - 1 - len(whole)
        out_path = os.path.join(self.tmp.name, "out.jsonl")
        args = ["-j", str(jobs), *[a for p in paths for a in ("-r", p)]]
        if to_file:
            args += ["-w", out_path]
        status, out, err = self.interrupted_run(args, sig)
        if to_file:
            self.assertEqual(out, "")
            with open(out_path) as f:
                out = f.read()
        self.assertEqual(status, EXIT_INTERRUPTED, err)
        # The records of each capture read, in capture order.
        want_by_path = {sample(n): separate_runs([n]) for n in whole}
        want_by_path[self.fifo] = self.fifo_records()
        want = [r for p in paths for r in want_by_path.get(p, [])]
        self.assertEqual(records(out), want)
        name = signal.Signals(sig).name
        s = lambda n, one, many: one if n == 1 else many
        self.assertEqual(err.splitlines(), [
            f"flowshark: interrupted by {name} while reading {self.fifo}: the records of the "
            f"{len(want_by_path[self.fifo])} flows seen so far are written",
            f"flowshark: interrupted by {name}: the records of {len(whole)} "
            f"{s(len(whole), 'capture', 'captures')} read in full and 1 read in part are "
            f"written; {unread} {s(unread, 'capture was', 'captures were')} not read"])
        self.assertNotIn(f"signal {int(sig)}", err)

    def test_parallel_sigterm_to_file(self):
        self.check(signal.SIGTERM, 3, ["FIFO", "tls.pcap", "ssh.pcap"], True)

    def test_parallel_sigint_to_stdout(self):
        self.check(signal.SIGINT, 3, ["tls.pcap", "FIFO", "ssh.pcap"], False)

    def test_one_at_a_time_sigterm_to_file(self):
        self.check(signal.SIGTERM, 1, ["tls.pcap", "FIFO", "ssh.pcap"], True)


class Progress(unittest.TestCase):
    def test_progress_lines_on_request_only(self):
        # A report comes every 1024 packets, at most once a second
        # (FS_PROGRESS_INTERVAL). Standard input is fed up to half-way
        # between two multiples of 1024 packets; the next part is given
        # only once flowshark waits for it and a second has passed since
        # it opened the capture or last reported, so each multiple of 1024
        # crossed gives exactly one line, whatever the machine's speed.
        with open(sample("1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        ends = pcap_packet_ends(data)
        cuts = [ends[511], ends[1535], ends[2559]]  # 512, 1536, 2560 packets
        data = data[:cuts[-1]]
        proc = subprocess.Popen([FLOWSHARK, "-r", "-", "--progress"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        lines, out = [], []
        threads = [threading.Thread(target=lambda: lines.extend(proc.stderr)),
                   threading.Thread(target=lambda: out.append(proc.stdout.read()))]
        for t in threads:
            t.start()
        pipe = os.readlink(f"/proc/{proc.pid}/fd/0")
        start = 0
        try:
            for i, cut in enumerate(cuts):
                proc.stdin.write(data[start:cut])
                proc.stdin.flush()
                start = cut
                if i + 1 == len(cuts):
                    break
                wait_for(lambda: len(lines) == i and unread_bytes(proc.stdin.fileno()) == 0
                         and blocked_reading(proc.pid, pipe), f"part {i} is read")
                gate = time.monotonic() + 1.05
                wait_for(lambda: time.monotonic() >= gate, "the report interval has passed")
            proc.stdin.close()
            status = proc.wait(timeout=60)
            for t in threads:
                t.join()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(status, EXIT_OK, lines)
        # Standard input has no size: bytes read, no total and no ETA.
        got = [line.decode() for line in lines]
        self.assertEqual(len(got), 3, got)
        for line, packets in zip(got, (1024, 2048)):
            self.assertRegex(line, rf"^flowshark: 0/1 captures, {packets} packets, "
                                   r"\d+\.\d MB, \d+\.\d MB/s, 0:0\d\n$")
        summary = (r"^flowshark: 1 capture: 1 ok, 0 failed, 0 skipped; 2560 packets, "
                   r"72 flows; \d+\.\d s\n$")
        self.assertRegex(got[2], summary)
        status, quiet_out, quiet_err = run("-r", "-", "-q", stdin=data)
        self.assertEqual((status, quiet_err), (EXIT_OK, ""))
        self.assertEqual(records(quiet_out), records(out[0].decode()))
        # Not a terminal, no --progress: the summary line alone.
        _, _, default_err = run("-r", "-", stdin=data, quiet=False)
        self.assertRegex(default_err, summary)


class Signals(unittest.TestCase):
    def test_interrupt_writes_flows_seen_so_far(self):
        with open(sample("1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        half = data[:len(data) // 2]
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(sig=sig):
                status, out, err = slow_pipe_run(["-r", "-"], half, sig)
                self.assertEqual(status, EXIT_INTERRUPTED, err)
                self.assertIn(f"interrupted by {signal.Signals(sig).name} while reading -", err)
                self.assertNotIn(f"signal {int(sig)}", err)
                got = records(out)
                self.assertGreater(len(got), 0)
                # The same packets as a capture that simply ends there (the
                # cut is inside a packet, hence status 2 for that run).
                want_status, want_out, _ = run("-r", "-", stdin=half)
                self.assertEqual(want_status, EXIT_TRUNCATED)
                self.assertEqual(got, records(want_out))

    def test_interrupt_between_captures_stops_the_run(self):
        # SIGTERM to the parent alone, while its worker reads the first
        # capture (standard input): the worker is told, writes its flows,
        # and the second capture is not read.
        data = sample_bytes("tls.pcap")
        status, out, err = slow_pipe_run(["-j", "1", "-r", "-", "-r", sample("dnscrypt-v2-doh.pcap")], data,
                                         signal.SIGTERM, reader="child")
        self.assertEqual(status, EXIT_INTERRUPTED, err)
        files = {r["file"] for r in records(out)}
        self.assertNotIn(sample("dnscrypt-v2-doh.pcap"), files)

def thp_mode():
    """The kernel's transparent huge page mode ("always", "madvise" or
    "never"), the bracketed word of the sysfs file; None without one."""
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            found = re.search(r"\[(\w+)\]", f.read())
    except OSError:
        return None
    return found.group(1) if found else None


def huge_page_mappings(pid):
    """The mappings of process `pid` madvised for huge pages (flag "hg" in
    /proc/PID/smaps): what glibc.malloc.hugetlb=1 does to malloc's heap and
    large chunks."""
    with open(f"/proc/{pid}/smaps") as f:
        blocks = re.split(r"\n(?=[0-9a-f]+-[0-9a-f]+ )", f.read())
    return [b.split("\n")[0] for b in blocks if re.search(r"^VmFlags:.*\bhg\b", b, re.M)]


class HugePages(unittest.TestCase):
    """launcher.c and hugepages.c: flowshark (the launcher) replaces itself
    with flowshark-engine, with glibc.malloc.hugetlb=1 (when the kernel's THP
    mode is "madvise"), glibc.malloc.mmap_threshold, trim_threshold and top_pad added
    to GLIBC_TUNABLES; FS_HUGEPAGES=0 turns this off, and a tunable the user
    set stands. Seen in the running engine (same process): its heap madvised
    for huge pages (smaps), and the user's tunables kept (/proc/PID/environ,
    which an exec replaces; glibc cuts the value at each colon while reading
    it). Records never change."""

    def run_while_reading(self, extra):
        """Runs `flowshark -r -` in the test's environment without
        FS_HUGEPAGES and GLIBC_TUNABLES, plus `extra`; feeds it tls.pcap and
        while it waits for more reads its huge-page mappings and its
        GLIBC_TUNABLES (the raw bytes up to the next variable's name), and
        whether glibc's malloc serves it (under AddressSanitizer malloc is
        ASan's: no tunable reaches it). Returns the three. The run's
        records are checked against a run with FS_HUGEPAGES=0."""
        env = {k: v for k, v in os.environ.items() if k not in ("FS_HUGEPAGES", "GLIBC_TUNABLES")}
        data = sample_bytes("tls.pcap")
        proc = waiting_on_pipe(["-q", "-r", "-"], data, env={**env, **extra})
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            self.assertEqual(f.read().split(b"\0")[:4],
                             [FLOWSHARK.encode(), b"-q", b"-r", b"-"])
        self.assertEqual(os.path.basename(os.readlink(f"/proc/{proc.pid}/exe")),
                         "flowshark-engine")
        mappings = huge_page_mappings(proc.pid)
        with open(f"/proc/{proc.pid}/maps") as f:
            glibc_malloc = "libasan" not in f.read()
        with open(f"/proc/{proc.pid}/environ", "rb") as f:
            found = re.search(rb"(?:^|\0)GLIBC_TUNABLES=((?:[^\0]|\0glibc\.)*)", f.read())
        tunables = found.group(1).replace(b"\0", b":").decode() if found else None
        out, err = proc.communicate(timeout=60)
        self.assertEqual((proc.returncode, err.decode()), (EXIT_OK, ""))
        self.assertEqual(out.decode(), run("-r", "-", stdin=data, env={"FS_HUGEPAGES": "0"})[1])
        self.assertGreater(len(records(out.decode())), 0)
        return mappings, tunables, glibc_malloc

    CHUNKS = ("glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864:"
              "glibc.malloc.top_pad=16777216")

    def test_engine_started_with_the_tunables_added(self):
        for tunables in ("glibc.malloc.tcache_count=7", None):
            with self.subTest(tunables=tunables):
                mappings, seen, glibc_malloc = self.run_while_reading(
                    {"GLIBC_TUNABLES": tunables} if tunables else {})
                kept = tunables + ":" if tunables else ""
                if thp_mode() == "madvise":
                    self.assertEqual(seen, kept + "glibc.malloc.hugetlb=1:" + self.CHUNKS)
                    if glibc_malloc:
                        self.assertTrue(any(m.endswith("[heap]") for m in mappings), mappings)
                else:
                    self.assertEqual((seen, mappings), (kept + self.CHUNKS, []))

    def test_turned_off(self):
        mappings, seen, _ = self.run_while_reading(
            {"FS_HUGEPAGES": "0", "GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"})
        self.assertEqual((seen, mappings), ("glibc.malloc.tcache_count=7", []))

    def test_set_by_the_user_is_left_alone(self):
        mappings, seen, _ = self.run_while_reading({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"})
        self.assertEqual((seen, mappings), ("glibc.malloc.hugetlb=0:" + self.CHUNKS, []))

    def test_records_are_the_same(self):
        """Every sample, with the five extension fields and --stats --ndpi:
        the same bytes with and without huge pages."""
        fields = ["-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ciphersuite",
                  "-e", "dns.qry.name", "-e", "http.host", "-e", "http.request.uri",
                  "--stats", "--ndpi"]
        names = sorted(glob.glob(os.path.join(SAMPLES, "*.pcap*")))
        self.assertGreater(len(names), 10)
        off = run(*fields, *[a for n in names for a in ("-r", n)], env={"FS_HUGEPAGES": "0"})
        on = run(*fields, *[a for n in names for a in ("-r", n)])
        self.assertEqual(off[0], on[0])
        self.assertGreater(len(records(off[1])), 1000)
        self.assertEqual(off[1], on[1])
        self.assertEqual(off[2], on[2])


class Prefault(unittest.TestCase):
    """prefault.c: while the engine reads captures a thread named
    fs-prefault runs beside it (it faults in what the heap grows into; what
    it does is tested in tests/unit/test_prefault.c); FS_PREFAULT=0 starts
    none. Either way the records and messages are the same, and a signal
    still reaches the reading thread (the thread blocks them all)."""

    def threads_while_reading(self, extra):
        """The names of the engine's threads while it waits on `flowshark -r
        -` fed tls.pcap, then its status, records and messages after
        SIGINT."""
        data = sample_bytes("tls.pcap")
        env = {k: v for k, v in os.environ.items() if k != "FS_PREFAULT"}
        proc = waiting_on_pipe(["-r", "-"], data, env={**env, **extra})
        names = []
        for task in sorted(os.listdir(f"/proc/{proc.pid}/task")):
            with open(f"/proc/{proc.pid}/task/{task}/comm") as f:
                names.append(f.read().strip())
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        # The summary's elapsed time aside.
        err = re.sub(r"; [0-9.]+ s$", "; T s", err.decode(), flags=re.M)
        return names, proc.returncode, out.decode(), err

    def test_thread_beside_the_reader_and_turned_off(self):
        on = self.threads_while_reading({})
        off = self.threads_while_reading({"FS_PREFAULT": "0"})
        self.assertIn("fs-prefault", on[0])
        self.assertNotIn("fs-prefault", off[0])
        self.assertEqual(len(on[0]), len(off[0]) + 1)
        # Interrupted while waiting: the records of what was read, the
        # interruption reported, the same either way.
        self.assertEqual(on[1:], off[1:])
        self.assertNotEqual(on[1], EXIT_OK)
        self.assertGreater(len(records(on[2])), 0)


class Launcher(unittest.TestCase):
    """launcher.c finds the engine beside its own file, symbolic links
    resolved (a link to flowshark in another directory works), and says so
    clearly when there is none: exit status 7, standard output empty. The
    botnet analyses (graph, cflows, botnet) run in flowshark-botnet-engine,
    everything else in flowshark-engine, which has neither igraph nor
    libquadmath (whose printf handler slows every printf) loaded."""

    @staticmethod
    def engine_while_reading(args):
        """The engine's file name and its mapped libraries while `flowshark
        ARGS -r -` waits for more of tls.pcap; ends it."""
        data = sample_bytes("tls.pcap")
        proc = waiting_on_pipe([*args, "-r", "-"], data)
        exe = os.path.basename(os.readlink(f"/proc/{proc.pid}/exe"))
        with open(f"/proc/{proc.pid}/maps") as f:
            libraries = {os.path.basename(line.split()[-1]) for line in f
                         if ".so" in line.split()[-1]}
        proc.communicate(timeout=60)
        return exe, libraries

    def test_each_command_its_engine(self):
        for args, engine, igraph in ((["-q"], "flowshark-engine", False),
                                     (["window", "--seconds", "60"], "flowshark-engine", False),
                                     (["graph"], "flowshark-botnet-engine", True),
                                     (["botnet"], "flowshark-botnet-engine", True)):
            with self.subTest(args=args):
                exe, libraries = self.engine_while_reading(args)
                self.assertEqual(exe, engine)
                self.assertEqual(any(n.startswith("libigraph.") for n in libraries), igraph)
                if not igraph:
                    self.assertFalse([n for n in libraries if n.startswith("libquadmath.")])

    def test_capture_engine_refuses_the_botnet_analyses(self):
        engine = os.path.join(os.path.dirname(os.path.realpath(FLOWSHARK)), "flowshark-engine")
        for command in ("graph", "cflows", "botnet"):
            proc = subprocess.run([engine, command, "-r", sample("tls.pcap")],
                                  capture_output=True)
            self.assertEqual((proc.returncode, proc.stdout, proc.stderr.decode()),
                             (EXIT_INIT, b"", f"flowshark: {command} runs in"
                              " flowshark-botnet-engine, which flowshark starts for it\n"))

    def test_through_a_symbolic_link(self):
        with tempfile.TemporaryDirectory() as tmp:
            link = os.path.join(tmp, "flowshark")
            os.symlink(FLOWSHARK, link)
            proc = subprocess.run([link, "-q", "-r", sample("tls.pcap")], capture_output=True)
            self.assertEqual((proc.returncode, proc.stderr), (EXIT_OK, b""))
            self.assertEqual(proc.stdout.decode(), run("-r", sample("tls.pcap"))[1])

    def test_engine_missing(self):
        with tempfile.TemporaryDirectory() as tmp:
            alone = os.path.join(tmp, "flowshark")
            shutil.copy(FLOWSHARK, alone)
            proc = subprocess.run([alone, "-q", "-r", sample("tls.pcap")], capture_output=True)
            err = proc.stderr.decode()
            self.assertEqual((proc.returncode, proc.stdout), (EXIT_INIT, b""))
            where = os.path.join(tmp, "../libexec/flowshark/flowshark-engine")
            self.assertEqual(err, f"flowshark: cannot run {where}: No such file or directory"
                             f" (the engine belongs beside flowshark, or in {where})\n")
            proc = subprocess.run([alone, "botnet", "-r", sample("tls.pcap")],
                                  capture_output=True)
            where = os.path.join(tmp, "../libexec/flowshark/flowshark-botnet-engine")
            self.assertEqual((proc.returncode, proc.stdout, proc.stderr.decode()),
                             (EXIT_INIT, b"", f"flowshark: cannot run {where}: No such file or"
                              f" directory (the engine belongs beside flowshark, or in {where})\n"))

    def test_installed(self):
        """cmake --install under a prefix of the test's: bin/flowshark runs
        libexec/flowshark/flowshark-engine, and flowshark-botnet-engine for
        `graph`; the records and the hosts table are the build's."""
        build = os.path.dirname(os.path.dirname(os.path.realpath(FLOWSHARK)))
        if not os.path.exists(os.path.join(build, "cmake_install.cmake")):
            self.skipTest(f"{FLOWSHARK} is not in a CMake build tree")
        with tempfile.TemporaryDirectory() as prefix:
            subprocess.run(["cmake", "--install", build, "--prefix", prefix],
                           check=True, capture_output=True)
            for engine in ("flowshark-engine", "flowshark-botnet-engine"):
                self.assertTrue(os.access(os.path.join(prefix, "libexec/flowshark", engine),
                                          os.X_OK))
            proc = subprocess.run([os.path.join(prefix, "bin/flowshark"), "-q", "-r",
                                   sample("tls.pcap")], capture_output=True)
            self.assertEqual((proc.returncode, proc.stderr), (EXIT_OK, b""))
            self.assertEqual(proc.stdout.decode(), run("-r", sample("tls.pcap"))[1])
            proc = subprocess.run([os.path.join(prefix, "bin/flowshark"), "graph", "-q", "-r",
                                   sample("tls.pcap")], capture_output=True)
            self.assertEqual((proc.returncode, proc.stderr), (EXIT_OK, b""))
            self.assertEqual(proc.stdout.decode(),
                             run("graph", "-q", "-r", sample("tls.pcap"), quiet=False)[1])


def main():
    global FLOWSHARK, SAMPLES
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    args, rest = parser.parse_known_args()
    FLOWSHARK = os.path.abspath(args.flowshark)
    SAMPLES = os.path.abspath(args.samples)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
