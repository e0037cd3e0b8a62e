"""Tests of the Python package (python/flowshark): its Flow objects against
the JSON records of the flowshark program run directly, error mapping,
streaming and process clean-up; windows() against flowshark window's JSON
Lines.

Run by ctest (label "python") with PYTHONPATH=<source>/python and
FLOWSHARK=<the built flowshark>; by hand:

    FLOWSHARK=build/extractor/flowshark PYTHONPATH=python \
        python3 -m unittest tests/python/test_flowshark_py.py

A missing flowshark program (or pandas, for to_pandas) skips the tests that
need it, except in CI (CI=true), where a broken environment must not pass
unnoticed: there a missing program fails every test, and a missing pandas
fails test_to_pandas when FS_REQUIRE_PANDAS=1 too. tests/CMakeLists.txt sets
FS_REQUIRE_PANDAS=1 on the run under Debian's /usr/bin/python3 only, the one
interpreter CI installs pandas for (python3-pandas); the run under the
interpreter CMake found (a pyenv build, say) may lack pandas and still pass.
"""

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import warnings
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(ROOT, "samples")
sys.path.insert(0, os.path.join(ROOT, "python"))

import flowshark  # noqa: E402
from flowshark import extractor as fs_extractor  # noqa: E402

FLOWSHARK = os.environ.get("FLOWSHARK") or shutil.which("flowshark")
HAVE_FLOWSHARK = bool(FLOWSHARK) and os.access(FLOWSHARK, os.X_OK)

# In CI a missing dependency is a failure, not a skip (see the docstring).
IN_CI = os.environ.get("CI", "").lower() == "true"
REQUIRE_PANDAS = IN_CI and os.environ.get("FS_REQUIRE_PANDAS") == "1"

SNI = "tls.handshake.extensions_server_name"
CIPHERS = "tls.handshake.ciphersuite"

# (sample, fields): each sample has flows whose extension is not empty.
CASES = [
    ("tls.pcap", [SNI, CIPHERS, "x509sat.uTF8String"]),
    ("dnscrypt-v2-doh.pcap", [SNI, CIPHERS]),
    ("quic_interop_V.pcapng", [SNI]),
    ("1592993485_noise.pcap", [SNI, "dns.qry.name"]),
    ("http_ipv6.pcap", [SNI, "http.host"]),
]

NOISE = os.path.join(SAMPLES, "1592993485_noise.pcap")


def sample(name):
    return os.path.join(SAMPLES, name)


def run_direct(path, args=()):
    """Records of flowshark run directly: {(file, protocol, str(stream)): record}."""
    proc = subprocess.run([FLOWSHARK, "-r", path] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 2):
        raise AssertionError("flowshark failed (%d): %s" % (proc.returncode, proc.stderr))
    records = {}
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        records[(r["file"], r["protocol"], str(r["stream"]))] = r
    return records, proc


def field_args(fields):
    args = []
    for f in fields:
        args += ["-e", f]
    return args


