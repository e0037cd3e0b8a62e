#!/usr/bin/env python3
"""Benchmark flowshark against tshark on captures built from samples/.

One command builds the inputs (cached in --work) and measures both tools in
the same run, then prints a Markdown report: throughput on a large capture
(default record, and with extension fields), a directory of many small
captures, and peak memory at 1x and 4x capture length; and flowshark against
itself: a folder of captures with -j 2 over -j 1, and -T sqlite against JSON
Lines written to a file; and flat peak memory of the flow meter with
timeouts at 1x and 4x and over a long capture replayed through a pipe (g);
and flat peak memory of flowshark window -r at 1x and 4x (h); and time and
peak memory of the botnet subcommands graph, cflows and botnet on the 4x
capture, beside tshark's one pass and flowshark's capture pass (i); and
tshark, flowshark and flowshark --fast on a capture of long TLS, HTTP and
DNS flows made on a loopback interface (j, longflows.py); and instructions
per packet under callgrind (k, not run by default). flowshark --fast is
measured in runs a, b, j and k when flowshark --help mentions it.
See bench/README.md.

Python 3 standard library only; needs editcap and capinfos (wireshark-common).
"""

import argparse
import collections
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import shlex
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# What flowshark's default record needs from tshark, in one pass.
TSHARK_FILTER = ("(ip or ipv6) and not icmp and not icmpv6"
                 " and not tcp.analysis.retransmission and not mdns"
                 " and not ssdp and (tcp or udp)")
TSHARK_FIELDS = [
    "frame.time_epoch", "tcp.stream", "udp.stream", "ip.src", "ip.dst",
    "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
    "udp.dstport", "ip.len", "ipv6.plen", "tcp.len", "udp.length",
    "_ws.col.Protocol",
]
EXTENSION_FIELDS = [
    "tls.handshake.extensions_server_name", "tls.handshake.ciphersuite",
    "dns.qry.name", "http.host",
]
# Run j's fields beyond the default record's: those of run b and the URI,
# all of them in the first packets of a flow.
LONG_FIELDS = EXTENSION_FIELDS + ["http.request.uri"]

# Bump when the way inputs are built changes, so cached inputs are rebuilt.
INPUT_FORMAT = 2
SMALL_PIECE_PACKETS = 100      # packets per small capture (editcap -c)
FOLDER_CLASSES = 4             # class folders of the dataset folder (run e, f)
MAX_ARGS_BYTES = 100_000       # split flowshark's -r list beyond this
SEGMENT_GAP_US = 1_000_000     # idle time between two shifted copies
BASE_TIME_US = 1_700_000_000 * 1_000_000  # start of the built captures
LONG_MIN_SPAN_S = 3600         # run g's replay: at least an hour of capture time
FLAT_TOLERANCE = 0.20          # run g: "flat" = RSS ratio within 1 +- this
ALL_RUNS = "abcdefghijk"       # the runs --only chooses among
DEFAULT_RUNS = "abcdefghij"    # k (callgrind) is slow: only when asked for
LONG_NAME = "longflows.pcap"   # run j's capture (long.pcap is run g's)
LONG_FORMAT = 1                # bump when longflows.py's capture changes
LONG_ATTEMPTS = 2              # builds of it tried before giving up
FAST_TOOL = "flowshark --fast"  # the tool column of the fast-mode rows

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = (12, 14, 101)   # raw IP, version in the first nibble
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_SLL = 113
LINKTYPE_SLL2 = 276
VLAN_ETHERTYPES = (0x8100, 0x88A8, 0x9100)
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D


class BenchError(Exception):
    """A tool cannot run, or its output is unusable: the benchmark stops."""


def snapshot(flowshark, work):
    """Copy the flowshark program (the launcher and the two engines beside
    it, extractor/launcher.c) into work/bin and return the copy's path, so
    that a rebuild during the benchmark cannot change or remove the program
    being measured."""
    here = os.path.dirname(os.path.realpath(flowshark))
    engines = [os.path.join(here, name)
               for name in ("flowshark-engine", "flowshark-botnet-engine")]
    for program in (flowshark, *engines):
        if not os.access(program, os.X_OK):
            raise BenchError(f"{program} is not executable; build it with"
                             " cmake -S . -B build && cmake --build build -j")
    dest = work / "bin" / "flowshark"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(flowshark, dest)
    for engine in engines:
        shutil.copy2(engine, dest.parent / os.path.basename(engine))
    return str(dest)


def log(msg):
    """Progress message on standard error."""
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Classic pcap reading and frame rewriting
# --------------------------------------------------------------------------

def read_pcap(path):
    """Return (linktype, [(timestamp_us, frame, original_length)]) of a
    classic pcap file in either byte order and time resolution. A record cut
    short at the end of the file is dropped."""
    data = path.read_bytes()
    if len(data) < 24:
        raise ValueError("not a pcap file")
    for endian in "<>":
        magic, = struct.unpack(endian + "I", data[:4])
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise ValueError("not a classic pcap file")
    divisor = 1000 if magic == PCAP_MAGIC_NS else 1
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    record = struct.Struct(endian + "IIII")
    packets = []
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, caplen, origlen = record.unpack_from(data, pos)
        pos += 16
        if pos + caplen > len(data):
            break
        packets.append((sec * 1_000_000 + frac // divisor,
                        data[pos:pos + caplen], origlen))
        pos += caplen
    return linktype, packets


def fake_ethernet(ethertype):
    """An Ethernet header with zero addresses and the given EtherType."""
    return bytes(12) + struct.pack(">H", ethertype)


def to_ethernet(linktype, frame):
    """Return (frame as Ethernet, bytes added to its length), or None when
    the link type is not Ethernet, Linux SLL/SLL2 or raw IP."""
    if linktype == LINKTYPE_ETHERNET:
        return frame, 0
    if linktype == LINKTYPE_SLL and len(frame) >= 16:
        ethertype, = struct.unpack_from(">H", frame, 14)
        return fake_ethernet(ethertype) + frame[16:], 14 - 16
    if linktype == LINKTYPE_SLL2 and len(frame) >= 20:
        ethertype, = struct.unpack_from(">H", frame, 0)
        return fake_ethernet(ethertype) + frame[20:], 14 - 20
    if linktype in LINKTYPE_RAW + (LINKTYPE_IPV4, LINKTYPE_IPV6) and frame:
        version = frame[0] >> 4
        ethertype = {4: ETHERTYPE_IPV4, 6: ETHERTYPE_IPV6}.get(version)
        if ethertype is None:
            return None
        return fake_ethernet(ethertype) + frame, 14
    return None


def address_offsets(frame):
    """Offsets of the two address bytes changed per copy in an Ethernet
    frame (after any VLAN tags): octets 2-3 of both IPv4 addresses, bytes 3-4
    of both IPv6 addresses. Empty for non-IP frames. Only the outer IP
    header is changed; Wireshark does not check IP/TCP/UDP checksums by
    default, so they are left as they are."""
    pos = 12
    while pos + 2 <= len(frame):
        ethertype, = struct.unpack_from(">H", frame, pos)
        if ethertype not in VLAN_ETHERTYPES:
            break
        pos += 4
    else:
        return []
    ip = pos + 2
    if ethertype == ETHERTYPE_IPV4 and len(frame) >= ip + 20:
        return [ip + 13, ip + 17]
    if ethertype == ETHERTYPE_IPV6 and len(frame) >= ip + 40:
        return [ip + 10, ip + 26]
    return []


class Ingredient:
    """One sample prepared for copying: its packets laid out as pcap records
    in one buffer, with the positions of the timestamps and of the address
    bytes that each copy rewrites."""

    def __init__(self, name, linktype, packets):
        self.name = name
        first = min(ts for ts, _, _ in packets)
        self.span_us = max(ts for ts, _, _ in packets) - first
        blob = bytearray()
        self.ts_offsets = []
        self.xor_offsets = []
        for ts, frame, origlen in packets:
            converted = to_ethernet(linktype, frame)
            if converted is None:
                raise ValueError(f"link type {linktype} not supported")
            frame, growth = converted
            self.ts_offsets.append((len(blob), ts - first))
            blob += struct.pack("<IIII", 0, 0, len(frame),
                                max(origlen + growth, len(frame)))
            self.xor_offsets.extend(len(blob) + off
                                    for off in address_offsets(frame))
            blob += frame
        self.blob = bytes(blob)

    def copy(self, key, start_us):
        """Return this sample's records with the timestamps starting at
        start_us and the key XORed into the address bytes."""
        out = bytearray(self.blob)
        hi, lo = key >> 8, key & 0xFF
        for off in self.xor_offsets:
            out[off] ^= hi
            out[off + 1] ^= lo
        pack = struct.Struct("<II").pack_into
        for off, rel in self.ts_offsets:
            sec, usec = divmod(start_us + rel, 1_000_000)
            pack(out, off, sec, usec)
        return out


def write_copies(path, ingredients, rounds):
    """Write a classic microsecond Ethernet pcap made of `rounds` rounds of
    one copy of every ingredient, one after the other in time, each copy with
    its own address key; streamed, one copy in memory at a time."""
    if rounds * len(ingredients) > 0xFFFF:
        raise BenchError("too many copies for 16-bit address keys;"
                         " use a smaller --size-mb")
    tmp = path.with_suffix(".tmp")
    key, now = 0, BASE_TIME_US
    with open(tmp, "wb") as out:
        out.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0,
                              262144, LINKTYPE_ETHERNET))
        for _ in range(rounds):
            for ing in ingredients:
                key += 1
                out.write(ing.copy(key, now))
                now += ing.span_us + SEGMENT_GAP_US
    tmp.replace(path)


# --------------------------------------------------------------------------
# Running the tools
# --------------------------------------------------------------------------

class Run:
    """Outcome of one measured child process (output_bytes: the size of
    the file it wrote with -w, if any; cpu_seconds: user + system time of
    it and its reaped children, such as flowshark's workers)."""

    def __init__(self, seconds, rss_kb, status, lines=None, output_bytes=None,
                 cpu_seconds=None):
        self.seconds = seconds
        self.rss_kb = rss_kb
        self.status = status
        self.lines = lines
        self.output_bytes = output_bytes
        self.cpu_seconds = cpu_seconds


