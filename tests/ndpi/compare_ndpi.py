#!/usr/bin/env python3
"""Every key flowshark --ndpi adds, against Debian's ndpiReader (libndpi-bin,
the same nDPI 4.2 library), and the JA3/JA3S fingerprints against tshark's
(Python standard library only).

For each capture:

- `ndpiReader -i CAPTURE -t -v 2 -T N -U N`: -v 2 lists every flow on one
  line: transport, ends, "[proto: ID/NAME]", "[Confidence: ...]",
  "[cat: NAME/ID]" (left out for category 0, "Unspecified"), and, when nDPI
  found them, "[Hostname/SNI: ...]", "[JA3C: ...]", "[JA3S: ...]",
  "[HASSH-C: ...]", "[HASSH-S: ...]", "[DHCP Fingerprint: ...]",
  "[User-Agent: ...]", "[Content-Type: ...]"; -t decodes GTP tunnels as
  flowshark does; -T/-U N stop after N packets per flow, as --ndpi-packets N;
- `flowshark -r CAPTURE... --ndpi --ndpi-packets N --keep-empty
  --no-exclusions` (every packet of a flow, as ndpiReader sees them), all
  captures in one run;
- `tshark -r CAPTURE -T fields -e tcp.stream -e udp.stream -e
  tls.handshake.ja3 -e tls.handshake.ja3s` (Wireshark's own JA3 digests).

Flows are paired with ndpiReader's by transport and the unordered pair of
(address, port) ends, addresses compared as addresses, not as text
(ndpiReader writes 2001:b020:6::c2a0:bbff:fe73:eb57 where Wireshark, after
RFC 5952, leaves a single zero group: 2001:b020:6:0:c2a0:bbff:fe73:eb57).
A 5-tuple that occurs more than once on
either side is left out and counted as ambiguous. For each paired flow:

  application_name           "[proto: ...]" name (master.app)
  application_category_name  "[cat: NAME/..]" name, "Unspecified" without it
  application_is_guessed     1 when "[Confidence: Match by port]" or
                             "[Confidence: Match by IP]" (what
                             ndpi_detection_giveup's guess sets), else 0
  requested_server_name      "[Hostname/SNI: value]"
  client_fingerprint         "[JA3C: value]", "[HASSH-C: value]" or
                             "[DHCP Fingerprint: value]"
  server_fingerprint         "[JA3S: value]" or "[HASSH-S: value]"
  user_agent                 "[User-Agent: value]"
  content_type               "[Content-Type: value]"

A string key agrees when the line holds "[LABEL: value]" exactly (followed
by "[" or the end of the line; a fingerprint may carry ndpiReader's " (WEAK)"
or " (INSECURE)" mark), or, for "", when it holds none of its labels. (Values
can contain "][", e.g. user agents, so the line is not split into fields.)

JA3/JA3S: flowshark's client_fingerprint/server_fingerprint of a flow that
nDPI did not label DHCP or SSH (whose fingerprints are DHCP's and HASSH)
against tshark's first tls.handshake.ja3/ja3s of the same (protocol,
stream), on every flow where either side has one.

The expectations, per capture, are in tests/ndpi/expected.txt: flows
paired (a floor), flows without a counterpart on each side (a cap), flows
compared with tshark's JA3 and JA3S (floors), and for the keys that differ
on some flows the measured number with its reason; every other key must
agree on every paired flow. Prints the agreement per key, per capture where
a key differs, and overall.

Usage: compare_ndpi.py --flowshark BIN [--ndpireader ndpiReader]
       [--tshark tshark] [--packets N] [--expected FILE] CAPTURE...
Exits 0 when every expectation holds.
"""
import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict

KEYS = ["application_name", "application_category_name", "application_is_guessed",
        "requested_server_name", "client_fingerprint", "server_fingerprint", "user_agent",
        "content_type"]
# ndpiReader's labels for each string key.
LABELS = {"requested_server_name": ["Hostname/SNI"],
          "client_fingerprint": ["JA3C", "HASSH-C", "DHCP Fingerprint"],
          "server_fingerprint": ["JA3S", "HASSH-S"],
          "user_agent": ["User-Agent"],
          "content_type": ["Content-Type"]}
FINGERPRINTS = {"client_fingerprint", "server_fingerprint"}
GUESSED = {"Match by port", "Match by IP"}
# tshark's digests and flowshark's keys holding them.
JA3 = {"ja3": ("tls.handshake.ja3", "client_fingerprint"),
       "ja3s": ("tls.handshake.ja3s", "server_fingerprint")}

# "\t3\tTCP 1.2.3.4:80 <-> 5.6.7.8:1234 " (-> when one side never answered).
FLOW_LINE = re.compile(r"^\s+\d+\s+(TCP|UDP) (\S+) (?:<->|->) (\S+) ")
PROTO = re.compile(r"\[proto: (?:[A-Za-z0-9_]+:)?[0-9.]+/([^\]]*)\]")
CATEGORY = re.compile(r"\[cat: ([^\]]*)/\d+\]")
CONFIDENCE = re.compile(r"\[Confidence: ([^\]]*)\]")


