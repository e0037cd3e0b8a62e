#!/usr/bin/env python3
"""scripts/flowshark-merge and scripts/flowshark-slurm.sh --dry-run, without
a cluster: the capture list is flowshark's own walk, the chunks cover it in
order, captures with an output are left out, merged outputs equal one run
over the folder (JSON Lines, CSV, SQLite when flowshark has -T sqlite), and
bad input is refused with nothing written. Python standard library only.

Usage: test_merge.py --flowshark BIN --samples DIR [unittest options]
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

FLOWSHARK = None
SAMPLES = None
SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
MERGE = os.path.join(SCRIPTS, "flowshark-merge")
SLURM = os.path.join(SCRIPTS, "flowshark-slurm.sh")

# In flowshark's walk order: names whose byte order differs from a sort of
# whole paths ("a" < "a-b.pcap" < "a.pcap" at one level, but "a-b.pcap" <
# "a.pcap" < "a/x.pcap" as paths), upper case before lower case, non-ASCII
# last, a space.
CAPTURES = ["B.pcap", "a/sub/y.pcap", "a/x.pcap", "a-b.pcap", "a.pcap", "b/z.pcapng",
            "b/\u00fc.pcap", "with space.pcap"]


def run(*args, expect=0, stdin=None):
    """(exit status, standard output bytes, standard error text)."""
    p = subprocess.run(args, capture_output=True, input=stdin)
    if expect is not None and p.returncode != expect:
        raise AssertionError(f"{args}: exit {p.returncode}, not {expect}\n"
                             f"{p.stderr.decode(errors='replace')}")
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def flowshark(*args, expect=0):
    return run(FLOWSHARK, "-q", *args, expect=expect)


def has_sqlite():
    """-T sqlite is among the formats --help lists."""
    return re.search(rb"^ +sqlite ", run(FLOWSHARK, "--help")[1], re.M) is not None


class Dataset(unittest.TestCase):
    """A dataset of copies of a sample (each with flows) under names chosen
    for their order, plus what the walk leaves out."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="flowshark-merge-test.")
        self.data = os.path.join(self.tmp, "data")
        for i, rel in enumerate(CAPTURES):
            path = os.path.join(self.data, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            name = ["tls.pcap", "dlt_ppp.pcap", "ssh.pcap", "http_ipv6.pcap"][i % 4]
            shutil.copy(os.path.join(SAMPLES, name), path)
        shutil.copy(os.path.join(SAMPLES, "README.md"), os.path.join(self.data, "notes.md"))
        shutil.copy(os.path.join(SAMPLES, "tls.pcap"), os.path.join(self.data, ".hidden.pcap"))
        os.makedirs(os.path.join(self.data, ".git"))
        shutil.copy(os.path.join(SAMPLES, "tls.pcap"), os.path.join(self.data, ".git", "x.pcap"))
        os.symlink("a", os.path.join(self.data, "link-to-a"))  # not entered
        self.walk = [os.path.join(self.data, c) for c in CAPTURES]

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def local(self, *options):
        return flowshark("-r", self.data, "--label-from-dir", *options)[1]

    def per_capture(self, out, *options):
        flowshark("-j", "2", "-r", self.data, "--label-from-dir", "--output-dir", out, *options)

    def merge(self, *args, expect=0):
        return run(sys.executable, MERGE, *args, expect=expect)

    def slurm_dry_run(self, out, *args, expect=0):
        status, stdout, stderr = run("bash", SLURM, "--dry-run", "--flowshark", FLOWSHARK,
                                     "--output-dir", out, *args, expect=expect)
        work = dict(line.split("=", 1) for line in stdout.decode().splitlines()
                    if line.startswith("work_dir=")).get("work_dir")
        return work, stderr

    def read(self, path, mode="r"):
        with open(path, mode) as f:
            return f.read()


class Listing(Dataset):
    def test_list_is_flowshark_walk(self):
        files = []
        for line in self.local().decode().splitlines():
            f = json.loads(line)["file"]
            if f not in files:
                files.append(f)
        self.assertEqual(files, self.walk)  # checks the dataset itself
        work, err = self.slurm_dry_run(os.path.join(self.tmp, "out"), "--", self.data + "/")
        self.assertEqual(self.read(os.path.join(work, "captures.list")).splitlines(), self.walk)
        self.assertIn(f"{len(CAPTURES)} capture(s), 0 already done", err)
        self.assertIn("1 file(s) below", err)  # notes.md

    def test_chunks_cover_the_list_in_order(self):
        for args, sizes in ((["--per-task", "3"], [3, 3, 2]), (["--tasks", "3"], None),
                            (["--tasks", "99"], [1] * len(CAPTURES))):
            with self.subTest(args=args):
                work, _ = self.slurm_dry_run(os.path.join(self.tmp, "out"), *args, "--",
                                             self.data)
                chunks = sorted(os.listdir(os.path.join(work, "chunks")))
                parts = [self.read(os.path.join(work, "chunks", c)).splitlines()
                         for c in chunks]
                self.assertEqual(chunks, [f"{i:05d}.list" for i in range(len(chunks))])
                self.assertEqual(sum(parts, []), self.walk)
                if sizes:
                    self.assertEqual([len(p) for p in parts], sizes)
                else:
                    self.assertEqual(len(parts), 3)
                script = self.read(os.path.join(work, "task.sh"))
                self.assertIn("--resume", script)

    def test_captures_with_output_left_out(self):
        out = os.path.join(self.tmp, "out")
        os.makedirs(os.path.join(out, "a", "sub"))
        open(os.path.join(out, "a", "x.pcap.csv"), "w").close()  # self.walk[2]: done
        open(os.path.join(out, "a", "sub", "y.pcap.jsonl"), "w").close()  # another format
        work, err = self.slurm_dry_run(out, "--", self.data, "-T", "csv", "--label-from-dir")
        self.assertIn(f"{len(CAPTURES)} capture(s), 1 already done, {len(CAPTURES) - 1} to run",
                      err)
        chunk = self.read(os.path.join(work, "chunks", "00000.list")).splitlines()
        self.assertEqual(chunk, self.walk[:2] + self.walk[3:])
        merge_sh = self.read(os.path.join(work, "merge.sh")) if os.path.exists(
            os.path.join(work, "merge.sh")) else ""
        self.assertEqual(merge_sh, "")  # no --merge, no merge job

    def test_usage_errors(self):
        out = os.path.join(self.tmp, "out")
        for args, message in (
                (["--", self.data, "-w", "x"], "sets the inputs and outputs itself"),
                (["--", self.data, "--root=x"], "sets the inputs and outputs itself"),
                (["--", self.data, "-T", "xml"], "unknown output format"),
                (["--per-task", "0", "--", self.data], "not a positive whole number"),
                (["--per-task", "2", "--tasks", "2", "--", self.data], "exclude each other"),
                (["--", os.path.join(self.tmp, "nothing")], "not a folder"),
                (["--bogus", "--", self.data], "unknown option --bogus")):
            with self.subTest(args=args):
                _, err = self.slurm_dry_run(out, *args, expect=1)
                self.assertIn(message, err)
        status, _, err = run("bash", SLURM, "--dry-run", "--", self.data, expect=1)
        self.assertIn("--output-dir OUT is required", err)


class Merge(Dataset):
    def test_jsonl_and_csv_equal_one_run(self):
        for fmt in ("jsonl", "csv"):
            with self.subTest(format=fmt):
                out = os.path.join(self.tmp, f"out-{fmt}")
                self.per_capture(out, "-T", fmt)
                merged = os.path.join(self.tmp, f"merged.{fmt}")
                self.merge("-o", merged, out)  # walk order
                self.assertEqual(self.read(merged, "rb"), self.local("-T", fmt))
                listed = os.path.join(self.tmp, "list")
                with open(listed, "w") as f:
                    f.write("".join(p + "\n" for p in self.walk))
                self.merge("-q", "-o", merged, "--list", listed, "--root", self.data + "/", out)
                self.assertEqual(self.read(merged, "rb"), self.local("-T", fmt))

    def test_root_in_other_spellings(self):
        """A list and --root in other spellings of the same paths find the
        same outputs, as flowshark's --root (canonical form) does."""
        out = os.path.join(self.tmp, "out")
        self.per_capture(out)
        listed = os.path.join(self.tmp, "list")
        with open(listed, "w") as f:
            for i, rel in enumerate(CAPTURES):
                f.write((self.data + "/./" if i % 2 else self.tmp + "//data/../data/") + rel + "\n")
        root = self.tmp + "/./data/"
        merged = os.path.join(self.tmp, "merged.jsonl")
        self.merge("-o", merged, "--list", listed, "--root", root, out)
        self.assertEqual(self.read(merged, "rb"), self.local())
        _, err = self.slurm_dry_run(out, "--files-from", listed, "--", root)
        self.assertIn(f"{len(CAPTURES)} capture(s), {len(CAPTURES)} already done, 0 to run", err)
        err = run(FLOWSHARK, "--files-from", listed, "--root", root, "--output-dir", out,
                  "--resume")[2]
        self.assertIn(f"{len(CAPTURES)} skipped", err)

    def test_merged_file_inside_out_dir_not_merged_again(self):
        out = os.path.join(self.tmp, "out")
        self.per_capture(out)
        merged = os.path.join(out, "all.jsonl")
        self.merge("-o", merged, out)
        self.merge("-o", merged, out)
        self.assertEqual(self.read(merged, "rb"), self.local())

    def test_differing_csv_headers_refused(self):
        out = os.path.join(self.tmp, "out")
        self.per_capture(out, "-T", "csv")
        os.unlink(os.path.join(out, "b", "z.pcapng.csv"))
        flowshark("-r", self.walk[5], "--root", self.data, "--output-dir", out, "-T", "csv",
                  "--stats")
        merged = os.path.join(self.tmp, "merged.csv")
        _, _, err = self.merge("-o", merged, out, expect=1)
        self.assertIn("z.pcapng.csv: its header differs from that of", err)
        self.assertEqual(sorted(os.listdir(self.tmp)), ["data", "out"])  # nothing left

    def test_missing_output(self):
        out = os.path.join(self.tmp, "out")
        self.per_capture(out)
        os.unlink(os.path.join(out, "a.pcap.jsonl"))  # of self.walk[4]
        listed = "".join(p + "\n" for p in self.walk).encode()
        merged = os.path.join(self.tmp, "merged.jsonl")
        _, _, err = run(sys.executable, MERGE, "-o", merged, "--list", "-", "--root", self.data,
                        out, stdin=listed, expect=1)
        self.assertIn("1 of 8 outputs missing", err)
        self.assertIn(os.path.join(out, "a.pcap.jsonl"), err)
        self.assertFalse(os.path.exists(merged))
        run(sys.executable, MERGE, "-o", merged, "--list", "-", "--root", self.data,
            "--allow-missing", out, stdin=listed)
        kept = [json.loads(line)["file"] for line in self.read(merged).splitlines()]
        self.assertNotIn(self.walk[4], kept)
        self.assertEqual(len(set(kept)), len(CAPTURES) - 1)

    def test_format_from_name(self):
        out = os.path.join(self.tmp, "out")
        os.makedirs(out)
        _, _, err = self.merge("-o", os.path.join(self.tmp, "merged.txt"), out, expect=2)
        self.assertIn("say --format", err)
        _, _, err = self.merge("-o", os.path.join(self.tmp, "merged.csv"), out, expect=1)
        self.assertIn("no .csv output to merge", err)

    def test_sqlite_equals_one_run(self):
        if not has_sqlite():
            self.skipTest("flowshark has no -T sqlite")
        out = os.path.join(self.tmp, "out")
        self.per_capture(out, "-T", "sqlite", "-e", "tls.handshake.extensions_server_name")
        local = os.path.join(self.tmp, "local.db")
        flowshark("-r", self.data, "--label-from-dir", "-T", "sqlite", "-w", local,
                  "-e", "tls.handshake.extensions_server_name")
        merged = os.path.join(self.tmp, "merged.db")
        self.merge("-o", merged, out)
        a, b = sqlite3.connect(local), sqlite3.connect(merged)
        for sql in ("SELECT id, path, size, label, packets, flows, status, error FROM captures",
                    "SELECT * FROM flows", "SELECT * FROM extension"):
            with self.subTest(sql=sql):
                self.assertEqual(a.execute(sql + " ORDER BY id").fetchall(),
                                 b.execute(sql + " ORDER BY id").fetchall())
        self.assertGreater(b.execute("SELECT count(*) FROM extension").fetchone()[0], 0)
        self.assertEqual(b.execute("SELECT count(*) FROM runs").fetchone()[0], len(CAPTURES))
        for pragma in ("application_id", "user_version"):
            self.assertEqual(a.execute(f"PRAGMA {pragma}").fetchone(),
                             b.execute(f"PRAGMA {pragma}").fetchone())
        self.assertEqual(b.execute("PRAGMA integrity_check").fetchone(), ("ok",))
        a.close()
        b.close()
        # flowshark appends a run to the merged database as to its own.
        flowshark("-r", self.walk[0], "-T", "sqlite", "-w", merged)

    def test_sqlite_foreign_database_refused(self):
        out = os.path.join(self.tmp, "out")
        os.makedirs(out)
        db = sqlite3.connect(os.path.join(out, "x.pcap.db"))
        db.execute("CREATE TABLE t (a)")
        db.commit()
        db.close()
        merged = os.path.join(self.tmp, "merged.db")
        _, _, err = self.merge("-o", merged, out, expect=1)
        self.assertIn("not a flowshark database", err)
        self.assertFalse(os.path.exists(merged))


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
