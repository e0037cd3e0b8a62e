#!/usr/bin/env python3
"""-T sqlite against -T jsonl (Python standard library only).

Runs flowshark over the samples with -T jsonl and with -T sqlite -w DB, the
same options otherwise, reads the database back with Python's sqlite3 and
checks that it holds exactly the JSON Lines records of the run: every key
in order (from runs.record_keys), every value with its type (arrays and
objects parsed from their JSON text, floats compared as parsed floats),
every extension value in order; and one captures row per capture, one runs
row per run. Then: -j 2 over the samples folder; two runs appended to one
database; a run interrupted by SIGINT while it reads a FIFO (a valid
database, the captures it finished, the run marked interrupted); the
sqlite3 command-line tool reading a database; a file that is not a
flowshark database refused and left as it is; the SQL and the Python
example of doc/sqlite.md run against a real database.

Usage: test_sqlite.py --flowshark BIN --samples DIR [unittest options]
"""
import argparse
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# The FIFO helpers of the command-line tests (wait_for, unread_bytes,
# blocked_reading, children): one copy of the /proc polling.
sys.path.insert(0, os.path.join(HERE, "..", "cli"))
import test_cli  # noqa: E402

DOC = os.path.join(HERE, "..", "..", "doc", "sqlite.md")
FLOWSHARK = None
SAMPLES = None

EXIT_OK, EXIT_TRUNCATED, EXIT_OUTPUT, EXIT_INTERRUPTED = 0, 2, 6, 8

OPTION_SETS = [
    [],
    ["--stats", "--ndpi", "-e", "dns.qry.name", "-e", "tls.handshake.extensions_server_name"],
    ["--keep-empty", "--label", "x"],
]


def samples():
    return sorted(glob.glob(os.path.join(SAMPLES, "*.pcap"))
                  + glob.glob(os.path.join(SAMPLES, "*.pcapng")))


def sample(name):
    return os.path.join(SAMPLES, name)


def run(args, statuses=(EXIT_OK, EXIT_TRUNCATED)):
    """Runs flowshark; returns (status, stdout, stderr); the status must be
    one of `statuses`."""
    p = subprocess.run([FLOWSHARK, *args], capture_output=True, timeout=900)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in statuses:
        raise AssertionError(f"{args}: exit {p.returncode}: {err[-500:]}")
    return p.returncode, p.stdout.decode("utf-8"), err


def jsonl(args):
    status, out, _ = run(args + ["-T", "jsonl"])
    return status, [json.loads(line) for line in out.splitlines()]


