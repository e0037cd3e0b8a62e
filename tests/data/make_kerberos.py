# make_kerberos.py REALM FILE: writes a pcap holding one Kerberos AS-REQ
# (UDP 10.0.0.1:50000 -> 10.0.0.2:88) for the given realm (tests/data/README.md).
import struct, sys
def tlv(tag, body):
    n = len(body)
    if n < 128: l = bytes([n])
    elif n < 256: l = bytes([0x81, n])
    else: l = bytes([0x82]) + struct.pack(">H", n)
    return bytes([tag]) + l + body
def seq(*items): return tlv(0x30, b"".join(items))
def ctx(n, body): return tlv(0xa0 + n, body)
def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big", signed=True)
    return tlv(0x02, b)
def gstr(s): return tlv(0x1b, s.encode())
def principal(t, *names): return seq(ctx(0, integer(t)), ctx(1, seq(*[gstr(x) for x in names])))
realm = sys.argv[1] if len(sys.argv) > 1 else "EXAMPLE.COM"
body = seq(ctx(0, tlv(0x03, b"\x00\x40\x81\x00\x10")),
           ctx(1, principal(1, "alice")),
           ctx(2, gstr(realm)),
           ctx(3, principal(2, "krbtgt", realm)),
           ctx(5, tlv(0x18, b"20370913024805Z")),
           ctx(7, integer(12345678)),
           ctx(8, seq(integer(18), integer(17), integer(23))))
asreq = tlv(0x6a, seq(ctx(1, integer(5)), ctx(2, integer(10)), ctx(4, body)))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def udp_pkt(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
    return eth + ip + udp
pkts = [udp_pkt([10,0,0,1], [10,0,0,2], 50000, 88, asreq)]
with open(sys.argv[2] if len(sys.argv) > 2 else "krb.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pkts):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p))); f.write(p)
