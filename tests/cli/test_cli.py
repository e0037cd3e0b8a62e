#!/usr/bin/env python3
"""Command-line behaviour of flowshark: errors and exit statuses, -w, "-r -",
compressed captures, --help and --version. Python standard library only.

Usage: test_cli.py --flowshark BIN --samples DIR [unittest options]
"""
import argparse
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

FLOWSHARK = None
SAMPLES = None

# Exit statuses (extractor/status.h, doc/flowshark.1).
(EXIT_OK, EXIT_USAGE, EXIT_TRUNCATED, EXIT_OPEN, EXIT_FILTER, EXIT_FIELD, EXIT_OUTPUT,
 EXIT_INIT, EXIT_INTERRUPTED, EXIT_WORKER) = range(10)


def run(*args, stdin=None, cwd=None, env=None):
    """Runs flowshark; returns (exit status, stdout text, stderr text)."""
    proc = subprocess.run([FLOWSHARK, *args], input=stdin, capture_output=True, cwd=cwd,
                          env=None if env is None else {**os.environ, **env})
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

    def test_no_packets_is_said(self):
        # An empty file (wiretap opens it as an empty ERF capture) and a pcap
        # file header alone: no records, status 0, and a warning saying so.
        with open(sample("tls.pcap"), "rb") as f:
            header = f.read(24)
        for content, fmt in ((b"", "ERF"), (header, "pcap")):
            with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
                f.write(content)
                f.flush()
                status, out, err = run("-r", f.name)
            self.assertEqual((status, out), (EXIT_OK, ""))
            self.assertIn(f"{f.name}: no packets (read as ", err)
            self.assertIn(fmt, err)

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
                       "--udp-data-length", "--no-exclusions", "--max-packets", "--no-fork", "--reset-every", "--jobs", "--progress",
                       "Exit status"):
            self.assertIn(option, out)
        status, out, _ = run("--version")
        self.assertEqual(status, EXIT_OK)
        self.assertRegex(out, r"^flowshark \S+ \(libwireshark 4\.\d+\.\d+\)\n$")


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


class Progress(unittest.TestCase):
    def test_progress_lines_on_request_only(self):
        # Standard input fed in four parts over about two seconds: with
        # --progress, a report (every 1024 records, at most once a second)
        # must appear; records are the same with -q, and without a terminal
        # nothing is reported unless asked.
        with open(sample("1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        proc = subprocess.Popen([FLOWSHARK, "-r", "-", "--progress"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        part = len(data) // 4 + 1
        for start in range(0, len(data), part):
            proc.stdin.write(data[start:start + part])
            proc.stdin.flush()
            time.sleep(0.6)
        proc.stdin.close()
        out = proc.stdout.read().decode()
        err = proc.stderr.read().decode()
        self.assertEqual(proc.wait(timeout=60), EXIT_OK, err)
        proc.stdout.close()
        proc.stderr.close()
        lines = err.splitlines()
        self.assertGreater(len(lines), 0)
        for line in lines:
            match = re.fullmatch(r"flowshark: -: (?:\d+% of [\d.]+ MB, )?(\d+) packets", line)
            self.assertIsNotNone(match, line)
            self.assertEqual(int(match.group(1)) % 1024, 0)
        status, quiet_out, quiet_err = run("-r", "-", "-q", stdin=data)
        self.assertEqual((status, quiet_err), (EXIT_OK, ""))
        self.assertEqual(records(quiet_out), records(out))
        _, _, default_err = run("-r", "-", stdin=data)
        self.assertEqual(default_err, "")


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


def wait_blocked_reading(pid, size, timeout=30.0):
    """Waits until process `pid` has read `size` bytes and sleeps (blocked on
    the pipe, every packet given so far dissected)."""
    settled = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and settled < 5:
        with open(f"/proc/{pid}/io") as f:
            io = dict(line.split(": ") for line in f.read().splitlines())
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        settled = settled + 1 if int(io["rchar"]) >= size and state == "S" else 0
        time.sleep(0.05)


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


def slow_pipe_run(args, data, sig, reader="parent"):
    """Starts flowshark reading standard input, feeds it `data`, keeps the
    pipe open until the reader (flowshark itself, or its worker) waits for
    more, then sends `sig` to flowshark; returns (status, stdout, stderr)."""
    proc = subprocess.Popen([FLOWSHARK, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdin.write(data)
    proc.stdin.flush()
    wait_blocked_reading(proc.pid if reader == "parent" else worker_pid(proc.pid), len(data))
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out.decode(), err.decode("utf-8", "replace")


class Signals(unittest.TestCase):
    def test_interrupt_writes_flows_seen_so_far(self):
        with open(sample("1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        half = data[:len(data) // 2]
        for sig in (signal.SIGINT, signal.SIGTERM):
            with self.subTest(sig=sig):
                status, out, err = slow_pipe_run(["-r", "-"], half, sig)
                self.assertEqual(status, EXIT_INTERRUPTED, err)
                self.assertIn(f"interrupted by signal {int(sig)}", err)
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
        with open(sample("tls.pcap"), "rb") as f:
            data = f.read()
        status, out, err = slow_pipe_run(["-j", "1", "-r", "-", "-r", sample("dnscrypt-v2-doh.pcap")], data,
                                         signal.SIGTERM, reader="child")
        self.assertEqual(status, EXIT_INTERRUPTED, err)
        files = {r["file"] for r in records(out)}
        self.assertNotIn(sample("dnscrypt-v2-doh.pcap"), files)


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