def same(a, b):
    """a and b are equal with the same types, dicts with the same keys in
    the same order (a float equals a float of the same value)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def first_difference(want, got):
    """A short description of where record `got` differs from `want`."""
    if list(want) != list(got):
        return f"keys {list(want)} != {list(got)}"
    for k in want:
        if not same(want[k], got[k]):
            return f"{k}: jsonl {want[k]!r}, sqlite {got[k]!r}"
    return "?"


class Database:
    """A flowshark database read back: its runs, each with its captures in
    order, each with its records rebuilt in the order of their keys."""

    def __init__(self, path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def close(self):
        self.db.close()

    def runs(self):
        cur = self.db.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def captures(self, run):
        cur = self.db.execute("SELECT * FROM captures WHERE run = ? ORDER BY id", (run,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def records(self, run, like):
        """The records of run `run` as (capture id, record): the columns of
        its keys in order, JSON text parsed where the JSON Lines record
        `like` (of the same index) has an array or object, the extension
        object rebuilt from its rows."""
        keys = json.loads(self.db.execute("SELECT record_keys FROM runs WHERE id = ?",
                                          (run,)).fetchone()[0])
        columns = [k for k in keys if k != "extension"]
        select = ", ".join('f."%s"' % k.replace('"', '""') for k in columns)
        rows = self.db.execute(f"""SELECT f.id, f.capture, {select} FROM flows f
                                   JOIN captures c ON f.capture = c.id
                                   WHERE c.run = ? ORDER BY f.id""", (run,)).fetchall()
        got = []
        for i, (flow, capture, *values) in enumerate(rows):
            model = like[i] if i < len(like) else {}
            row = dict(zip(columns, values))
            extension = {}
            for field, value, packet in self.db.execute(
                    "SELECT field, value, packet FROM extension WHERE flow = ? ORDER BY id",
                    (flow,)):
                extension.setdefault(field, []).append([value, packet])
            record = {}
            for k in keys:
                if k == "extension":
                    record[k] = extension
                elif isinstance(model.get(k), (list, dict)) and row[k] is not None:
                    record[k] = json.loads(row[k])
                else:
                    record[k] = row[k]
            got.append((capture, record))
        return got


class SqliteCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="fs-sqlite-")
        self.db_path = os.path.join(self.tmp.name, "flows.db")

    def tearDown(self):
        self.tmp.cleanup()

    def sqlite_run(self, args, statuses=(EXIT_OK, EXIT_TRUNCATED)):
        return run(args + ["-T", "sqlite", "-w", self.db_path], statuses)

    def check_run(self, db, run_row, captures, want, label=None):
        """The run's captures are `captures` (paths, in order) and its
        records are exactly `want` (JSON Lines records), each under the
        capture of its file."""
        rows = db.captures(run_row["id"])
        self.assertEqual([c["path"] for c in rows], captures)
        got = db.records(run_row["id"], want)
        self.assertEqual(len(got), len(want))
        for i, (w, (capture, g)) in enumerate(zip(want, got)):
            self.assertTrue(same(w, g), f"record {i} ({w['file']} {w['protocol']} "
                            f"{w['stream']}): {first_difference(w, g)}")
        by_id = {c["id"]: c for c in rows}
        for w, (capture, _) in zip(want, got):
            self.assertEqual(by_id[capture]["path"], w["file"])
        for c in rows:
            self.assertEqual(c["flows"], sum(1 for w in want if w["file"] == c["path"]), c)
            self.assertEqual(c["size"], os.path.getsize(c["path"]))
            self.assertEqual(c["label"], label)
            self.assertGreater(c["packets"], 0, c)
            if os.path.basename(c["path"]) == "signal-truncated.pcap":
                self.assertEqual(c["status"], "truncated")
                self.assertIn("cut short", c["error"])
            else:
                self.assertEqual((c["status"], c["error"]), ("ok", None), c["path"])


class SamplesMatchJsonl(SqliteCase):
    def test_every_sample_with_each_option_set(self):
        paths = samples()
        for options in OPTION_SETS:
            with self.subTest(options=options):
                if os.path.exists(self.db_path):
                    os.unlink(self.db_path)
                status, want = jsonl(paths + options)
                self.assertGreater(len(want), 1000)
                sql_status, _, _ = self.sqlite_run(paths + options)
                self.assertEqual(sql_status, status)
                db = Database(self.db_path)
                try:
                    (run_row,) = db.runs()
                    self.assertEqual(run_row["status"], "truncated")  # signal-truncated.pcap
                    self.assertIsNotNone(run_row["finished"])
                    self.assertGreaterEqual(run_row["finished"], run_row["started"])
                    self.assertRegex(run_row["started"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
                    self.assertIn("-T sqlite", run_row["command_line"])
                    self.assertTrue(run_row["flowshark_version"])
                    self.assertTrue(run_row["libwireshark_version"])
                    self.assertIsNone(run_row["note"])
                    self.assertEqual(json.loads(run_row["record_keys"]), list(want[0]))
                    self.check_run(db, run_row, paths, want,
                                   label="x" if "--label" in options else None)
                    self.assertEqual(db.db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                    self.assertEqual(db.db.execute("PRAGMA foreign_key_check").fetchall(), [])
                finally:
                    db.close()

    def test_folder_with_two_workers(self):
        args = ["-j", "2", "-r", SAMPLES, "-e", "dns.qry.name"]
        status, want = jsonl(args)
        self.assertEqual(self.sqlite_run(args)[0], status)
        db = Database(self.db_path)
        try:
            (run_row,) = db.runs()
            self.check_run(db, run_row, [c["path"] for c in db.captures(run_row["id"])], want)
            self.assertEqual(sorted(c["path"] for c in db.captures(run_row["id"])), samples())
        finally:
            db.close()


class Appending(SqliteCase):
    def test_two_runs_in_one_database(self):
        first = [sample("tls.pcap"), sample("ssh.pcap")]
        second = [sample("dnscrypt-v2-doh.pcap")]
        second_options = ["--stats", "--note", "day 2"]
        _, want1 = jsonl(first)
        _, want2 = jsonl(second + ["--stats"])
        self.sqlite_run(first)
        self.sqlite_run(second + second_options)
        db = Database(self.db_path)
        try:
            run1, run2 = db.runs()
            self.assertEqual((run1["id"], run1["status"], run1["note"]), (1, "ok", None))
            self.assertEqual((run2["id"], run2["status"], run2["note"]), (2, "ok", "day 2"))
            self.check_run(db, run1, first, want1)
            self.check_run(db, run2, second, want2)
            # The second run added the --stats columns; the first run's
            # rows have NULL there.
            columns = [r[1] for r in db.db.execute("PRAGMA table_info(flows)")]
            stats_keys = [k for k in want2[0] if k not in want1[0]]
            self.assertIn("bidirectional_packets", stats_keys)
            self.assertEqual(columns, ["id", "capture"]
                             + [k for k in want1[0] if k != "extension"] + stats_keys)
            nulls = db.db.execute("""SELECT count(*) FROM flows f JOIN captures c
                                     ON f.capture = c.id WHERE c.run = 1
                                     AND f.bidirectional_packets IS NULL""").fetchone()[0]
            self.assertEqual(nulls, len(want1))
        finally:
            db.close()


class Interrupted(SqliteCase):
    """tls.pcap, a FIFO fed half of a capture and kept open, ssh.pcap; SIGINT
    once the FIFO's reader waits for more (and, with parallel workers, the
    other workers are done). With -j 1 ssh.pcap is not read; with -j 3 it
    is, and its records (a tape) come after the FIFO's."""

    def interrupted_run(self, jobs):
        fifo = os.path.join(self.tmp.name, "live.pcap")
        os.mkfifo(fifo)
        with open(sample("1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        part = data[:len(data) // 2]  # ends inside a packet
        args = ["-j", str(jobs), "-r", sample("tls.pcap"), "-r", fifo, "-r", sample("ssh.pcap"),
                "-T", "sqlite", "-w", self.db_path]
        proc = subprocess.Popen([FLOWSHARK, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        fd = None
        try:
            out, err = [], []
            readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()))
                       for s, b in ((proc.stdout, out), (proc.stderr, err))]
            for t in readers:
                t.start()

            def fifo_opened():
                nonlocal fd
                self.assertIsNone(proc.poll(), "flowshark ended before reading the FIFO")
                try:
                    fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    return False
                return True

            test_cli.wait_for(fifo_opened, "the FIFO is opened for reading")
            os.set_blocking(fd, True)
            os.write(fd, part)  # a FIFO holds 64 KiB: this waits for the reader
            reader = None

            def reader_waits():
                nonlocal reader
                if test_cli.unread_bytes(fd):
                    return False
                for pid in [proc.pid] + test_cli.children(proc.pid):
                    if test_cli.blocked_reading(pid, fifo):
                        reader = pid
                        return True
                return False

            test_cli.wait_for(reader_waits, "the FIFO's reader has read it all and waits for more")
            test_cli.wait_for(lambda: reader == proc.pid or all(
                test_cli.state(c) in ("Z", "gone")
                for c in test_cli.children(proc.pid) if c != reader),
                "the other workers are done")
            os.kill(proc.pid, signal.SIGINT)
            status = proc.wait(timeout=60)
            for t in readers:
                t.join()
        finally:
            if fd is not None:
                os.close(fd)
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(status, EXIT_INTERRUPTED, err[0].decode("utf-8", "replace"))
        self.assertEqual(out[0], b"")
        # The records of the FIFO: those of a capture that simply ends there.
        p = subprocess.run([FLOWSHARK, "-r", "-"], input=part, capture_output=True)
        self.assertEqual(p.returncode, EXIT_TRUNCATED)
        want_fifo = [json.loads(line) for line in p.stdout.decode().splitlines()]
        self.assertGreater(len(want_fifo), 0)
        for record in want_fifo:
            record["file"] = fifo
        return fifo, want_fifo

    def check_database(self, read):
        """The database holds the captures `read` ((path, status, records)
        in order), the run is marked interrupted, and the sqlite3 tool
        reads it."""
        db = Database(self.db_path)
        try:
            self.assertEqual(db.db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            (run_row,) = db.runs()
            self.assertEqual(run_row["status"], "interrupted")
            self.assertIsNotNone(run_row["finished"])
            captures = db.captures(run_row["id"])
            self.assertEqual([(c["path"], c["status"], c["flows"]) for c in captures],
                             [(path, status, len(want)) for path, status, want in read])
            want = [r for _, _, records in read for r in records]
            got = db.records(run_row["id"], want)
            self.assertEqual(len(got), len(want))
            for w, (_, g) in zip(want, got):
                self.assertTrue(same(w, g), first_difference(w, g))
        finally:
            db.close()
        tool = shutil.which("sqlite3")
        self.assertIsNotNone(tool, "the sqlite3 command-line tool (Debian's sqlite3) is missing")
        p = subprocess.run([tool, "-batch", "-readonly", self.db_path,
                            "PRAGMA integrity_check; SELECT status FROM runs; "
                            "SELECT count(*) FROM flows;"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), ["ok", "interrupted", str(len(want))])

    def test_sigint_one_worker(self):
        fifo, want_fifo = self.interrupted_run(1)
        _, want_tls = jsonl(["-r", sample("tls.pcap")])
        self.check_database([(sample("tls.pcap"), "ok", want_tls),
                             (fifo, "interrupted", want_fifo)])

    def test_sigint_parallel_workers(self):
        fifo, want_fifo = self.interrupted_run(3)
        _, want_tls = jsonl(["-r", sample("tls.pcap")])
        _, want_ssh = jsonl(["-r", sample("ssh.pcap")])
        self.check_database([(sample("tls.pcap"), "ok", want_tls),
                             (fifo, "interrupted", want_fifo),
                             (sample("ssh.pcap"), "ok", want_ssh)])


class CommandLineTool(SqliteCase):
    def test_sqlite3_reads_what_python_reads(self):
        args = [sample("tls.pcap"), sample("dnscrypt-v2-doh.pcap"),
                "-e", "tls.handshake.extensions_server_name"]
        self.sqlite_run(args)
        tool = shutil.which("sqlite3")
        self.assertIsNotNone(tool, "the sqlite3 command-line tool (Debian's sqlite3) is missing")
        query = ("SELECT f.file, f.stream, f.dst, e.value FROM extension e "
                 "JOIN flows f ON e.flow = f.id ORDER BY e.id")
        p = subprocess.run([tool, "-batch", "-readonly", "-json", self.db_path, query],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        from_tool = [list(row.values()) for row in json.loads(p.stdout)]
        db = Database(self.db_path)
        try:
            from_python = [list(row) for row in db.db.execute(query)]
        finally:
            db.close()
        self.assertGreater(len(from_python), 1)
        self.assertEqual(from_tool, from_python)
        self.assertIn([sample("dnscrypt-v2-doh.pcap"), 0, "139.99.222.72", "doh-2.seby.io"],
                      from_tool)


class Refused(SqliteCase):
    def test_not_a_flowshark_database_is_left_as_it_is(self):
        _, jsonl_text, _ = run([sample("tls.pcap"), "-T", "jsonl"])
        foreign = os.path.join(self.tmp.name, "other.db")
        with sqlite3.connect(foreign) as db:
            db.execute("CREATE TABLE flows (x)")
        for path, content, message in (
                (self.db_path, jsonl_text.encode(), "is not an SQLite database"),
                (foreign, None, "not flowshark's")):
            with self.subTest(path=path):
                if content is not None:
                    with open(path, "wb") as f:
                        f.write(content)
                with open(path, "rb") as f:
                    before = f.read()
                listing = sorted(os.listdir(self.tmp.name))
                _, out, err = run([sample("tls.pcap"), "-T", "sqlite", "-w", path],
                                  statuses=(EXIT_OUTPUT,))
                self.assertEqual(out, "")
                self.assertIn(path, err)
                self.assertIn(message, err)
                with open(path, "rb") as f:
                    self.assertEqual(f.read(), before)
                self.assertEqual(sorted(os.listdir(self.tmp.name)), listing)


class Documentation(SqliteCase):
    def test_doc_queries_and_example(self):
        """Every SQL block of doc/sqlite.md runs on a real database, and its
        Python example prints exactly the last run's JSON Lines records."""
        with open(DOC) as f:
            doc = f.read()
        blocks = re.findall(r"```(sql|python)\n(.*?)```", doc, re.S)
        queries = [text for kind, text in blocks if kind == "sql"]
        (example,) = [text for kind, text in blocks
                      if kind == "python" and "record_keys" in text]
        self.assertGreaterEqual(len(queries), 5)
        self.sqlite_run([sample("tls.pcap"), "--label", "web"])
        args = [sample("tls.pcap"), sample("dnscrypt-v2-doh.pcap"), "--stats", "--splt", "3",
                "-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.ciphersuite"]
        _, want = jsonl(args)
        self.sqlite_run(args)
        db = sqlite3.connect(self.db_path)
        try:
            for query in queries:
                with self.subTest(query=query.splitlines()[0]):
                    db.execute(query).fetchall()
            # The server names query gives every server name value of the run.
            names = [v for r in want
                     for v, _ in r["extension"].get("tls.handshake.extensions_server_name", [])]
            self.assertEqual(sorted(row[-1] for row in db.execute(queries[3])), sorted(names))
        finally:
            db.close()
        p = subprocess.run([sys.executable, "-c", example], cwd=self.tmp.name,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(len(got), len(want))
        for w, g in zip(want, got):
            self.assertTrue(same(w, g), first_difference(w, g))


def main():
    global FLOWSHARK, SAMPLES
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    args, rest = parser.parse_known_args()
    FLOWSHARK = os.path.abspath(args.flowshark)
    SAMPLES = os.path.abspath(args.samples)
    test_cli.FLOWSHARK, test_cli.SAMPLES = FLOWSHARK, SAMPLES
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