# One measurement: key (run name, tool), input label, manifest entry of the
# input, number of files (or None), commands, and the files the commands
# write with -w (removed before each run: SQLite appends to a database),
# and a file fed to the commands' standard input through a pipe (or None).
Job = collections.namedtuple("Job", "key label info files cmds outputs stdin",
                             defaults=((), None))


def run_measured(cmd, stdout_path, stderr_path, stdin_path=None):
    """Run cmd as a fresh process; return a Run with its wall time
    (time.monotonic) and peak RSS (wait4's ru_maxrss, KB on Linux). With
    stdin_path, `cat stdin_path` writes that file into a pipe read as cmd's
    standard input (as a live capture arrives); cat is not cmd's child, so
    its memory is not in cmd's ru_maxrss."""
    with open(stdout_path, "wb") as out, open(stderr_path, "ab") as err:
        err.write(("$ " + ("cat " + shlex.quote(str(stdin_path)) + " | "
                           if stdin_path else "")
                   + shlex.join(cmd) + "\n").encode())
        err.flush()
        start = time.monotonic()
        feeder = None
        try:
            if stdin_path:
                feeder = subprocess.Popen(["cat", str(stdin_path)],
                                          stdout=subprocess.PIPE, stderr=err)
            proc = subprocess.Popen(
                cmd, stdin=feeder.stdout if feeder else subprocess.DEVNULL,
                stdout=out, stderr=err)
        except OSError as exc:
            raise BenchError(f"cannot run {cmd[0]}: {exc}") from exc
        finally:
            if feeder:
                feeder.stdout.close()  # cmd holds the pipe's read end
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        if feeder:
            feeder.wait()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss, proc.returncode,
               cpu_seconds=usage.ru_utime + usage.ru_stime)


