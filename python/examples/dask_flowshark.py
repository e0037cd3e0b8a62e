"""flowshark over a dataset folder on a Dask cluster, then one merged file.

A dask.bag of the captures below DATASET (in flowshark's walk order, those
without an output yet), in partitions of --per-task captures; each partition
is one flowshark run on a worker with --output-dir/--resume, so libwireshark
starts once per partition. flowshark-merge then joins the outputs in list
order: the output of one `flowshark -r DATASET [options]`. Workers must see
DATASET, OUT and flowshark at the same paths (a shared file system).

    python3 dask_flowshark.py --scheduler-file sched.json --output-dir OUT \\
        --merge flows.jsonl -- DATASET --label-from-dir
"""
import argparse
import os
import shutil
import subprocess
import sys

import dask.bag as db
from distributed import Client

EXT = {"jsonl": ".jsonl", "csv": ".csv", "sqlite": ".db"}
MERGE = shutil.which("flowshark-merge") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "flowshark-merge")


def list_captures(top):
    """Files below top in flowshark's walk order (names sorted as bytes,
    hidden ones and linked folders skipped) that captype, like flowshark's
    walk, opens as captures."""
    def walk(d):
        for name in sorted(n for n in os.listdir(d) if not n.startswith(b".")):
            path = os.path.join(d, name)
            if os.path.isdir(path) and not os.path.islink(path):
                yield from walk(path)
            elif os.path.isfile(path):
                yield os.fsdecode(path)
    files, captures = list(walk(os.fsencode(top))), []
    for i in range(0, len(files), 500):  # captype prints "PATH: TYPE" in order
        lines = iter(subprocess.run(["captype", *files[i:i + 500]], capture_output=True,
                                    text=True).stdout.splitlines())
        line = next(lines, "")
        for path in files[i:i + 500]:
            if line.startswith(path + ": "):  # no line: captype could not open it
                if line != path + ": unknown":
                    captures.append(path)
                line = next(lines, "")
    return captures


def run_partition(paths, top, out_dir, options, flowshark):
    """One flowshark run over a partition's captures (on a worker)."""
    paths = list(paths)
    cmd = [flowshark, "-q", "-j", "1", "--files-from", "-", "--root", top,
           "--output-dir", out_dir, "--resume", *options]
    p = subprocess.run(cmd, input="".join(f"{p}\n" for p in paths), text=True,
                       stderr=subprocess.PIPE)
    if p.returncode not in (0, 2):  # 2: a capture cut short, its records written
        raise RuntimeError(f"flowshark exit status {p.returncode}: {p.stderr.strip()}")
    return [len(paths)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scheduler-file", required=True)
    ap.add_argument("--output-dir", required=True)
    ap.add_argument("--merge", metavar="FILE")
    ap.add_argument("--per-task", type=int, default=100)
    ap.add_argument("--flowshark", default=os.environ.get("FLOWSHARK", "flowshark"))
    ap.add_argument("dataset")
    ap.add_argument("options", nargs=argparse.REMAINDER, help="flowshark's (after --)")
    args = ap.parse_args()
    options, fmt = args.options, "jsonl"
    for i, o in enumerate(options):  # -T FORMAT: the outputs' extension
        if o in ("-T", "--output-format"):
            fmt = options[i + 1] if i + 1 < len(options) else fmt
        elif o.startswith("--output-format="):
            fmt = o.split("=", 1)[1]
        elif o.startswith("-T"):
            fmt = o[2:]
    if fmt not in EXT:
        sys.exit(f"-T {fmt}: not one of {', '.join(EXT)}")
    top = args.dataset.rstrip("/") or "/"
    out_dir = os.path.abspath(args.output_dir)
    flowshark = shutil.which(args.flowshark) or sys.exit(f"{args.flowshark}: not found")

    captures = list_captures(top)
    todo = [c for c in captures
            if not os.path.exists(os.path.join(out_dir, os.path.relpath(c, top) + EXT[fmt]))]
    print(f"{len(captures)} captures, {len(todo)} to run", file=sys.stderr)
    if todo:
        with Client(scheduler_file=args.scheduler_file, timeout=60):
            done = db.from_sequence(todo, partition_size=args.per_task).map_partitions(
                run_partition, top, out_dir, options, os.path.abspath(flowshark)).compute()
        print(f"{sum(done)} captures run", file=sys.stderr)
    if args.merge:
        subprocess.run([sys.executable, MERGE, "--list", "-", "--root", top, "--format", fmt,
                        "-o", args.merge, out_dir], input="".join(f"{c}\n" for c in captures),
                       text=True, check=True)


if __name__ == "__main__":
    main()
