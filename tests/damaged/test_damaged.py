#!/usr/bin/env python3
"""Damaged captures: flowshark on truncated and byte-flipped variants of a
sample. Python standard library only.

For each variant (written to a temporary directory; the sample is never
changed) flowshark runs with -e tls.handshake.extensions_server_name
-e dns.qry.name, and:
  - it must end with a documented status (0, 2, 3), never a signal, and
    with no sanitizer report on standard error;
  - standard output must be valid UTF-8, each line a JSON object with the
    keys and types of doc/flow-record.md;
  - a capture cut at byte offset C must give exactly the records of the
    capture made of its complete packets (the bytes up to the last record
    boundary at or before C, found by parsing pcap/pcapng framing here),
    with status 0 when C is a boundary, 2 when it falls inside a record,
    and no records (status 3, or 0 when wiretap takes the stub for another
    format) when it falls inside the file header.

Variants: truncations inside the file header, inside the first record
header, mid-packet, at record boundaries, at seeded random offsets; then
seeded random byte flips anywhere in the file. FS_DAMAGED_VARIANTS (default
12) sets the number of variants per sample.

With --fast, flowshark runs in fast mode with --fast-limit 2, so that its
own parser (extractor/fastpath.c) reads most packets of every variant.

Usage: test_damaged.py --flowshark BIN [--fast] SAMPLE...
"""
import argparse
import os
import random
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowrecord  # noqa: E402

FIELDS = ["tls.handshake.extensions_server_name", "dns.qry.name"]
FIELD_ARGS = [a for f in FIELDS for a in ("-e", f)]
MODE_ARGS = []  # ["--fast", "--fast-limit", "2"] with --fast


# ---- capture framing ----

class Framing:
    """Where a capture's records lie. header_end: end of the bytes wiretap
    reads when opening; magic_end: from there on wiretap knows the format;
    boundaries: the end offset of every complete record (header_end first)."""

    def __init__(self, kind, magic_end, header_end, boundaries, first_record):
        self.kind = kind
        self.magic_end = magic_end
        self.header_end = header_end
        self.boundaries = boundaries
        self.first_record = first_record  # (start, header length, data length) or None


