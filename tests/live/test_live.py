#!/usr/bin/env python3
"""Live capture (-i, -D, -f, -c, -a) on a veth pair between two network
namespaces the test creates (fs-live-a-PID, fs-live-b-PID; addresses
10.77.0.1/24 and 10.77.0.2/24 there only; the host's interfaces are never
touched). Traffic made by the test (TCP connections with data both ways, UDP
exchanges) is metered live by flowshark -i while dumpcap captures the same
packets to a file; after SIGINT the live records must equal flowshark -r on
that file (every key but "file"), plain and with --stats.

Needs root and `ip netns`; otherwise it skips (exit status 77) unless
CI=true, where it fails. The namespaces are deleted and every process the
test started is stopped by its PID, also on failure. Timeouts are generous
and only bound the waiting: no assertion depends on timing.

Usage: test_live.py --flowshark BIN [unittest options]
(also run by itself as the servers and the client: --role ...)
"""
import argparse
import json
import os
import shutil
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SKIP = 77
EXIT_OK, EXIT_USAGE = 0, 1
TCP_PORT, UDP_PORT = 5001, 5002
SERVER = "10.77.0.2"
N_TCP, N_UDP = 200, 120
UDP_CLIENT_PORT = 41000  # the UDP exchanges' source ports: 41000, 41001...
WAIT = 120  # seconds: the most any wait may take (a loaded machine)

FLOWSHARK = None
NS_A = f"fs-live-a-{os.getpid()}"  # the client, where flowshark and dumpcap run
NS_B = f"fs-live-b-{os.getpid()}"  # the servers
IF_A, IF_B = "fsveth0", "fsveth1"


# ---- the roles run inside the namespaces ----

def serve():
    """TCP: read a request line, answer 300 bytes, close. UDP: echo twice
    the datagram. Runs until killed."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((SERVER, TCP_PORT))
    tcp.listen(128)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((SERVER, UDP_PORT))

    def udp_loop():
        while True:
            data, peer = udp.recvfrom(65535)
            udp.sendto(data * 2, peer)

    def answer(conn):
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            conn.sendall(b"r" * 300)

    threading.Thread(target=udp_loop, daemon=True).start()
    print("ready", flush=True)
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


def client(n_tcp, n_udp):
    """n_tcp TCP connections and n_udp UDP exchanges, each from its own
    socket (so its own port): one flow each."""
    for i in range(n_tcp):
        with socket.create_connection((SERVER, TCP_PORT), timeout=30) as s:
            s.sendall(b"q" * (50 + i % 50) + b"\n")
            while s.recv(4096):
                pass
    for i in range(n_udp):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            # A port of its own: the kernel may give a closed socket's
            # ephemeral port again, and two exchanges would be one flow.
            s.bind(("", UDP_CLIENT_PORT + i))
            s.settimeout(30)
            s.sendto(b"u" * (20 + i % 30), (SERVER, UDP_PORT))
            s.recvfrom(65535)


def chatter():
    """UDP datagrams to the server until killed (for -c)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while True:
            s.sendto(b"c" * 40, (SERVER, UDP_PORT))
            time.sleep(0.01)


# ---- the test's machinery ----

def ns_cmd(ns, *args):
    return ["ip", "netns", "exec", ns, *args]


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


