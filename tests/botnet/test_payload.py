#!/usr/bin/env python3
"""flowshark botnet's payload rules (mirai, ares, bindl; botnet/payload.c)
against an independent computation of BotCapturer's rules
(../shared/spec/botcapturer.md §1.1, §3.1).

The oracle is tshark: every TCP/UDP packet's addresses, ports, time and
payload bytes (`-T fields -e tcp.payload -e udp.payload`), and the rules
applied here in Python to those bytes; flowshark reads the same fields
through libwireshark, keeps the values its rules can use and applies them
to its records. Compared per internal host of botnet's hosts table: the
a_mirai, a_ares and a_bindl columns (a column is absent when its set is
empty), on:
- the capture of tests/botnet/payload_capture.py (Mirai keep-alives on
  ports 23 and 101, a Mirai telnet login and one that is not, Ares polls
  over HTTP and raw TCP, PE and ELF downloads, look-alikes, an internal
  server sending a PE file), from the capture, from records written with
  -e tcp.payload -e udp.payload, and from a database run (-T sqlite);
- every sample given on the command line (flowshark and tshark without
  exclusions: --no-exclusions, so both see every packet).
Also: the oracle finds each rule on the payload capture (it is not
vacuous); --no-payload gives no payload columns; records without payload
values give a message and no payload columns; --weight mirai=2 doubles a
payload A-set's part of s.

    test_payload.py --flowshark PATH --tshark PATH [SAMPLE...]
"""

import csv
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import payload_capture  # noqa: E402
from common import arguments, exit_status, fail, internal, run, write_records  # noqa: E402

SETS = ("mirai", "ares", "bindl")
PAYLOAD = ["-e", "tcp.payload", "-e", "udp.payload"]


def tshark_packets(tshark, capture):
    """[(time, order, proto, src, sport, dst, dport, payload bytes)] of
    every TCP/UDP packet: the innermost addresses (tunnels list several)."""
    fields = ["frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
              "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
              "tcp.payload", "udp.payload"]
    cmd = [tshark, "-r", capture, "-T", "fields", "-E", "separator=/t", "-E",
           "occurrence=l", "-Y", "tcp or udp"]
    for f in fields:
        cmd += ["-e", f]
    p = run(cmd)
    if p.returncode not in (0, 2):
        fail(f"tshark {capture}: exit {p.returncode}: {p.stderr}")
    out = []
    for order, line in enumerate(p.stdout.splitlines()):
        (t, s4, d4, s6, d6, tsp, tdp, usp, udp_, tpay, upay) = (line.split("\t") + [""] * 11)[:11]
        src, dst = (s6, d6) if s6 else (s4, d4)
        if tsp:
            proto, sport, dport, pay = "tcp", int(tsp), int(tdp), tpay
        elif usp:
            proto, sport, dport, pay = "udp", int(usp), int(udp_), upay
        else:
            continue
        if not src:
            continue
        out.append((float(t), order, proto, src, sport, dst, dport,
                    bytes.fromhex(pay.replace(":", "")) if pay else b""))
    return out


def raw_packets():
    """The same tuples straight from the bytes payload_capture writes."""
    out = []
    for order, (t, data) in enumerate(payload_capture.packets()):
        ihl = (data[0] & 15) * 4
        src = str(ipaddress.ip_address(data[12:16]))
        dst = str(ipaddress.ip_address(data[16:20]))
        tcp = data[ihl:]
        sport, dport = int.from_bytes(tcp[0:2], "big"), int.from_bytes(tcp[2:4], "big")
        off = (tcp[12] >> 4) * 4
        out.append((t, order, "tcp", src, sport, dst, dport, bytes(tcp[off:])))
    return out


def oracle(packets):
    """{set: hosts} by BotCapturer's rules on the packets' payloads."""
    sets = {s: set() for s in SETS}
    telnet = {}
    for t, order, proto, src, sport, dst, dport, pay in packets:
        if pay == b"\0\0":
            sets["mirai"].add(src)                    # loader: Mirai keep-alive
        if b"api/pop" in pay:
            sets["ares"].add(src)                     # loader: Ares poll
        if pay and any(line[:2] == b"MZ" or line[1:4] == b"ELF"
                       for line in pay.split(b"\n")):
            sets["bindl"].add(dst)                    # det_bin.py: the receiver
        if proto == "tcp" and dport == 23:            # det_mirai.py
            telnet.setdefault((src, dst), []).append((t, order, pay))
    for (src, dst), pkts in telnet.items():
        pkts.sort()
        for j in range(2, len(pkts)):
            if pkts[j][2].startswith(b"system") and pkts[j - 2][2].startswith(b"enable"):
                sets["mirai"].add(src)
                break
    return sets


def hosts_table(flowshark, args):
    p = run([flowshark, "botnet", *args])
    if p.returncode not in (0, 2):
        fail(f"botnet {' '.join(args)}: exit {p.returncode}: {p.stderr}")
        return None, p
    return [json.loads(line) for line in p.stdout.splitlines()], p