def count_lines(path):
    """Number of newline characters in a file, read in chunks."""
    lines = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def tool_output(cmd):
    """Standard output of a short command; BenchError if it cannot run."""
    try:
        return subprocess.run(cmd, check=True, capture_output=True,
                              text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BenchError(f"{shlex.join(cmd)} failed: {exc}") from exc


def flowshark_records(flowshark, paths, extra=()):
    """Run flowshark on paths in one process; return (exit status,
    {file: (records, packets in records)})."""
    cmd = [flowshark, *extra]
    for p in paths:
        cmd += ["-r", str(p)]
    proc = subprocess.run(cmd, capture_output=True)
    counts = {}
    for line in proc.stdout.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchError(f"{shlex.join(cmd)}: output is not JSON Lines:"
                             f" {exc}") from exc
        records, packets = counts.get(rec["file"], (0, 0))
        counts[rec["file"]] = (records + 1, packets + len(rec["ip_lengths"]))
    return proc.returncode, counts


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------

def sample_files():
    """Captures in samples/ (every file but the README and checksums)."""
    return sorted(p for p in (REPO / "samples").iterdir()
                  if p.is_file() and p.suffix in (".pcap", ".pcapng", ".cap",
                                                  ".gz"))


def input_key(args, samples):
    """Fingerprint of everything the cached inputs depend on."""
    h = hashlib.sha256()
    h.update(f"{INPUT_FORMAT} {args.size_mb} {args.small_count}".encode())
    for p in samples:
        h.update(f"{p.name} {p.stat().st_size} {p.stat().st_mtime_ns}".encode())
    return h.hexdigest()


def prepare_ingredients(flowshark, samples, work):
    """Convert each sample to Ethernet pcap and keep those whose shifted
    copies stay distinct: one copy gives the records of the original, and
    two copies give exactly twice the records and packets. Writes one copy
    of each kept sample to work/ingredients/. Returns (kept Ingredients,
    {skipped sample name: reason})."""
    idir = work / "ingredients"
    shutil.rmtree(idir, ignore_errors=True)
    idir.mkdir(parents=True)
    kept, skipped = [], {}
    for sample in samples:
        conv = idir / (sample.stem + ".conv.pcap")
        proc = subprocess.run(["editcap", "-F", "pcap", str(sample),
                               str(conv)], capture_output=True)
        if proc.returncode != 0 or not conv.exists():
            skipped[sample.name] = "editcap -F pcap failed"
            continue
        try:
            ing = Ingredient(sample.name, *read_pcap(conv))
        except ValueError as exc:
            skipped[sample.name] = str(exc)
            continue
        finally:
            conv.unlink(missing_ok=True)
        one, two = idir / (sample.stem + ".pcap"), work / "two.pcap"
        write_copies(one, [ing], 1)
        write_copies(two, [ing], 2)
        status, orig = flowshark_records(flowshark, [sample])
        status2, copies = flowshark_records(flowshark, [one, two])
        two.unlink()
        r0 = orig.get(str(sample), (0, 0))
        r1 = copies.get(str(one), (0, 0))
        r2 = copies.get(str(two), (0, 0))
        if status not in (0, 2) or status2 != 0:
            reason = f"flowshark exit status {status}/{status2}"
        elif r1 != r0:
            reason = (f"rewritten copy gives {r1} records/packets, not {r0}"
                      " (addresses not all rewritten: encapsulation?)")
        elif r2 != (2 * r1[0], 2 * r1[1]):
            reason = (f"two copies give {r2} records/packets, not 2x{r1}"
                      " (flows merge across copies: tunnel?)")
        else:
            kept.append(ing)
            log(f"  {sample.name}: {r1[0]} flows, {r1[1]} packets per copy")
            continue
        one.unlink()
        skipped[sample.name] = reason
        log(f"  {sample.name}: skipped ({reason})")
    return kept, skipped


def build_small(samples, work, count):
    """Split each sample with editcap -c into captures of
    SMALL_PIECE_PACKETS packets, then fill work/small/ with `count` files
    cycling over the pieces (hard links where possible). Samples that
    editcap reports as damaged are left out. Returns the manifest entry:
    paths (relative to work), total packets and bytes."""
    pieces_dir = work / "pieces"
    small_dir = work / "small"
    for d in (pieces_dir, small_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    for sample in samples:
        proc = subprocess.run(
            ["editcap", "-c", str(SMALL_PIECE_PACKETS), str(sample),
             str(pieces_dir / sample.name)], capture_output=True, text=True)
        if proc.returncode != 0 or proc.stderr.strip():
            for p in pieces_dir.glob(sample.stem + "_*"):
                p.unlink()
    pieces = sorted(pieces_dir.iterdir())
    if not pieces:
        raise BenchError("editcap -c produced no small captures")
    piece_packets = [capinfos_packets(p) for p in pieces]
    paths, packets, nbytes = [], 0, 0
    for i in range(count):
        piece = pieces[i % len(pieces)]
        dest = small_dir / f"{i:05d}{piece.suffix}"
        try:
            os.link(piece, dest)
        except OSError:
            shutil.copyfile(piece, dest)
        paths.append(str(dest.relative_to(work)))
        packets += piece_packets[i % len(pieces)]
        nbytes += piece.stat().st_size
    return {"paths": paths, "packets": packets, "bytes": nbytes}


def build_folder(work, big1, count):
    """The dataset folder of runs e and f: big1x.pcap cut with editcap -c
    into `count` captures of equal packet counts, spread over
    FOLDER_CLASSES class folders (work/folder/classK/part-NNN.pcap), and a
    README.txt that is not a capture (passed over by flowshark, as datasets
    hold such files). Returns the manifest entry."""
    folder = work / "folder"
    pieces = work / "folder-pieces"
    for d in (folder, pieces):
        shutil.rmtree(d, ignore_errors=True)
    pieces.mkdir(parents=True)
    packets = capinfos_packets(big1)
    per_piece = max(1, -(-packets // count))
    proc = subprocess.run(["editcap", "-c", str(per_piece), str(big1),
                           str(pieces / "part.pcap")],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"editcap -c {per_piece} {big1} failed:"
                         f" {proc.stderr.strip()}")
    nbytes = 0
    parts = sorted(pieces.iterdir())
    for i, part in enumerate(parts):
        dest = folder / f"class{i % FOLDER_CLASSES}" / f"part-{i:03d}.pcap"
        dest.parent.mkdir(parents=True, exist_ok=True)
        part.rename(dest)
        nbytes += dest.stat().st_size
    pieces.rmdir()
    (folder / "README.txt").write_text(
        "Captures cut from big1x.pcap by bench.py; not a capture itself.\n")
    return {"path": folder.name, "count": count, "captures": len(parts),
            "packets": packets, "bytes": nbytes}


def ensure_folder(args, manifest):
    """Build the folder of runs e and f if the manifest has none of
    --folder-count captures (or its files are gone); saves the manifest."""
    work = args.work
    entry = manifest.get("folder")
    if (entry and entry.get("count") == args.folder_count
            and (work / entry["path"]).is_dir()):
        return
    log(f"writing folder/: big1x.pcap cut into {args.folder_count} captures")
    manifest["folder"] = build_folder(
        work, work / manifest["big1x"]["path"], args.folder_count)
    (work / "manifest.json").write_text(json.dumps(manifest, indent=1))


def capinfos_duration(path):
    """Capture duration in seconds (capinfos -u -M)."""
    out = tool_output(["capinfos", "-u", "-M", str(path)])
    for line in out.splitlines():
        if "Capture duration" in line:
            return float(line.split(":", 1)[1].split()[0])
    raise BenchError(f"capinfos gave no capture duration for {path}")


def ensure_long(args, manifest):
    """The long capture of run g's replay: big4x.pcap itself when it spans
    at least LONG_MIN_SPAN_S of capture time, else long.pcap, rounds of one
    copy of every kept sample (as big4x, each copy with its own address key,
    one after the other in time) until it spans that long, and at least as
    many rounds as big4x. Adds the capture durations of big1x and big4x
    (span_s) and the "long" entry to the manifest, and saves it."""
    work = args.work
    changed = False
    for name in ("big1x", "big4x"):
        if "span_s" not in manifest[name]:
            manifest[name]["span_s"] = capinfos_duration(
                work / manifest[name]["path"])
            changed = True
    entry = manifest.get("long")
    if entry is None or not (work / entry["path"]).exists():
        big4 = manifest["big4x"]
        if big4["span_s"] >= LONG_MIN_SPAN_S:
            entry = dict(big4, source="big4x.pcap (spans at least an hour)")
        else:
            ingredients = [
                Ingredient(n, *read_pcap(work / "ingredients"
                                         / (Path(n).stem + ".pcap")))
                for n in manifest["ingredients"]]
            round_s = sum(i.span_us + SEGMENT_GAP_US
                          for i in ingredients) / 1e6
            rounds = max(big4["rounds"],
                         -(-int(LONG_MIN_SPAN_S) // max(1, int(round_s))))
            path = work / "long.pcap"
            log(f"writing {path.name}: {rounds} rounds of"
                f" {len(ingredients)} samples")
            write_copies(path, ingredients, rounds)
            entry = {"path": path.name, "rounds": rounds,
                     "packets": capinfos_packets(path),
                     "bytes": path.stat().st_size,
                     "span_s": capinfos_duration(path),
                     "source": f"long.pcap ({rounds} rounds)"}
        manifest["long"] = entry
        changed = True
    if changed:
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1))


def flow_packets(flowshark, path):
    """[(protocol, packets)] of each record flowshark gives for a capture;
    BenchError if it fails."""
    cmd = [flowshark, "-r", str(path)]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)}: exit status {proc.returncode}")
    flows = []
    for line in proc.stdout.splitlines():
        rec = json.loads(line)
        flows.append((rec["protocol"], len(rec["ip_lengths"])))
    return flows


def ensure_longflows(args, flowshark, manifest):
    """Run j's capture of long flows, work/LONG_NAME, made by longflows.py
    (TLS, HTTP and DNS captured on the loopback interface of a network
    namespace of its own), unless the manifest has one of --long-mb MB.
    Checked once made: flowshark must give one record per planned flow
    (the same count every build) and dumpcap must have dropped nothing,
    else it is made again, up to LONG_ATTEMPTS times. Adds the "longflows"
    entry to the manifest and saves it. Returns None, or why there is no
    such capture (the runs that need it are then left out)."""
    work = args.work
    path = work / LONG_NAME
    entry = manifest.get("longflows")
    if (entry and entry.get("mb") == args.long_mb
            and entry.get("format") == LONG_FORMAT and path.exists()):
        return None
    manifest.pop("longflows", None)
    reason = None
    for attempt in range(1, LONG_ATTEMPTS + 1):
        log(f"writing {LONG_NAME}: long flows, {args.long_mb:g} MB, captured"
            f" on a loopback interface (attempt {attempt})")
        proc = subprocess.run([sys.executable, str(REPO / "bench" / "longflows.py"),
                               "--mb", str(args.long_mb), str(path)],
                              stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            reason = "longflows.py failed (see its message on standard error)"
            continue
        summary = json.loads(proc.stdout)
        planned = summary["tcp_flows"] + summary["udp_flows"]
        flows = flow_packets(flowshark, path)
        tcp = sorted(n for proto, n in flows if proto == "tcp")
        if len(flows) != planned:
            reason = f"flowshark gives {len(flows)} flows, not the {planned} planned"
        elif summary["dropped"]:
            reason = f"dumpcap dropped {summary['dropped']} packets"
        else:
            manifest["longflows"] = {
                "path": path.name, "mb": args.long_mb, "format": LONG_FORMAT,
                "packets": capinfos_packets(path), "bytes": path.stat().st_size,
                "span_s": capinfos_duration(path), "flows": planned,
                "tcp_flows": summary["tcp_flows"],
                "udp_flows": summary["udp_flows"],
                "tcp_packets": ([tcp[0], statistics.median(tcp), tcp[-1]]
                                if tcp else None),
                "dropped": summary["dropped"]}
            (work / "manifest.json").write_text(json.dumps(manifest, indent=1))
            return None
        log(f"{LONG_NAME}: {reason}")
    path.unlink(missing_ok=True)
    return reason


def capinfos_packets(path):
    """Packet count of a capture (capinfos -c -M)."""
    out = tool_output(["capinfos", "-c", "-M", str(path)])
    for line in out.splitlines():
        if "Number of packets" in line:
            return int(line.split(":", 1)[1].strip())
    raise BenchError(f"capinfos gave no packet count for {path}")


def build_inputs(args, flowshark):
    """Build (or reuse) the inputs in args.work; return the manifest dict:
    ingredient names, rounds, and per-input packets and bytes."""
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    samples = sample_files()
    key = input_key(args, samples)
    manifest_path = work / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        files = [work / manifest["big1x"]["path"],
                 work / manifest["big4x"]["path"]]
        files += [work / p for p in manifest["small"]["paths"]]
        if manifest.get("key") == key and all(p.exists() for p in files):
            log(f"reusing inputs in {work}")
            ensure_folder(args, manifest)
            if set("gh") & set(args.only):
                ensure_long(args, manifest)
            return manifest
    manifest_path.unlink(missing_ok=True)

    log("preparing ingredients (each sample: convert, copy, check)")
    ingredients, skipped = prepare_ingredients(flowshark, samples, work)
    kept = [i.name for i in ingredients]
    if not kept:
        raise BenchError("no sample can be copied; see the reasons above")
    round_bytes = sum(len(i.blob) for i in ingredients)
    rounds_1x = max(1, round(args.size_mb * 1e6 / 4 / round_bytes))
    manifest = {"key": key, "ingredients": kept, "skipped": skipped}
    for name, rounds in (("big1x", rounds_1x), ("big4x", 4 * rounds_1x)):
        path = work / f"{name}.pcap"
        log(f"writing {path.name}: {rounds} rounds of {len(kept)} samples")
        write_copies(path, ingredients, rounds)
        manifest[name] = {"path": path.name, "rounds": rounds,
                          "packets": capinfos_packets(path),
                          "bytes": path.stat().st_size}
    log(f"writing {args.small_count} small captures")
    manifest["small"] = build_small(samples, work, args.small_count)
    manifest_path.write_text(json.dumps(manifest, indent=1))
    ensure_folder(args, manifest)
    if set("gh") & set(args.only):
        ensure_long(args, manifest)
    return manifest


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------

def tshark_cmd(tshark, capture, fields, extra):
    """tshark command printing what flowshark's record needs."""
    cmd = [tshark, "-r", str(capture), *extra, "-Y", TSHARK_FILTER,
           "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    return cmd


def flowshark_cmds(flowshark, captures, fields, extra):
    """flowshark commands reading all captures, split so that no argument
    list exceeds MAX_ARGS_BYTES."""
    base = [flowshark, *extra]
    for f in fields:
        base += ["-e", f]
    cmds, cmd, size = [], list(base), 0
    for c in captures:
        if size > MAX_ARGS_BYTES:
            cmds.append(cmd)
            cmd, size = list(base), 0
        cmd += ["-r", str(c)]
        size += len(str(c)) + 4
    cmds.append(cmd)
    return cmds


def measure(cmds, out_dir, name, keep_output, stdin_path=None, save_to=None):
    """Run cmds one after the other (fresh processes) and return one Run:
    summed wall time, largest peak RSS, first non-zero exit status, and
    (when keep_output) the total number of output lines. stdin_path: a file
    piped into each command's standard input (run_measured). save_to: with
    keep_output and one command, where its standard output is kept (else
    it is removed once counted)."""
    out = out_dir / f"{name}.out" if keep_output else Path(os.devnull)
    err = out_dir / f"{name}.err"
    err.unlink(missing_ok=True)
    total = Run(0.0, 0, 0, 0 if keep_output else None, cpu_seconds=0.0)
    for cmd in cmds:
        run = run_measured(cmd, out, err, stdin_path)
        total.seconds += run.seconds
        total.cpu_seconds += run.cpu_seconds
        total.rss_kb = max(total.rss_kb, run.rss_kb)
        total.status = total.status or run.status
        if keep_output:
            total.lines += count_lines(out)
    if keep_output and save_to:
        out.replace(save_to)
    elif keep_output:
        out.unlink()
    return total


def remove_outputs(paths):
    """Remove the files a run writes with -w, with SQLite's companions."""
    for path in paths:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def output_size(paths):
    """Bytes of the files a run wrote (SQLite's -wal included), or None."""
    sizes = [Path(str(p) + suffix).stat().st_size
             for p in paths for suffix in ("", "-wal")
             if Path(str(p) + suffix).exists()]
    return sum(sizes) if sizes else None


def output_records(path):
    """Records in a -w output: lines of JSON Lines, rows of the flows table
    of a SQLite database; None if it cannot be read."""
    if not path.exists():
        return None
    if path.suffix != ".db":
        return count_lines(path)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM flows").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None


def sqlite_refusal(flowshark, work, capture):
    """None if flowshark writes -T sqlite -w FILE (one capture read into a
    throw-away database), else why not (its exit status and message)."""
    probe = work / "runs" / "probe.db"
    remove_outputs([probe])
    proc = subprocess.run([flowshark, "-q", "-T", "sqlite", "-w", str(probe),
                           "-r", str(capture)], capture_output=True, text=True)
    remove_outputs([probe])
    if proc.returncode in (0, 2):
        return None
    message = proc.stderr.strip().splitlines()
    return (f"exit status {proc.returncode}"
            + (f": {message[0]}" if message else ""))


def fast_refusal(flowshark):
    """None if flowshark --help mentions --fast (issue 16's fast mode),
    else why its rows are left out."""
    proc = subprocess.run([flowshark, "--help"], capture_output=True, text=True)
    if "--fast" in proc.stdout + proc.stderr:
        return None
    return "flowshark --help does not mention --fast"


def fast_args(args):
    """flowshark's options of the fast-mode rows."""
    return ["--fast"] + (["--fast-limit", str(args.fast_limit)]
                         if args.fast_limit is not None else [])


def median_run(runs):
    """Median wall time and peak RSS over repetitions; worst status."""
    statuses = [r.status for r in runs if r.status]
    return Run(statistics.median(r.seconds for r in runs),
               statistics.median(r.rss_kb for r in runs),
               statuses[0] if statuses else 0, runs[0].lines,
               runs[-1].output_bytes,
               statistics.median(r.cpu_seconds for r in runs))


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def fmt(value, digits=1):
    """A number with thousands separators, or n/a."""
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(num, den, digits=2):
    """num/den formatted, or n/a when either is missing or den is 0."""
    if num is None or not den:
        return "n/a"
    return f"{num / den:.{digits}f}"


def machine_info(tshark, flowshark):
    """Lines describing the machine and tool versions."""
    cpu = "unknown"
    mem = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    def first(text):
        return text.strip().splitlines()[0] if text.strip() else "?"

    return [
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {cpu}, {os.cpu_count()} CPUs, MemTotal {mem},"
        f" {platform.system()} {platform.release()}",
        f"- tshark: {first(tool_output([tshark, '--version']))}",
        f"- flowshark: {first(tool_output([flowshark, '--version']))}",
        "- load average (1, 5, 15 min) before the runs: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]


class Report:
    """Collects table rows and notes, and prints them as Markdown."""

    HEADER = ("| run | tool | input | packets | MB | s | packets/s | MB/s"
              " | files/s | peak RSS MB | speed vs tshark | RSS vs tshark |")

    def __init__(self):
        self.rows = []
        self.failed = []

    def row(self, run_name, tool, input_name, packets, nbytes, run,
            files=None, peer=None):
        """Add a row; peer is tshark's Run for the ratio columns."""
        if run is None:
            cells = ["n/a (option not available)"] + [""] * 6
        elif run.status:
            self.failed.append(f"{run_name} {tool}")
            cells = [f"error (exit status {run.status})"] + [""] * 6
        else:
            s = run.seconds
            cells = [fmt(s, 2), fmt(packets / s if s else None, 0),
                     fmt(nbytes / 1e6 / s if s else None),
                     fmt(files / s if files and s else None),
                     fmt(run.rss_kb / 1024),
                     ratio(peer.seconds, s) + "x" if peer else "",
                     ratio(run.rss_kb, peer.rss_kb) + "x" if peer else ""]
        self.rows.append(f"| {run_name} | {tool} | {input_name} |"
                         f" {packets:,} | {nbytes / 1e6:,.1f} | "
                         + " | ".join(cells) + " |")

    def table(self):
        """The Markdown table lines."""
        sep = "|" + "---|" * (self.HEADER.count("|") - 1)
        return [self.HEADER, sep, *self.rows]


def rss_mb(run):
    """Peak RSS in MB of a successful run, else None."""
    return run.rss_kb / 1024 if run and not run.status else None


def memory_table(runs, manifest):
    """Markdown lines for peak RSS at 1x and 4x, growth ratio and bytes per
    packet beyond the 1x baseline, per tool."""
    p1, p4 = manifest["big1x"]["packets"], manifest["big4x"]["packets"]
    lines = ["| memory | flowshark | tshark | flowshark bounded |",
             "|---|---|---|---|"]
    cols = [("flowshark", "a 4x", "d 1x"), ("tshark", "a 4x", "d 1x"),
            ("flowshark", "d bounded 4x", "d bounded 1x")]
    values = {"1x": [], "4x": [], "ratio": [], "bpp": []}
    for tool, k4, k1 in cols:
        r4, r1 = runs.get((k4, tool)), runs.get((k1, tool))
        m4, m1 = rss_mb(r4), rss_mb(r1)
        values["1x"].append(fmt(m1))
        values["4x"].append(fmt(m4))
        values["ratio"].append(ratio(m4, m1))
        bpp = (None if m4 is None or m1 is None or p4 == p1
               else (m4 - m1) * 1024 * 1024 / (p4 - p1))
        values["bpp"].append(fmt(bpp, 0))
    labels = {"1x": f"peak RSS MB, 1x ({p1:,} packets)",
              "4x": f"peak RSS MB, 4x ({p4:,} packets)",
              "ratio": "ratio 4x/1x",
              "bpp": "bytes per packet beyond the 1x baseline"}
    for key, label in labels.items():
        lines.append(f"| {label} | " + " | ".join(values[key]) + " |")
    return lines


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def parse_args(argv):
    """Command-line options; --quick changes the defaults of the sizes."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flowshark", default=str(REPO / "build/extractor/flowshark"),
                    help="flowshark binary (default: build/extractor/flowshark)")
    ap.add_argument("--tshark", default="tshark", help="tshark binary")
    ap.add_argument("--work", type=Path, default=REPO / "bench/work",
                    help="directory for the built inputs (default: bench/work)")
    ap.add_argument("--size-mb", type=float,
                    help="size of the 4x capture in MB; the 1x one is a"
                    " quarter (default 400; 40 with --quick)")
    ap.add_argument("--small-count", type=int,
                    help="number of small captures (default 1000;"
                    " 100 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="small inputs for a fast check of the benchmark")
    ap.add_argument("--repeat", type=int, default=1,
                    help="repetitions of each measurement; the median is"
                    " reported (default 1)")
    ap.add_argument("--extra-args", default="",
                    help="options added to both tools' command lines (e.g."
                    " '-o tcp.desegment_tcp_streams:FALSE'); quoted as in sh")
    ap.add_argument("--bounded-args", default="",
                    help="flowshark options of a bounded-memory mode, measured"
                    " at 1x and 4x (default: not measured)")
    ap.add_argument("--folder-count", type=int,
                    help="captures of the folder of runs e and f, cut from"
                    " big1x.pcap (default 32; 8 with --quick)")
    ap.add_argument("--only", default=DEFAULT_RUNS,
                    help=f"the runs to measure, as letters among {ALL_RUNS}"
                    f" (default {DEFAULT_RUNS}; e.g. --only ef for the folder"
                    " runs alone, --only k for callgrind alone)")
    ap.add_argument("--callgrind", action="store_true",
                    help="also run k: instructions per packet under valgrind"
                    " --tool=callgrind (slow: several minutes)")
    ap.add_argument("--callgrind-packets", type=int, default=40_000,
                    help="run k: packets cut from the start of each capture"
                    " (default 40000)")
    ap.add_argument("--long-mb", type=float,
                    help="run j: MB downloaded in the long-flows capture"
                    " (default 150; 40 with --quick)")
    ap.add_argument("--fast-limit", type=int,
                    help="--fast-limit N of the --fast rows (default:"
                    " not given, flowshark's own default)")
    ap.add_argument("--reset-every", type=int, default=100_000,
                    help="--reset-every N of run g's bounded option sets"
                    " (default 100000, as run d's bounded mode in the"
                    " README)")
    ap.add_argument("--check", action="store_true",
                    help="keep the outputs and report flowshark's record"
                    " counts against the expected ones")
    args = ap.parse_args(argv)
    if args.size_mb is None:
        args.size_mb = 40 if args.quick else 400
    if args.small_count is None:
        args.small_count = 100 if args.quick else 1000
    if args.folder_count is None:
        args.folder_count = 8 if args.quick else 32
    if args.long_mb is None:
        args.long_mb = 40 if args.quick else 150
    if (args.size_mb <= 0 or args.small_count <= 0 or args.repeat <= 0
            or args.folder_count <= 0 or args.long_mb <= 0
            or args.callgrind_packets < 2):
        ap.error("--size-mb, --small-count, --folder-count, --long-mb and"
                 " --repeat must be positive, --callgrind-packets at least 2")
    if args.fast_limit is not None and args.fast_limit <= 0:
        ap.error("--fast-limit must be positive")
    if not args.only or set(args.only) - set(ALL_RUNS):
        ap.error(f"--only takes letters among {ALL_RUNS}")
    if args.callgrind and "k" not in args.only:
        args.only += "k"
    if args.reset_every <= 0:
        ap.error("--reset-every must be positive")
    args.work = args.work.resolve()
    return args


def plan(args, manifest, flowshark, tshark, sqlite_skip, fast_skip, long_skip):
    """The measurements: [Job], Job.key being (run name, tool); the runs
    of args.only. sqlite_skip, fast_skip, long_skip: why -T sqlite, --fast
    and the long-flows capture (run j) are not measured, or None."""
    extra = shlex.split(args.extra_args)
    bounded = shlex.split(args.bounded_args)
    work = args.work
    big1 = work / manifest["big1x"]["path"]
    big4 = work / manifest["big4x"]["path"]
    small = [work / p for p in manifest["small"]["paths"]]
    fields_b = TSHARK_FIELDS + EXTENSION_FIELDS
    inputs = {"4x": (big4.name, manifest["big4x"], None),
              "1x": (big1.name, manifest["big1x"], None),
              "small": (f"{len(small)} files", manifest["small"], len(small))}
    jobs = [
        ("a 4x", "4x", flowshark_cmds(flowshark, [big4], [], extra),
         [tshark_cmd(tshark, big4, TSHARK_FIELDS, extra)]),
        ("b 4x", "4x", flowshark_cmds(flowshark, [big4], EXTENSION_FIELDS,
                                      extra),
         [tshark_cmd(tshark, big4, fields_b, extra)]),
        ("c small", "small", flowshark_cmds(flowshark, small, [], extra),
         [tshark_cmd(tshark, f, TSHARK_FIELDS, extra) for f in small]),
        ("d 1x", "1x", flowshark_cmds(flowshark, [big1], [], extra),
         [tshark_cmd(tshark, big1, TSHARK_FIELDS, extra)]),
    ]
    # the fast mode beside the exact one, on the mixed capture
    fast = {"a 4x": flowshark_cmds(flowshark, [big4], [], extra + fast_args(args)),
            "b 4x": flowshark_cmds(flowshark, [big4], EXTENSION_FIELDS,
                                   extra + fast_args(args))}
    out = []
    for name, inp, fcmds, tcmds in jobs:
        if name[0] not in args.only:
            continue
        label, info, files = inputs[inp]
        out.append(Job((name, "tshark"), label, info, files, tcmds))
        out.append(Job((name, "flowshark"), label, info, files, fcmds))
        if name in fast and not fast_skip:
            out.append(Job((name, FAST_TOOL), label, info, files, fast[name]))
    if bounded and "d" in args.only:
        for name, inp, cap in (("d bounded 1x", "1x", big1),
                               ("d bounded 4x", "4x", big4)):
            label, info, files = inputs[inp]
            out.append(Job((name, "flowshark"), label, info, files,
                           flowshark_cmds(flowshark, [cap], [],
                                          extra + bounded)))
    # flowshark against itself on the dataset folder: -j 1 and -j 2 (e);
    # JSON Lines and SQLite written to a file with -w (f).
    folder = manifest["folder"]
    path = str(work / folder["path"])
    label = (f"folder/ ({folder['captures']} captures in"
             f" {FOLDER_CLASSES} folders)")
    base = [flowshark, *extra]
    if "e" in args.only:
        for jobs_n in (1, 2):
            out.append(Job((f"e folder -j {jobs_n}", "flowshark"), label,
                           folder, folder["captures"],
                           [base + ["-j", str(jobs_n), "-r", path]]))
    if "g" in args.only:
        out += g_jobs(args, manifest, flowshark, extra)
    if "h" in args.only:
        out += h_jobs(args, manifest, flowshark, extra)
    if "i" in args.only:
        out += i_jobs(args, manifest, flowshark, tshark, extra)
    if "j" in args.only and not long_skip:
        out += j_jobs(args, manifest, flowshark, tshark, extra, fast_skip)
    if "f" in args.only:
        outputs = {"jsonl": work / "runs" / "out.jsonl",
                   "sqlite": work / "runs" / "out.db"}
        for fmt_name, out_path in outputs.items():
            if fmt_name == "sqlite" and sqlite_skip:
                continue
            out.append(Job((f"f {fmt_name} -w", "flowshark"), label, folder,
                           folder["captures"],
                           [base + ["-j", "2", "-T", fmt_name,
                                    "-w", str(out_path), "-r", path]],
                           (out_path,)))
    return out


# Run g: flowshark's option sets, by name: exact mode (memory grows with
# the capture, the contrast), timeouts in the bounded mode, the NFStream
# preset in the bounded mode; "{n}" is --reset-every's N.
G_OPTIONS = [
    ("exact", []),
    ("timeouts", ["--idle-timeout", "120", "--active-timeout", "1800",
                  "--reset-every", "{n}"]),
    ("nfstream", ["--nfstream", "--reset-every", "{n}"]),
]
G_REPLAY = "nfstream"  # the option set of the replay through a pipe


def g_options(name, n):
    """Run g's options of option set `name`, with N filled in."""
    return [a.format(n=n) for a in dict(G_OPTIONS)[name]]


def g_jobs(args, manifest, flowshark, extra):
    """Run g: each option set on big1x.pcap and big4x.pcap (-r FILE), then
    the replay: big1x.pcap and the long capture (big4x.pcap, or long.pcap
    when big4x spans less than an hour) fed through a pipe to -r -. Job keys
    ("g OPTIONS CAPTURE", "flowshark"); output lines are records."""
    work = args.work
    jobs = []
    for name, _ in G_OPTIONS:
        for inp in ("big1x", "big4x"):
            info = manifest[inp]
            cmd = [flowshark, "-q", *extra, "-r", str(work / info["path"]),
                   *g_options(name, args.reset_every)]
            jobs.append(Job((f"g {name} {inp[3:]}", "flowshark"),
                            info["path"], info, None, [cmd]))
    opts = g_options(G_REPLAY, args.reset_every)
    for inp, label in (("big1x", "1x"), ("long", "long")):
        info = manifest[inp]
        cmd = [flowshark, "-q", *extra, "-r", "-", *opts]
        jobs.append(Job((f"g replay {label}", "flowshark"),
                        f"cat {info['path']} |", info, None, [cmd],
                        stdin=work / info["path"]))
    return jobs


def flat_verdict(r):
    """"flat within +-20%" or how far off, for an RSS ratio r."""
    if r is None:
        return "n/a"
    if abs(r - 1) <= FLAT_TOLERANCE:
        return f"**flat** within ±{FLAT_TOLERANCE:.0%}"
    return f"**not flat** ({(r - 1):+.0%})"


def g_tables(args, runs, jobs):
    """Markdown lines of run g: every run, then the ratios RSS(4x)/RSS(1x)
    per option set and RSS(long)/RSS(1x) of the replay, with verdicts."""
    lines = ["| g | capture | MB | packets | hours | options | wall s | CPU s"
             " | peak RSS MB | records |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        if not job.key[0].startswith("g "):
            continue
        run = runs[job.key]
        info = job.info
        cmd = job.cmds[0]
        opts = shlex.join(info["path"] if a == str(args.work / info["path"])
                          else a for a in cmd[cmd.index("-q"):])
        if job.stdin:
            opts = f"cat {info['path']} \| flowshark " + opts
        ok = run is not None and not run.status
        lines.append(
            f"| {job.key[0]} | {info['path']} | {info['bytes'] / 1e6:,.1f} |"
            f" {info['packets']:,} | {info['span_s'] / 3600:,.1f} |"
            f" `{opts}` |"
            + (f" {fmt(run.seconds, 2)} | {fmt(run.cpu_seconds, 2)} |"
               f" {fmt(run.rss_kb / 1024)} | {fmt(run.lines, 0)} |" if ok else
               f" error (exit status {run.status if run else '?'}) | | | |"))
    lines += ["", "| g: peak RSS | 1x MB | 4x (or long) MB | ratio | verdict |",
              "|---|---|---|---|---|"]
    pairs = [(f"{name}: 4x/1x", f"g {name} 1x", f"g {name} 4x")
             for name, _ in G_OPTIONS]
    pairs.append((f"replay ({G_REPLAY}, pipe): long/1x", "g replay 1x",
                   "g replay long"))
    for label, k1, k4 in pairs:
        if (k1, "flowshark") not in runs:
            continue
        m1 = rss_mb(runs.get((k1, "flowshark")))
        m4 = rss_mb(runs.get((k4, "flowshark")))
        r = m4 / m1 if m1 and m4 is not None else None
        lines.append(f"| {label} | {fmt(m1)} | {fmt(m4)} | {ratio(m4, m1)} |"
                     f" {flat_verdict(r)} |")
    lines += ["", f"- N = {args.reset_every} (--reset-every); hours: capture"
              " time from first to last packet (capinfos); records: lines"
              " written on standard output; peak RSS: wait4's ru_maxrss of"
              " flowshark, which covers its reaped workers as the largest"
              " single process; times depend on the machine's load, peak"
              " RSS does not"]
    return lines


# Run h: flowshark window -r (issue 14), windows of H_SECONDS, written
# once the capture is past them by the horizon (the default), or all held
# to the end (--hold, the contrast); both with --reset-every N.
H_SECONDS = "10"
H_MODES = [("horizon", []), ("hold", ["--hold"])]


def h_jobs(args, manifest, flowshark, extra):
    """Run h: window -r on big1x.pcap and big4x.pcap in each mode. Job keys
    ("h MODE CAPTURE", "flowshark"); output lines are window rows."""
    jobs = []
    for mode, opts in H_MODES:
        for inp in ("big1x", "big4x"):
            info = manifest[inp]
            cmd = [flowshark, "window", "--seconds", H_SECONDS, *opts,
                   "--reset-every", str(args.reset_every), *extra,
                   "-r", str(args.work / info["path"])]
            jobs.append(Job((f"h {mode} {inp[3:]}", "flowshark"),
                            info["path"], info, None, [cmd]))
    return jobs


def h_tables(args, runs, jobs):
    """Markdown lines of run h: every run, then RSS(4x)/RSS(1x) per mode
    with verdicts."""
    lines = ["| h | capture | MB | packets | hours | options | wall s | CPU s"
             " | peak RSS MB | windows |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        if not job.key[0].startswith("h "):
            continue
        run = runs[job.key]
        info = job.info
        cmd = job.cmds[0]
        opts = shlex.join(info["path"] if a == str(args.work / info["path"])
                          else a for a in cmd[cmd.index("window"):])
        ok = run is not None and not run.status
        lines.append(
            f"| {job.key[0]} | {info['path']} | {info['bytes'] / 1e6:,.1f} |"
            f" {info['packets']:,} | {info.get('span_s', 0) / 3600:,.1f} |"
            f" `{opts}` |"
            + (f" {fmt(run.seconds, 2)} | {fmt(run.cpu_seconds, 2)} |"
               f" {fmt(run.rss_kb / 1024)} | {fmt(run.lines, 0)} |" if ok else
               f" error (exit status {run.status if run else '?'}) | | | |"))
    lines += ["", "| h: peak RSS | 1x MB | 4x MB | ratio | verdict |",
              "|---|---|---|---|---|"]
    for mode, _ in H_MODES:
        m1 = rss_mb(runs.get((f"h {mode} 1x", "flowshark")))
        m4 = rss_mb(runs.get((f"h {mode} 4x", "flowshark")))
        r = m4 / m1 if m1 and m4 is not None else None
        lines.append(f"| window {mode}: 4x/1x | {fmt(m1)} | {fmt(m4)} |"
                     f" {ratio(m4, m1)} | {flat_verdict(r)} |")
    lines += ["", f"- flowshark window --seconds {H_SECONDS} --reset-every"
              f" {args.reset_every}; horizon: the default (timeouts 120 and"
              " 1800 s, a window written once the capture is 1921 s past"
              " it); hold: --hold (no timeouts, every window kept to the"
              " end); windows: rows written"]
    return lines


# Run i: the botnet subcommands (issue 15) on big4x.pcap with their
# defaults, each a capture pass (as flowshark --keep-empty) feeding its
# analysis in the same process; beside tshark's one pass and flowshark's
# capture pass alone, measured in the same run. Each entry: a name and
# flowshark's arguments ("{cap}" the capture, "{out}" the file written
# with -w), or None for tshark's command of run a.
I_SUBCOMMANDS = ("graph", "cflows", "botnet")
I_RUNS = [
    ("tshark", None),
    ("capture", ["-r", "{cap}", "--keep-empty"]),
    *((name, [name, "-r", "{cap}", "-w", "{out}"]) for name in I_SUBCOMMANDS),
    # botnet without its payload rules: what -e tcp.payload -e udp.payload
    # and the rules cost
    ("botnet-no-payload", ["botnet", "-r", "{cap}", "--no-payload", "-w", "{out}"]),
]
# The rows of the second table: each analysis beyond the capture pass.
I_ANALYSES = (*I_SUBCOMMANDS, "botnet-no-payload")


def i_jobs(args, manifest, flowshark, tshark, extra):
    """Run i: tshark's one pass (-Y FILTER -T fields, the default record's
    fields, as run a), flowshark -r big4x.pcap --keep-empty, and flowshark
    graph, cflows and botnet -r big4x.pcap, each writing its table with -w
    to work/runs/i-NAME.jsonl. Job keys ("i NAME", tool); output lines are
    tshark's lines, the capture pass's records and the subcommands' rows."""
    info = manifest["big4x"]
    cap = str(args.work / info["path"])
    jobs = []
    for name, argv in I_RUNS:
        if argv is None:
            jobs.append(Job((f"i {name}", "tshark"), info["path"], info, None,
                            [tshark_cmd(tshark, cap, TSHARK_FIELDS, extra)]))
            continue
        out = args.work / "runs" / f"i-{name}.jsonl"
        cmd = [a.format(cap=cap, out=out) for a in argv]
        # extra options go after the subcommand's name, as in run h
        at = 1 if argv[0] in I_SUBCOMMANDS else 0
        cmd = [flowshark, *cmd[:at], *extra, *cmd[at:]]
        jobs.append(Job((f"i {name}", "flowshark"), info["path"], info, None,
                        [cmd], (out,) if "-w" in argv else ()))
    return jobs


def shown_command(args, job):
    """The command of a run i or j job as shown in the tables: the
    program's name, the capture and the output file by their base names;
    tshark's filter as FILTER and the default record's -e fields as their
    count."""
    cmd = job.cmds[0]
    names = {str(args.work / job.info["path"]), *map(str, job.outputs)}
    shown = [Path(cmd[0]).name]
    for a in cmd[1:]:
        if a in names:
            a = Path(a).name
        elif a == TSHARK_FILTER:
            a = "FILTER"
        shown.append(a)
    text = shlex.join(shown)
    if job.key[1] == "tshark":
        fields = " ".join(f"-e {f}" for f in TSHARK_FIELDS)
        text = text.replace(fields, f"-e … ({len(TSHARK_FIELDS)} fields)")
    return text


def i_tables(args, runs, jobs):
    """Markdown lines of run i: every run with its ratios to tshark's one
    pass, then what each subcommand adds to the capture pass."""
    jobs = [j for j in jobs if j.key[0].startswith("i ")]
    by_name = {j.key[0][2:]: runs.get(j.key) for j in jobs}

    def good(run):
        return run if run is not None and not run.status else None

    tshark = good(by_name.get("tshark"))
    capture = good(by_name.get("capture"))
    info = jobs[0].info if jobs else None
    lines = ["| i | command | wall s | CPU s | peak RSS MB | wall / tshark"
             " | CPU / tshark | RSS / tshark | output lines |",
             "|---|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        name = job.key[0][2:]
        run = by_name[name]
        shown = f"`{shown_command(args, job)}`"
        if good(run) is None:
            lines.append(f"| {name} | {shown} | error (exit status"
                         f" {run.status if run else '?'}) | | | | | | |")
            continue
        if name == "tshark" or tshark is None:
            vs = ["", "", ""]
        else:
            vs = [ratio(run.seconds, tshark.seconds) + "x",
                  ratio(run.cpu_seconds, tshark.cpu_seconds) + "x",
                  ratio(run.rss_kb, tshark.rss_kb) + "x"]
        lines.append(f"| {name} | {shown} | {fmt(run.seconds, 2)} |"
                     f" {fmt(run.cpu_seconds, 2)} | {fmt(run.rss_kb / 1024)} |"
                     f" {' | '.join(vs)} | {fmt(run.lines, 0)} |")
    lines += ["", "| i: beyond the capture pass | wall s | CPU s"
              " | peak RSS MB | wall / capture pass | CPU / capture pass |",
              "|---|---|---|---|---|---|"]
    for name in I_ANALYSES:
        run = good(by_name.get(name))
        if run is None or capture is None:
            lines.append(f"| {name} | n/a | n/a | n/a | n/a | n/a |")
            continue
        lines.append(
            f"| {name} | {run.seconds - capture.seconds:+,.2f} |"
            f" {run.cpu_seconds - capture.cpu_seconds:+,.2f} |"
            f" {(run.rss_kb - capture.rss_kb) / 1024:+,.1f} |"
            f" {ratio(run.seconds, capture.seconds)}x |"
            f" {ratio(run.cpu_seconds, capture.cpu_seconds)}x |")
    if info:
        lines += ["", f"- capture: {info['path']}, {info['bytes'] / 1e6:,.1f}"
                  f" MB, {info['packets']:,} packets; each subcommand with its"
                  " defaults, its table written with -w to a file; tshark's"
                  " and the capture pass's standard output to a file; tshark:"
                  " run a's command (FILTER, the default record's fields);"
                  " output lines: tshark's lines (packets through FILTER), the"
                  " capture pass's records, the subcommands' rows;"
                  " X / tshark: this run's over tshark's; beyond the capture"
                  " pass: this run's minus flowshark -r --keep-empty's (the"
                  " analysis's own cost; on a loaded machine one run's wall"
                  " time can make it negative); times depend on the"
                  " machine's load, peak RSS does not"]
    return lines


def good(run):
    """A run that succeeded, else None."""
    return run if run is not None and not run.status else None


# Run j: tshark's one pass, flowshark (exact) and flowshark --fast on the
# long-flows capture, each with the default record's fields and LONG_FIELDS.
J_KEY = "j long"


def j_jobs(args, manifest, flowshark, tshark, extra, fast_skip):
    """Run j's jobs on the long-flows capture. Job keys (J_KEY, tool);
    output lines are tshark's lines and flowshark's records, which are kept
    in work/runs/ (j_long-TOOL.jsonl) to compare the two modes."""
    info = manifest["longflows"]
    cap = args.work / info["path"]
    jobs = [Job((J_KEY, "tshark"), info["path"], info, None,
                [tshark_cmd(tshark, cap, TSHARK_FIELDS + LONG_FIELDS, extra)]),
            Job((J_KEY, "flowshark"), info["path"], info, None,
                flowshark_cmds(flowshark, [cap], LONG_FIELDS, extra))]
    if not fast_skip:
        jobs.append(Job((J_KEY, FAST_TOOL), info["path"], info, None,
                        flowshark_cmds(flowshark, [cap], LONG_FIELDS,
                                       extra + fast_args(args))))
    return jobs


def saved_records(args, tool):
    """Run j's kept records of a tool, by flow (protocol, addresses, ports,
    first time); None if there are none."""
    path = args.work / "runs" / ("-".join((J_KEY, tool)).replace(" ", "_")
                                 + ".jsonl")
    if not path.exists():
        return None
    recs = {}
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            recs[tuple(rec.get(k) for k in ("protocol", "src", "sport", "dst",
                                            "dport", "time_start"))] = rec
    return recs


def mode_comparison(args):
    """One line comparing run j's --fast records with the exact ones,
    flow by flow, or None without both."""
    exact, fast = saved_records(args, "flowshark"), saved_records(args, FAST_TOOL)
    if exact is None or fast is None:
        return None
    both = exact.keys() & fast.keys()
    same = sum(1 for k in both if exact[k] == fast[k])
    same_ext = sum(1 for k in both
                   if exact[k].get("extension") == fast[k].get("extension"))
    return (f"- --fast against exact, flow by flow (matched by protocol,"
            f" addresses, ports and first time): {len(both)} flows in both,"
            f" {len(exact) - len(both)} only in exact, {len(fast) - len(both)}"
            f" only in --fast; identical records: {same} of {len(both)};"
            f" same extension fields: {same_ext} of {len(both)}")


def j_tables(args, runs, jobs, fast_skip):
    """Markdown lines of run j: each tool with wall and CPU time, peak RSS
    and the ratios to tshark's, --fast over exact, and the two modes'
    records compared."""
    jobs = [j for j in jobs if j.key[0] == J_KEY]
    if not jobs:
        return []
    info = jobs[0].info
    tshark = good(runs.get((J_KEY, "tshark")))
    lines = ["| j | command | wall s | CPU s | peak RSS MB | packets/s"
             " | speed vs tshark | CPU speed vs tshark | RSS vs tshark"
             " | output lines |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for job in jobs:
        tool = job.key[1]
        run = runs.get(job.key)
        shown = f"`{shown_command(args, job)}`"
        if good(run) is None:
            lines.append(f"| {tool} | {shown} | error (exit status"
                         f" {run.status if run else '?'}) | | | | | | | |")
            continue
        if tool == "tshark" or tshark is None:
            vs = ["", "", ""]
        else:
            vs = [ratio(tshark.seconds, run.seconds) + "x",
                  ratio(tshark.cpu_seconds, run.cpu_seconds) + "x",
                  ratio(run.rss_kb, tshark.rss_kb) + "x"]
        lines.append(f"| {tool} | {shown} | {fmt(run.seconds, 2)} |"
                     f" {fmt(run.cpu_seconds, 2)} | {fmt(run.rss_kb / 1024)} |"
                     f" {fmt(info['packets'] / run.seconds, 0)} |"
                     f" {' | '.join(vs)} | {fmt(run.lines, 0)} |")
    tcp = info["tcp_packets"]
    lines += ["", f"- capture: {info['path']} (longflows.py),"
              f" {info['bytes'] / 1e6:,.1f} MB, {info['packets']:,} packets, {info['span_s']:,.1f} s;"
              f" {info['flows']} flows: {info['tcp_flows']} TCP (HTTPS and HTTP"
              f" downloads of {tcp[0]:,}–{tcp[2]:,} packets, median"
              f" {tcp[1]:,.0f}), {info['udp_flows']} UDP (DNS, 2 packets each)",
              "- fields: the default record's 16 and " + ", ".join(LONG_FIELDS)
              + " (flowshark's -e); output lines: tshark's lines (packets"
              " through FILTER), flowshark's records; speed: tshark's time"
              " over this one's; RSS: this one's peak RSS over tshark's"]
    exact = good(runs.get((J_KEY, "flowshark")))
    fast = good(runs.get((J_KEY, FAST_TOOL)))
    if fast_skip:
        lines.append(f"- --fast not measured: {fast_skip}")
    elif exact and fast:
        lines.append(f"- --fast over exact: {ratio(exact.seconds, fast.seconds)}x"
                     f" as fast (wall), {ratio(exact.cpu_seconds, fast.cpu_seconds)}x"
                     f" (CPU), {ratio(fast.rss_kb, exact.rss_kb)}x the peak RSS")
        compared = mode_comparison(args)
        if compared:
            lines.append(compared)
    return lines


# Run k: instructions per packet under callgrind, start-up subtracted:
# each command runs on the first N packets of a capture and on its first
# packet alone, and (Ir(N) - Ir(1)) / (N - 1) is its cost per packet.
K_TOOLS = ("tshark", "flowshark", FAST_TOOL)


def callgrind_ir(cmd, out_dir, name):
    """(instructions executed, exit status, wall seconds) of cmd under
    valgrind --tool=callgrind: the sum of the totals of its output files
    (one per process, should the command fork; a program it execs, such as
    the binary behind a wrapper script, is followed and counted), or None
    if there is none."""
    for old in out_dir.glob(f"{name}.cg.*"):
        old.unlink()
    vg = ["valgrind", "--tool=callgrind", "--trace-children=yes",
          f"--callgrind-out-file={out_dir / name}.cg.%p", *cmd]
    with open(out_dir / f"{name}.err", "wb") as err:
        err.write(("$ " + shlex.join(vg) + "\n").encode())
        err.flush()
        start = time.monotonic()
        proc = subprocess.run(vg, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=err)
        seconds_taken = time.monotonic() - start
    total = None
    for out in out_dir.glob(f"{name}.cg.*"):
        with open(out, errors="replace") as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    total = (total or 0) + int(line.split()[1])
                    break
        out.unlink()
    return total, proc.returncode, seconds_taken


def k_measure(args, manifest, flowshark, tshark, fast_skip, long_skip):
    """Run k: tshark's one pass, flowshark and flowshark --fast under
    callgrind on the first --callgrind-packets packets of big1x.pcap (the
    default record's fields) and of the long-flows capture (with
    LONG_FIELDS), and on the first packet of each; two at a time (the
    counts do not depend on the load). Returns {(capture, tool, packets):
    (Ir or None, exit status)} and {capture: N}."""
    extra = shlex.split(args.extra_args)
    cdir = args.work / "callgrind"
    cdir.mkdir(exist_ok=True)
    sources = [("big1x", manifest["big1x"], TSHARK_FIELDS, [])]
    if not long_skip:
        sources.append(("longflows", manifest["longflows"],
                        TSHARK_FIELDS + LONG_FIELDS, LONG_FIELDS))
    tasks, sizes = [], {}
    for cap_name, info, tfields, efields in sources:
        n = min(args.callgrind_packets, info["packets"])
        sizes[cap_name] = n
        for count in (n, 1):
            cut = cdir / f"{cap_name}-first{count}.pcap"
            tool_output(["editcap", "-r", str(args.work / info["path"]),
                         str(cut), f"1-{count}"])
            cmds = {"tshark": tshark_cmd(tshark, cut, tfields, extra),
                    "flowshark": flowshark_cmds(flowshark, [cut], efields,
                                                extra)[0]}
            if not fast_skip:
                cmds[FAST_TOOL] = flowshark_cmds(flowshark, [cut], efields,
                                                 extra + fast_args(args))[0]
            for tool, cmd in cmds.items():
                tasks.append(((cap_name, tool, count), cmd))

    def one(task):
        (cap_name, tool, count), cmd = task
        name = f"k-{cap_name}-{tool.replace(' ', '')}-{count}"
        log(f"callgrind: {tool} on the first {count:,} packets of {cap_name}")
        ir, status, took = callgrind_ir(cmd, cdir, name)
        log(f"callgrind: {tool}, {cap_name}, {count:,} packets: {fmt(ir, 0)}"
            f" instructions, {took:.0f} s under valgrind")
        return task[0], (ir, status)

    workers = max(1, min(2, os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = dict(pool.map(one, tasks))
    return results, sizes


def k_tables(results, sizes, failed):
    """Markdown lines of run k: instructions per packet per tool and
    capture, and their ratios to tshark's; failed runs are added to
    `failed`."""
    lines = ["| k | capture | tool | Ir, first N packets | Ir, first packet"
             " | Ir per packet | tshark's over this one's |",
             "|---|---|---|---|---|---|---|"]
    for cap_name, n in sizes.items():
        per_packet = {}
        for tool in K_TOOLS:
            if (cap_name, tool, n) not in results:
                continue
            (ir_n, st_n), (ir_1, st_1) = (results[(cap_name, tool, n)],
                                          results[(cap_name, tool, 1)])
            if st_n or st_1 or ir_n is None or ir_1 is None:
                failed.append(f"k {cap_name} {tool}")
                why = (f"exit status {st_n or st_1}" if st_n or st_1
                       else "no callgrind output")
                lines.append(f"| {cap_name} | {tool} | error ({why}) | | | |")
                continue
            per_packet[tool] = (ir_n - ir_1) / (n - 1)
            vs = ("" if tool == "tshark" or "tshark" not in per_packet else
                  ratio(per_packet["tshark"], per_packet[tool]) + "x")
            lines.append(f"| {cap_name} (N = {n:,}) | {tool} | {ir_n:,} |"
                         f" {ir_1:,} | **{per_packet[tool]:,.0f}** | {vs} |")
    lines += ["", "- Ir: instructions executed (valgrind --tool=callgrind, the"
              " total of its output file); N packets: editcap -r CAP 1-N;"
              " Ir per packet: (Ir(N) - Ir(1)) / (N - 1), the start-up"
              " (the run on the first packet alone) subtracted; the same"
              " commands and fields as runs a (big1x) and j (longflows),"
              " standard output to /dev/null; the counts do not depend on"
              " the machine's load"]
    return lines


def expected_records(args, flowshark, manifest):
    """Records flowshark should give per round (one copy of each kept
    sample), measured now on the single copies with the same extra options;
    None if that run fails."""
    copies = [args.work / "ingredients" / (Path(n).stem + ".pcap")
              for n in manifest["ingredients"]]
    status, counts = flowshark_records(flowshark, copies,
                                       shlex.split(args.extra_args))
    if status:
        return None
    return sum(records for records, _ in counts.values())


def run_jobs(args, jobs):
    """Run every job args.repeat times (round-robin, so slow drifts hit both
    tools alike); return {key: median Run}. Bounded-mode runs rejected by
    flowshark (exit status 1) become None."""
    out_dir = args.work / "runs"
    out_dir.mkdir(exist_ok=True)
    results = {job.key: [] for job in jobs}
    for rep in range(args.repeat):
        for job in jobs:
            key = job.key
            log(f"[{rep + 1}/{args.repeat}] {key[0]}: {key[1]} on {job.label}")
            name = "-".join(key).replace(" ", "_")
            remove_outputs(job.outputs)
            counted = key[0].startswith(("g ", "h ", "i ", "j "))
            keep = (args.check or counted) and not job.outputs
            # run j's records are kept, to compare --fast's with exact's
            save = (out_dir / f"{name}.jsonl"
                    if key[0].startswith("j ") and key[1] != "tshark" else None)
            run = measure(job.cmds, out_dir, name, keep, job.stdin, save)
            if job.outputs:
                run.output_bytes = output_size(job.outputs)
                if args.check or counted:
                    run.lines = output_records(job.outputs[0])
                remove_outputs(job.outputs)
            results[key].append(run)
    runs = {}
    for key, runs_of_key in results.items():
        run = median_run(runs_of_key)
        runs[key] = None if "bounded" in key[0] and run.status == 1 else run
    return runs


def check_table(runs, per_round, manifest):
    """Markdown lines comparing flowshark's record counts (output lines)
    with the expected ones; tshark's line counts for information. The
    folder runs (e, f) are expected to give the records of -j 1 (lines of
    JSON Lines, rows of the SQLite flows table)."""
    lines = ["| check | flowshark records | expected | tshark lines |",
             "|---|---|---|---|"]
    for name, rounds in (("a 4x", manifest["big4x"]["rounds"]),
                         ("b 4x", manifest["big4x"]["rounds"]),
                         ("d 1x", manifest["big1x"]["rounds"]),
                         ("c small", None)):
        ts = runs.get((name, "tshark"))
        for tool in ("flowshark", FAST_TOOL):
            fs = runs.get((name, tool))
            if fs is None:
                continue
            expected = per_round * rounds if rounds and per_round else None
            got = fmt(fs.lines, 0)
            if expected is not None and fs.lines != expected:
                got += " (differs)"
            shown = name if tool == "flowshark" else f"{name} --fast"
            lines.append(f"| {shown} | {got} | {fmt(expected, 0)} |"
                         f" {fmt(ts.lines if ts else None, 0)} |")
    base = runs.get(("e folder -j 1", "flowshark"))
    for name in ("e folder -j 1", "e folder -j 2", "f jsonl -w",
                 "f sqlite -w"):
        run = runs.get((name, "flowshark"))
        if run is None:
            continue
        expected = base.lines if base and name != "e folder -j 1" else None
        got = fmt(run.lines, 0)
        if expected is not None and run.lines != expected:
            got += " (differs)"
        lines.append(f"| {name} | {got} | {fmt(expected, 0)} | |")
    return lines


def seconds(run):
    """Wall time of a successful run, else None."""
    return run.seconds if run and not run.status else None


def wall_cpu(run):
    """A run's wall time, with its CPU time: "3.61 (6.80 CPU)"."""
    if seconds(run) is None:
        return "n/a"
    return f"{fmt(run.seconds, 2)} ({fmt(run.cpu_seconds, 2)} CPU)"


def self_table(runs, manifest, sqlite_skip):
    """Markdown lines of flowshark against itself on the folder: -j 2
    over -j 1 (e) and -T sqlite against JSON Lines (f), with the ratios."""
    folder = manifest["folder"]
    what = (f"{folder['captures']} captures, {folder['packets']:,} packets,"
            f" {folder['bytes'] / 1e6:,.1f} MB")
    lines = ["| flowshark against itself | input | A | A s | B | B s | ratio |",
             "|---|---|---|---|---|---|---|"]
    j1_run = runs.get(("e folder -j 1", "flowshark"))
    j2_run = runs.get(("e folder -j 2", "flowshark"))
    j1, j2 = seconds(j1_run), seconds(j2_run)
    if ("e folder -j 1", "flowshark") in runs:
        lines.append(f"| e: -j 2 over -j 1 (A time / B time) | {what} |"
                     f" `-j 1` | {wall_cpu(j1_run)} | `-j 2` | {wall_cpu(j2_run)} |"
                     f" **{ratio(j1, j2)}x** faster |")
    if ("f jsonl -w", "flowshark") in runs:
        js_run = runs.get(("f jsonl -w", "flowshark"))
        sq_run = runs.get(("f sqlite -w", "flowshark"))
        js, sq = seconds(js_run), seconds(sq_run)
        if sqlite_skip:
            cost = f"n/a: flowshark -T sqlite not accepted ({sqlite_skip})"
        else:
            cost = f"**{ratio(sq, js)}x** the time"
        lines.append(f"| f: -T sqlite -w out.db against -T jsonl -w out.jsonl,"
                     f" -j 2 (B time / A time) | {what} | jsonl | {wall_cpu(js_run)} |"
                     f" sqlite | {wall_cpu(sq_run)} | {cost} |")
        sizes = [f"{name} {fmt(r.output_bytes / 1e6) if r and r.output_bytes else 'n/a'} MB"
                 for name, r in (("jsonl", js_run), ("sqlite", sq_run))
                 if not (name == "sqlite" and sqlite_skip)]
        lines.append("")
        lines.append("- output size: " + ", ".join(sizes)
                     + ("" if sqlite_skip else " (SQLite: database and -wal)"))
    if not lines[-1].startswith("- "):
        lines.append("")
    lines.append("- s: median wall time; CPU: user + system time of flowshark"
                 " and its workers (the same work whatever -j: -j 2 gains on"
                 " -j 1 only as much as the CPUs other load leaves free allow)")
    return lines


def header(args, info, manifest, per_round, sqlite_skip=None, fast_skip=None,
           long_skip=None, k_skip=None):
    """Markdown lines above the tables: machine, inputs, legend, and the
    runs or rows left out."""
    rounds1, rounds4 = manifest["big1x"]["rounds"], manifest["big4x"]["rounds"]
    flows = (f"{per_round * rounds1:,} (1x), {per_round * rounds4:,} (4x)"
             if per_round is not None else "n/a")
    lines = ["# flowshark vs tshark", "", *info,
             f"- flowshark measured: a copy of {args.flowshark}",
             f"- inputs: {len(manifest['ingredients'])} samples per round"
             f" ({', '.join(manifest['ingredients'])}); big1x.pcap ="
             f" {rounds1} rounds, big4x.pcap = {rounds4} rounds;"
             f" {len(manifest['small']['paths'])} small captures of up to"
             f" {SMALL_PIECE_PACKETS} packets",
             f"- flows (flowshark records expected): {flows}",
             f"- repetitions: {args.repeat} (median)"
             + (f"; extra args: `{args.extra_args}`" if args.extra_args
                else "")
             + (f"; bounded args: `{args.bounded_args}`"
                if args.bounded_args else ""),
             "- runs: a default record; b plus "
             + ", ".join(EXTENSION_FIELDS) + "; c one flowshark process for"
             " all small captures, one tshark process per capture;"
             " d default record at 1x (and the bounded mode);"
             " e flowshark -j 1 and -j 2 on folder/ (big1x.pcap cut into"
             f" {manifest['folder']['captures']} captures in"
             f" {FOLDER_CLASSES} class folders, and a README.txt), standard"
             " output to /dev/null; f -j 2 on folder/, -T jsonl and"
             " -T sqlite written with -w to a file (removed before each run);"
             " g peak RSS of exact mode, timeouts and --nfstream (both with"
             f" --reset-every {args.reset_every}) at 1x and 4x, and"
             " --nfstream over a long capture fed through a pipe (-r -);"
             " h peak RSS of flowshark window -r at 1x and 4x, windows"
             " written past the horizon and all held (--hold);"
             " i flowshark graph, cflows and botnet -r big4x.pcap (defaults, and botnet --no-payload;"
             " -w to a file) beside tshark's one pass and flowshark -r"
             " big4x.pcap --keep-empty (their capture pass);"
             f" j tshark, flowshark and flowshark --fast on {LONG_NAME}, long"
             " TLS, HTTP and DNS flows captured on a loopback interface, with"
             " the fields of b and http.request.uri;"
             " k (--callgrind) instructions per packet under callgrind;"
             " a and b also measure flowshark --fast"
             + (f" (as {shlex.join(fast_args(args))})"
                if args.fast_limit is not None else "") + "."
             " speed = tshark time / flowshark time,"
             " RSS = flowshark peak RSS / tshark peak RSS"]
    if args.only != DEFAULT_RUNS:
        lines.append(f"- runs measured: {', '.join(args.only)} (--only)")
    if sqlite_skip and "f" in args.only:
        lines.append("- f: -T sqlite not measured: flowshark does not accept"
                     f" it ({sqlite_skip})")
    if fast_skip and set("abjk") & set(args.only):
        lines.append(f"- --fast rows not measured: {fast_skip}")
    if long_skip and set("jk") & set(args.only):
        lines.append(f"- j (and k's long-flows rows) not measured: no"
                     f" {LONG_NAME} ({long_skip})")
    if k_skip:
        lines.append(f"- k not measured: {k_skip}")
    if manifest["skipped"]:
        lines.append("- samples left out: " + "; ".join(
            f"{k} ({v})" for k, v in manifest["skipped"].items()))
    return lines + [""]


def main(argv=None):
    """Build the inputs, run the measurements, print the report. Exit
    status 0, or 1 if a measured run failed, or 2 if a tool cannot run or
    its output is unusable."""
    args = parse_args(argv)
    flowshark = str(Path(args.flowshark).resolve())
    tshark = shutil.which(args.tshark) or args.tshark
    try:
        for tool in ("editcap", "capinfos"):
            if not shutil.which(tool):
                raise BenchError(f"{tool} not found (install wireshark-common)")
        flowshark = snapshot(flowshark, args.work)
        info = machine_info(tshark, flowshark)
        manifest = build_inputs(args, flowshark)
        per_round = expected_records(args, flowshark, manifest)
        (args.work / "runs").mkdir(exist_ok=True)
        sqlite_skip = sqlite_refusal(
            flowshark, args.work, args.work / "ingredients"
            / (Path(manifest["ingredients"][0]).stem + ".pcap"))
        if sqlite_skip and "f" in args.only:
            log(f"bench: flowshark -T sqlite not accepted ({sqlite_skip}):"
                " its measurement is skipped")
        fast_skip = fast_refusal(flowshark)
        if fast_skip and set("abjk") & set(args.only):
            log(f"bench: --fast rows left out: {fast_skip}")
        long_skip = (ensure_longflows(args, flowshark, manifest)
                     if set("jk") & set(args.only) else None)
        if long_skip:
            log(f"bench: no {LONG_NAME} ({long_skip}): run j and run k's"
                " long-flows rows are left out")
        k_skip = ("valgrind not found" if "k" in args.only
                  and not shutil.which("valgrind") else None)
        jobs = plan(args, manifest, flowshark, tshark, sqlite_skip, fast_skip,
                    long_skip)
        runs = run_jobs(args, jobs)
        k_results = (k_measure(args, manifest, flowshark, tshark, fast_skip,
                               long_skip)
                     if "k" in args.only and not k_skip else None)
    except BenchError as exc:
        log(f"bench: {exc}")
        return 2

    report = Report()
    for job in jobs:
        key = job.key
        if key[0].startswith(("g ", "h ", "i ", "j ")):
            run = runs[key]
            if run is not None and run.status:
                report.failed.append(f"{key[0]} {key[1]}")
            continue
        peer = runs.get((key[0], "tshark")) if key[1] != "tshark" else None
        if peer is not None and peer.status:
            peer = None
        report.row(key[0], key[1], job.label, job.info["packets"],
                   job.info["bytes"], runs[key], job.files, peer)
    lines = header(args, info, manifest, per_round, sqlite_skip, fast_skip,
                   long_skip, k_skip)
    if report.rows:
        lines += report.table()
    if set("ad") & set(args.only):
        lines += ["", *memory_table(runs, manifest)]
    if set("ef") & set(args.only):
        lines += ["", *self_table(runs, manifest, sqlite_skip)]
    if "g" in args.only:
        lines += ["", *g_tables(args, runs, jobs)]
    if "h" in args.only:
        lines += ["", *h_tables(args, runs, jobs)]
    if "i" in args.only:
        lines += ["", *i_tables(args, runs, jobs)]
    if "j" in args.only and not long_skip:
        lines += ["", *j_tables(args, runs, jobs, fast_skip)]
    if k_results:
        lines += ["", *k_tables(*k_results, report.failed)]
    if args.check and set("abcdef") & set(args.only):
        lines += ["", *check_table(runs, per_round, manifest)]
    lines += ["", "- load average (1, 5, 15 min) after the runs: "
              + ", ".join(f"{x:.2f}" for x in os.getloadavg())]
    print("\n".join(lines))
    if report.failed:
        log("bench: failed runs: " + ", ".join(report.failed)
            + f"; see {args.work / 'runs'}/*.err")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
