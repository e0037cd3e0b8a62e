#!/usr/bin/env python3
"""A capture for the payload detectors of flowshark botnet (issue 15,
../shared/spec/botcapturer.md §1.1 and §3.1): Mirai keep-alives, Mirai's
telnet login, Ares polls and executable downloads, each with look-alikes
that must not be flagged.

Every packet is written whole (raw IP, pcap link type 101), TCP with a
handshake, sequence numbers and FIN exchange, so that Wireshark's
reassembly and dissectors see what they would on a real network. Times
start at BASE; the internal hosts are in 10.2.0.0/16.

    python3 payload_capture.py OUT.pcap        # writes the capture
    import payload_capture as p; p.packets()   # [(time, bytes)]
    p.HOSTS                                    # name -> address

What each internal host does (the test's oracle applies BotCapturer's rules
to the payload bytes of packets(), not these words):
- keepalive:   Mirai's keep-alive, the two bytes 00 00, to a C&C on port 23
- keepalive2:  the same on port 101 (no dissector: data.data)
- login:       a telnet login on port 23 that sends "enable", gets an answer,
               acknowledges it and sends "system" (enable two packets
               earlier, Mirai's sequence)
- login_fast:  "enable" then at once "system" (one packet earlier: not it)
- ares:        HTTP GET /api/pop?... on port 80 (Ares's poll)
- ares_raw:    a payload holding api/pop on port 7777 (no dissector)
- exe:         downloads a PE file (MZ) over HTTP, in several segments
- elf:         downloads an ELF file (7f 45 4c 46) over HTTP
- browser:     fetches an HTML page and sends a two-byte "ok" to port 23
               and 101, an "enable"/"system" pair to port 22
- server:      an internal web server that serves a PE file to an external
               client (the internal host is the sender, not the receiver)
"""

import struct
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import synthetic_botnet as s  # noqa: E402  (packet builders)
import toy_capture  # noqa: E402  (the pcap writer)

BASE = 1650000000

HOSTS = {
    "keepalive": "10.2.0.1", "keepalive2": "10.2.0.2", "login": "10.2.0.3",
    "login_fast": "10.2.0.4", "ares": "10.2.0.5", "ares_raw": "10.2.0.6",
    "exe": "10.2.0.7", "elf": "10.2.0.8", "browser": "10.2.0.9",
    "server": "10.2.0.10",
    "cnc": "203.0.113.80", "victim": "100.64.7.7", "web": "198.51.100.80",
    "outside": "198.51.100.99",
}

PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(range(256)) * 12
# An ELF header (64-bit, little-endian, x86-64 executable, no program or
# section headers) and zeros.
ELF = (b"\x7fELF\x02\x01\x01\x00" + bytes(8)
       + struct.pack("<HHIQQQIHHHHHH", 2, 0x3e, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0)
       + bytes(1500))
HTML = b"<html><body>" + b"<p>hello world</p>\n" * 120 + b"</body></html>\n"


class Session(s.Connection):
    """A TCP connection whose payloads are whole byte strings."""

    def data(self, from_client, payload, dt=0.05):
        self.send(from_client, s.PSH | s.ACK, len(payload), payload, dt=dt)

    def ack(self, from_client, dt=0.01):
        self.send(from_client, s.ACK, dt=dt)

    def segments(self, from_client, payload, mss=1400):
        for i in range(0, len(payload), mss):
            self.data(from_client, payload[i:i + mss], dt=0.002)


def session(out, client, server, sport, dport, t):
    c = Session(out, HOSTS[client], HOSTS[server], sport, dport, t, 0.02)
    c.handshake()
    return c


def http_get(out, client, server, sport, t, path, body, ctype):
    c = session(out, client, server, sport, 80, t)
    c.data(True, b"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: x\r\n\r\n"
           % (path, HOSTS[server].encode()))
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        ctype, len(body))
    c.segments(False, head + body)
    c.ack(True)
    c.close()


def packets():
    out = []
    # Mirai keep-alives: 00 00 every 10 s, the C&C answers 00 00 too.
    for name, port, sport in (("keepalive", 23, 40001), ("keepalive2", 101, 40002)):
        c = session(out, name, "cnc", sport, port, 1.0)
        for _ in range(3):
            c.data(True, b"\x00\x00", dt=10)
            c.ack(False)
        c.close()
    # Telnet logins.
    c = session(out, "login", "victim", 40003, 23, 2.0)
    c.data(False, b"login: ")
    for line in (b"root\r\n", b"xc3511\r\n", b"enable\r\n"):
        c.data(True, line)
        c.data(False, b"\r\n> ")
        c.ack(True)
    c.data(True, b"system\r\n")
    c.data(False, b"\r\n# ")
    c.data(True, b"shell\r\n")
    c.close()
    c = session(out, "login_fast", "victim", 40004, 23, 3.0)
    c.data(False, b"login: ")
    c.data(True, b"admin\r\n")
    c.data(True, b"enable\r\n")
    c.data(True, b"system\r\n")
    c.data(False, b"\r\n> ")
    c.close()
    # Ares polls.
    http_get(out, "ares", "web", 40005, 4.0, b"/api/pop?botid=a1b2c3&sysinfo=Linux",
             b"{}", b"application/json")
    c = session(out, "ares_raw", "cnc", 40006, 7777, 5.0)
    c.data(True, b"POLL /api/pop?id=7 X\r\n")
    c.data(False, b"nothing\r\n")
    c.close()
    # Downloads.
    http_get(out, "exe", "web", 40007, 6.0, b"/update.exe", PE, b"application/octet-stream")
    http_get(out, "elf", "web", 40008, 7.0, b"/bins/x86", ELF, b"application/x-executable")
    # Look-alikes.
    http_get(out, "browser", "web", 40009, 8.0, b"/index.html", HTML, b"text/html")
    for port, sport in ((23, 40010), (101, 40011)):
        c = session(out, "browser", "cnc", sport, port, 9.0)
        c.data(True, b"ok")
        c.ack(False)
        c.close()
    c = session(out, "browser", "victim", 40012, 22, 10.0)
    c.data(True, b"enable\r\n")
    c.data(False, b"> ")
    c.ack(True)
    c.data(True, b"system\r\n")
    c.close()
    # An internal server sending a PE file out: the outside client
    # downloads it.
    http_get(out, "outside", "server", 40013, 11.0, b"/tool.exe", PE,
             b"application/octet-stream")
    out.sort(key=lambda p: p[0])
    return [(BASE + t, data) for t, data in out]


def write_pcap(path, pkts=None):
    """A pcap file (microseconds, raw IP, whole packets): toy_capture's
    writer."""
    toy_capture.write_pcap(path, packets() if pkts is None else pkts)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write_pcap(sys.argv[1])