def compare(name, rows, want):
    """The payload columns of rows against the oracle's sets; the number
    of values compared."""
    values = 0
    for s in SETS:
        key = "a_" + s
        if not any(internal(h) for h in want[s]) and rows and key in rows[0]:
            fail(f"{name}: a column {key} though no internal host is in {s}")
    hosts = {r["host"] for r in rows}
    for s in SETS:
        for h in want[s]:
            if internal(h) and h not in hosts:
                fail(f"{name}: {h} ({s}) is not in the hosts table")
    for r in rows:
        for s in SETS:
            got = r.get("a_" + s, False)
            if got != (r["host"] in want[s]):
                fail(f"{name}: {r['host']} a_{s} {got}, expected {r['host'] in want[s]}")
            values += 1
    return values


def check_payload_capture(flowshark, tshark, tmp):
    pcap = os.path.join(tmp, "payload.pcap")
    payload_capture.write_pcap(pcap)
    want = oracle(raw_packets())
    via_tshark = oracle(tshark_packets(tshark, pcap))
    if via_tshark != want:
        fail(f"payload capture: tshark's payloads give {via_tshark}, the bytes {want}")
    h = payload_capture.HOSTS
    # Not vacuous: each rule finds a host, and the look-alikes stay out.
    for s in SETS:
        if not want[s]:
            fail(f"payload capture: the oracle's {s} set is empty")
    lookalikes = {h["login_fast"], h["browser"], h["server"]}
    if any(lookalikes & want[s] for s in SETS):
        fail(f"payload capture: a look-alike is flagged by the oracle: {want}")
    print("payload capture: oracle " + ", ".join(f"{s} {sorted(want[s])}" for s in SETS))

    values = 0
    rows, _ = hosts_table(flowshark, ["-r", pcap])
    if rows is not None:
        values += compare("payload capture -r", rows, want)
    records = os.path.join(tmp, "payload.jsonl")
    write_records(flowshark, pcap, records, PAYLOAD)
    from_records, _ = hosts_table(flowshark, ["--from-records", records])
    if from_records != rows:
        fail("payload capture: --from-records (with -e tcp.payload -e udp.payload) differs "
             "from -r")
    db = os.path.join(tmp, "payload.db")
    subprocess.run([flowshark, "-r", pcap, "--keep-empty", "-q", *PAYLOAD, "-T", "sqlite",
                    "-w", db], check=True)
    from_db, _ = hosts_table(flowshark, ["--from-db", db])
    if from_db != rows:
        fail("payload capture: --from-db differs from -r")
    csv_out = run([flowshark, "botnet", "-r", pcap, "-T", "csv"]).stdout
    csv_rows = list(csv.DictReader(csv_out.splitlines()))
    if [r["a_mirai"] for r in csv_rows] != [str(r["a_mirai"]).lower() for r in rows]:
        fail("payload capture: -T csv's a_mirai differs from JSON Lines")

    # --no-payload: no payload A-sets.
    plain, p = hosts_table(flowshark, ["-r", pcap, "--no-payload"])
    if plain is not None and any("a_" + s in r for r in plain for s in SETS):
        fail("payload capture --no-payload: payload columns")
    # Records without payload values: a message, no payload columns.
    bare = os.path.join(tmp, "bare.jsonl")
    write_records(flowshark, pcap, bare)
    bare_rows, p = hosts_table(flowshark, ["--from-records", bare])
    if bare_rows is not None:
        if any("a_" + s in r for r in bare_rows for s in SETS):
            fail("records without payload values: payload columns")
        if p.stderr.count("no tcp.payload or udp.payload values") != 1 or p.returncode != 0:
            fail(f"records without payload values: exit {p.returncode}, {p.stderr!r}")
    # A weight: s of a host in A-set mirai only and one C-set: each A-C
    # pair is w * |A ∩ C| / |C|, so mirai=2 doubles s.
    heavy, _ = hosts_table(flowshark, ["-r", pcap, "--weight", "mirai=2"])
    if rows and heavy:
        by_host = {r["host"]: r for r in heavy}
        checked = 0
        for r in rows:
            if r.get("a_mirai") and not r.get("a_scan") and not r.get("a_ares") \
                    and not r.get("a_bindl") and r["csets"]:
                checked += 1
                if abs(by_host[r["host"]]["s"] - 2 * r["s"]) > 1e-12:
                    fail(f"--weight mirai=2: {r['host']} s {by_host[r['host']]['s']}, "
                         f"expected {2 * r['s']}")
        if checked == 0:
            fail("--weight mirai=2: no host to check")
    p = run([flowshark, "botnet", "-r", pcap, "--weight", "telnet=2"])
    if p.returncode != 1 or "mirai, ares or bindl" not in p.stderr:
        fail(f"--weight telnet=2: exit {p.returncode}, {p.stderr!r}")
    return values


def check_sample(flowshark, tshark, capture):
    want = oracle(tshark_packets(tshark, capture))
    rows, _ = hosts_table(flowshark, ["-r", capture, "--no-exclusions"])
    if rows is None:
        return 0
    n = compare(os.path.basename(capture), rows, want)
    flagged = {s: sorted(h for h in want[s] if internal(h)) for s in SETS}
    print(f"{os.path.basename(capture)}: {len(rows)} internal hosts; "
          + ", ".join(f"{s} {flagged[s]}" for s in SETS))
    return n


def main():
    a = arguments(tshark=True)
    values = 0
    with tempfile.TemporaryDirectory() as tmp:
        values += check_payload_capture(a.flowshark, a.tshark, tmp)
        for capture in a.captures:
            values += check_sample(a.flowshark, a.tshark, capture)
    print(f"{len(a.captures) + 1} captures, {values} payload columns compared")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