class Processes:
    """Every process the test starts, stopped by PID at the end."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kwargs):
        # ip netns exec execs the command: the PID is the command's own.
        proc = subprocess.Popen(args, **kwargs)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            try:
                proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                pass
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
        self.procs = []


PROCS = Processes()


def set_up_namespaces():
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "add", ns)
    # The pair is created inside NS_A with its peer put in NS_B at once.
    sh(*ns_cmd(NS_A, "ip", "link", "add", IF_A, "type", "veth", "peer", "name", IF_B,
               "netns", NS_B))
    for ns, ifname, addr in ((NS_A, IF_A, "10.77.0.1/24"), (NS_B, IF_B, "10.77.0.2/24")):
        # No IPv6 chatter (router solicitations, MLD): only the test's traffic.
        sh(*ns_cmd(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"))
        sh(*ns_cmd(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"))
        sh(*ns_cmd(ns, "ip", "addr", "add", addr, "dev", ifname))
        sh(*ns_cmd(ns, "ip", "link", "set", ifname, "up"))
        sh(*ns_cmd(ns, "ip", "link", "set", "lo", "up"))


def tear_down_namespaces():
    PROCS.stop_all()
    for ns in (NS_A, NS_B):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def packet_sockets():
    """Packet sockets open in NS_A (one per capturing dumpcap)."""
    out = subprocess.run(ns_cmd(NS_A, "cat", "/proc/net/packet"), capture_output=True,
                         text=True, check=True).stdout
    return len(out.splitlines()) - 1


def wait_for(what, predicate):
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def me(*args):
    return [sys.executable, os.path.abspath(__file__), *args]


def records(text):
    return [json.loads(line) for line in text.splitlines()]


# Two captures of one packet received on an interface are stamped by the
# kernel once per packet socket (a packet sent is stamped once for all), so
# the live records' times and those of the file differ by microseconds:
# keys of times are compared within a bound of these, all others exactly.
TIME_KEYS_S = ("time_start", "time_end", "ip_timestamps", "payload_timestamps")
TIME_BOUND_S = 0.01


def is_time_key_ms(key):
    return key.endswith(("_seen_ms", "_duration_ms", "_piat_ms"))


def assert_same_records(test, got, want):
    """got equals want, record by record (matched by protocol and stream):
    the same keys, every key but "file" equal, times within their bound.
    Returns the greatest difference of packet times met (seconds)."""
    by_stream = lambda recs: {(r["protocol"], r["stream"]): r for r in recs}
    got, want = by_stream(got), by_stream(want)
    test.assertEqual(sorted(got), sorted(want))
    worst = 0.0
    for stream, a in got.items():
        b = want[stream]
        test.assertEqual(sorted(a), sorted(b), stream)
        for key in a:
            if key == "file":
                continue
            if key in TIME_KEYS_S or is_time_key_ms(key):
                bound = TIME_BOUND_S if key in TIME_KEYS_S else TIME_BOUND_S * 1000
                x = a[key] if isinstance(a[key], list) else [a[key]]
                y = b[key] if isinstance(b[key], list) else [b[key]]
                test.assertEqual(len(x), len(y), (stream, key))
                for u, v in zip(x, y):
                    test.assertLessEqual(abs(u - v), bound, (stream, key, u, v))
                    if key in TIME_KEYS_S:
                        worst = max(worst, abs(u - v))
            else:
                test.assertEqual(a[key], b[key], (stream, key))
    return worst


def packets_of(recs):
    return sum(len(r["ip_lengths"]) for r in recs)


class Live(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fs-live-")
        set_up_namespaces()
        server = PROCS.start(ns_cmd(NS_B, *me("--role", "server")), stdout=subprocess.PIPE,
                             text=True)
        if server.stdout.readline().strip() != "ready":
            raise AssertionError("the servers did not start")

    @classmethod
    def tearDownClass(cls):
        tear_down_namespaces()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def flowshark(self, *args, **kwargs):
        return PROCS.start(ns_cmd(NS_A, FLOWSHARK, *args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, **kwargs)

    def finish(self, proc):
        out, err = proc.communicate(timeout=WAIT)
        return proc.returncode, out, err

    def test_live_equals_file(self):
        cap = os.path.join(self.tmp, "cap.pcapng")
        base = packet_sockets()
        plain = self.flowshark("-i", IF_A, "-q")
        stats = self.flowshark("-i", IF_A, "--stats")
        dumpcap = PROCS.start(ns_cmd(NS_A, "dumpcap", "-i", IF_A, "-w", cap, "-q"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for("three captures on " + IF_A, lambda: packet_sockets() >= base + 3)
        time.sleep(0.5)  # the captures' loops are running
        subprocess.run(ns_cmd(NS_A, *me("--role", "client")), check=True, timeout=WAIT * 3)
        time.sleep(1)  # the last packets (FIN, ACK) reach all three captures
        for proc in (plain, stats, dumpcap):
            os.kill(proc.pid, signal.SIGINT)
        status, out, err = self.finish(plain)
        self.assertEqual((status, err), (EXIT_OK, ""))
        status_s, out_s, err_s = self.finish(stats)
        self.assertEqual(status_s, EXIT_OK, err_s)
        # The summary line (no -q), and nothing about an interruption.
        self.assertRegex(err_s, rf"^flowshark: live capture on {IF_A}: ok; \d+ packets, \d+ "
                                r"flows; [\d.]+ s\n$")
        dumpcap.communicate(timeout=WAIT)
        self.assertEqual(dumpcap.returncode, 0)

        live = records(out)
        self.assertTrue(all(r["file"] == IF_A for r in live))
        tcp = [r for r in live if r["protocol"] == "tcp" and TCP_PORT in (r["sport"], r["dport"])]
        udp = [r for r in live if r["protocol"] == "udp" and UDP_PORT in (r["sport"], r["dport"])]
        self.assertEqual((len(tcp), len(udp)), (N_TCP, N_UDP))
        for args, got in ((("-q",), live), (("-q", "--stats"), records(out_s))):
            with self.subTest(args=args):
                ref = subprocess.run([FLOWSHARK, "-r", cap, *args], capture_output=True,
                                     text=True, timeout=WAIT)
                self.assertEqual(ref.returncode, 0, ref.stderr)
                from_file = records(ref.stdout)
                worst = assert_same_records(self, got, from_file)
                print(f"\n{' '.join(args)}: {len(got)} flows live, {len(from_file)} from the "
                      f"file; packet times differ by at most {worst * 1e6:.1f} us",
                      file=sys.stderr)
        print(f"live: {len(live)} flows ({len(tcp)} TCP, {len(udp)} UDP), "
              f"{packets_of(live)} packets", file=sys.stderr)

    def with_chatter(self, *args):
        """flowshark -i IF_A ARGS while UDP datagrams flow; (status, out, err)."""
        chat = PROCS.start(ns_cmd(NS_A, *me("--role", "chatter")))
        try:
            return self.finish(self.flowshark("-i", IF_A, "-q", "--keep-empty", *args))
        finally:
            chat.kill()
            chat.wait(timeout=WAIT)

    def test_records_stream_out_as_flows_end(self):
        """With a timeout, a live run writes a flow's record when a later
        packet ends it, while the capture goes on."""
        base = packet_sockets()
        proc = self.flowshark("-i", IF_A, "-q", "--idle-timeout", "1")
        wait_for("a capture on " + IF_A, lambda: packet_sockets() >= base + 1)
        time.sleep(0.5)
        subprocess.run(ns_cmd(NS_A, *me("--role", "client")), check=True, timeout=WAIT * 3)
        # The chatter's packets keep coming: they end the idle flows.
        chat = PROCS.start(ns_cmd(NS_A, *me("--role", "chatter")))
        try:
            ready, _, _ = select.select([proc.stdout], [], [], WAIT)
            first = json.loads(proc.stdout.readline()) if ready else None
            self.assertIsNone(proc.poll(), "the capture is still running")
        finally:
            chat.kill()
            chat.wait(timeout=WAIT)
        self.assertIsNotNone(first, "no record while the capture ran")
        self.assertEqual(first["expiration_id"], 0)
        self.assertIn(TCP_PORT if first["protocol"] == "tcp" else UDP_PORT,
                      (first["sport"], first["dport"]))
        os.kill(proc.pid, signal.SIGINT)
        # Through the same buffered reader as the first line (communicate()
        # would read the pipe beneath it and miss what it holds).
        out = proc.stdout.read()
        err = proc.stderr.read()
        status = proc.wait(timeout=WAIT)
        self.assertEqual((status, err), (EXIT_OK, ""))
        recs = [first] + records(out)
        tcp = [r for r in recs if r["protocol"] == "tcp" and TCP_PORT in (r["sport"], r["dport"])]
        udp = [r for r in recs if r["protocol"] == "udp" and {r["sport"], r["dport"]} & set(
            range(UDP_CLIENT_PORT, UDP_CLIENT_PORT + N_UDP))]
        # Every exchange once (none idle for a second within itself).
        self.assertEqual((len(tcp), len(udp)), (N_TCP, N_UDP))

    def test_packet_count_stops(self):
        status, out, err = self.with_chatter("-c", "40")
        self.assertEqual((status, err), (EXIT_OK, ""))
        recs = records(out)
        self.assertTrue(recs)
        self.assertLessEqual(packets_of(recs), 40)

    def test_autostop_packets_stops(self):
        status, out, err = self.with_chatter("-a", "packets:30")
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertLessEqual(packets_of(records(out)), 30)

    def test_autostop_duration_stops(self):
        status, out, err = self.finish(self.flowshark("-i", IF_A, "-q", "-a", "duration:2"))
        self.assertEqual((status, err), (EXIT_OK, ""))

    def assert_one_error(self, status, out, err, *words):
        self.assertNotEqual(status, EXIT_OK)
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith("flowshark: "), err)
        for word in words:
            self.assertIn(word, lines[0])

    def test_missing_interface(self):
        status, out, err = self.finish(self.flowshark("-i", "nosuch0"))
        self.assert_one_error(status, out, err, "nosuch0")

    def test_bad_capture_filter(self):
        status, out, err = self.finish(self.flowshark("-i", IF_A, "-f", "tcp port ("))
        self.assert_one_error(status, out, err, "capture filter")

    def test_list_interfaces(self):
        status, out, err = self.finish(self.flowshark("-D"))
        self.assertEqual((status, err), (EXIT_OK, ""))
        self.assertIn(IF_A, out)

    def test_interface_with_file_is_usage_error(self):
        status, out, err = self.finish(self.flowshark("-i", IF_A, "-r", "x.pcap"))
        self.assertEqual((status, out), (EXIT_USAGE, ""))
        self.assertEqual(len(err.splitlines()), 1, err)


def can_run():
    """None when the test can run, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if not shutil.which("ip") or not shutil.which("dumpcap"):
        return "no ip or dumpcap"
    probe = f"fs-live-probe-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "ip netns add fails here"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flowshark")
    parser.add_argument("--role", choices=("server", "client", "chatter"))
    args, rest = parser.parse_known_args()
    if args.role == "server":
        serve()
    elif args.role == "client":
        client(N_TCP, N_UDP)
        return 0
    elif args.role == "chatter":
        chatter()
    global FLOWSHARK
    FLOWSHARK = os.path.abspath(args.flowshark)
    why = can_run()
    if why:
        if os.environ.get("CI") == "true":
            print(f"test_live: cannot run ({why}) and CI=true", file=sys.stderr)
            return 1
        print(f"test_live: skipped ({why})", file=sys.stderr)
        return SKIP
    # Deleted on any exit, also SIGTERM from ctest's timeout.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        result = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2).result
    finally:
        tear_down_namespaces()
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