def pcap_framing(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None
    boundaries = [24]
    first = None
    off = 24
    while off + 16 <= len(data):
        incl_len = struct.unpack_from(endian + "I", data, off + 8)[0]
        end = off + 16 + incl_len
        if end > len(data):
            break
        if first is None:
            first = (off, 16, incl_len)
        boundaries.append(end)
        off = end
    return Framing("pcap", 4, 24, boundaries, first)


def pcapng_framing(data):
    if data[:4] != b"\x0a\x0d\x0d\x0a" or len(data) < 12:
        return None
    endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    blocks = []  # (start, end)
    off = 0
    while off + 12 <= len(data):
        btype = struct.unpack_from(endian + "I", data, off)[0]
        if btype == 0x0A0D0D0A:  # a new section may change the byte order
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        length = struct.unpack_from(endian + "I", data, off + 4)[0]
        if length < 12 or length % 4 or off + length > len(data):
            break
        blocks.append((off, off + length))
        off += length
    if len(blocks) < 2:
        return None
    # wiretap's open reads the section header block and the block after it.
    shb_end, header_end = blocks[0][1], blocks[1][1]
    boundaries = [header_end] + [end for _, end in blocks[2:]]
    first = None
    if len(blocks) > 2:
        start, end = blocks[2]
        first = (start, 28, max(0, end - start - 32))  # block header as an EPB's
    return Framing("pcapng", shb_end, header_end, boundaries, first)


def framing(data):
    return pcap_framing(data) or pcapng_framing(data)


# ---- variants ----

def truncation_offsets(fr, size, count, rng):
    """Cut offsets, named: file header, record header, mid-packet,
    boundaries, then seeded random ones."""
    cuts = [("inside the file header", fr.magic_end + (fr.header_end - fr.magic_end) // 2)]
    if fr.first_record:
        start, hdr, length = fr.first_record
        cuts.append(("inside the first record header", start + hdr // 2))
        cuts.append(("mid first packet", start + hdr + max(1, length // 2)))
    b = fr.boundaries
    cuts.append(("at the first record boundary", b[min(1, len(b) - 1)]))
    cuts.append(("at a middle record boundary", b[len(b) // 2]))
    if len(b) > 2:
        k = len(b) // 3
        cuts.append(("mid record %d" % k, (b[k] + b[k + 1]) // 2))
    cuts.append(("last byte removed", size - 1))
    while len(cuts) < count:
        cuts.append(("random", rng.randrange(1, size)))
    return [(name, c) for name, c in cuts[:count] if 0 < c < size]


def flip_bytes(data, flips, rng):
    out = bytearray(data)
    for _ in range(flips):
        pos = rng.randrange(len(out))
        out[pos] ^= rng.randrange(1, 256)
    return bytes(out)


# ---- the test ----

class Checker:
    def __init__(self, flowshark, tmp):
        self.flowshark = flowshark
        self.tmp = tmp
        self.failures = []
        self.runs = 0

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run(self, label, paths, allowed):
        """Runs flowshark on paths; returns (status, records by file) or
        None after recording a failure."""
        args = []
        for p in paths:
            args += ["-r", p]
        self.runs += 1
        status, out, err = flowshark_run(self.flowshark, args + FIELD_ARGS + MODE_ARGS)
        problems = flowrecord.run_problems(status, err, allowed)
        records, record_problems = flowrecord.parse_records(out, FIELDS)
        problems += record_problems
        by_file = {p: [] for p in paths}
        for r in records:
            if r.get("file") not in by_file:
                problems.append("record of unknown file %r" % r.get("file"))
            else:
                by_file[r["file"]].append(r)
        if problems:
            self.fail(label, problems, err)
            return None
        return status, by_file

    def fail(self, label, problems, stderr=""):
        self.failures.append((label, problems, stderr))


def flowshark_run(flowshark, args):
    return flowrecord.run_flowshark(flowshark, args)


def check_sample(checker, sample, count):
    with open(sample, "rb") as f:
        data = f.read()
    base = os.path.basename(sample)
    fr = framing(data)
    if not fr:
        print("%s: not a plain pcap or pcapng file, skipped" % base)
        return
    rng = random.Random("flowshark-damaged-" + base)  # fixed seed per sample

    n_flips = max(1, count // 4)
    cuts = truncation_offsets(fr, len(data), count - n_flips, rng)

    # The capture of the complete records before each cut, all in one run.
    refs = {}
    for _, c in cuts:
        if c >= fr.header_end:
            good = max(x for x in fr.boundaries if x <= c)
            refs.setdefault(good, checker.write("%s.prefix-%d" % (base, good), data[:good]))
    expected = {}
    if refs:
        result = checker.run("%s: complete-record prefixes" % base, sorted(refs.values()),
                             {flowrecord.EXIT_OK})
        if result is None:
            return
        for good, path in refs.items():
            expected[good] = flowrecord.without_file(result[1][path])

    boundaries = set(fr.boundaries)
    for name, c in cuts:
        label = "%s cut at %d (%s)" % (base, c, name)
        path = checker.write("%s.cut-%d" % (base, c), data[:c])
        if c < fr.header_end:
            allowed = {flowrecord.EXIT_OPEN}
            if c < fr.magic_end:  # wiretap may take the stub for another format
                allowed.add(flowrecord.EXIT_OK)
        elif c in boundaries:
            allowed = {flowrecord.EXIT_OK}
        else:
            allowed = {flowrecord.EXIT_TRUNCATED}
        result = checker.run(label, [path], allowed)
        if result is None:
            continue
        got = flowrecord.without_file(result[1][path])
        if c < fr.header_end:
            want = []
        else:
            want = expected[max(x for x in fr.boundaries if x <= c)]
        if got != want:
            checker.fail(label, ["records differ from those of the complete-record prefix: "
                                 "%d records, expected %d" % (len(got), len(want))])

    for i in range(n_flips):
        flipped = flip_bytes(data, 4, rng)
        path = checker.write("%s.flip-%d" % (base, i), flipped)
        checker.run("%s with 4 flipped bytes (variant %d)" % (base, i), [path],
                    {flowrecord.EXIT_OK, flowrecord.EXIT_TRUNCATED, flowrecord.EXIT_OPEN})
    print("%s: %d truncations, %d flipped variants" % (base, len(cuts), n_flips))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("samples", nargs="+")
    args = parser.parse_args()
    if args.fast:
        MODE_ARGS.extend(["--fast", "--fast-limit", "2"])
    count = int(os.environ.get("FS_DAMAGED_VARIANTS", "12"))

    with tempfile.TemporaryDirectory(prefix="fs-damaged-") as tmp:
        checker = Checker(args.flowshark, tmp)
        for sample in args.samples:
            check_sample(checker, sample, count)
    for label, problems, stderr in checker.failures:
        print("FAIL: %s" % label)
        for p in problems:
            print("    " + p)
        if stderr:
            print("    stderr: " + stderr.strip().replace("\n", "\n            ")[:4000])
    print("%d flowshark runs, %d failures" % (checker.runs, len(checker.failures)))
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
