#!/usr/bin/env python3
"""Command-line behaviour of flowshark: errors and exit statuses, -w, "-r -",
compressed captures, --help and --version. Python standard library only.

Usage: test_cli.py --flowshark BIN --samples DIR [unittest options]
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

FLOWSHARK = None
SAMPLES = None

# Exit statuses (extractor/status.h, doc/flowshark.1).
EXIT_OK, EXIT_USAGE, EXIT_TRUNCATED, EXIT_OPEN, EXIT_FILTER, EXIT_FIELD, EXIT_OUTPUT = range(7)


def run(*args, stdin=None, cwd=None):
    """Runs flowshark; returns (exit status, stdout text, stderr text)."""
    proc = subprocess.run([FLOWSHARK, *args], input=stdin, capture_output=True, cwd=cwd)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")


def records(text):
    return [json.loads(line) for line in text.splitlines()]


def sample(name):
    return os.path.join(SAMPLES, name)


class Errors(unittest.TestCase):
    def test_missing_file(self):
        status, out, err = run("-r", "/nonexistent/capture.pcap")
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertIn("/nonexistent/capture.pcap", err)
        self.assertIn("No such file or directory", err)

    def test_directory_is_not_readable_as_capture(self):
        status, out, err = run("-r", SAMPLES)
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertIn(SAMPLES, err)

    def test_not_a_capture(self):
        with tempfile.NamedTemporaryFile("w", suffix=".pcap") as f:
            f.write("this is a text file, not a capture\n" * 10)
            f.flush()
            status, out, err = run("-r", f.name)
        self.assertEqual(status, EXIT_OPEN)
        self.assertEqual(out, "")
        self.assertIn("isn't a capture file in a known format", err)

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
        for args in ((), ("-r",), ("--bogus", "-r", "x"), ("-r", "x", "stray"),
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
        with open(sample("tls.pcap"), "rb") as f:
            status, out, _ = run("-r", "-", stdin=f.read())
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
                       "--udp-data-length", "--no-exclusions", "Exit status"):
            self.assertIn(option, out)
        status, out, _ = run("--version")
        self.assertEqual(status, EXIT_OK)
        self.assertRegex(out, r"^flowshark \S+ \(libwireshark 4\.\d+\.\d+\)\n$")


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
