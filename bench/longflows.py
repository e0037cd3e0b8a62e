#!/usr/bin/env python3
"""Build the long-flows capture of bench.py's run j: real TLS, HTTP and DNS
traffic between local servers and clients, captured on the loopback
interface of a network namespace of its own.

    python3 bench/longflows.py OUT.pcap [--mb 150]

Prints one JSON object on standard output: the flows planned (TCP and UDP),
the packets dumpcap received and dropped. Exit status 0 on success, 1 if
the capture cannot be made (the reason on standard error).

What it does, in a fresh network namespace (unshare --net), so that nothing
of the machine is seen or changed: its loopback interface gets an MTU of
1500 and gso_max_segs 1 (every captured packet is one Ethernet-sized
segment, as on a real link, not a 64 kB loopback super-packet); servers
bound to 127.0.0.1 only: `openssl s_server -WWW` (port 443, a throw-away
self-signed certificate), `python3 -m http.server` (port 80) and a DNS
responder (port 53, in this process); dumpcap captures the interface while
curl downloads files of pseudo-random bytes (fixed seed) from both
servers, each download after the DNS queries (A and AAAA) of its host name.
Every started process is stopped by its PID; the temporary directory is
removed. Needs root, unshare and ip (util-linux, iproute2), dumpcap and
editcap (wireshark), openssl and curl. See bench/README.md.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SEED = 16                      # content of the served files
HTTP_PORT, TLS_PORT, DNS_PORT = 80, 443, 53
LOCALHOST = "127.0.0.1"
PACED_RATE_MB = 12             # curl --limit-rate of the video-like flows
DEFAULT_MB = 150
# Client ports: fixed, so that every build has the same 5-tuples and no
# two flows can share one (a random port used twice would merge two DNS
# queries into one flow): download n from TCP_SPORT + n, its DNS queries
# from DNS_SPORT + len(DNS_QUERIES) * n + i.
TCP_SPORT, DNS_SPORT = 40000, 30000

# The downloads, in MB at DEFAULT_MB (scaled to --mb), by lane: the two
# lanes run at the same time, each one download after the other (s_server
# serves one connection at a time). Each entry: (kind, host, MB), kind
# "tls13"/"tls12" a bulk download over HTTPS, "video13"/"video12" the same
# read at PACED_RATE_MB (TCP flow control paces the server, as a player's
# buffer does), "http" a bulk download over plain HTTP.
LANES = [
    [("tls13", "bulk1.bench.test", 14), ("video13", "video1.bench.test", 6),
     ("tls12", "bulk2.bench.test", 10), ("video12", "video2.bench.test", 8),
     ("tls13", "bulk3.bench.test", 12), ("video13", "video3.bench.test", 6),
     ("tls12", "bulk4.bench.test", 8), ("video13", "video4.bench.test", 8),
     ("tls13", "bulk5.bench.test", 16), ("tls12", "bulk6.bench.test", 10)],
    [("http", "cdn1.bench.test", 10), ("http", "cdn2.bench.test", 8),
     ("http", "cdn3.bench.test", 12), ("http", "cdn4.bench.test", 6),
     ("http", "cdn5.bench.test", 10), ("http", "cdn6.bench.test", 8)],
]
DNS_QUERIES = (1, 28)          # A and AAAA before each download


class BuildError(Exception):
    """The capture cannot be made; the message says why."""


def log(msg):
    """Progress message on standard error."""
    print(f"longflows: {msg}", file=sys.stderr, flush=True)


def planned_flows():
    """(TCP flows, UDP flows) the capture holds: one TCP flow per download,
    one UDP flow per DNS query (each from a socket of its own)."""
    tcp = sum(len(lane) for lane in LANES)
    return tcp, tcp * len(DNS_QUERIES)


def sessions(mb):
    """The downloads scaled to `mb` MB in all: per lane, [(kind, host,
    path, bytes, n)], n numbering the downloads from 1, each path a file of
    its own."""
    total = sum(size for lane in LANES for _, _, size in lane)
    scale = mb / total
    out, n = [], 0
    for lane in LANES:
        plan = []
        for kind, host, size in lane:
            n += 1
            plan.append((kind, host, f"/{kind}-{n:02d}.bin",
                         max(1, round(size * scale * 1e6)), n))
        out.append(plan)
    return out


# --------------------------------------------------------------------------
# DNS: a responder answering A with 127.0.0.1 and anything else with no
# answer, and a client sending one query per socket
# --------------------------------------------------------------------------

def dns_name(name):
    """A domain name in DNS wire format."""
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_query(ident, name, qtype):
    """A recursive query for name/qtype."""
    return (struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + dns_name(name)
            + struct.pack(">HH", qtype, 1))


def dns_answer(query):
    """The response to a query, or None if it is not one question."""
    if len(query) < 12:
        return None
    ident, _, qdcount = struct.unpack_from(">HHH", query)
    end = 12
    while end < len(query) and query[end]:
        end += query[end] + 1
    end += 5                   # the root label, QTYPE and QCLASS
    if qdcount != 1 or end > len(query):
        return None
    question = query[12:end]
    qtype, = struct.unpack_from(">H", question, len(question) - 4)
    answers = b""
    if qtype == 1:
        # a pointer to the question's name, A, IN, TTL 60, 127.0.0.1
        answers = (struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4)
                   + socket.inet_aton(LOCALHOST))
    return (struct.pack(">HHHHHH", ident, 0x8180, 1, 1 if answers else 0, 0, 0)
            + question + answers)


class DnsResponder:
    """A UDP DNS responder on 127.0.0.1:DNS_PORT, in a thread."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOCALHOST, DNS_PORT))
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping.is_set():
            try:
                query, peer = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            reply = dns_answer(query)
            if reply:
                self.sock.sendto(reply, peer)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.sock.close()