def reaped(pid):
    """True if pid is no child of ours any more (reaped, so not a zombie)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def need(test, available, reason, required):
    """Skip test unless available; fail it instead when required (in CI)."""
    if available:
        return
    if required:
        test.fail(reason + " (a failure, not a skip: CI=true)")
    test.skipTest(reason)


def need_pandas(test):
    """Skip test without pandas; fail it in CI when FS_REQUIRE_PANDAS=1."""
    try:
        import pandas
        available = pandas is not None
    except ImportError:
        available = False
    need(test, available, "pandas is not installed (Debian: python3-pandas)", REQUIRE_PANDAS)


class FlowsharkTestCase(unittest.TestCase):
    def setUp(self):
        need(self, HAVE_FLOWSHARK, "no flowshark program: set FLOWSHARK", IN_CI)
        self._env = os.environ.copy()
        os.environ["FLOWSHARK"] = FLOWSHARK

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self._env)

    def assertFlowMatches(self, flow, record, main="payload"):
        """Every attribute of flow equals the record key it comes from."""
        for key in ("file", "protocol", "stream", "src", "sport", "dst", "dport",
                    "ext_protocols", "time_start", "time_end", "ip_lengths",
                    "ip_timestamps", "payload_lengths", "payload_timestamps"):
            self.assertEqual(getattr(flow, key), record[key], key)
        self.assertEqual(flow.source, (record["src"], record["sport"]))
        self.assertEqual(flow.destination, (record["dst"], record["dport"]))
        self.assertEqual(flow.ext_protocol, "|".join(record["ext_protocols"]))
        seq = "payload" if main == "payload" else "ip"
        self.assertEqual(flow.main, main)
        self.assertEqual(flow.lengths, record[seq + "_lengths"])
        self.assertEqual(flow.timestamps, record[seq + "_timestamps"])
        self.assertEqual(len(flow), len(record[seq + "_lengths"]))
        if record[seq + "_timestamps"]:
            self.assertEqual(flow.time_start, min(flow.timestamps))
            self.assertEqual(flow.time_end, max(flow.timestamps))
        self.assertEqual(list(flow.extension), list(record["extension"]))
        for field, pairs in record["extension"].items():
            self.assertEqual(flow.extension[field], [(v, i) for v, i in pairs], field)
            for pair in flow.extension[field]:
                self.assertIsInstance(pair, tuple)
                self.assertIsInstance(pair[0], str)
                self.assertIsInstance(pair[1], int)
        self.assertIsInstance(flow.sport, int)
        self.assertIsInstance(flow.dport, int)
        for t in flow.ip_timestamps:
            self.assertIsInstance(t, float)
        self.assertEqual(flow.key, (record["file"], record["protocol"], str(record["stream"])))
        self.assertEqual(flow.record, record)


class TestRecords(FlowsharkTestCase):
    def test_extract_equals_records(self):
        """extract() (flowcontainer's default filter) == flowshark without -Y."""
        for name, fields in CASES:
            with self.subTest(sample=name):
                path = sample(name)
                records, _ = run_direct(path, field_args(fields))
                self.assertGreater(len(records), 0)
                self.assertTrue(any(r["extension"] for r in records.values()),
                                "no extension value in %s: the test would be vacuous" % name)
                result = flowshark.extract(path, extension=fields)
                self.assertIsInstance(result, dict)
                self.assertEqual(sorted(result), sorted(records))
                for key, flow in result.items():
                    self.assertFlowMatches(flow, records[key])

    def test_main_ip(self):
        path = sample("tls.pcap")
        records, _ = run_direct(path, ["--main", "ip", "-e", SNI])
        result = flowshark.extract(path, extension=SNI, main="ip")
        self.assertEqual(sorted(result), sorted(records))
        for key, flow in result.items():
            self.assertFlowMatches(flow, records[key], main="ip")
            self.assertNotEqual(flow.lengths, flow.payload_lengths)

    def test_flows_iterator_equals_records(self):
        path = sample("dnscrypt-v2-doh.pcap")
        records, _ = run_direct(path, ["-e", SNI])
        seen = {}
        for flow in flowshark.flows(path, extension=[SNI]):
            self.assertIsInstance(flow, flowshark.Flow)
            seen[flow.key] = flow
        self.assertEqual(sorted(seen), sorted(records))
        for key, flow in seen.items():
            self.assertFlowMatches(flow, records[key])

    def test_default_filter_is_harmless(self):
        for name in ("tls.pcap", "quic_interop_V.pcapng", "1592993485_noise.pcap", "ipv6_in_gtp.pcap"):
            with self.subTest(sample=name):
                path = sample(name)
                default = flowshark.extract(path)
                none = flowshark.extract(path, filter="")
                self.assertEqual({k: f.record for k, f in default.items()},
                                 {k: f.record for k, f in none.items()})

    def test_filter_is_display_filter(self):
        path = sample("tls.pcap")
        records, _ = run_direct(path, ["-Y", "tls", "-e", SNI])
        result = flowshark.extract(path, filter="tls", extension=SNI)
        self.assertEqual(sorted(result), sorted(records))
        for key, flow in result.items():
            self.assertFlowMatches(flow, records[key])
        unfiltered = flowshark.extract(path, extension=SNI)
        self.assertNotEqual([f.ip_lengths for f in result.values()],
                            [f.ip_lengths for f in unfiltered.values()])

    def test_extension_string_or_list(self):
        path = sample("tls.pcap")
        a = flowshark.extract(path, extension=SNI)
        b = flowshark.extract(path, extension=[SNI])
        c = flowshark.extract(path, extension=["", SNI])
        self.assertEqual({k: f.extension for k, f in a.items()},
                         {k: f.extension for k, f in b.items()})
        self.assertEqual({k: f.extension for k, f in a.items()},
                         {k: f.extension for k, f in c.items()})
        self.assertTrue(all(f.extension for f in a.values()))
        self.assertTrue(all(f.extension == {} for f in flowshark.extract(path).values()))
        with self.assertRaises(TypeError):
            flowshark.extract(path, extension=[SNI, 3])

    def test_options(self):
        path = sample("quic_interop_V.pcapng")
        for kwargs, args in [
                (dict(udp_data_length=True), ["--udp-data-length"]),
                (dict(max_packets=2), ["--max-packets", "2"]),
                (dict(keep_empty=True, exclusions=False), ["--keep-empty", "--no-exclusions"]),
                (dict(two_pass=True), ["-2"]),
                (dict(cmd_parameter=["-o", "tcp.desegment_tcp_streams:FALSE"]),
                 ["-o", "tcp.desegment_tcp_streams:FALSE"])]:
            with self.subTest(kwargs=kwargs):
                records, _ = run_direct(path, args)
                result = flowshark.extract(path, **kwargs)
                self.assertEqual(sorted(result), sorted(records))
                for key, flow in result.items():
                    self.assertEqual(flow.record, records[key])
        some = next(iter(flowshark.extract(path, max_packets=2).values()))
        self.assertIn("packets_total", some.record)

    def test_several_captures_and_pathlike(self):
        import pathlib
        paths = [sample("tls.pcap"), pathlib.Path(sample("ssh.pcap"))]
        result = flowshark.extract(paths)
        files = {k[0] for k in result}
        self.assertEqual(files, {sample("tls.pcap"), sample("ssh.pcap")})
        one = flowshark.extract(pathlib.Path(sample("tls.pcap")))
        self.assertEqual(sorted(one), sorted(k for k in result if k[0] == sample("tls.pcap")))

    def test_truncated_capture_warns(self):
        path = sample("signal-truncated.pcap")
        records, proc = run_direct(path)
        self.assertEqual(proc.returncode, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = flowshark.extract(path)
        self.assertTrue(any(issubclass(w.category, flowshark.FlowsharkWarning)
                            and "cut short" in str(w.message) for w in caught),
                        [str(w.message) for w in caught])
        self.assertEqual(sorted(result), sorted(records))
        for key, flow in result.items():
            self.assertFlowMatches(flow, records[key])

    def test_flows_are_sortable_by_start(self):
        result = flowshark.extract(sample("dnscrypt-v2-doh.pcap"))
        ordered = sorted(result.values())
        starts = [f.time_start for f in ordered]
        self.assertEqual(starts, sorted(starts))


class TestFeatures(FlowsharkTestCase):
    """ndpi=, stats=, splt=, accounting_mode=, direction=: the keys they add
    are in Flow.features, are Flow attributes, and are DataFrame columns,
    with the values of flowshark's own records."""

    # (keyword arguments, flowshark's options, keys the options must add)
    OPTIONS = [
        (dict(stats=True), ["--stats"], ["src_mac", "bidirectional_packets",
                                         "dst2src_fin_packets"]),
        (dict(splt=5), ["--splt", "5"], ["splt_direction", "splt_ps", "splt_piat_ms"]),
        (dict(ndpi=True), ["--ndpi"], ["application_name", "requested_server_name",
                                       "client_fingerprint"]),
        (dict(ndpi=True, ndpi_packets=3), ["--ndpi", "--ndpi-packets", "3"],
         ["application_name"]),
        (dict(stats=True, splt=3, accounting_mode=1, ndpi=True, max_packets=4),
         ["--stats", "--splt", "3", "--accounting-mode", "1", "--ndpi",
          "--max-packets", "4"],
         ["packets_total", "bidirectional_mean_ps", "splt_ps", "application_name"]),
        (dict(stats=True, accounting_mode=3), ["--stats", "--accounting-mode", "3"],
         ["bidirectional_bytes"]),
        (dict(tls=True), ["--tls"], ["tls_version", "tls_sni", "ja3", "certificates"]),
    ]

    def test_features_equal_records(self):
        path = sample("tls.pcap")
        for kwargs, args, keys in self.OPTIONS:
            with self.subTest(kwargs=kwargs):
                records, _ = run_direct(path, args)
                result = flowshark.extract(path, **kwargs)
                self.assertEqual(sorted(result), sorted(records))
                for key, flow in result.items():
                    record = records[key]
                    self.assertFlowMatches(flow, record)
                    added = list(record)[len(fs_extractor.RECORD_KEYS):]
                    for name in keys:
                        self.assertIn(name, added)
                    self.assertEqual(list(flow.features), added)
                    self.assertEqual(flow.features, {k: record[k] for k in added})
                    for name in added:
                        self.assertEqual(getattr(flow, name), record[name], name)
                        self.assertIn(name, dir(flow))
        flow = next(iter(flowshark.extract(path, ndpi=True).values()))
        self.assertEqual(flow.application_name, "TLS.GoogleServices")
        self.assertEqual(flow.requested_server_name, "play.googleapis.com")

    def test_accounting_mode_changes_sizes(self):
        path = sample("tls.pcap")
        frame = flowshark.extract(path, stats=True)
        ip = flowshark.extract(path, stats=True, accounting_mode=1)
        for key in frame:
            # Ethernet frames: 14 bytes more than the IP length, per packet.
            self.assertEqual(frame[key].bidirectional_bytes - ip[key].bidirectional_bytes,
                             14 * frame[key].bidirectional_packets)

    def test_direction_first(self):
        path = sample("6in4tunnel.pcap")
        records, _ = run_direct(path, ["--direction", "first", "--stats"])
        result = flowshark.extract(path, direction="first", stats=True)
        by_port = flowshark.extract(path)
        self.assertEqual(sorted(result), sorted(records))
        for key, flow in result.items():
            self.assertFlowMatches(flow, records[key])
        self.assertTrue(any(flow.src != by_port[key].src for key, flow in result.items()))

    def test_without_options(self):
        flow = next(iter(flowshark.extract(sample("tls.pcap")).values()))
        self.assertEqual(flow.features, {})
        with self.assertRaises(AttributeError) as cm:
            flow.application_name
        self.assertIn("ndpi=True", str(cm.exception))
        self.assertFalse(hasattr(flow, "bidirectional_packets"))

    def test_flows_and_to_pandas(self):
        path = sample("tls.pcap")
        kwargs = dict(stats=True, splt=4, ndpi=True)
        records, _ = run_direct(path, ["--stats", "--splt", "4", "--ndpi"])
        seen = {flow.key: flow for flow in flowshark.flows(path, **kwargs)}
        self.assertEqual(sorted(seen), sorted(records))
        for key, flow in seen.items():
            self.assertEqual(flow.record, records[key])
            self.assertEqual(flow.bidirectional_packets, records[key]["bidirectional_packets"])
        need_pandas(self)
        df = flowshark.to_pandas(path, **kwargs)
        some = next(iter(records.values()))
        self.assertEqual(list(df.columns), list(some))
        self.assertEqual(len(df), len(records))
        for row in df.to_dict("records"):
            r = records[(row["file"], row["protocol"], str(row["stream"]))]
            for key in list(r)[len(fs_extractor.RECORD_KEYS):]:
                self.assertEqual(row[key], r[key], key)

    def test_bad_values(self):
        path = sample("tls.pcap")
        for kwargs in (dict(splt=-1), dict(splt=True), dict(splt="5"),
                       dict(accounting_mode=4), dict(accounting_mode=True),
                       dict(direction="last"), dict(ndpi_packets=0)):
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(ValueError) as cm:
                    flowshark.flows(path, **kwargs)
                self.assertIn(list(kwargs)[0], str(cm.exception))
        # splt=0 is NFStream's "off".
        flow = next(iter(flowshark.extract(path, splt=0).values()))
        self.assertNotIn("splt_ps", flow.features)


class TestErrors(FlowsharkTestCase):
    def test_missing_file(self):
        with self.assertRaises(FileNotFoundError) as cm:
            flowshark.extract(os.path.join(SAMPLES, "no-such-capture.pcap"))
        self.assertEqual(cm.exception.filename, os.path.join(SAMPLES, "no-such-capture.pcap"))

    def test_status_3_no_such_file_maps_to_file_not_found(self):
        # The file vanishing between the check and flowshark's open.
        stderr = "flowshark: gone.pcap: No such file or directory\n"
        with self.assertRaises(FileNotFoundError) as cm:
            fs_extractor._raise_for_status(3, stderr, ["gone.pcap"])
        self.assertEqual(cm.exception.filename, "gone.pcap")
        self.assertIn("No such file", str(cm.exception))

    def test_not_a_capture(self):
        with tempfile.NamedTemporaryFile("w", suffix=".pcap") as f:
            f.write("this is not a capture\n" * 10)
            f.flush()
            with self.assertRaises(flowshark.FlowsharkError) as cm:
                flowshark.extract(f.name)
        self.assertIsInstance(cm.exception, RuntimeError)
        self.assertNotIsInstance(cm.exception, ValueError)
        self.assertEqual(cm.exception.returncode, 3)
        self.assertIn("capture file", str(cm.exception))

    def test_bad_filter(self):
        path = sample("tls.pcap")
        _, direct = None, subprocess.run([FLOWSHARK, "-r", path, "-Y", "tcp.port =="],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         universal_newlines=True)
        self.assertEqual(direct.returncode, 4)
        with self.assertRaises(ValueError) as cm:
            flowshark.extract(path, filter="tcp.port ==")
        self.assertEqual(str(cm.exception), direct.stderr.strip())
        self.assertIsInstance(cm.exception, flowshark.FlowsharkError)
        self.assertEqual(cm.exception.returncode, 4)
        # flows(): raised at the first next(), and the process is reaped.
        it = flowshark.flows(path, filter="tcp.port ==")
        with self.assertRaises(ValueError):
            next(it)
        self.assertIsNotNone(it.process.returncode)
        self.assertTrue(reaped(it.process.pid))

    def test_unknown_field(self):
        with self.assertRaises(ValueError) as cm:
            flowshark.extract(sample("tls.pcap"), extension=[SNI, "tls.no_such_field"])
        self.assertIn("tls.no_such_field", str(cm.exception))
        self.assertEqual(cm.exception.returncode, 5)

    def test_bad_command_line(self):
        with self.assertRaises(ValueError) as cm:
            flowshark.extract(sample("tls.pcap"), cmd_parameter=["--no-such-option"])
        self.assertIn("--no-such-option", str(cm.exception))
        self.assertEqual(cm.exception.returncode, 1)
        with self.assertRaises(ValueError):
            flowshark.extract(sample("tls.pcap"), main="both")

    def test_ip_layer_not_supported(self):
        with self.assertRaises(NotImplementedError):
            flowshark.extract(sample("tls.pcap"), ip_layer=True)

    def test_binary_not_found(self):
        path = sample("tls.pcap")
        empty = tempfile.mkdtemp()
        try:
            for how in ("argument", "environment", "path"):
                with self.subTest(how=how):
                    os.environ["PATH"] = empty
                    kwargs = {}
                    if how == "argument":
                        kwargs["flowshark_path"] = os.path.join(empty, "flowshark")
                    elif how == "environment":
                        os.environ["FLOWSHARK"] = os.path.join(empty, "flowshark")
                    else:
                        os.environ.pop("FLOWSHARK", None)
                    with self.assertRaises(flowshark.FlowsharkNotFoundError) as cm:
                        flowshark.extract(path, **kwargs)
                    message = str(cm.exception)
                    for word in ("flowshark_path", "FLOWSHARK", "PATH"):
                        self.assertIn(word, message)
                    self.assertIsInstance(cm.exception, RuntimeError)
        finally:
            shutil.rmtree(empty)

    def test_binary_lookup_order(self):
        path = sample("tls.pcap")
        bindir = tempfile.mkdtemp()
        try:
            os.symlink(FLOWSHARK, os.path.join(bindir, "flowshark"))
            os.environ.pop("FLOWSHARK", None)
            os.environ["PATH"] = bindir
            self.assertEqual(len(flowshark.extract(path)), 2)          # PATH
            os.environ["FLOWSHARK"] = "/nonexistent/flowshark"
            with self.assertRaises(flowshark.FlowsharkNotFoundError):   # env before PATH
                flowshark.extract(path)
            self.assertEqual(len(flowshark.extract(path, flowshark_path=FLOWSHARK)), 2)
        finally:
            shutil.rmtree(bindir)


class TestFailedCaptures(FlowsharkTestCase):
    """Of several captures, a failed one is reported and the others' flows
    are kept, as the command line does (it reports each failed capture on
    standard error, goes on, and exits with status 3)."""

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp()
        self.missing = os.path.join(self.tmp, "missing.pcap")
        self.not_capture = os.path.join(self.tmp, "not-a-capture.pcap")
        with open(self.not_capture, "w") as f:
            f.write("this is not a capture\n" * 10)
        self.good = sample("tls.pcap")

    def tearDown(self):
        shutil.rmtree(self.tmp)
        super().tearDown()

    def run_cli(self, paths):
        """flowshark -q -r each path, as the wrapper runs it (-q: no summary
        line): (records by key, stderr lines, exit status)."""
        cmd = [FLOWSHARK, "-q"]
        for path in paths:
            cmd += ["-r", path]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        records = {}
        for line in proc.stdout.splitlines():
            r = json.loads(line)
            records[(r["file"], r["protocol"], str(r["stream"]))] = r
        return records, proc.stderr.splitlines(), proc.returncode

    def capture_warnings(self, caught):
        return [w.message for w in caught
                if issubclass(w.category, flowshark.FlowsharkCaptureWarning)]

    def test_extract_keeps_the_good_captures(self):
        for bad, error_type in ((self.missing, FileNotFoundError),
                                (self.not_capture, flowshark.FlowsharkError)):
            for paths in ([bad, self.good], [self.good, bad]):
                with self.subTest(paths=paths):
                    records, lines, status = self.run_cli(paths)
                    self.assertEqual(status, 3)
                    self.assertEqual(len(lines), 1)
                    self.assertTrue(lines[0].startswith("flowshark: " + bad + ": "), lines)
                    self.assertEqual({k[0] for k in records}, {self.good})
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        result = flowshark.extract(paths)
                    self.assertIsInstance(result, dict)
                    self.assertEqual(sorted(result), sorted(records))
                    for key, flow in result.items():
                        self.assertFlowMatches(flow, records[key])
                    found = self.capture_warnings(caught)
                    self.assertEqual(len(found), 1, [str(w.message) for w in caught])
                    warning = found[0]
                    self.assertIsInstance(warning, flowshark.FlowsharkWarning)
                    self.assertIsInstance(warning, UserWarning)
                    self.assertEqual(warning.path, bad)
                    self.assertEqual(warning.message, lines[0])
                    self.assertIn(lines[0], str(warning))
                    self.assertEqual(list(result.errors), [bad])
                    error = result.errors[bad]
                    self.assertIs(warning.error, error)
                    self.assertIsInstance(error, error_type)
                    self.assertIn(lines[0], str(error))
                    if error_type is FileNotFoundError:
                        self.assertEqual(error.filename, bad)
                    else:
                        self.assertEqual(error.returncode, 3)
        self.assertEqual(flowshark.extract([self.good]).errors, {})

    def test_flows_keeps_the_good_captures(self):
        paths = [self.missing, self.good, self.not_capture, sample("ssh.pcap")]
        records, lines, status = self.run_cli(paths)
        self.assertEqual(status, 3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            it = flowshark.flows(paths)
            seen = {flow.key: flow for flow in it}
        self.assertEqual(sorted(seen), sorted(records))
        self.assertEqual({k[0] for k in seen}, {self.good, sample("ssh.pcap")})
        for key, flow in seen.items():
            self.assertFlowMatches(flow, records[key])
        found = self.capture_warnings(caught)
        self.assertEqual([w.path for w in found], [self.missing, self.not_capture])
        self.assertEqual(sorted(w.message for w in found), sorted(lines))
        self.assertEqual(sorted(it.errors), sorted([self.missing, self.not_capture]))
        self.assertIsInstance(it.errors[self.missing], FileNotFoundError)
        self.assertIsInstance(it.errors[self.not_capture], flowshark.FlowsharkError)
        self.assertTrue(reaped(it.process.pid))

    def test_to_pandas_keeps_the_good_captures(self):
        need_pandas(self)
        paths = [self.not_capture, self.good]
        records, lines, _ = self.run_cli(paths)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = flowshark.to_pandas(paths)
        self.assertEqual(sorted((row["file"], row["protocol"], str(row["stream"]))
                                for row in df.to_dict("records")), sorted(records))
        self.assertEqual([w.message for w in self.capture_warnings(caught)], lines)
        self.assertEqual(list(df.attrs["errors"]), [self.not_capture])

    def test_truncated_and_failed(self):
        truncated = sample("signal-truncated.pcap")
        records, _, status = self.run_cli([truncated, self.missing])
        self.assertEqual(status, 3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = flowshark.extract([truncated, self.missing])
        self.assertEqual(sorted(result), sorted(records))
        self.assertTrue(records)
        self.assertEqual([w.path for w in self.capture_warnings(caught)], [self.missing])
        self.assertTrue(any(w.category is flowshark.FlowsharkWarning
                            and "cut short" in str(w.message) for w in caught))

    def test_every_capture_failing_raises(self):
        other = os.path.join(self.tmp, "other-missing.pcap")
        for paths, error_type in (([self.missing, self.not_capture], FileNotFoundError),
                                  ([self.not_capture, self.missing], flowshark.FlowsharkError),
                                  ([self.missing, other], FileNotFoundError),
                                  ([self.not_capture, self.not_capture],
                                   flowshark.FlowsharkError)):
            with self.subTest(paths=paths):
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    with self.assertRaises(error_type) as cm:
                        flowshark.extract(paths)
                    with self.assertRaises(error_type):
                        list(flowshark.flows(paths))
                self.assertEqual(self.capture_warnings(caught), [])
                if error_type is FileNotFoundError:
                    self.assertEqual(cm.exception.filename, paths[0])
                else:
                    self.assertEqual(cm.exception.returncode, 3)

    def test_worker_died_and_progress_lines(self):
        # Status 9 (a capture's worker process died) is a failed capture too;
        # progress reports ("--progress") name a capture without failing it.
        stderr = ("flowshark: a.pcap: 50% of 1.0 MB, 1024 packets\n"
                  "flowshark: b.pcap: the worker process reading it was killed by signal 9 "
                  "(Killed); no records were written for it\n")
        failures = fs_extractor._partial_failures(9, stderr, ["a.pcap", "b.pcap"])
        self.assertEqual(list(failures), ["b.pcap"])
        message, error = failures["b.pcap"]
        self.assertEqual(message, stderr.splitlines()[1])
        self.assertIsInstance(error, flowshark.FlowsharkError)
        self.assertEqual(error.returncode, 9)
        # Every capture failed, or a failure no capture is named in: raise.
        self.assertEqual(fs_extractor._partial_failures(9, stderr, ["b.pcap"]), {})
        self.assertEqual(fs_extractor._partial_failures(3, "flowshark: odd\n", ["a", "b"]), {})
        self.assertEqual(fs_extractor._partial_failures(4, stderr, ["a.pcap", "b.pcap"]), {})


NOT_A_CAPTURE = "this is not a capture\n" * 10


def walk_order(top):
    """The files below top as flowshark walks it: each folder's entries
    sorted by name (byte order), hidden ones left out, depth first."""
    found = []
    for name in sorted(os.listdir(top)):
        if name.startswith("."):
            continue
        path = os.path.join(top, name)
        found += walk_order(path) if os.path.isdir(path) else [path]
    return found


class DatasetTestCase(FlowsharkTestCase):
    """A dataset folder, built once for the class in a temporary directory
    from copies of the samples: one folder per class, a capture with no
    extension, a capture directly in the top folder, non-capture files and
    a hidden capture (not read):

        dataset/README.txt                      not a capture
        dataset/browsing/.hidden.pcap           hidden: not read
        dataset/browsing/dnscrypt-v2-doh.pcap
        dataset/browsing/tls.pcap
        dataset/quic.pcapng                     no class folder: label None
        dataset/remote/2017/ssh.pcap            class "remote", a level deeper
        dataset/remote/notes.txt                not a capture
        dataset/video/capture                   http_ipv6.pcap, no extension

    ``alone``: the records of flowshark run on each capture by itself (with
    -e SNI), keyed as extract's result.
    """

    LAYOUT = [
        ("browsing/dnscrypt-v2-doh.pcap", "dnscrypt-v2-doh.pcap", "browsing"),
        ("browsing/tls.pcap", "tls.pcap", "browsing"),
        ("quic.pcapng", "quic_interop_V.pcapng", None),
        ("remote/2017/ssh.pcap", "ssh.pcap", "remote"),
        ("video/capture", "http_ipv6.pcap", "video"),
    ]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp()
        cls.dataset = os.path.join(cls.tmp, "dataset")
        for rel, name, _ in cls.LAYOUT + [("browsing/.hidden.pcap", "ssh.pcap", None)]:
            dest = os.path.join(cls.dataset, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(sample(name), dest)
        for rel in ("README.txt", "remote/notes.txt"):
            with open(os.path.join(cls.dataset, rel), "w") as f:
                f.write(NOT_A_CAPTURE)
        # The captures in walk order, as flowshark names them.
        cls.captures = [os.path.join(cls.dataset, rel) for rel, _, _ in cls.LAYOUT]
        cls.labels = {os.path.join(cls.dataset, rel): label for rel, _, label in cls.LAYOUT}
        cls.alone = {}
        if HAVE_FLOWSHARK:
            for path in cls.captures:
                records, _ = run_direct(path, ["-q", "-e", SNI])
                assert records, "no flows in %s: the tests would be weaker" % path
                cls.alone.update(records)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)
        super().tearDownClass()

    def below(self, *folders):
        """The records of alone of the captures below these folders."""
        prefixes = tuple(os.path.join(self.dataset, f) + os.sep for f in folders)
        return {k: r for k, r in self.alone.items() if k[0].startswith(prefixes)}

    def extract_quietly(self, infile, **kwargs):
        """extract() with no warning at all allowed; {key: record}."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = flowshark.extract(infile, **kwargs)
        self.assertEqual([str(w.message) for w in caught], [])
        self.assertIsInstance(result, flowshark.ExtractResult)
        self.assertEqual(result.errors, {})
        return result

    def files_in_order(self, iterator):
        """The captures of the flows of iterator, in the order they come."""
        files = []
        for flow in iterator:
            if not files or files[-1] != flow.file:
                files.append(flow.file)
        return files


class TestDirectories(DatasetTestCase):
    def test_layout_is_what_flowshark_walks(self):
        # The tests' expectation of the walk (README.txt and notes.txt are
        # no captures; .hidden.pcap is left out).
        walked = [p for p in walk_order(self.dataset) if not p.endswith(".txt")]
        self.assertEqual(walked, self.captures)

    def test_directory_equals_captures_one_by_one(self):
        result = self.extract_quietly(self.dataset, extension=[SNI])
        self.assertEqual(sorted(result), sorted(self.alone))
        for key, flow in result.items():
            self.assertFlowMatches(flow, self.alone[key])
        self.assertTrue(any(flow.extension for flow in result.values()))
        # The same as the list of the captures; and in walk order (sorted
        # by name, depth first).
        listed = self.extract_quietly(self.captures, extension=[SNI])
        self.assertEqual({k: f.record for k, f in listed.items()}, self.alone)
        self.assertEqual(self.files_in_order(flowshark.flows(self.dataset)), self.captures)

    def test_trailing_slash_and_pathlike(self):
        import pathlib
        for infile in (self.dataset + "/", pathlib.Path(self.dataset)):
            with self.subTest(infile=infile):
                result = self.extract_quietly(infile, extension=SNI)
                self.assertEqual({k: f.record for k, f in result.items()}, self.alone)

    def test_list_of_directories_and_files(self):
        browsing = os.path.join(self.dataset, "browsing")
        remote = os.path.join(self.dataset, "remote")
        alone = sample("ja3_lots_of_cipher_suites.pcap")
        expected, _ = run_direct(alone, ["-q", "-e", SNI])
        expected.update(self.below("browsing", "remote"))
        for infile in ([browsing, alone, remote], iter((remote, browsing, alone))):
            with self.subTest(infile=infile):
                result = self.extract_quietly(infile, extension=SNI)
                self.assertEqual({k: f.record for k, f in result.items()}, expected)
        # The order of the list is the order of the records.
        self.assertEqual(self.files_in_order(flowshark.flows([remote, alone, browsing])),
                         [os.path.join(remote, "2017", "ssh.pcap"), alone]
                         + [p for p in self.captures if p.startswith(browsing + os.sep)])

    def test_non_capture_files_are_not_errors(self):
        # remote/ holds notes.txt: no warning, no error (extract_quietly),
        # the same flows as its capture alone.
        self.assertTrue(os.path.exists(os.path.join(self.dataset, "remote", "notes.txt")))
        result = self.extract_quietly(os.path.join(self.dataset, "remote"), extension=SNI)
        self.assertEqual({k: f.record for k, f in result.items()}, self.below("remote"))
        # Only non-captures: nothing to read, an error (as the command line)...
        only_text = tempfile.mkdtemp(dir=self.tmp)
        with open(os.path.join(only_text, "a.pcap"), "w") as f:
            f.write(NOT_A_CAPTURE)
        with self.assertRaises(flowshark.FlowsharkError) as cm:
            flowshark.extract(only_text)
        self.assertEqual(cm.exception.returncode, 3)
        self.assertIn("no captures found", str(cm.exception))
        # ... but not next to a capture.
        result = self.extract_quietly([only_text, sample("tls.pcap")])
        self.assertEqual({k[0] for k in result}, {sample("tls.pcap")})

    def test_truncated_capture_in_a_directory(self):
        folder = tempfile.mkdtemp(dir=self.tmp)
        truncated = os.path.join(folder, "b", "signal.pcap")
        os.mkdir(os.path.dirname(truncated))
        shutil.copyfile(sample("signal-truncated.pcap"), truncated)
        shutil.copyfile(sample("tls.pcap"), os.path.join(folder, "a.pcap"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = flowshark.extract(folder)
        self.assertEqual(result.errors, {})
        self.assertEqual([w.category for w in caught], [flowshark.FlowsharkWarning])
        self.assertIn(truncated + ": ", str(caught[0].message))
        self.assertIn("cut short", str(caught[0].message))
        self.assertEqual({k[0] for k in result}, {truncated, os.path.join(folder, "a.pcap")})

    def test_missing_directory(self):
        missing = os.path.join(self.tmp, "no-such-folder")
        with self.assertRaises(FileNotFoundError) as cm:
            flowshark.extract(missing)
        self.assertEqual(cm.exception.filename, missing)
        # Next to a folder that exists: reported, the others read.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = flowshark.extract([missing, os.path.join(self.dataset, "video")],
                                       extension=SNI)
        self.assertEqual(list(result.errors), [missing])
        self.assertIsInstance(result.errors[missing], FileNotFoundError)
        self.assertEqual([w.message.path for w in caught
                          if issubclass(w.category, flowshark.FlowsharkCaptureWarning)],
                         [missing])
        self.assertEqual({k: f.record for k, f in result.items()}, self.below("video"))

    def test_bad_infile(self):
        for infile, error in ((3, TypeError), ([], ValueError),
                              ([self.dataset.encode()], TypeError)):
            with self.subTest(infile=infile):
                with self.assertRaises(error):
                    flowshark.extract(infile)

    def test_progress_and_summary_are_no_failures(self):
        # cmd_parameter=["--progress"] undoes the wrapper's -q: flowshark
        # then writes progress lines and its summary line on standard error.
        missing = os.path.join(self.tmp, "missing.pcap")
        folder = os.path.join(self.dataset, "video")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = flowshark.extract([missing, folder], cmd_parameter=["--progress"])
        self.assertEqual(list(result.errors), [missing])
        self.assertEqual([str(w.message) for w in caught],
                         [str(flowshark.FlowsharkCaptureWarning(
                             missing, "flowshark: %s: No such file or directory" % missing,
                             None))])
        self.assertEqual({k[0] for k in result}, {os.path.join(folder, "capture")})
        not_capture = os.path.join(self.dataset, "README.txt")
        with self.assertRaises(FileNotFoundError) as cm:
            flowshark.extract([missing, not_capture], cmd_parameter=["--progress"])
        self.assertEqual(cm.exception.filename, missing)
        self.assertEqual(str(cm.exception).count("flowshark: "), 2, str(cm.exception))
        self.assertNotIn("captures", str(cm.exception))


class TestLabels(DatasetTestCase):
    def test_label_from_dir(self):
        result = self.extract_quietly(self.dataset, label=flowshark.FROM_DIR, extension=SNI)
        self.assertEqual(sorted(result), sorted(self.alone))
        self.assertEqual({flow.label for flow in result.values()},
                         {"browsing", "remote", "video", None})
        for key, flow in result.items():
            self.assertEqual(flow.label, self.labels[flow.file], flow.file)
            # The label is the record's last key, the rest the record
            # without a label; not a feature.
            self.assertEqual(list(flow.record)[-1], "label")
            self.assertEqual(flow.record["label"], flow.label)
            self.assertEqual({k: v for k, v in flow.record.items() if k != "label"},
                             self.alone[key])
            self.assertEqual(flow.features, {})
            self.assertIn("label", dir(flow))
            self.assertIn("label %r" % (flow.label,), repr(flow))

    def test_label_from_dir_of_a_file_named_directly(self):
        # Its label is the name of the folder holding it.
        path = os.path.join(self.dataset, "remote", "2017", "ssh.pcap")
        labels = {flow.file: flow.label
                  for flow in flowshark.flows([path, sample("tls.pcap")], label=flowshark.FROM_DIR)}
        self.assertEqual(labels, {path: "2017", sample("tls.pcap"): "samples"})

    def test_label_text(self):
        for text in ("-starts-with-a-dash", "école d'été, \"quoted\"", ""):
            with self.subTest(label=text):
                result = self.extract_quietly(
                    [os.path.join(self.dataset, "browsing"), sample("ssh.pcap")],
                    label=text, max_packets=3)
                self.assertTrue(result)
                for flow in result.values():
                    self.assertEqual(flow.label, text)
                    self.assertEqual(list(flow.record)[-1], "label")
                    self.assertNotIn("label", flow.features)
                    self.assertIn("packets_total", flow.features)

    def test_no_label_unless_asked(self):
        result = flowshark.extract(os.path.join(self.dataset, "browsing"))
        for flow in result.values():
            self.assertNotIn("label", flow.record)
            self.assertFalse(hasattr(flow, "label"))
            self.assertNotIn("label", dir(flow))
        with self.assertRaises(AttributeError) as cm:
            next(iter(result.values())).label
        self.assertIn("label=", str(cm.exception))
        self.assertIn("FROM_DIR", str(cm.exception))

    def test_bad_label(self):
        for label in (True, 1, ["a"], b"bytes"):
            with self.subTest(label=label):
                with self.assertRaises(TypeError) as cm:
                    flowshark.extract(self.dataset, label=label)
                self.assertIn("FROM_DIR", str(cm.exception))
        self.assertEqual(repr(flowshark.FROM_DIR), "flowshark.FROM_DIR")

    def test_to_pandas_label_column(self):
        need_pandas(self)
        df = flowshark.to_pandas(self.dataset, label=flowshark.FROM_DIR, extension=SNI)
        self.assertEqual(list(df.columns), list(fs_extractor.RECORD_KEYS) + ["label"])
        self.assertEqual(len(df), len(self.alone))
        for row in df.to_dict("records"):
            expected = self.labels[row["file"]]
            if expected is None:
                self.assertIsNone(row["label"])
            else:
                self.assertEqual(row["label"], expected)
        self.assertEqual(sorted(df["label"].dropna().unique()), ["browsing", "remote", "video"])
        # With added keys, label is still the last column.
        folder = os.path.join(self.dataset, "browsing")
        df = flowshark.to_pandas(folder, label="x", ndpi=True)
        self.assertEqual(list(df.columns)[-2:], ["content_type", "label"])
        self.assertEqual(set(df["label"]), {"x"})
        # Without a label: no column. With a label and no flow: the column.
        self.assertNotIn("label", flowshark.to_pandas(folder).columns)
        empty = flowshark.to_pandas(folder, filter="frame.number == 0", label="x")
        self.assertEqual(len(empty), 0)
        self.assertEqual(list(empty.columns), list(fs_extractor.RECORD_KEYS) + ["label"])


class TestMessages(unittest.TestCase):
    """flowshark's standard error read by the wrapper: captures found in a
    directory, warnings, progress and summary lines (none of which is a
    failure), without running flowshark."""

    def test_failures_in_a_directory(self):
        stderr = ("flowshark: data/a: b.pcap: The file isn't a capture file in a known format\n"
                  "flowshark: data/c.pcap: warning: the capture appears to have been cut short\n"
                  "flowshark: data/d.pcap: the worker process reading it was killed by signal 9 "
                  "(Killed); no records were written for it\n"
                  "flowshark: 3/4 captures, 12 packets, 0.1 of 0.2 MB, 1.0 MB/s, 0:01\n"
                  "flowshark: 4 captures: 1 ok, 1 truncated, 2 failed, 0 skipped; "
                  "12 packets, 3 flows; 0.2 s\n")
        for directory in ("data", "data/", "data//"):
            with self.subTest(directory=directory):
                failures = fs_extractor._capture_failures(3, stderr, [directory], [directory])
                self.assertEqual(list(failures), ["data/a", "data/d.pcap"])
                self.assertEqual(failures["data/d.pcap"][0], stderr.splitlines()[2])
                # Some flow was read: the others are kept; none: raise.
                self.assertEqual(list(fs_extractor._partial_failures(
                    3, stderr, [directory], [directory], flows_read=3)), ["data/a", "data/d.pcap"])
                self.assertEqual(fs_extractor._partial_failures(
                    3, stderr, [directory], [directory], flows_read=0), {})
                with self.assertRaises(flowshark.FlowsharkError) as cm:
                    fs_extractor._raise_for_status(3, stderr, [directory], 3, [directory])
                # The first failure; the message without the run's lines.
                self.assertNotIn("captures", str(cm.exception))
                self.assertIn("data/a: b.pcap", str(cm.exception))
        # A file name holding ": ": the cut that names an existing file.
        tmp = tempfile.mkdtemp()
        try:
            name = os.path.join(tmp, "x: y.pcap")
            open(name, "w").close()
            line = "flowshark: %s: No such file or directory\n" % name
            self.assertEqual(list(fs_extractor._capture_failures(3, line, [tmp], [tmp])), [name])
        finally:
            shutil.rmtree(tmp)

    def test_warnings_are_not_failures(self):
        for line in ("flowshark: a.pcap: warning: no packets (read as pcap)",
                     "flowshark: warning: a.pcap: something",
                     "flowshark: warning: data: cannot read the folder: Permission denied",
                     "flowshark: 2 captures: 1 ok, 1 failed, 0 skipped; 1 other file (b.txt); "
                     "144 packets, 2 flows; 0.1 s"):
            with self.subTest(line=line):
                self.assertEqual(fs_extractor._capture_failures(
                    3, line + "\n", ["a.pcap", "data"], ["data"]), {})
        self.assertTrue(fs_extractor._is_note("flowshark: a.pcap: warning: x", {"a.pcap"}, []))
        self.assertTrue(fs_extractor._is_note("flowshark: d/b.pcap: warning: x", set(), ["d"]))
        self.assertFalse(fs_extractor._is_note("flowshark: a.pcap: No such file", {"a.pcap"}, []))

    def test_summary_is_never_an_error(self):
        summary = ("flowshark: 1 capture: 1 ok, 0 failed, 0 skipped; 144 packets, 2 flows; "
                   "0.1 s\n")
        fs_extractor._raise_for_status(0, summary)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fs_extractor._raise_for_status(
                2, "flowshark: a.pcap: warning: cut short\n" + summary, ["a.pcap"])
        self.assertEqual([str(w.message) for w in caught], ["flowshark: a.pcap: warning: cut short"])

    def test_command_line(self):
        cmd, paths, directories = fs_extractor._prepare(
            infile=[SAMPLES, sample("tls.pcap")], filter="", extension="", ip_layer=False,
            verbose=True, cmd_parameter=(), split_flag=False, main="payload",
            keep_empty=False, udp_data_length=False, exclusions=True, max_packets=None,
            two_pass=False, direction="port", stats=False, splt=None, accounting_mode=0,
            ndpi=False, ndpi_packets=None, tls=False, nfstream=False, idle_timeout=None,
            active_timeout=None, all_protocols=False, flow_filter=None, min_packets=None,
            min_bytes=None, label="-x", flowshark_path=shutil.which("true") or "/bin/true")
        self.assertEqual(cmd[1:], ["-q", "-r", SAMPLES, "-r", sample("tls.pcap"), "--label=-x"])
        self.assertEqual(paths, [SAMPLES, sample("tls.pcap")])
        self.assertEqual(directories, [SAMPLES])


def prepared(**kwargs):
    """flowshark's command line (after the program) for extract's defaults
    and kwargs, for tls.pcap, without running anything."""
    import inspect
    arguments = {name: p.default for name, p in inspect.signature(flowshark.extract)
                 .parameters.items() if p.default is not inspect.Parameter.empty}
    arguments.update(infile=sample("tls.pcap"),
                     flowshark_path=shutil.which("true") or "/bin/true")
    arguments.update(kwargs)
    cmd, _, _ = fs_extractor._prepare(**arguments)
    return cmd[1:]


class TestMeterCommandLine(unittest.TestCase):
    """The flow meter and flow selection parameters (issue 12): the
    arguments each one gives, and the errors bad values raise, without
    running flowshark."""

    BASE = ["-q", "-r", sample("tls.pcap")]
    DEFAULT = BASE + ["-Y", flowshark.DEFAULT_FILTER]

    def test_same_parameters(self):
        import inspect
        new = ["nfstream", "idle_timeout", "active_timeout", "all_protocols", "flow_filter",
               "min_packets", "min_bytes"]
        for function in (flowshark.extract, flowshark.flows, flowshark.to_pandas):
            with self.subTest(function=function.__name__):
                parameters = inspect.signature(function).parameters
                self.assertEqual(list(parameters), list(inspect.signature(
                    flowshark.extract).parameters))
                names = list(parameters)
                self.assertEqual(names[names.index("tls") + 1:names.index("label")], new)
                for name in new:
                    self.assertEqual(parameters[name].kind, inspect.Parameter.KEYWORD_ONLY)
                    self.assertIn(parameters[name].default, (None, False))

    def test_arguments(self):
        for kwargs, args in [
                ({}, []),
                (dict(nfstream=False, all_protocols=False, flow_filter=None, idle_timeout=None,
                      active_timeout=None, min_packets=None, min_bytes=None), []),
                (dict(idle_timeout=120), ["--idle-timeout", "120"]),
                (dict(active_timeout=1), ["--active-timeout", "1"]),
                (dict(idle_timeout=2147483647, active_timeout=1800),
                 ["--idle-timeout", "2147483647", "--active-timeout", "1800"]),
                (dict(flow_filter="tls.handshake.certificate"),
                 ["--flow-filter", "tls.handshake.certificate"]),
                (dict(flow_filter=""), []),
                (dict(min_packets=0), ["--min-packets", "0"]),
                (dict(min_packets=28), ["--min-packets", "28"]),
                (dict(min_bytes=0), ["--min-bytes", "0"]),
                (dict(min_bytes=2 ** 63 - 1), ["--min-bytes", str(2 ** 63 - 1)]),
                (dict(min_packets=3, min_bytes=1000, flow_filter="dns"),
                 ["--flow-filter", "dns", "--min-packets", "3", "--min-bytes", "1000"])]:
            with self.subTest(kwargs=kwargs):
                self.assertEqual(prepared(**kwargs), self.DEFAULT + args)

    def test_every_protocol_drops_the_default_filter(self):
        # flowcontainer's default filter would remove the ICMP... packets.
        self.assertEqual(prepared(nfstream=True), self.BASE + ["--nfstream"])
        self.assertEqual(prepared(all_protocols=True), self.BASE + ["--all-protocols"])
        self.assertEqual(prepared(all_protocols=True, exclusions=False),
                         self.BASE + ["--no-exclusions", "--all-protocols"])
        self.assertEqual(prepared(nfstream=True, idle_timeout=10, active_timeout=60),
                         self.BASE + ["--nfstream", "--idle-timeout", "10",
                                      "--active-timeout", "60"])
        # A filter of one's own is passed on.
        self.assertEqual(prepared(nfstream=True, filter="ip"),
                         self.BASE + ["-Y", "ip", "--nfstream"])
        self.assertEqual(prepared(all_protocols=True, filter="icmpv6", label="x"),
                         self.BASE + ["-Y", "icmpv6", "--all-protocols", "--label=x"])

    def test_bad_values(self):
        for kwargs in (dict(idle_timeout=0), dict(idle_timeout=-1), dict(idle_timeout=True),
                       dict(idle_timeout="120"), dict(idle_timeout=1.5),
                       dict(idle_timeout=2 ** 31), dict(active_timeout=0),
                       dict(active_timeout=False), dict(active_timeout=2 ** 31),
                       dict(min_packets=-1), dict(min_packets=True), dict(min_packets="3"),
                       dict(min_packets=2.0), dict(min_bytes=-1), dict(min_bytes=False),
                       dict(min_bytes=2 ** 63)):
            with self.subTest(kwargs=kwargs):
                with self.assertRaises(ValueError) as cm:
                    prepared(**kwargs)
                self.assertIn(list(kwargs)[0], str(cm.exception))
        for value in (3, b"tls", ["tls"]):
            with self.subTest(flow_filter=value):
                with self.assertRaises(TypeError) as cm:
                    prepared(flow_filter=value)
                self.assertIn("flow_filter", str(cm.exception))


def run_records(path, args=()):
    """The records of flowshark run directly on path, in its order (the
    oracle), parsed with json."""
    proc = subprocess.run([FLOWSHARK, "-q", "-r", path] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 2):
        raise AssertionError("flowshark failed (%d): %s" % (proc.returncode, proc.stderr))
    return [json.loads(line) for line in proc.stdout.splitlines()]


def stream_key(record):
    """(protocol, stream, stream_piece) of a record or DataFrame row."""
    return (record["protocol"], record["stream"], record.get("stream_piece"))


class TestMeter(FlowsharkTestCase):
    """The flow meter and flow selection parameters against flowshark run
    directly with the same options (issue 12)."""

    def test_to_pandas_nfstream(self):
        need_pandas(self)
        path = sample("ssh.pcap")
        records = run_records(path, ["--nfstream"])
        df = flowshark.to_pandas(path, nfstream=True)
        # NFStream's two flows: the SSH connection idle for more than 120 s.
        self.assertEqual(len(df), 2)
        self.assertEqual(list(df["stream_piece"]), [0, 1])
        self.assertEqual(list(df["stream"]), [0, 0])
        self.assertEqual(list(df["bidirectional_packets"]),
                         [r["bidirectional_packets"] for r in records])
        self.assertEqual(list(df.columns), list(records[0]))
        for row, record in zip(df.to_dict("records"), records):
            for key in ("expiration_id", "stream_piece", "vlan_id", "bidirectional_bytes",
                        "application_name", "src", "dst"):
                self.assertEqual(row[key], record[key], key)

    def test_extract_nfstream_keys(self):
        path = sample("ssh.pcap")
        records = run_records(path, ["--nfstream"])
        result = flowshark.extract(path, nfstream=True)
        self.assertEqual(list(result), [(path, "tcp", "0", 0, 0), (path, "tcp", "0", 1, 0)])
        for flow, record in zip(result.values(), records):
            self.assertEqual(flow.record, record)
            self.assertEqual(flow.stream_piece, record["stream_piece"])
            self.assertEqual(flow.expiration_id, record["expiration_id"])
            self.assertEqual(flow.features["stream_piece"], record["stream_piece"])
            self.assertIn("piece %d" % record["stream_piece"], repr(flow))

    def test_timeouts_keep_every_piece(self):
        # An idle timeout of 1 s cuts tls.pcap's streams: several records
        # share a stream, and extract keeps each one under its own key.
        path = sample("tls.pcap")
        for kwargs, args in [(dict(idle_timeout=1), ["--idle-timeout", "1"]),
                             (dict(active_timeout=1), ["--active-timeout", "1"]),
                             (dict(idle_timeout=1, active_timeout=2, stats=True),
                              ["--idle-timeout", "1", "--active-timeout", "2", "--stats"])]:
            with self.subTest(kwargs=kwargs):
                records = run_records(path, args)
                streams = [(r["protocol"], r["stream"]) for r in records]
                self.assertLess(len(set(streams)), len(streams), "no stream cut: vacuous")
                result = flowshark.extract(path, **kwargs)
                self.assertEqual(len(result), len(records))
                self.assertEqual(sorted(result), sorted(
                    (path, r["protocol"], str(r["stream"]), r["stream_piece"]) for r in records))
                for record in records:
                    key = (path, record["protocol"], str(record["stream"]), record["stream_piece"])
                    self.assertEqual(result[key].record, record)
                    self.assertEqual(result[key].expiration_id, record["expiration_id"])
                streamed = [f.record for f in flowshark.flows(path, **kwargs)]
                self.assertEqual(streamed, records)

    def test_no_meter_keys_without_timeouts(self):
        path = sample("tls.pcap")
        for flow in flowshark.extract(path, stats=True).values():
            self.assertIsNone(flow.stream_piece)
            self.assertIsNone(flow.expiration_id)
            self.assertNotIn("stream_piece", flow.features)
            self.assertEqual(len(flow.key), 3)
            self.assertNotIn("piece", repr(flow))

    def test_flow_filter(self):
        path = sample("tls.pcap")
        for expression in ("tls.handshake.certificate",
                           'tls.handshake.extensions_server_name == "play.googleapis.com"',
                           "dns"):
            with self.subTest(flow_filter=expression):
                records = run_records(path, ["--flow-filter", expression])
                result = flowshark.extract(path, flow_filter=expression)
                self.assertEqual(sorted(result), sorted(
                    (r["file"], r["protocol"], str(r["stream"])) for r in records))
                self.assertEqual([f.record for f in result.values()], records)
        # The second expression keeps one flow of two: not vacuous.
        everything = run_records(path)
        self.assertEqual(len(everything), 2)
        self.assertEqual(len(flowshark.extract(path, flow_filter=(
            'tls.handshake.extensions_server_name == "play.googleapis.com"'))), 1)
        with self.assertRaises(flowshark.FlowsharkUsageError) as cm:
            flowshark.extract(path, flow_filter="tls.no_such_field")
        self.assertEqual(cm.exception.returncode, fs_extractor.EXIT_FILTER)

    def test_min_packets_and_bytes(self):
        path = sample("1592993485_noise.pcap")
        everything = run_records(path)
        for kwargs, args in [(dict(min_packets=0), ["--min-packets", "0"]),
                             (dict(min_packets=10), ["--min-packets", "10"]),
                             (dict(min_bytes=5000), ["--min-bytes", "5000"]),
                             (dict(min_packets=2, min_bytes=300, flow_filter="dns"),
                              ["--min-packets", "2", "--min-bytes", "300",
                               "--flow-filter", "dns"])]:
            with self.subTest(kwargs=kwargs):
                records = run_records(path, args)
                result = flowshark.extract(path, **kwargs)
                self.assertEqual([f.record for f in result.values()], records)
                if kwargs != dict(min_packets=0):
                    self.assertLess(len(records), len(everything))
                    self.assertGreater(len(records), 0)

    def test_all_protocols(self):
        path = sample("6in4tunnel.pcap")
        records = run_records(path, ["--all-protocols", "--no-exclusions"])
        self.assertIn("icmpv6", {r["protocol"] for r in records})
        result = flowshark.extract(path, all_protocols=True, exclusions=False)
        self.assertEqual(sorted(result), sorted(
            (r["file"], r["protocol"], str(r["stream"])) for r in records))
        icmp = [f for f in result.values() if f.protocol == "icmpv6"]
        self.assertGreater(len(icmp), 0)
        for flow in icmp:
            self.assertEqual((flow.sport, flow.dport), (0, 0))
            self.assertEqual(flow.payload_lengths, [])
            self.assertIsNone(flow.time_start)
            self.assertEqual(len(flow), 0)
            self.assertIn("icmpv6", repr(flow))
        for flow, record in zip(result.values(), records):
            self.assertFlowMatches(flow, record)
        sorted(result.values())  # flows without a start time sort last
        ip = flowshark.extract(path, all_protocols=True, exclusions=False, main="ip")
        for flow in ip.values():
            self.assertGreater(len(flow), 0)
        # The default exclusions leave ICMPv6 out.
        self.assertNotIn("icmpv6", {k[1] for k in flowshark.extract(path, all_protocols=True)})
        need_pandas(self)
        df = flowshark.to_pandas(path, all_protocols=True, exclusions=False, stats=True)
        self.assertEqual(len(df), len(records))
        self.assertIn("icmpv6", set(df["protocol"]))


def run_windows(args):
    """The rows of flowshark window run directly with args (the oracle),
    parsed with json: window_start and the other numbers exactly as
    written (Decimal for those with a fraction)."""
    proc = subprocess.run([FLOWSHARK, "window"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 2):
        raise AssertionError("flowshark window failed (%d): %s"
                             % (proc.returncode, proc.stderr))
    return [json.loads(line, parse_float=Decimal) for line in proc.stdout.splitlines()]


# Samples for windows: TCP and UDP over IPv6 in IPv4, with gaps of several
# seconds; TLS over IPv4; 245 short UDP flows.
WINDOW_SAMPLES = ["6in4tunnel.pcap", "tls.pcap", "dnscrypt-v1-and-resolver-pings.pcap"]


class TestWindows(FlowsharkTestCase):
    """flowshark.windows against flowshark window's JSON Lines run directly
    with the same options."""

    def setUp(self):
        super().setUp()
        need_pandas(self)
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)
        super().tearDown()

    def records(self, name):
        """The records of sample name, with the flows without payload."""
        path = os.path.join(self.tmp, name + ".jsonl")
        with open(path, "wb") as f:
            subprocess.run([FLOWSHARK, "-q", "--keep-empty", "-r", sample(name)], stdout=f,
                           check=True)
        return path

    def assertFrameEqualsRows(self, frame, rows, label):
        """Every value of frame equals the JSON Lines rows: the same keys in
        the same order, every number exactly, null as NaN, top_features as
        a list; int64 columns for the keys always integers, float64 for
        the others."""
        import math
        self.assertEqual(len(frame), len(rows), label)
        self.assertTrue(rows, label)
        self.assertEqual(list(frame.columns), list(rows[0]), label)
        self.assertEqual(list(frame.index), list(range(len(rows))), label)
        for key in frame.columns:
            column = [row[key] for row in rows]
            if key == "top_features":
                self.assertEqual(frame[key].dtype, object, label)
                self.assertEqual(list(frame[key]), column, label)
                for value in frame[key]:
                    self.assertIsInstance(value, list)
                continue
            if all(isinstance(v, int) for v in column):
                self.assertEqual(frame[key].dtype, "int64", (label, key))
            else:
                self.assertEqual(frame[key].dtype, "float64", (label, key))
            for i, (have, want) in enumerate(zip(frame[key], column)):
                if want is None:
                    self.assertTrue(math.isnan(have), (label, key, i))
                elif isinstance(want, Decimal):
                    self.assertEqual(have, float(want), (label, key, i))
                else:
                    self.assertEqual(have, want, (label, key, i))

    def test_windows_equal_the_command(self):
        """Each sample's records at T = 1 and 10, with and without score and
        empty_windows; its capture at T = 1 with both, at T = 10 without."""
        import pandas
        checked = empty_rows = 0
        for name in WINDOW_SAMPLES:
            records = self.records(name)
            cases = [(records, seconds, score, empty) for seconds in (1, 10)
                     for score in (False, True) for empty in (False, True)]
            cases += [(sample(name), 1, True, True), (sample(name), 10, False, False)]
            for source, seconds, score, empty in cases:
                label = "%s T=%s score=%s empty_windows=%s" % (
                    os.path.basename(source), seconds, score, empty)
                if source == records:
                    args = ["--from-records", records]
                    frame = flowshark.windows(records=records, seconds=seconds, score=score,
                                              empty_windows=empty)
                else:
                    args = ["-r", source]
                    frame = flowshark.windows(source, seconds=seconds, score=score,
                                              empty_windows=empty)
                args += ["--seconds", str(seconds)]
                args += ["--score"] if score else []
                args += ["--empty-windows"] if empty else []
                self.assertFrameEqualsRows(frame, run_windows(args), label)
                self.assertEqual(frame.attrs["seconds"], str(seconds))
                self.assertEqual(frame.attrs["errors"], {})
                self.assertEqual("num_state_reset" in frame.columns, source != records)
                self.assertEqual("top_features" in frame.columns, score)
                starts = frame["window_start"]
                if empty:  # every window from the first to the last
                    self.assertEqual(len(frame),
                                     (starts.iloc[-1] - starts.iloc[0]) // seconds + 1)
                    gaps = frame["num_entries"].eq(0)
                    self.assertTrue(frame.loc[gaps, "entries_per_conn_max"].isna().all())
                    empty_rows += gaps.sum()
                checked += frame.size
        self.assertGreater(checked, 10000)
        self.assertGreater(empty_rows, 100)
        # Time order, each window T after the one before with empty_windows.
        frame = flowshark.windows(records=self.records("6in4tunnel.pcap"), seconds=1,
                                  empty_windows=True, time_index=True)
        self.assertEqual(list(frame["window_start"].diff().dropna().unique()), [1])
        self.assertEqual(list(frame.index.asi8), [s * 10 ** 9 for s in frame["window_start"]])
        self.assertEqual(frame.index[0], pandas.Timestamp("2015-10-07 16:55:00", tz="UTC"))

    def test_records_equal_captures(self):
        """records= gives the rows of the capture, without the state keys."""
        import pandas.testing
        for name in WINDOW_SAMPLES[:2]:
            records = self.records(name)
            for seconds in (1, 10):
                from_records = flowshark.windows(records=records, seconds=seconds, score=True,
                                                 empty_windows=True)
                from_capture = flowshark.windows(sample(name), seconds=seconds, score=True,
                                                 empty_windows=True)
                states = [k for k in from_capture.columns if k.startswith("num_state_")]
                self.assertEqual(len(states), 6)
                self.assertEqual([k for k in from_capture.columns if k not in states],
                                 list(from_records.columns))
                pandas.testing.assert_frame_equal(from_capture[list(from_records.columns)],
                                                  from_records, check_exact=True)
                self.assertTrue(from_capture[states].sum(axis=1).eq(
                    from_capture["num_entries"]).all())

    def test_fractional_seconds_are_exact(self):
        """T with decimals: window_start float64, as json reads it; the
        time index exact to the nanosecond, from the command's text."""
        records = self.records("6in4tunnel.pcap")
        for seconds, text in ((0.25, "0.25"), (Decimal("0.1"), "0.1"),
                              ("0.000000003", "0.000000003")):
            rows = run_windows(["--seconds", text, "--from-records", records])
            frame = flowshark.windows(records=records, seconds=seconds, time_index=True)
            self.assertFrameEqualsRows(frame.reset_index(drop=True), rows, text)
            self.assertEqual(frame.attrs["seconds"], text)
            self.assertEqual(frame.index.name, "time")
            self.assertEqual(str(frame.index.tz), "UTC")
            self.assertEqual(list(frame.index.asi8),
                             [int(Decimal(r["window_start"]) * 10 ** 9) for r in rows])
        self.assertTrue(any(isinstance(r["window_start"], Decimal) and
                            r["window_start"] != Decimal(float(r["window_start"]))
                            for r in rows), "no start a double cannot hold")

    def test_capture_options(self):
        """exclusions=False, jobs= and a list of captures, as the command."""
        mdns = sample("1kxun.pcap")  # mDNS and SSDP: default exclusions
        rows = run_windows(["--seconds", "10", "--no-exclusions", "-r", mdns])
        frame = flowshark.windows(mdns, seconds=10, exclusions=False)
        self.assertFrameEqualsRows(frame, rows, "1kxun.pcap --no-exclusions")
        self.assertGreater(frame["num_entries"].sum(),
                           flowshark.windows(mdns, seconds=10)["num_entries"].sum())
        several = [sample(n) for n in WINDOW_SAMPLES[:3]]
        args = ["--seconds", "1", "-j", "2"]
        for path in several:
            args += ["-r", path]
        rows = run_windows(args)
        self.assertFrameEqualsRows(flowshark.windows(several, seconds=1, jobs=2), rows,
                                   "-j 2")
        folder = os.path.join(self.tmp, "captures")
        os.mkdir(folder)
        for path in several:
            shutil.copy(path, folder)
        self.assertFrameEqualsRows(flowshark.windows(folder, seconds=1), rows, "folder")

    def test_no_rows(self):
        """No flow: no row, the command's columns (its CSV header)."""
        empty = os.path.join(self.tmp, "empty.jsonl")
        open(empty, "w").close()
        frame = flowshark.windows(records=empty, seconds=1)
        header = subprocess.run([FLOWSHARK, "window", "--seconds", "1", "-T", "csv",
                                 "--from-records", empty], stdout=subprocess.PIPE,
                                universal_newlines=True, check=True).stdout
        self.assertEqual(len(frame), 0)
        self.assertEqual(list(frame.columns), header.strip().split(","))

    def test_failed_capture_of_several(self):
        missing = os.path.join(self.tmp, "missing.pcap")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = flowshark.windows([missing, sample("tls.pcap")], seconds=10)
        self.assertFrameEqualsRows(frame, run_windows(["--seconds", "10", "-r",
                                                       sample("tls.pcap")]), "tls.pcap")
        self.assertEqual(list(frame.attrs["errors"]), [missing])
        self.assertIsInstance(frame.attrs["errors"][missing], FileNotFoundError)
        self.assertEqual([w.category for w in caught], [flowshark.FlowsharkCaptureWarning])
        self.assertEqual(caught[0].filename, __file__)
        with self.assertWarns(flowshark.FlowsharkWarning):
            frame = flowshark.windows(sample("signal-truncated.pcap"), seconds=10)
        self.assertGreater(len(frame), 0)

    def test_bad_arguments(self):
        tls = sample("tls.pcap")
        records = self.records("tls.pcap")
        not_records = os.path.join(self.tmp, "not-records.jsonl")
        with open(not_records, "w") as f:
            f.write('{"a": 1}\n')
        for kwargs, error in (
                (dict(infile=tls), ValueError),                      # no seconds
                (dict(infile=tls, seconds=0), ValueError),
                (dict(infile=tls, seconds=-1), ValueError),
                (dict(infile=tls, seconds="0.0000000001"), ValueError),
                (dict(infile=tls, seconds=float("inf")), ValueError),
                (dict(infile=tls, seconds="ten"), ValueError),
                (dict(infile=tls, seconds=True), TypeError),
                (dict(infile=tls, seconds=[1]), TypeError),
                (dict(seconds=1), ValueError),                       # no input
                (dict(infile=tls, records=records, seconds=1), ValueError),
                (dict(records=records, seconds=1, exclusions=False), ValueError),
                (dict(records=records, seconds=1, jobs=2), ValueError),
                (dict(infile=tls, seconds=1, jobs=0), ValueError),
                (dict(infile=tls, seconds=1, jobs="2"), ValueError),
                (dict(records=b"x.jsonl", seconds=1), TypeError),
                (dict(infile=tls, seconds=1, cmd_parameter="--score"), TypeError),
                (dict(infile=os.path.join(self.tmp, "missing.pcap"), seconds=1),
                 FileNotFoundError),
                (dict(records=os.path.join(self.tmp, "missing.jsonl"), seconds=1),
                 FileNotFoundError),
                (dict(records=not_records, seconds=1), flowshark.FlowsharkError),
                (dict(infile=tls, seconds=10 ** 12), flowshark.FlowsharkUsageError),
                (dict(infile=tls, seconds=1, cmd_parameter=["--bogus"]),
                 flowshark.FlowsharkUsageError),
                (dict(infile=tls, seconds=1, flowshark_path=os.path.join(self.tmp, "none")),
                 flowshark.FlowsharkNotFoundError)):
            with self.subTest(**{k: v for k, v in kwargs.items() if k != "infile"}):
                with self.assertRaises(error) as cm:
                    flowshark.windows(**kwargs)
                if error is flowshark.FlowsharkUsageError:
                    self.assertIsInstance(cm.exception, ValueError)
                    self.assertEqual(cm.exception.returncode, 1)
        with self.assertRaises(flowshark.FlowsharkError) as cm:
            flowshark.windows(records=not_records, seconds=1)
        self.assertIn("not-records.jsonl:1: not a flow record", str(cm.exception))
        self.assertEqual(cm.exception.returncode, 3)


class TestStreaming(FlowsharkTestCase):
    def setUp(self):
        super().setUp()
        out = subprocess.run([FLOWSHARK, "-r", NOISE], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        # Far more than a pipe buffer (64 KiB) plus the reader's buffer: the
        # process cannot finish before most of its output has been read.
        self.assertGreater(len(out), 4 * 65536)
        self.n_records = len(out.splitlines())

    def test_first_flow_before_process_ends(self):
        it = flowshark.flows(NOISE)
        first = next(it)
        self.assertIsInstance(first, flowshark.Flow)
        time.sleep(0.5)
        # flowshark is blocked writing into the full pipe: still running.
        # A reader that collected all output before yielding would see it
        # ended here.
        self.assertIsNone(it.process.poll())
        rest = list(it)
        self.assertEqual(1 + len(rest), self.n_records)
        self.assertEqual(it.process.returncode, 0)
        self.assertTrue(reaped(it.process.pid))

    def test_close_stops_and_reaps(self):
        it = flowshark.flows(NOISE)
        next(it)
        proc = it.process
        self.assertIsNone(proc.poll())
        it.close()
        self.assertIsNotNone(proc.returncode)
        self.assertTrue(reaped(proc.pid))
        self.assertFalse(it._stderr_thread.is_alive())
        self.assertTrue(proc.stdout.closed)
        with self.assertRaises(StopIteration):
            next(it)
        it.close()  # twice is fine

    def test_abandoned_in_for_loop(self):
        it = flowshark.flows(NOISE)
        proc = it.process
        for _ in it:
            break
        self.assertIsNone(proc.poll())
        del it
        gc.collect()
        self.assertIsNotNone(proc.returncode)
        self.assertTrue(reaped(proc.pid))

    def test_with_block(self):
        with flowshark.flows(NOISE) as it:
            next(it)
            proc = it.process
        self.assertIsNotNone(proc.returncode)
        self.assertTrue(reaped(proc.pid))


class TestPandas(FlowsharkTestCase):
    def test_to_pandas(self):
        need_pandas(self)
        path = sample("dnscrypt-v2-doh.pcap")
        records, _ = run_direct(path, ["-e", SNI])
        df = flowshark.to_pandas(path, extension=SNI)
        self.assertEqual(len(df), len(records))
        self.assertEqual(list(df.columns), list(fs_extractor.RECORD_KEYS))
        for row in df.to_dict("records"):
            r = records[(row["file"], row["protocol"], str(row["stream"]))]
            for key in fs_extractor.RECORD_KEYS:
                if key == "extension":
                    self.assertEqual(row[key], {f: [tuple(p) for p in v]
                                                for f, v in r[key].items()})
                else:
                    self.assertEqual(row[key], r[key], key)
        extra = flowshark.to_pandas(path, max_packets=3)
        self.assertIn("packets_total", extra.columns)

    def test_to_pandas_without_pandas(self):
        saved = sys.modules.get("pandas")
        sys.modules["pandas"] = None  # makes "import pandas" raise ImportError
        try:
            with self.assertRaises(ImportError) as cm:
                flowshark.to_pandas(sample("tls.pcap"))
            with self.assertRaises(ImportError) as cm_windows:
                flowshark.windows(sample("tls.pcap"), seconds=1)
        finally:
            if saved is None:
                del sys.modules["pandas"]
            else:
                sys.modules["pandas"] = saved
        self.assertIn("needs pandas", str(cm.exception))
        self.assertIn("python3-pandas", str(cm.exception))
        self.assertIn("flowshark.windows needs pandas", str(cm_windows.exception))


class TestExample(FlowsharkTestCase):
    def test_flowcontainer_example(self):
        script = os.path.join(ROOT, "python", "examples", "flowcontainer_example.py")
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
        out = subprocess.run([sys.executable, script, sample("tls.pcap")], env=env,
                             stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
        self.assertIn("sni: play.googleapis.com (packet 3, client->server)", out)
        self.assertIn("sni: www.google.com.br (packet 3, client->server)", out)
        self.assertTrue(out.endswith("2 flows\n"))
        with open(script) as f:
            code = [line for line in f if "flowshark" in line and not line.startswith((" ", "\""))]
        self.assertEqual(code, ["from flowshark.extractor import extract\n"])


class TestEnvironment(unittest.TestCase):
    """The suite itself: skips outside CI, failures in CI; .gitignore."""

    def run_self(self, test, env):
        """Runs one test of this file in a child interpreter: (status, output)."""
        env = dict(env, PYTHONDONTWRITEBYTECODE="1")
        for name in ("CI", "FS_REQUIRE_PANDAS"):
            env.setdefault(name, "")
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "-v", test], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        return proc.returncode, proc.stdout

    def test_missing_program_fails_in_ci(self):
        empty = tempfile.mkdtemp()
        try:
            env = dict(os.environ, FLOWSHARK=os.path.join(empty, "flowshark"), PATH=empty)
            status, out = self.run_self("TestRecords.test_main_ip", dict(env, CI="true"))
            self.assertNotEqual(status, 0, out)
            self.assertIn("no flowshark program", out)
            self.assertIn("FAILED (failures=1)", out)
            status, out = self.run_self("TestRecords.test_main_ip", dict(env, CI=""))
            self.assertEqual(status, 0, out)
            self.assertIn("OK (skipped=1)", out)
        finally:
            shutil.rmtree(empty)

    def test_missing_pandas_fails_when_required(self):
        blocker = tempfile.mkdtemp()
        try:
            with open(os.path.join(blocker, "pandas.py"), "w") as f:
                f.write('raise ImportError("pandas hidden by the test")\n')
            # The pandas check comes first, so any executable does as flowshark.
            env = dict(os.environ, FLOWSHARK=shutil.which("true") or "/bin/true",
                       PYTHONPATH=os.pathsep.join([blocker, os.path.join(ROOT, "python")]))
            for ci, require, fails in (("true", "1", True), ("true", "", False),
                                       ("", "1", False)):
                with self.subTest(CI=ci, FS_REQUIRE_PANDAS=require):
                    status, out = self.run_self(
                        "TestPandas.test_to_pandas", dict(env, CI=ci, FS_REQUIRE_PANDAS=require))
                    self.assertIn("pandas is not installed", out)
                    if fails:
                        self.assertNotEqual(status, 0, out)
                        self.assertIn("FAILED (failures=1)", out)
                    else:
                        self.assertEqual(status, 0, out)
                        self.assertIn("OK (skipped=1)", out)
        finally:
            shutil.rmtree(blocker)

    def test_pip_leftovers_are_ignored(self):
        """pip install ./python leaves python/build/ and *.egg-info behind."""
        git = shutil.which("git")
        if not git or not os.path.exists(os.path.join(ROOT, ".git")):
            self.skipTest("not a git work tree")
        paths = ["python/build/lib/flowshark/__init__.py",
                 "python/flowshark.egg-info/PKG-INFO", "python/dist/flowshark-0.1.0.tar.gz"]
        proc = subprocess.run([git, "check-ignore", "--no-index"] + paths, cwd=ROOT,
                              stdout=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(proc.stdout.splitlines(), paths)


if __name__ == "__main__":
    unittest.main()
