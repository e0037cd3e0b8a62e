#!/usr/bin/env python3
"""Datasets: folders of captures, plain arguments and --files-from lists,
labels, --output-dir with --resume, the progress line on a terminal and the
summary line. The oracle is flowshark itself run on each capture alone (whose
records the e2e suite compares with tshark): a run over many captures must
give exactly the records of its captures run one by one, in walk order."""
import argparse
import json
import os
import pty
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

FLOWSHARK = SAMPLES = None
EXIT_OK, EXIT_TRUNCATED, EXIT_OPEN = 0, 2, 3

# Small samples, copied into class folders (names chosen so that the walk's
# order, by byte value, differs from the order of the list below).
CLASSES = {"video": ["tls.pcap", "ssh.pcap"], "Chat": ["dlt_ppp.pcap"],
           "dns/doh": ["dnscrypt-v2-doh.pcap"]}


def run(*args, stdin=None, quiet=True, timeout=300):
    args = ("-q", *args) if quiet else args
    proc = subprocess.run([FLOWSHARK, *args], input=stdin, capture_output=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode("utf-8", "replace")


def records(text):
    return [json.loads(line) for line in text.splitlines()]


def alone(path, *extra):
    """The records of one capture run by itself."""
    status, out, err = run(path, *extra)
    assert status in (EXIT_OK, EXIT_TRUNCATED), (path, status, err)
    return records(out)


class Dataset(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "dataset")
        self.paths = []
        for folder, names in CLASSES.items():
            os.makedirs(os.path.join(self.root, folder))
            for name in names:
                dst = os.path.join(self.root, folder, name)
                shutil.copy(os.path.join(SAMPLES, name), dst)
        # A capture right in the top folder (no folder level: label null),
        # a text file, a hidden file and a file named by extension only.
        shutil.copy(os.path.join(SAMPLES, "ajp.pcap"), os.path.join(self.root, "top.pcap"))
        with open(os.path.join(self.root, "video", "README.txt"), "w") as f:
            f.write("Captures of video apps, recorded on a phone, 2026.\n" * 3)
        with open(os.path.join(self.root, "Chat", "fake.pcap"), "w") as f:
            f.write("not a capture: the walk goes by content, not by name\n" * 3)
        shutil.copy(os.path.join(SAMPLES, "tls.pcap"), os.path.join(self.root, ".hidden.pcap"))

    def tearDown(self):
        self.tmp.cleanup()

    def walk_order(self):
        """The captures the walk must find, in its order: names sorted by
        byte value at each level, hidden names left out."""
        found = []

        def walk(d):
            for name in sorted(os.listdir(d)):
                if name.startswith("."):
                    continue
                p = os.path.join(d, name)
                if os.path.isdir(p):
                    walk(p)
                elif name.endswith(".pcap") and name != "fake.pcap":
                    found.append(p)
        walk(self.root)
        return found

    def expected(self, paths, label=None):
        want = []
        for p in paths:
            for r in alone(p):
                if label is not None:
                    r["label"] = label(p)
                want.append(r)
        return want

    def folder_label(self, path):
        rel = os.path.relpath(path, self.root)
        return rel.split("/")[0] if "/" in rel else None

    def test_folder_with_workers_equals_each_capture_alone(self):
        paths = self.walk_order()
        self.assertEqual(len(paths), 5)
        want = self.expected(paths, self.folder_label)
        for jobs in ("1", "2"):
            with self.subTest(jobs=jobs):
                status, out, err = run("-r", self.root, "-j", jobs, "--label-from-dir",
                                       quiet=False)
                self.assertEqual(status, EXIT_OK, err)
                self.assertEqual(records(out), want)
                self.assertEqual({r["label"] for r in records(out)},
                                 {"video", "Chat", "dns", None})
                # The summary: captures, the other files (by content), totals.
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                m = re.fullmatch(r"flowshark: 5 captures: 5 ok, 0 failed, 0 skipped; "
                                 r"2 other files \((.*)\); (\d+) packets, (\d+) flows; "
                                 r"\d+\.\d s", lines[0])
                self.assertIsNotNone(m, lines[0])
                self.assertEqual(sorted(m.group(1).split(", ")),
                                 sorted([os.path.join(self.root, "Chat", "fake.pcap"),
                                         os.path.join(self.root, "video", "README.txt")]))
                self.assertEqual(int(m.group(3)), len(want))

    def test_plain_arguments_and_lists(self):
        paths = self.walk_order()
        want = self.expected(paths)
        status, out, err = run(*paths)
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertEqual(records(out), want)
        status, out, err = run("-r", paths[0], *paths[1:], "-j", "2")
        self.assertEqual(records(out), want)
        listing = os.path.join(self.tmp.name, "list.txt")
        with open(listing, "w") as f:
            # Blank lines and CRLF line ends are fine.
            f.write("\r\n".join(paths[:2]) + "\n\n" + "\n".join(paths[2:]) + "\n")
        status, out, err = run("--files-from", listing)
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertEqual(records(out), want)
        status, out, err = run("--files-from", "-", stdin="\n".join(paths).encode())
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertEqual(records(out), want)
        # A list that names the folder: walked like -r.
        status, out, _ = run("--files-from", "-", stdin=self.root.encode())
        self.assertEqual(records(out), want)
        status, out, err = run("--files-from", os.path.join(self.tmp.name, "missing.txt"))
        self.assertEqual(status, 1)
        self.assertIn("missing.txt", err)

    def test_failures_are_counted_and_never_stop_the_others(self):
        paths = self.walk_order()
        # A damaged capture (cut short in a packet) and a file named directly
        # that is no capture, among good ones.
        cut = os.path.join(self.tmp.name, "cut.pcap")
        with open(os.path.join(SAMPLES, "dnscrypt-v2-doh.pcap"), "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:len(data) // 2])
        bogus = os.path.join(self.root, "Chat", "fake.pcap")
        args = [paths[0], bogus, cut, paths[1], "/nonexistent/x.pcap", paths[2]]
        want = self.expected([paths[0], cut, paths[1], paths[2]])
        for jobs in ("1", "2"):
            with self.subTest(jobs=jobs):
                status, out, err = run(*args, "-j", jobs, quiet=False)
                self.assertEqual(records(out), want)
                self.assertEqual(status, EXIT_OPEN, err)  # the worst: not readable
                lines = err.splitlines()
                self.assertRegex(lines[-1], r"^flowshark: 6 captures: 3 ok, 1 truncated, "
                                            r"2 failed, 0 skipped; ")
                self.assertEqual(sum(bogus in l for l in lines[:-1]), 1, err)
                self.assertEqual(sum("/nonexistent/x.pcap" in l for l in lines[:-1]), 1, err)
                self.assertEqual(sum(cut in l for l in lines[:-1]), 1, err)

    def test_labels(self):
        paths = self.walk_order()
        status, out, _ = run("-r", self.root, "--label", "batch-7")
        self.assertEqual(status, EXIT_OK)
        got = records(out)
        self.assertTrue(got and all(r["label"] == "batch-7" for r in got))
        self.assertEqual(list(got[0])[-1], "label")
        # A capture named directly: its own folder; with --root, the first
        # folder below the root, as the walk gives.
        doh = os.path.join(self.root, "dns", "doh", "dnscrypt-v2-doh.pcap")
        _, out, _ = run(doh, "--label-from-dir")
        self.assertEqual({r["label"] for r in records(out)}, {"doh"})
        _, out, _ = run(doh, "--label-from-dir", "--root", self.root)
        self.assertEqual({r["label"] for r in records(out)}, {"dns"})
        # Without a label option there is no label key.
        _, out, _ = run(paths[0])
        self.assertNotIn("label", records(out)[0])

    def test_list(self):
        # --list: the captures a run would read, in its order, and nothing else.
        paths = self.walk_order()
        status, out, err = run("--list", "-r", self.root)
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertEqual(out.splitlines(), paths)
        status, out, _ = run("--list", "--files-from", "-", stdin="\n".join(paths[::-1]).encode())
        self.assertEqual(out.splitlines(), paths[::-1])

    def test_no_captures(self):
        empty = os.path.join(self.tmp.name, "empty")
        os.makedirs(empty)
        status, out, err = run("-r", empty)
        self.assertEqual((status, out, err), (EXIT_OPEN, "", "flowshark: no captures found\n"))


class OutputDir(unittest.TestCase):
    """--output-dir mirrors the tree; --resume picks up a killed run."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "dataset")
        for folder, names in CLASSES.items():
            os.makedirs(os.path.join(self.root, folder))
            for name in names:
                shutil.copy(os.path.join(SAMPLES, name), os.path.join(self.root, folder, name))

    def tearDown(self):
        self.tmp.cleanup()

    def outputs(self, out_dir):
        """{relative path: content} of the finished outputs."""
        got = {}
        for d, _, names in os.walk(out_dir):
            for name in names:
                p = os.path.join(d, name)
                with open(p, newline="") as f:  # CSV rows end in CRLF
                    got[os.path.relpath(p, out_dir)] = f.read()
        return got

    def test_mirrors_the_tree_in_each_format(self):
        for fmt, ext in (("jsonl", "jsonl"), ("csv", "csv")):
            with self.subTest(fmt=fmt):
                out_dir = os.path.join(self.tmp.name, "out-" + fmt)
                status, out, err = run("-r", self.root, "--output-dir", out_dir, "-T", fmt,
                                       "-j", "2")
                self.assertEqual((status, out, err), (EXIT_OK, "", ""))
                got = self.outputs(out_dir)
                want = {}
                for folder, names in CLASSES.items():
                    for name in names:
                        src = os.path.join(self.root, folder, name)
                        _, text, _ = run(src, "-T", fmt)
                        want[f"{folder}/{name}.{ext}"] = text
                self.assertEqual(got, want)

    def test_killed_run_resumed_gives_the_full_run(self):
        full = os.path.join(self.tmp.name, "full")
        status, _, err = run("-r", self.root, "--output-dir", full, "--label-from-dir")
        self.assertEqual(status, EXIT_OK, err)
        # The same captures from a list whose last entry is a FIFO, named
        # below --root as if found by the walk: its worker blocks on it,
        # then the whole run is killed (SIGKILL: no chance to clean up).
        walk = sorted(os.path.join(self.root, f, n) for f, ns in CLASSES.items() for n in ns)
        last = walk[-1]
        saved = os.path.join(self.tmp.name, "saved.pcap")
        shutil.move(last, saved)
        os.mkfifo(last)
        listing = os.path.join(self.tmp.name, "list.txt")
        with open(listing, "w") as f:
            f.write("\n".join(walk) + "\n")
        part = os.path.join(self.tmp.name, "part")
        args = ["-q", "--files-from", listing, "--root", self.root, "--output-dir", part,
                "--label-from-dir", "-j", "1"]
        proc = subprocess.Popen([FLOWSHARK, *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            fd = os.open(last, os.O_WRONLY)  # waits for the worker to open it
            with open(saved, "rb") as f:
                os.write(fd, f.read(4096))   # the header and a few packets
            deadline = time.monotonic() + 60
            while len(self.outputs(part)) < len(walk) - 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            os.close(fd)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        done = {k: v for k, v in self.outputs(part).items() if ".tmp-" not in k}
        self.assertEqual(len(done), len(walk) - 1)
        self.assertNotIn(os.path.relpath(last, self.root) + ".jsonl", done)
        # Resume with the capture back in place: only it is read.
        os.unlink(last)
        shutil.move(saved, last)
        status, out, err = run(*args[1:], "--resume", quiet=False)
        self.assertEqual(status, EXIT_OK, err)
        self.assertRegex(err, rf"^flowshark: {len(walk)} captures: 1 ok, 0 failed, "
                              rf"{len(walk) - 1} skipped; ")
        got = {k: v for k, v in self.outputs(part).items() if ".tmp-" not in k}
        self.assertEqual(got, self.outputs(full))

    def test_name_clash_is_refused(self):
        a = os.path.join(self.root, "video", "tls.pcap")
        b = os.path.join(self.tmp.name, "tls.pcap")
        shutil.copy(a, b)
        status, out, err = run(a, b, "--output-dir", os.path.join(self.tmp.name, "o"))
        self.assertEqual((status, out), (1, ""))
        self.assertIn("would both write tls.pcap", err)


class Terminal(unittest.TestCase):
    def test_progress_on_a_terminal_never_on_stdout(self):
        """Standard error a pseudo-terminal, standard input fed in two parts
        a second apart: one line kept up to date with \\r, cleared at the end,
        then the summary; standard output holds records only."""
        with open(os.path.join(SAMPLES, "1592993485_noise.pcap"), "rb") as f:
            data = f.read()
        master, slave = pty.openpty()
        proc = subprocess.Popen([FLOWSHARK, "-r", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        chunks = []

        def drain(timeout):
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        chunks.append(os.read(master, 65536))
                    except OSError:
                        return
        try:
            proc.stdin.write(data[:len(data) // 3])
            proc.stdin.flush()
            drain(1.3)
            proc.stdin.write(data[len(data) // 3:])
            proc.stdin.close()
            out = proc.stdout.read()
            proc.wait(timeout=120)
            drain(0.3)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
        self.assertEqual(proc.returncode, EXIT_OK)
        text = b"".join(chunks).decode()
        self.assertRegex(text, r"\rflowshark: 0/1 captures, \d+ packets, \d+\.\d MB, "
                               r"\d+\.\d MB/s, 0:0\d\x1b\[K")
        self.assertIn("\r\x1b[K", text)
        self.assertRegex(text, r"flowshark: 1 capture: 1 ok, 0 failed, 0 skipped; \d+ packets, "
                               r"\d+ flows; \d+\.\d s\r?\n$")
        got = records(out.decode())
        self.assertEqual(got, records(run("-r", "-", stdin=data)[1]))


class TerminalWorkers(unittest.TestCase):
    def test_one_line_with_workers(self):
        """-j 2 over a folder and a FIFO that gives its capture only after
        2.5 s (so that the run lasts long enough to draw, however fast the
        machine): only the process that started the run draws, at most once
        a second, each draw one whole line; the summary follows an erased
        line."""
        with tempfile.TemporaryDirectory() as d:
            folder = os.path.join(d, "folder")
            os.makedirs(folder)
            for i in range(3):
                for name in ("1592993485_noise.pcap", "alexa-app.pcapng"):
                    shutil.copy(os.path.join(SAMPLES, name), os.path.join(folder, f"{i}-{name}"))
            fifo = os.path.join(d, "late.pcap")
            os.mkfifo(fifo)
            with open(os.path.join(SAMPLES, "tls.pcap"), "rb") as f:
                late = f.read()

            def feed():
                with open(fifo, "wb") as w:  # waits for the worker to open it
                    time.sleep(2.5)
                    w.write(late)
            feeder = threading.Thread(target=feed)
            feeder.start()
            master, slave = pty.openpty()
            proc = subprocess.Popen([FLOWSHARK, "-r", folder, fifo, "-j", "2", "-w",
                                     os.path.join(d, "out.jsonl")],
                                    stdout=subprocess.PIPE, stderr=slave)
            os.close(slave)
            buf = b""
            while True:
                ready, _, _ = select.select([master], [], [], 0.2)
                if ready:
                    try:
                        buf += os.read(master, 65536)
                    except OSError:
                        break
                elif proc.poll() is not None:
                    break
            os.close(master)
            feeder.join()
            self.assertEqual(proc.wait(), EXIT_OK)
            self.assertEqual(proc.stdout.read(), b"")
            proc.stdout.close()
        text = buf.decode()
        self.assertTrue(text.endswith("\r\n"), text)
        *draws, summary = text[:-2].split("\r")
        m = re.fullmatch(r"\x1b\[Kflowshark: 7 captures: 7 ok, 0 failed, 0 skipped; \d+ packets, "
                         r"\d+ flows; (\d+\.\d) s", summary)
        self.assertIsNotNone(m, summary)
        self.assertGreaterEqual(float(m.group(1)), 2.5)
        self.assertEqual(draws[0], "")
        self.assertGreaterEqual(len(draws) - 1, 1, text)
        # The FIFO has no size: no total and no ETA.
        for line in draws[1:]:
            self.assertRegex(line, r"^flowshark: [0-7]/7 captures, \d+ packets, \d+\.\d MB, "
                                   r"\d+\.\d MB/s, \d:\d\d\x1b\[K$")
        self.assertLessEqual(len(draws) - 1, int(float(m.group(1))) + 1, draws)


def main():
    global FLOWSHARK, SAMPLES
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--samples", required=True)
    args, rest = parser.parse_known_args()
    FLOWSHARK, SAMPLES = os.path.abspath(args.flowshark), os.path.abspath(args.samples)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