def resolve(n, host):
    """The queries of DNS_QUERIES for host before download n, each from a
    socket of its own (a UDP flow of its own); BuildError if one gets no
    answer."""
    for i, qtype in enumerate(DNS_QUERIES):
        ident = n * len(DNS_QUERIES) + i
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((LOCALHOST, DNS_SPORT + ident))
            sock.settimeout(5)
            sock.sendto(dns_query(ident, host, qtype), (LOCALHOST, DNS_PORT))
            try:
                sock.recvfrom(512)
            except socket.timeout as exc:
                raise BuildError(f"no DNS answer for {host}") from exc


# --------------------------------------------------------------------------
# Inside the namespace
# --------------------------------------------------------------------------

def run(cmd, **kwargs):
    """Run a short command; BuildError with its message if it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    return proc.stdout


def listening(port):
    """True if a TCP socket listens on 127.0.0.1:port (read from
    /proc/net/tcp, so that no probe connection enters the capture)."""
    want = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == want and fields[3] == "0A":
            return True
    return False


def wait_for(what, test, timeout=15):
    """Poll test() until it is true; BuildError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise BuildError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stop(proc, sig=signal.SIGTERM, timeout=15):
    """Send sig to one started process (by its PID) and reap it; SIGKILL
    if it is still there after timeout seconds."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def download(kind, host, path, size, n):
    """Download n with curl; BuildError if it fails or comes up short."""
    scheme, port = ("http", HTTP_PORT) if kind == "http" else ("https", TLS_PORT)
    cmd = ["curl", "-sS", "--fail", "--max-time", "300", "-o", "/dev/null",
           "--local-port", str(TCP_SPORT + n),
           "-w", "%{size_download}", "--resolve", f"{host}:{port}:{LOCALHOST}"]
    if scheme == "https":
        cmd += ["-k"]
        if kind.endswith("12"):
            cmd += ["--tlsv1.2", "--tls-max", "1.2"]
    if kind.startswith("video"):
        cmd += ["--limit-rate", f"{PACED_RATE_MB}M"]
    got = run(cmd + [f"{scheme}://{host}{path}"])
    if int(got or 0) < size:
        raise BuildError(f"{host}{path}: {got} bytes of {size}")


def capture(out, mb, tmp):
    """Serve, capture and download in the current (fresh) namespace; write
    out as a classic pcap; return the summary dict."""
    run(["ip", "link", "set", "lo", "up"])
    run(["ip", "link", "set", "lo", "mtu", "1500"])
    run(["ip", "link", "set", "lo", "gso_max_segs", "1"])
    plan = sessions(mb)
    rng = random.Random(SEED)
    for lane in plan:
        for _, _, path, size, _ in lane:
            (tmp / path[1:]).write_bytes(rng.randbytes(size))
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-subj", "/CN=bench.test", "-days", "2", "-keyout",
         str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")])
    started = []
    dns = None
    try:
        started.append(subprocess.Popen(
            ["openssl", "s_server", "-quiet", "-WWW", "-accept",
             f"{LOCALHOST}:{TLS_PORT}", "-cert", "cert.pem", "-key", "key.pem"],
            cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
        started.append(subprocess.Popen(
            [sys.executable, "-m", "http.server", str(HTTP_PORT), "--bind",
             LOCALHOST, "--directory", str(tmp)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
        dns = DnsResponder()
        wait_for("the servers", lambda: listening(TLS_PORT) and listening(HTTP_PORT))
        pcapng, dumpcap_err = tmp / "capture.pcapng", tmp / "dumpcap.err"
        with open(dumpcap_err, "wb") as err:
            dumpcap = subprocess.Popen(
                ["dumpcap", "-q", "-i", "lo", "-B", "64", "-w", str(pcapng)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        started.append(dumpcap)
        wait_for("dumpcap", lambda: b"Capturing on" in dumpcap_err.read_bytes())
        time.sleep(0.2)
        failures = []

        def lane_run(lane):
            try:
                for kind, host, path, size, n in lane:
                    resolve(n, host)
                    download(kind, host, path, size, n)
            except BuildError as exc:
                failures.append(str(exc))

        log(f"capturing {sum(len(lane) for lane in plan)} downloads,"
            f" {mb:g} MB")
        lanes = [threading.Thread(target=lane_run, args=(lane,)) for lane in plan]
        for t in lanes:
            t.start()
        for t in lanes:
            t.join()
        if failures:
            raise BuildError("; ".join(failures))
        time.sleep(0.5)        # the last FIN and ACK
        stop(dumpcap, signal.SIGINT)
        if dumpcap.returncode != 0:
            raise BuildError("dumpcap failed: "
                             + dumpcap_err.read_text(errors="replace").strip())
    finally:
        for proc in reversed(started):
            stop(proc)
        if dns:
            dns.stop()
    counts = re.search(r"received/dropped on interface .*?: (\d+)/(\d+)",
                       dumpcap_err.read_text(errors="replace"))
    tmp_out = out.with_name(out.name + ".tmp")
    run(["editcap", "-F", "pcap", str(pcapng), str(tmp_out)])
    tmp_out.replace(out)
    tcp, udp = planned_flows()
    return {"tcp_flows": tcp, "udp_flows": udp,
            "received": int(counts.group(1)) if counts else None,
            "dropped": int(counts.group(2)) if counts else None}


def build(out, mb):
    """Run this script again in a new network namespace; return its
    summary dict. BuildError when that cannot be done."""
    if os.geteuid() != 0:
        raise BuildError("needs root (a network namespace, dumpcap on its lo)")
    for tool in ("unshare", "ip", "dumpcap", "editcap", "openssl", "curl"):
        if not shutil.which(tool):
            raise BuildError(f"{tool} not found")
    proc = subprocess.run(["unshare", "--net", "--", sys.executable,
                           str(Path(__file__).resolve()), "--in-netns",
                           "--mb", str(mb), str(out)],
                          stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise BuildError(f"the capture could not be made (exit status"
                         f" {proc.returncode}; messages above)")
    return json.loads(proc.stdout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the capture to write (classic pcap)")
    ap.add_argument("--mb", type=float, default=DEFAULT_MB,
                    help=f"bytes downloaded in all, in MB (default {DEFAULT_MB})")
    ap.add_argument("--in-netns", action="store_true",
                    help="(internal) already in the new network namespace")
    args = ap.parse_args(argv)
    if args.mb <= 0:
        ap.error("--mb must be positive")
    out = args.out.resolve()
    try:
        if args.in_netns:
            with tempfile.TemporaryDirectory(prefix="longflows-",
                                             dir=out.parent) as tmp:
                summary = capture(out, args.mb, Path(tmp))
        else:
            summary = build(out, args.mb)
    except BuildError as exc:
        log(str(exc))
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
