#!/usr/bin/env python3
"""tests/cluster/test_dask.py: python/examples/dask_flowshark.py against a
local Dask cluster.

Starts `dask scheduler` and `dask worker` (two worker processes, one thread
each) on 127.0.0.1 with ports chosen by the system and no dashboard, runs
the example over a dataset of two class folders of samples, and checks that
the merged output equals one local `flowshark -r DATASET --label-from-dir`
byte for byte (JSON Lines and CSV), that a second run after one output is
deleted runs that capture only, that every socket the scheduler and workers
listen on is on 127.0.0.1 (ss -ltunp), and that doc/scaling.md shows the
example's code as it is. Stops the workers and the scheduler by PID.

Skips without python3-distributed (or the dask command), except with
CI=true, where it fails. FLOWSHARK: the program (default
build/extractor/flowshark). Run it with the interpreter that has
python3-distributed (/usr/bin/python3 on Debian).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "python", "examples", "dask_flowshark.py")
DOC = os.path.join(REPO, "doc", "scaling.md")
FLOWSHARK = os.environ.get("FLOWSHARK", os.path.join(REPO, "build", "extractor", "flowshark"))
IN_CI = os.environ.get("CI", "").lower() == "true"
WORKERS = 2


def log(message):
    print(f"[test_dask {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def skip(reason):
    if IN_CI:
        raise Failure(f"{reason} (a failure, not a skip: CI=true)")
    log(f"SKIP: {reason}")
    sys.exit(0)


def listening():
    """(proto, local address, pid set) of every listening socket."""
    out = subprocess.run(["ss", "-Hltunp"], capture_output=True, text=True, check=True).stdout
    sockets = []
    for line in out.splitlines():
        fields = line.split()
        pids = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        sockets.append((fields[0], fields[4], pids))
    return sockets


def descendants(pids):
    """pids and all their descendants (from /proc)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                parent[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    found, grew = set(pids), True
    while grew:
        more = {p for p, pp in parent.items() if pp in found} - found
        found |= more
        grew = bool(more)
    return found


def check_listening(ours, before):
    """Every socket of our processes, and every socket new since the start,
    listens on 127.0.0.1; returns our sockets."""
    mine = []
    for proto, address, pids in listening():
        new = (proto, address) not in before
        if pids & ours or new:
            if not address.startswith("127.0.0.1:"):
                raise Failure(f"{proto} {address} (pids {sorted(pids)}) listens beyond 127.0.0.1")
            mine.append((proto, address, sorted(pids & ours)))
    return mine


def alive(pid):
    """pid is a process that has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def command_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def stop(proc, name):
    """SIGTERM, 15 s, SIGKILL: a process this test started."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        log(f"{name} (pid {proc.pid}) ignored SIGTERM: SIGKILL")
        proc.kill()
        proc.wait()


def make_dataset(data):
    """Two class folders of samples, a file that is no capture, a hidden one."""
    samples = os.path.join(REPO, "samples")
    for folder, names in (("web", ["tls.pcap", "dlt_ppp.pcap", "quic_interop_V.pcapng"]),
                          ("other", ["ssh.pcap", "http_ipv6.pcap", "signal-truncated.pcap",
                                     "dnscrypt-v2-doh.pcap"])):
        os.makedirs(os.path.join(data, folder))
        for name in names:
            shutil.copy(os.path.join(samples, name), os.path.join(data, folder, name))
    shutil.copy(os.path.join(samples, "README.md"), os.path.join(data, "other", "notes.md"))
    shutil.copy(os.path.join(samples, "tls.pcap"), os.path.join(data, "web", ".hidden.pcap"))
    return 7


def local_run(data, out, *options):
    with open(out, "wb") as f:
        status = subprocess.run([FLOWSHARK, "-q", "-r", data, "--label-from-dir", *options],
                                stdout=f).returncode
    if status != 2:  # signal-truncated.pcap is cut short
        raise Failure(f"local run {options}: exit status {status}, not 2")


def doc_shows_example():
    """doc/scaling.md holds the example file's text in a ```python block."""
    with open(EXAMPLE) as f:
        code = f.read()
    with open(DOC) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    if code not in blocks:
        raise Failure(f"{DOC} does not show {EXAMPLE} as it is (copy it into the doc)")


def main():
    doc_shows_example()
    try:
        import dask.bag  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as e:
        skip(f"{e.name} not importable by {sys.executable} (apt-get install python3-distributed)")
    dask_cli = shutil.which("dask")
    if dask_cli is None:
        skip("no dask command (apt-get install python3-distributed)")
    for program in ("ss", "captype"):
        if shutil.which(program) is None:
            raise Failure(f"{program} not found")
    if not os.access(FLOWSHARK, os.X_OK):
        raise Failure(f"no flowshark program at {FLOWSHARK} (build it, or set FLOWSHARK)")

    tmp = tempfile.mkdtemp(prefix="flowshark-dask-test.")
    scheduler = worker = None
    logs = {}
    ok = False
    try:
        before = {(proto, address) for proto, address, _ in listening()}
        env = dict(os.environ, FLOWSHARK=FLOWSHARK, LC_ALL="C", TZ="UTC",
                   HOME=tmp, WIRESHARK_CONFIG_DIR=tmp)
        sched_file = os.path.join(tmp, "scheduler.json")
        t0 = time.time()
        logs["scheduler"] = open(os.path.join(tmp, "scheduler.log"), "w")
        scheduler = subprocess.Popen(
            [sys.executable, dask_cli, "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
             "--scheduler-file", sched_file],
            stdout=logs["scheduler"], stderr=subprocess.STDOUT, env=env, cwd=tmp)
        for _ in range(300):
            if os.path.exists(sched_file) and os.path.getsize(sched_file) > 0:
                break
            if scheduler.poll() is not None:
                raise Failure("the scheduler exited")
            time.sleep(0.1)
        else:
            raise Failure("no scheduler file after 30 s")
        logs["worker"] = open(os.path.join(tmp, "worker.log"), "w")
        worker = subprocess.Popen(
            [sys.executable, dask_cli, "worker", "--scheduler-file", sched_file,
             "--nworkers", str(WORKERS), "--nthreads", "1", "--host", "127.0.0.1",
             "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
             "--local-directory", os.path.join(tmp, "worker-space"), "--memory-limit", "1GiB"],
            stdout=logs["worker"], stderr=subprocess.STDOUT, env=env, cwd=tmp)
        from distributed import Client
        with Client(scheduler_file=sched_file, timeout=30) as client:
            client.wait_for_workers(WORKERS, timeout=60)
        log(f"scheduler + {WORKERS} workers up in {time.time() - t0:.1f} s")
        ours = descendants({scheduler.pid, worker.pid})
        mine = check_listening(ours, before)
        with open(sched_file) as f:
            address = json.load(f)["address"]
        if not any(address.endswith(a) for _, a, _ in mine):
            raise Failure(f"the scheduler's {address} not seen listening")
        log(f"{len(mine)} listening sockets of the scheduler and workers, all on 127.0.0.1")

        data = os.path.join(tmp, "data")
        captures = make_dataset(data)
        for fmt in ("jsonl", "csv"):
            local, merged = (os.path.join(tmp, f"{n}.{fmt}") for n in ("local", "merged"))
            local_run(data, local, "-T", fmt)
            out = os.path.join(tmp, f"out-{fmt}")
            cmd = [sys.executable, EXAMPLE, "--scheduler-file", sched_file, "--output-dir", out,
                   "--merge", merged, "--per-task", "3", "--", data, "--label-from-dir",
                   "-T", fmt]
            runs = [("all", captures)]
            if fmt == "jsonl":
                runs.append(("again, one output deleted", 1))
            for what, expected in runs:
                t = time.time()
                p = subprocess.run(cmd, env=env, capture_output=True, text=True)
                sys.stderr.write(p.stderr)
                if p.returncode != 0:
                    raise Failure(f"the example failed ({fmt}, {what}): exit {p.returncode}")
                if f"{captures} captures, {expected} to run" not in p.stderr:
                    raise Failure(f"{fmt}, {what}: not {expected} of {captures} to run")
                check_listening(descendants({scheduler.pid, worker.pid}), before)
                with open(local, "rb") as a, open(merged, "rb") as b:
                    if a.read() != b.read():
                        raise Failure(f"{fmt}, {what}: merged output differs from the local run")
                log(f"{fmt}, {what}: {expected} captures in {time.time() - t:.1f} s; "
                    "merged = local run")
                gone = os.path.join(out, "web", "tls.pcap.jsonl")
                if fmt == "jsonl" and os.path.exists(gone):
                    kept = {n: os.stat(os.path.join(out, "other", n)).st_mtime_ns
                            for n in os.listdir(os.path.join(out, "other"))}
                    os.unlink(gone)
            if fmt == "jsonl":
                after = {n: os.stat(os.path.join(out, "other", n)).st_mtime_ns
                         for n in os.listdir(os.path.join(out, "other"))}
                if after != kept:
                    raise Failure("the second run rewrote outputs that were there")

        t = time.time()
        stop(worker, "dask worker")
        stop(scheduler, "dask scheduler")
        for _ in range(100):  # helpers (multiprocessing's tracker) end after their parent
            left = [p for p in ours if alive(p)]
            if not left:
                break
            time.sleep(0.1)
        else:
            raise Failure("processes left after the stop: " + "; ".join(
                f"{p} {command_of(p)}" for p in left))
        log(f"workers and scheduler stopped in {time.time() - t:.1f} s")
        ok = True
    finally:
        stop(worker, "dask worker")
        stop(scheduler, "dask scheduler")
        for f in logs.values():
            f.close()
        if not ok:
            for name in logs:
                with open(os.path.join(tmp, f"{name}.log")) as f:
                    sys.stderr.write(f"--- {name}.log\n" + "".join(f.readlines()[-30:]))
        if os.environ.get("KEEP") == "1":
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    log("OK")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        log(f"FAIL: {e}")
        sys.exit(1)