def flow_key(protocol, a, aport, b, bport):
    return (protocol, frozenset([(ipaddress.ip_address(a), int(aport)),
                                 (ipaddress.ip_address(b), int(bport))]))


def split_end(text):
    """'1.2.3.4:80' or '[2001:db8::1]:443' to (address, port)."""
    address, _, port = text.rpartition(":")
    return address.strip("[]"), port


def run(args, what):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{what} failed: exit {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout.decode("utf-8", "replace")


def ndpireader_flows(ndpireader, capture, packets):
    """ndpiReader's TCP and UDP flows: (key, line after the ends)."""
    out = run([ndpireader, "-i", capture, "-t", "-v", "2", "-T", str(packets), "-U", str(packets)],
              f"ndpiReader on {capture}")
    flows = []
    for line in out.splitlines():
        m = FLOW_LINE.match(line)
        if m and PROTO.search(line):
            (a, aport), (b, bport) = split_end(m.group(2)), split_end(m.group(3))
            flows.append((flow_key(m.group(1).lower(), a, aport, b, bport), line[m.end():]))
    return flows


def tshark_ja3(tshark, capture):
    """tshark's JA3 and JA3S digests by (protocol, stream), in frame order."""
    fields = ["frame.protocols", "tcp.stream", "udp.stream", JA3["ja3"][0], JA3["ja3s"][0]]
    args = [tshark, "-n", "-r", capture, "-Y", " or ".join(f for f, _ in JA3.values()),
            "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for field in fields:
        args += ["-e", field]
    digests = defaultdict(lambda: {"ja3": [], "ja3s": []})
    for line in run(args, f"tshark on {capture}").splitlines():
        layers, tcp, udp, ja3, ja3s = line.split("\t")
        layers = layers.split(":")
        # The flow is that of the innermost transport layer.
        innermost = max(("tcp", "udp"), key=lambda t: max(
            (i for i, name in enumerate(layers) if name == t), default=-1))
        stream = (tcp if innermost == "tcp" else udp).split(",")[-1]
        for name, values in (("ja3", ja3), ("ja3s", ja3s)):
            digests[innermost, int(stream)][name] += [v for v in values.split(",") if v]
    return digests


def reported_value(line, label):
    """ndpiReader's text after "[LABEL: " up to the next "][" (for messages)."""
    start = line.find(f"[{label}: ")
    if start < 0:
        return None
    start += len(label) + 3
    end = line.find("][", start)
    return line[start:end if end >= 0 else len(line)].rstrip("]")


def string_agrees(line, key, value):
    labels = LABELS[key]
    if value == "":
        return not any(f"[{label}: " in line for label in labels)
    for label in labels:
        needle = f"[{label}: {value}"
        start = line.find(needle)
        while start >= 0:
            rest = line[start + len(needle):]
            if rest == "]" or rest.startswith("]["):
                return True
            if key in FINGERPRINTS and rest.startswith(" ("):
                return True
            start = line.find(needle, start + 1)
    return False


def theirs(line, key):
    """ndpiReader's value for a key, for messages and the non-string keys."""
    if key == "application_name":
        return PROTO.search(line).group(1)
    if key == "application_category_name":
        m = CATEGORY.search(line)
        return m.group(1) if m else "Unspecified"
    if key == "application_is_guessed":
        m = CONFIDENCE.search(line)
        return 1 if m and m.group(1) in GUESSED else 0
    for label in LABELS[key]:
        value = reported_value(line, label)
        if value is not None:
            return value
    return ""


def agrees(line, key, value):
    if key in LABELS:
        return string_agrees(line, key, value)
    return theirs(line, key) == value


def read_expected(path):
    """Rows: capture -> dict of matched, ours_only, theirs_only, ja3, ja3s,
    different (key -> count)."""
    rows = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cols = [c.strip() for c in line.split("|")]
            if len(cols) != 7:
                raise SystemExit(f"{path}:{number}: expected 7 columns")
            different = {}
            for item in cols[6].split(","):
                item = item.strip()
                if item and item != "-":
                    key, _, count = item.partition("=")
                    if key not in KEYS and key not in JA3:
                        raise SystemExit(f"{path}:{number}: unknown key {key}")
                    different[key] = int(count)
            rows[cols[0]] = dict(zip(["matched", "ours_only", "theirs_only", "ja3", "ja3s"],
                                     map(int, cols[1:6])), different=different)
    return rows


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--ndpireader", default="ndpiReader")
    parser.add_argument("--tshark", default="tshark")
    parser.add_argument("--packets", type=int, default=20)
    parser.add_argument("--expected", default=os.path.join(here, "expected.txt"))
    parser.add_argument("captures", nargs="+")
    args = parser.parse_args(argv)
    ndpireader = shutil.which(args.ndpireader)
    if not ndpireader:
        print(f"{args.ndpireader} not found (Debian: apt-get install libndpi-bin)")
        return 1
    tshark = shutil.which(args.tshark) or args.tshark
    expected = read_expected(args.expected)
    failures = []

    # Every capture in one flowshark run (a worker each, as if alone).
    cmd = [args.flowshark]
    for capture in args.captures:
        cmd += ["-r", capture]
    cmd += ["--ndpi", "--ndpi-packets", str(args.packets), "--keep-empty", "--no-exclusions"]
    ours_by_capture = defaultdict(list)
    for line in run(cmd, "flowshark").splitlines():
        record = json.loads(line)
        ours_by_capture[record["file"]].append(record)

    total, agree, nonempty = Counter(), Counter(), Counter()
    for capture in args.captures:
        name = os.path.basename(capture)
        exp = expected.get(name)
        if exp is None:
            failures.append(f"{name}: no row in {args.expected}")
            continue
        ours = ours_by_capture[capture]
        theirs_flows = ndpireader_flows(ndpireader, capture, args.packets)
        ours_count = Counter(flow_key(r["protocol"], r["src"], r["sport"], r["dst"], r["dport"])
                             for r in ours)
        theirs_count = Counter(k for k, _ in theirs_flows)
        lines = dict(theirs_flows)
        matched = ambiguous = ours_only = 0
        differ = Counter()
        for r in ours:
            k = flow_key(r["protocol"], r["src"], r["sport"], r["dst"], r["dport"])
            if ours_count[k] > 1 or theirs_count[k] > 1:
                ambiguous += 1
                continue
            if k not in lines:
                ours_only += 1
                continue
            matched += 1
            for key in KEYS:
                total[key] += 1
                nonempty[key] += r[key] not in ("", 0)
                if agrees(lines[k], key, r[key]):
                    agree[key] += 1
                else:
                    differ[key] += 1
                    ends = sorted(k[1])
                    print(f"  {name}: {k[0]} {ends[0][0]}:{ends[0][1]} - {ends[1][0]}:{ends[1][1]} "
                          f"{key}: flowshark {r[key]!r}, ndpiReader {theirs(lines[k], key)!r}")
        theirs_only = sum(1 for k in theirs_count if k not in ours_count)

        # JA3 and JA3S against tshark, by (protocol, stream).
        digests = tshark_ja3(tshark, capture)
        compared = Counter()
        by_stream = {(r["protocol"], r["stream"]): r for r in ours}
        for fid in set(digests) | set(by_stream):
            r = by_stream.get(fid)
            labels = set(r["application_name"].split(".")) if r else set()
            if labels & {"DHCP", "SSH"}:
                continue
            for name_ja3, (_, key) in JA3.items():
                mine = r[key] if r else ""
                wireshark = digests[fid][name_ja3] if fid in digests else []
                if not mine and not wireshark:
                    continue
                compared[name_ja3] += 1
                total[name_ja3] += 1
                nonempty[name_ja3] += mine != ""
                if wireshark and mine == wireshark[0]:
                    agree[name_ja3] += 1
                else:
                    differ[name_ja3] += 1
                    print(f"  {name}: {fid[0]} stream {fid[1]} {name_ja3}: flowshark "
                          f"{mine!r}, tshark {wireshark}")

        print(f"{name}: {matched} flows paired with ndpiReader, {ours_only} flowshark's only, "
              f"{theirs_only} ndpiReader's only, {ambiguous} on a reused 5-tuple; "
              f"{compared['ja3']} JA3 and {compared['ja3s']} JA3S compared with tshark"
              + ("; differing: " + ", ".join(f"{k} {v}" for k, v in sorted(differ.items()))
                 if differ else ""))
        checks = [(matched >= exp["matched"],
                   f"{matched} flows paired, fewer than {exp['matched']}"),
                  (ours_only <= exp["ours_only"],
                   f"{ours_only} flowshark flows without a counterpart, more than "
                   f"{exp['ours_only']}"),
                  (theirs_only <= exp["theirs_only"],
                   f"{theirs_only} ndpiReader flows without a counterpart, more than "
                   f"{exp['theirs_only']}"),
                  (ambiguous == 0, f"{ambiguous} flows on a reused 5-tuple (none measured)"),
                  (compared["ja3"] >= exp["ja3"],
                   f"{compared['ja3']} JA3 compared with tshark, fewer than {exp['ja3']}"),
                  (compared["ja3s"] >= exp["ja3s"],
                   f"{compared['ja3s']} JA3S compared with tshark, fewer than {exp['ja3s']}")]
        for key in KEYS + list(JA3):
            allowed = exp["different"].get(key, 0)
            checks.append((differ[key] <= allowed,
                           f"{key} differs on {differ[key]} flows, more than {allowed}"))
        failures += [f"{name}: {message}" for ok, message in checks if not ok]

    for key in KEYS + list(JA3):
        oracle = "tshark" if key in JA3 else "ndpiReader"
        print(f"{key}: {agree[key]}/{total[key]} flows agree with {oracle} "
              f"({100.0 * agree[key] / max(total[key], 1):.2f}%; flowshark's value is not \"\" "
              f"or 0 in {nonempty[key]})")
    for failure in failures:
        print(f"FAIL {failure}")
    print("FAILED" if failures else "OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
