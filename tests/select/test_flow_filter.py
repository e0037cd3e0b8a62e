#!/usr/bin/env python3
"""Flow-level selection (--flow-filter, --min-packets, --min-bytes) on every
sample (Python standard library only).

All samples (every *.pcap and *.pcapng of --samples) are read in one
flowshark run per option set (records in capture order, `file` the sample's
name), so that libwireshark starts a few times rather than hundreds. Checks:

1. --flow-filter F, for each filter of FILTERS: the records are exactly the
   unfiltered run's records (same bytes, same order) whose (file, protocol,
   stream) is among the streams of the packets that tshark keeps with
       tshark -r S -Y '<default filter> and (F)' -T fields
              -e frame.protocols -e tcp.stream -e udp.stream
   (the oracle). The default filter (tests/e2e/compare.py's DEFAULT_FILTER)
   is part of it because flowshark tries F on the packets its flows are made
   of; a packet it excludes (a retransmission, ICMP) belongs to no record,
   matching F or not. A packet's flow is the one of its innermost TCP/UDP
   layer not quoted in an ICMP error, found in frame.protocols by compare.py's
   flow_layers() exactly as the e2e oracle finds it (a tunnelled packet has
   several tcp/udp layers and so several tcp.stream/udp.stream values). The
   same with -2 (tshark -2) for FILTERS_TWO_PASS, and with -Y and --flow-filter
   together (packets by -Y, then flows among the packets -Y kept).
2. -Y F for the same filters: its flows are among the --flow-filter flows,
   and some of them have other ip_lengths than the unfiltered records (the
   packets -Y removes): asserted, in total and for -Y tls.
3. --min-packets N / --min-bytes N: the unfiltered records with
   len(ip_lengths) >= N / sum(|ip_lengths|) >= N, for N from 0 to the
   largest value accepted; with --max-packets 2 the same flows are kept (the
   counts go beyond the sequences).
   A flow left out is not counted in the summary line's flows.
4. A bad --flow-filter expression: exit status 4, one message, nothing on
   standard output (also with -j 2 over a folder).
5. --flow-filter with -j 2 over a folder of the samples gives the records of
   each capture read alone, in order; --reset-every 50 gives the exact mode's
   records on each sample where the unfiltered records of both modes are
   identical, and a subsequence of its own unfiltered records on the others
   (flows at the chunks' seams may differ: see flowshark(1)).

Prints the flows kept per filter; exits 0 only when every check passed.

Usage: test_flow_filter.py --flowshark BIN --tshark BIN --samples DIR
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from compare import DEFAULT_FILTER, TRANSPORT_FIELDS, flow_layers, text_lines  # noqa: E402

FILTERS = ["tls", "dns", "http", "tcp.flags.reset==1", "frame.len > 1000",
           "ip.addr == 192.0.2.99"]  # the last one: TEST-NET-1, in no sample
FILTERS_TWO_PASS = ["tls"]
Y_AND_FLOW_FILTER = ("tcp", "tls.handshake.certificate")
HUGE = 9223372036854775807  # the largest --min-packets/--min-bytes
MIN_PACKETS = [0, 1, 2, 10, 50, HUGE]
MIN_BYTES = [0, 1, 1000, 10000, 100000, HUGE]
TIMEOUT = 900

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}")
    return condition


def run(argv, cwd):
    proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace")


class Flowshark:
    def __init__(self, binary, samples, names):
        self.binary = binary
        self.samples = samples
        self.names = names

    def records(self, *args, cwd=None, inputs=None):
        """Exit status and the records (lines) of one run over inputs (by
        default every sample, by name, in the samples folder)."""
        argv = [self.binary, "-q", *args, *(self.names if inputs is None else inputs)]
        status, out, err = run(argv, cwd or self.samples)
        check(status in (0, 2), f"{' '.join(args)}: exit status {status}: {err.strip()[-300:]}")
        return status, text_lines(out)


def key(line):
    record = json.loads(line)
    return record["file"], record["protocol"], record["stream"]


def oracle_streams(tshark, samples, name, flt, two_pass=False):
    """(file, protocol, stream) of the flows with a packet tshark keeps."""
    argv = [tshark, "-r", name, *(["-2"] if two_pass else []),
            "-Y", f"{DEFAULT_FILTER} and ({flt})", "-T", "fields",
            "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "frame.protocols", "-e", "tcp.stream", "-e", "udp.stream"]
    status, out, err = run(argv, samples)
    if status not in (0, 2):
        raise RuntimeError(f"tshark exited {status} on {name}: {err.strip()[-300:]}")
    streams = set()
    for line in text_lines(out):
        layers, tcp, udp = line.split("\t")
        layers = layers.split(":")
        found = flow_layers(layers)
        if found is None:
            continue
        proto, nth = found[0], found[1]
        values = (tcp if proto == "tcp" else udp)
        values = values.split(",") if values else []
        if not values:
            continue  # no stream number: no flow (as flowshark)
        if len(values) != layers.count(proto):
            raise RuntimeError(f"{name}: {TRANSPORT_FIELDS[proto][0]} {values} for "
                               f"{layers.count(proto)} layers")
        streams.add((name, proto, int(values[nth])))
    return streams


def oracle(pool, tshark, samples, names, flt, two_pass=False):
    sets = pool.map(lambda n: oracle_streams(tshark, samples, n, flt, two_pass), names)
    return set().union(*sets)


def check_subset(label, got, reference, wanted):
    """got must be exactly the lines of reference whose key is in wanted."""
    expected = [line for line in reference if key(line) in wanted]
    if check(got == expected, f"{label}: {len(got)} records, expected {len(expected)}"):
        return
    for line in sorted(set(expected) - set(got))[:3]:
        print(f"  missing: {line[:200]}")
    for line in sorted(set(got) - set(expected))[:3]:
        print(f"  unexpected: {line[:200]}")


def flow_filter_against_tshark(fs, pool, tshark, samples, names):
    _, plain = fs.records()
    _, plain2 = fs.records("-2")
    print(f"unfiltered: {len(plain)} flows over {len(names)} samples")
    changed_total = 0
    for flt in FILTERS:
        _, got = fs.records("--flow-filter", flt)
        wanted = oracle(pool, tshark, samples, names, flt)
        check_subset(f"--flow-filter '{flt}'", got, plain, wanted)
        per_sample = {}
        for line in got:
            per_sample[key(line)[0]] = per_sample.get(key(line)[0], 0) + 1
        # -Y: fewer packets in the flows it keeps.
        _, y = fs.records("-Y", flt)
        plain_lengths = {key(line): json.loads(line)["ip_lengths"] for line in plain}
        kept = {key(line) for line in got}
        y_keys = [key(line) for line in y]
        check(set(y_keys) <= kept, f"-Y '{flt}': flows that --flow-filter does not keep")
        changed = sum(1 for line in y if json.loads(line)["ip_lengths"] != plain_lengths.get(key(line)))
        changed_total += changed
        if flt == "tls":
            check(changed > 0, "-Y tls changes no flow's ip_lengths")
        print(f"--flow-filter '{flt}': {len(got)} flows kept "
              f"({', '.join(f'{n} {c}' for n, c in sorted(per_sample.items()))}); "
              f"-Y '{flt}': {len(y)} flows, {changed} of them with other ip_lengths")
    check(changed_total > 0, "-Y changes no flow's ip_lengths on any sample")
    for flt in FILTERS_TWO_PASS:
        _, got = fs.records("-2", "--flow-filter", flt)
        wanted = oracle(pool, tshark, samples, names, flt, two_pass=True)
        check_subset(f"-2 --flow-filter '{flt}'", got, plain2, wanted)
        print(f"-2 --flow-filter '{flt}': {len(got)} flows kept")
    y_flt, flow_flt = Y_AND_FLOW_FILTER
    _, y_plain = fs.records("-Y", y_flt)
    _, got = fs.records("-Y", y_flt, "--flow-filter", flow_flt)
    wanted = oracle(pool, tshark, samples, names, f"({y_flt}) and ({flow_flt})")
    check_subset(f"-Y '{y_flt}' --flow-filter '{flow_flt}'", got, y_plain, wanted)
    print(f"-Y '{y_flt}' --flow-filter '{flow_flt}': {len(got)} flows kept")
    return plain


def min_counts(fs, plain):
    for n in MIN_PACKETS:
        _, got = fs.records("--min-packets", str(n))
        expected = [line for line in plain if len(json.loads(line)["ip_lengths"]) >= n]
        check(got == expected, f"--min-packets {n}: {len(got)} records, expected {len(expected)}")
        print(f"--min-packets {n}: {len(got)} flows kept")
    for n in MIN_BYTES:
        _, got = fs.records("--min-bytes", str(n))
        expected = [line for line in plain
                    if sum(abs(x) for x in json.loads(line)["ip_lengths"]) >= n]
        check(got == expected, f"--min-bytes {n}: {len(got)} records, expected {len(expected)}")
        print(f"--min-bytes {n}: {len(got)} flows kept")
    # Beyond --max-packets: the same flows as without it.
    _, got = fs.records("--max-packets", "2", "--min-packets", "10", "--min-bytes", "10000")
    expected = [key(line) for line in plain
                if len(json.loads(line)["ip_lengths"]) >= 10
                and sum(abs(x) for x in json.loads(line)["ip_lengths"]) >= 10000]
    check([key(line) for line in got] == expected,
          f"--max-packets 2 --min-packets 10 --min-bytes 10000: {len(got)} flows, "
          f"expected {len(expected)}")
    check(all(len(json.loads(line)["ip_lengths"]) <= 2 for line in got),
          "--max-packets 2: a sequence longer than 2")


def bad_filter(fs, folder):
    for args, inputs in (([], None), (["-j", "2"], [folder])):
        for flt in ("tcp.port ==", "no.such.field", "tls and"):
            argv = [fs.binary, *args, "--flow-filter", flt, *(fs.names if inputs is None else inputs)]
            status, out, err = run(argv, fs.samples)
            label = f"{' '.join(args)} --flow-filter '{flt}'"
            check(status == 4, f"{label}: exit status {status}, expected 4")
            check(out == "", f"{label}: standard output not empty")
            check(err.startswith("flowshark: bad display filter: ") and err.count("flowshark") == 1,
                  f"{label}: not one message: {err!r}")


def flows_counted(fs):
    """A flow left out is not counted: the summary line of tls.pcap (two
    flows, of 27 and 117 packets) says 1 flow with --min-packets 28, 0 with
    --flow-filter dns."""
    for args, count in ((["--min-packets", "28"], 1), (["--flow-filter", "dns"], 0),
                        (["--flow-filter", "tls"], 2)):
        status, out, err = run([fs.binary, *args, "tls.pcap"], fs.samples)
        check(status == 0 and len(text_lines(out)) == count
              and f"144 packets, {count} flows;" in err,
              f"{' '.join(args)} on tls.pcap: {len(text_lines(out))} records, summary {err!r}")


def workers_and_chunks(fs, names, tmp):
    folder = os.path.join(tmp, "caps")
    os.mkdir(folder)
    for name in names:
        shutil.copy(os.path.join(fs.samples, name), folder)
    paths = [f"caps/{name}" for name in sorted(names)]  # a folder walk's byte order
    flt = "tcp.flags.reset==1"
    _, folder_run = fs.records("-j", "2", "--flow-filter", flt, cwd=tmp, inputs=["caps"])
    alone = []
    for path in paths:
        _, lines = fs.records("--flow-filter", flt, cwd=tmp, inputs=[path])
        alone += lines
    check(folder_run == alone, f"-j 2 --flow-filter '{flt}' over a folder: {len(folder_run)} "
          f"records, {len(alone)} reading each capture alone")
    print(f"-j 2 --flow-filter '{flt}' over a folder: {len(folder_run)} flows")

    _, exact_all = fs.records()
    _, bounded_all = fs.records("--reset-every", "50")
    for flt in ("tls", "dns"):
        _, exact = fs.records("--flow-filter", flt)
        _, bounded = fs.records("--reset-every", "50", "--flow-filter", flt)
        same_samples = 0
        for name in names:
            def of(lines):
                return [line for line in lines if key(line)[0] == name]
            if of(exact_all) == of(bounded_all):
                same_samples += 1
                check(of(bounded) == of(exact),
                      f"--reset-every 50 --flow-filter '{flt}' on {name}: not the exact records")
            else:
                it = iter(of(bounded_all))
                check(all(line in it for line in of(bounded)),
                      f"--reset-every 50 --flow-filter '{flt}' on {name}: not a subsequence of "
                      "the unfiltered --reset-every 50 records")
        print(f"--reset-every 50 --flow-filter '{flt}': {len(bounded)} flows "
              f"(exact: {len(exact)}); equal on the {same_samples} samples where the "
              "unfiltered records are")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--samples", required=True)
    args = parser.parse_args(argv)
    binary = os.path.abspath(args.flowshark)
    samples = os.path.abspath(args.samples)
    names = sorted(n for n in os.listdir(samples) if n.endswith((".pcap", ".pcapng")))
    fs = Flowshark(binary, samples, names)
    with tempfile.TemporaryDirectory(prefix="fs-select-") as tmp, \
            ThreadPoolExecutor(max_workers=2) as pool:
        plain = flow_filter_against_tshark(fs, pool, args.tshark, samples, names)
        min_counts(fs, plain)
        flows_counted(fs)
        workers_and_chunks(fs, names, tmp)
        bad_filter(fs, os.path.join(tmp, "caps"))
    print(f"{len(failures)} failed checks" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
