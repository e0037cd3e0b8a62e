#!/usr/bin/env python3
"""Hostile field values: a capture written here (Python struct) holding a DNS
query whose name has NUL, control bytes, bytes 0x80-0xff (invalid UTF-8),
quotes and backslashes, HTTP requests over TCP (after a handshake) with such
bytes in Host, and an HTTP request of about 60 KB in one packet whose Host
value is about 60 KB long. flowshark's output must be strict JSON and valid
UTF-8, and every dns.qry.name / http.host value must be the text tshark
-T fields prints for it, with invalid UTF-8 repaired as flowshark's writer
does (g_utf8_make_valid: one U+FFFD per offending byte).

Usage: test_values.py --flowshark BIN --tshark BIN
"""
import argparse
import collections
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowrecord  # noqa: E402

FIELDS = ["dns.qry.name", "http.host"]

# Label bytes with everything a name should not hold.
HOSTILE = b'a\x00b\x01c\x1fd"e\\f\x7fg\x80h\xffi\xc3(j\xe9k.l\tm\nn\ro'
# HTTP ends a header value at NUL, CR or LF: the same bytes without them.
HOSTILE_HTTP = b'a\x01b\x1fc"d\\e\x7ff\x80g\xffh\xc3(i\tj\xe9k'
LONG_HOST = b"h" * 30000 + b"\xfe" + b"x" * 30000


# ---- packet building ----

def ipv4(src, dst, proto, payload):
    total = 20 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, proto, 0,
                         bytes(src), bytes(dst))
    return header + payload


def ether(payload):
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def dns_query(labels):
    name = b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)


def tcp_flow(client, server, sport, request):
    """Handshake, the request in one segment, the server's ACK."""
    c, s = (client, sport), (server, 80)
    syn, ack, psh = 0x02, 0x10, 0x18
    return [
        ipv4(c[0], s[0], 6, tcp(sport, 80, 1000, 0, syn)),
        ipv4(s[0], c[0], 6, tcp(80, sport, 5000, 1001, syn | ack)),
        ipv4(c[0], s[0], 6, tcp(sport, 80, 1001, 5001, ack)),
        ipv4(c[0], s[0], 6, tcp(sport, 80, 1001, 5001, psh, request)),
        ipv4(s[0], c[0], 6, tcp(80, sport, 5001, 1001 + len(request), ack)),
    ]


def capture_bytes():
    client, server, resolver = [10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 53]
    packets = [
        ipv4(client, resolver, 17, udp(40000, 53, dns_query([HOSTILE, b"ex\x00mple", b"com"]))),
        ipv4(client, resolver, 17, udp(40001, 53, dns_query([b"\xff\xfe\x80", b"q\"\\"]))),
    ]
    packets += tcp_flow(client, server, 50000,
                        b"GET / HTTP/1.1\r\nHost: " + HOSTILE_HTTP + b"\r\nUser-Agent: t\r\n\r\n")
    packets += tcp_flow(client, server, 50001,
                        b"GET /long HTTP/1.1\r\nHost: " + LONG_HOST + b"\r\n\r\n")
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for i, ip in enumerate(packets):
        frame = ether(ip)
        out.append(struct.pack("<IIII", 1700000000 + i, 250000, len(frame), len(frame)) + frame)
    return b"".join(out)


# ---- expected values ----

def glib_make_valid(raw):
    """Python's twin of g_utf8_make_valid(): valid UTF-8 kept, each byte where
    validation fails becomes U+FFFD."""
    out = []
    while raw:
        try:
            out.append(raw.decode("utf-8"))
            break
        except UnicodeDecodeError as e:
            out.append(raw[:e.start].decode("utf-8"))
            out.append("\ufffd")
            raw = raw[e.start + 1:]
    return "".join(out)


def tshark_values(tshark, path):
    """Counter of (field, text) over the packets, from tshark -T fields."""
    args = [tshark, "-r", path, "-T", "fields", "-E", "separator=/t"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True).stdout
    values = collections.Counter()
    for line in out.split(b"\n"):
        if not line:
            continue
        for field, text in zip(FIELDS, line.split(b"\t")):
            if text:
                values[(field, glib_make_valid(text))] += 1
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flowshark", required=True)
    parser.add_argument("--tshark", required=True)
    args = parser.parse_args()

    failures = []
    with tempfile.TemporaryDirectory(prefix="fs-values-") as tmp:
        path = os.path.join(tmp, "hostile-values.pcap")
        with open(path, "wb") as f:
            f.write(capture_bytes())
        field_args = [a for f in FIELDS for a in ("-e", f)]
        status, out, err = flowrecord.run_flowshark(args.flowshark, ["-r", path] + field_args)
        failures += flowrecord.run_problems(status, err, {flowrecord.EXIT_OK})
        records, problems = flowrecord.parse_records(out, FIELDS)
        failures += problems
        got = collections.Counter()
        for r in records:
            for field, pairs in r["extension"].items():
                for value, _ in pairs:
                    got[(field, value)] += 1
        want = tshark_values(args.tshark, path)

    if len(records) != 4:
        failures.append("%d records, expected 4 (2 DNS, 2 HTTP flows)" % len(records))
    if not any(f == "http.host" and len(v) > 60000 for f, v in want):
        failures.append("tshark shows no 60 KB http.host: the crafted capture is wrong")
    if got != want:
        for key in sorted(set(got) | set(want)):
            if got[key] != want[key]:
                failures.append("%s %r: flowshark has it %d times, tshark %d"
                                % (key[0], key[1][:200], got[key], want[key]))
    for f in failures:
        print("FAIL: " + f)
    if failures and err:
        print("stderr: " + err[:4000])
    print("%d values compared, %d failures" % (sum(want.values()), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
