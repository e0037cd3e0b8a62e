#!/usr/bin/env python3
"""flowshark --tls against oracles built from tshark and openssl (Python
standard library only).

1. Certificates, every sample: the DER bytes tshark prints in
   tls.handshake.certificate, per flow (innermost TCP/UDP stream, as
   tests/e2e/compare.py), go through `openssl x509 -inform DER -noout
   -nameopt RFC2253 -subject -issuer -serial -dates -ext subjectAltName`
   (subject, issuer, serial, dates, SANs), `openssl x509 -text` (public key,
   signature algorithm) and hashlib (sha1, sha256); each certificate of
   `certificates` / `client_certificates` is compared key by key, in chain
   order, and its `packet` with the index in the flow of the frame tshark
   showed it in.
2. Handshake keys, every sample, every flow: tls_version, tls_cipher_suite
   (tshark's own label, `tshark -G values`), tls_sni, tls_alpn,
   tls_alpn_selected, ja3, ja3s against tshark's fields.
3. Crafted captures: certificates made with openssl req/x509/ca, served by
   `openssl s_server` to `openssl s_client` on 127.0.0.1 in a private network
   namespace while dumpcap captures its loopback; compared as 1 and 2, and
   the crafted facts asserted directly (chain of three in order, non-ASCII
   subject, SANs, expired, self-signed, EC P-256, client certificate,
   TLS 1.3 with no visible certificate).

Which side: the ClientHello's sender is the client; without a ClientHello,
the ServerHello's sender is the server; without either, certificates are the
server's. The first Certificate message of each side is its chain.

Differences listed in tests/tls/differences.txt (`capture | flow | key |
cause`, `*` matching anything; capture as printed, flow like `tcp 3`, key
like `certificates.subject` or `tls_sni`) are reported but do not fail.

Usage:
    test_tls.py --flowshark BIN --samples DIR [--oracle-only]
                [--no-samples] [--no-crafted] [--keep DIR] [SAMPLE...]

--oracle-only prints the oracle (certificates and handshake keys per flow)
as JSON Lines and needs no flowshark. Exit status: 0 passed, 1 failed, 77
skipped (crafted part impossible here: not root, no dumpcap/openssl, no
`ip netns`; never with CI=true).
"""
import argparse
import atexit
import datetime
import fnmatch
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from compare import (CaseError, flow_layers, parse_rows, text_lines,  # noqa: E402
                     NO_EXCLUSIONS_FILTER)

SKIP = 77
TIMEOUT = 900
WAIT = 60  # seconds: the most a wait for a process may take

CERT_KEYS = ["subject", "issuer", "serial", "not_before", "not_after", "san_dns",
             "san_ip", "public_key", "signature_algorithm", "sha1", "sha256",
             "self_signed", "packet"]
HANDSHAKE_KEYS = ["tls_version", "tls_cipher_suite", "tls_sni", "tls_alpn",
                  "tls_alpn_selected", "ja3", "ja3s"]
VERSIONS = {"0x0300": "SSL 3.0", "0x0301": "TLS 1.0", "0x0302": "TLS 1.1",
            "0x0303": "TLS 1.2", "0x0304": "TLS 1.3"}
# OpenSSL's signature algorithm names and GnuTLS's (gnutls_sign_get_name):
# either spelling is accepted.
SIGNATURE_NAMES = {
    "md5WithRSAEncryption": "RSA-MD5", "sha1WithRSAEncryption": "RSA-SHA1",
    "sha224WithRSAEncryption": "RSA-SHA224", "sha256WithRSAEncryption": "RSA-SHA256",
    "sha384WithRSAEncryption": "RSA-SHA384", "sha512WithRSAEncryption": "RSA-SHA512",
    "ecdsa-with-SHA1": "ECDSA-SHA1", "ecdsa-with-SHA224": "ECDSA-SHA224",
    "ecdsa-with-SHA256": "ECDSA-SHA256", "ecdsa-with-SHA384": "ECDSA-SHA384",
    "ecdsa-with-SHA512": "ECDSA-SHA512", "ED25519": "EdDSA-Ed25519", "ED448": "EdDSA-Ed448",
    "dsa_with_SHA1": "DSA-SHA1", "dsa_with_SHA256": "DSA-SHA256",
}
CURVES = {"prime256v1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521",
          "secp224r1": "P-224", "prime192v1": "P-192"}

# The per-packet fields the oracle asks tshark for.
FIELDS = ["frame.number", "frame.protocols",
          "tcp.stream", "tcp.srcport", "udp.stream", "udp.srcport",
          "ip.src", "ipv6.src",
          "tls.handshake.type", "tls.handshake.certificate",
          "tls.handshake.version", "tls.handshake.extensions.supported_version",
          "tls.handshake.ciphersuite", "tls.handshake.ja3", "tls.handshake.ja3s",
          "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str"]
COL = {name: i for i, name in enumerate(FIELDS)}


class OracleError(Exception):
    pass


def pinned_env():
    env = dict(os.environ)
    home = tempfile.mkdtemp(prefix="fs-tls-home-")
    atexit.register(shutil.rmtree, home, True)
    env.update(TZ="UTC", LC_ALL="C", HOME=home, WIRESHARK_CONFIG_DIR=home)
    return env


ENV = None


def run(argv, input=None, check=True, timeout=TIMEOUT):
    proc = subprocess.run(argv, input=input, capture_output=True, env=ENV, timeout=timeout)
    if check and proc.returncode != 0:
        raise OracleError(f"{' '.join(argv[:6])}... exited {proc.returncode}: "
                          f"{proc.stderr.decode('utf-8', 'replace').strip()[-400:]}")
    return proc


# --------------------------------------------------------------------------
# openssl on one DER certificate

def openssl_date(text):
    """'Jan 31 21:57:00 2017 GMT' -> '2017-01-31T21:57:00Z'."""
    d = datetime.datetime.strptime(text.strip(), "%b %d %H:%M:%S %Y GMT")
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


_cert_cache = {}


def certificate_oracle(der):
    """The record's certificate object (but `packet`) from openssl + hashlib."""
    digest = hashlib.sha256(der).hexdigest()
    if digest in _cert_cache:
        return dict(_cert_cache[digest])
    out = run(["openssl", "x509", "-inform", "DER", "-noout", "-nameopt", "RFC2253",
               "-subject", "-issuer", "-serial", "-dates", "-ext", "subjectAltName"],
              input=der).stdout.decode("utf-8")
    c = {"san_dns": [], "san_ip": []}
    in_san = False
    for line in out.split("\n"):
        if in_san and line.startswith(" "):
            for name in line.strip().split(", "):
                if name.startswith("DNS:"):
                    c["san_dns"].append(name[4:])
                elif name.startswith("IP Address:"):
                    # openssl 3.0 prints IPv6 uncompressed; inet_ntop form here
                    c["san_ip"].append(str(ipaddress.ip_address(name[11:])))
            continue
        in_san = False
        if line.startswith("subject="):
            c["subject"] = line[len("subject="):]
        elif line.startswith("issuer="):
            c["issuer"] = line[len("issuer="):]
        elif line.startswith("serial="):
            c["serial"] = line[len("serial="):].lower()
        elif line.startswith("notBefore="):
            c["not_before"] = openssl_date(line[len("notBefore="):])
        elif line.startswith("notAfter="):
            c["not_after"] = openssl_date(line[len("notAfter="):])
        elif line.startswith("X509v3 Subject Alternative Name"):
            in_san = True
    missing = [k for k in ("subject", "issuer", "serial", "not_before", "not_after") if k not in c]
    if missing:
        raise OracleError(f"openssl printed no {missing} for certificate {digest}: {out!r}")
    # The same names without escaping of non-ASCII bytes (-esc_msb): not
    # compared, shown to explain differences.
    out2 = run(["openssl", "x509", "-inform", "DER", "-noout", "-nameopt", "RFC2253,-esc_msb",
                "-subject", "-issuer"], input=der).stdout.decode("utf-8", "replace")
    for line in out2.split("\n"):
        if line.startswith("subject="):
            c["_subject_utf8"] = line[len("subject="):]
        elif line.startswith("issuer="):
            c["_issuer_utf8"] = line[len("issuer="):]
    text = run(["openssl", "x509", "-inform", "DER", "-noout", "-text"],
               input=der).stdout.decode("utf-8", "replace")
    m = re.search(r"^\s*Signature Algorithm: (\S+)", text, re.M)
    c["signature_algorithm"] = m.group(1) if m else ""
    alg = re.search(r"^\s*Public Key Algorithm: (\S+)", text, re.M)
    bits = re.search(r"Public-Key: \((\d+) bit\)", text)
    alg = alg.group(1) if alg else ""
    if alg == "rsaEncryption":
        c["public_key"] = f"RSA {bits.group(1)}"
    elif alg == "rsassaPss":
        c["public_key"] = f"RSA-PSS {bits.group(1)}"
    elif alg == "dsaEncryption":
        c["public_key"] = f"DSA {bits.group(1)}"
    elif alg == "id-ecPublicKey":
        nist = re.search(r"NIST CURVE: (\S+)", text)
        oid = re.search(r"ASN1 OID: (\S+)", text)
        c["public_key"] = "EC " + (nist.group(1) if nist else
                                   CURVES.get(oid.group(1), oid.group(1)) if oid else "unknown")
    elif alg in ("ED25519", "ED448"):
        c["public_key"] = "Ed25519" if alg == "ED25519" else "Ed448"
    else:
        c["public_key"] = alg
    c["sha1"] = hashlib.sha1(der).hexdigest()
    c["sha256"] = digest
    # Self-signed: subject and issuer names equal (what GnuTLS's
    # gnutls_x509_crt_check_issuer(crt, crt) tests).
    c["self_signed"] = c["subject"] == c["issuer"]
    _cert_cache[digest] = c
    return dict(c)


# --------------------------------------------------------------------------
# tshark: flows, handshakes, certificates

_labels = None


def cipher_labels():
    """tshark's own names of the cipher suites: tshark -G values."""
    global _labels
    if _labels is None:
        _labels = {}
        out = run(["tshark", "-G", "values"]).stdout.decode("utf-8", "replace")
        for line in out.split("\n"):
            cols = line.split("\t")
            if len(cols) == 4 and cols[0] == "V" and cols[1] == "tls.handshake.ciphersuite":
                _labels[int(cols[2])] = cols[3]
    return _labels


_version_labels = None


def version_name(hexval):
    global _version_labels
    if hexval in VERSIONS:
        return VERSIONS[hexval]
    if _version_labels is None:  # tshark's label for the others (drafts...)
        _version_labels = {}
        out = run(["tshark", "-G", "values"]).stdout.decode("utf-8", "replace")
        for line in out.split("\n"):
            cols = line.split("\t")
            if len(cols) == 4 and cols[0] == "V" and cols[1] == "tls.handshake.version":
                _version_labels[int(cols[2])] = cols[3]
    return _version_labels.get(int(hexval, 16), hexval)


def values(cols, name):
    text = cols[COL[name]]
    return text.split(",") if text else []


def nth(cols, name, k, count):
    vals = values(cols, name)
    if not vals:
        return None
    if len(vals) != count:
        raise OracleError(f"{name}: {len(vals)} values for {count} layers")
    return vals[k]


def tshark_oracle(capture, extra=()):
    """Per flow (protocol, stream): the oracle's TLS keys and certificates
    (each with '_frame'), from one tshark run with the no-exclusions filter."""
    argv = ["tshark", "-r", capture, *extra, "-Y", NO_EXCLUSIONS_FILTER, "-T", "fields",
            "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
    for f in FIELDS:
        argv += ["-e", f]
    proc = run(argv, check=False)
    if proc.returncode not in (0, 2):
        raise OracleError(f"tshark exited {proc.returncode} on {capture}")
    flows = {}
    for number, line in enumerate(text_lines(proc.stdout.decode("utf-8")), 1):
        cols = line.split("\t")
        if len(cols) != len(FIELDS):
            raise OracleError(f"tshark line {number}: {len(cols)} columns")
        layers = cols[COL["frame.protocols"]].split(":")
        found = flow_layers(layers)
        if found is None:
            continue
        proto, tnth, ipname, inth = found
        stream = nth(cols, f"{proto}.stream", tnth, layers.count(proto))
        if stream is None:
            continue
        sender = (nth(cols, f"{ipname}.src", inth, layers.count(ipname)),
                  nth(cols, f"{proto}.srcport", tnth, layers.count(proto)))
        key = (proto, int(stream))
        f = flows.setdefault(key, {"packets": 0, "frames": [], "client": None, "server": None,
                                   "server_chain": None, "client_chain": None, **{
                                       k: ([] if k == "tls_alpn" else "") for k in HANDSHAKE_KEYS}})
        index = f["packets"]
        f["packets"] += 1
        f["frames"].append(int(cols[COL["frame.number"]]))
        types = values(cols, "tls.handshake.type")
        if not types:
            continue
        if "1" in types and "2" in types:
            raise OracleError(f"frame {cols[0]}: ClientHello and ServerHello in one packet")
        if "1" in types and f["client"] is None:
            f["client"] = sender
            f["tls_sni"] = (values(cols, "tls.handshake.extensions_server_name") or [""])[0]
            f["ja3"] = (values(cols, "tls.handshake.ja3") or [""])[0]
            f["tls_alpn"] = values(cols, "tls.handshake.extensions_alpn_str")
        elif "2" in types and f["server"] is None:
            f["server"] = sender
            sv = values(cols, "tls.handshake.extensions.supported_version")
            v = sv or values(cols, "tls.handshake.version")
            f["tls_version"] = version_name(v[0]) if v else ""
            cs = values(cols, "tls.handshake.ciphersuite")
            f["tls_cipher_suite"] = cipher_labels().get(int(cs[0], 16), cs[0]) if cs else ""
            f["tls_alpn_selected"] = (values(cols, "tls.handshake.extensions_alpn_str") or [""])[0]
            f["ja3s"] = (values(cols, "tls.handshake.ja3s") or [""])[0]
        certs = values(cols, "tls.handshake.certificate")
        if certs and "11" in types:
            if f["client"] is not None:
                from_client = sender == f["client"]
            elif f["server"] is not None:
                from_client = sender != f["server"]
            else:
                from_client = False
            slot = "client_chain" if from_client else "server_chain"
            if f[slot] is None:
                chain = []
                for h in certs:
                    c = certificate_oracle(bytes.fromhex(h.replace(":", "")))
                    c["packet"] = index
                    c["_frame"] = int(cols[COL["frame.number"]])
                    chain.append(c)
                f[slot] = chain
            else:
                f.setdefault("_later_chains", 0)
                f["_later_chains"] += 1
    return flows


# --------------------------------------------------------------------------
# Comparison

class Differences:
    """tests/tls/differences.txt: capture | flow | key [TAGS] | cause.

    capture, flow and key are fnmatch patterns. Without tags an entry
    excuses any difference of that key; with tags (in brackets, separated by
    commas) only one that the tags' transformations of the oracle's value
    account for exactly (TRANSFORMS)."""

    def __init__(self, path):
        self.entries = []
        if os.path.exists(path):
            try:
                self._read(path)
            except CaseError as e:
                raise OracleError(str(e)) from None

    def _read(self, path):
        columns = "capture | flow | key | cause"
        for number, line, parts in parse_rows(path, columns):
            if not parts[3]:
                raise OracleError(f"{path}:{number}: expected '{columns}'")
            m = re.fullmatch(r"(\S+)\s*(?:\[([^\]]*)\])?", parts[2])
            if not m:
                raise OracleError(f"{path}:{number}: bad key {parts[2]!r}")
            tags = [t.strip() for t in (m.group(2) or "").split(",") if t.strip()]
            bad = [t for t in tags if t not in TRANSFORMS]
            if bad:
                raise OracleError(f"{path}:{number}: unknown tags {bad}; known: "
                                  f"{sorted(TRANSFORMS)}")
            self.entries.append({"capture": parts[0], "flow": parts[1], "key": m.group(1),
                                 "tags": tags, "cause": parts[3], "used": 0, "text": line})

    def explains(self, capture, flow, key, oracle=None, ours=None, theirs=None):
        for e in self.entries:
            if not (fnmatch.fnmatchcase(capture, e["capture"]) and
                    fnmatch.fnmatchcase(flow, e["flow"]) and fnmatch.fnmatchcase(key, e["key"])):
                continue
            if e["tags"]:
                value = ours
                for t in sorted(e["tags"], key=lambda t: t != "utf8"):  # utf8 first
                    value = TRANSFORMS[t](value, oracle or {}, key)
                if value != theirs:
                    continue
            e["used"] += 1
            return e["cause"]
        return None


def _utf8(value, cert, key):
    """openssl -nameopt RFC2253 escapes every byte >= 0x80 (\\C3\\AB): the
    same name printed with RFC2253,-esc_msb."""
    field = key.rsplit(".", 1)[-1]
    return cert.get(f"_{field}_utf8", value) if isinstance(value, str) else value


def _email(value, cert, key):
    """OID 1.2.840.113549.1.9.1: OpenSSL's short name emailAddress, GnuTLS's EMAIL."""
    return re.sub(r"(^|,)emailAddress=", r"\1EMAIL=", value) if isinstance(value, str) else value


TRANSFORMS = {"utf8": _utf8, "EMAIL": _email}


class Tally:
    def __init__(self):
        self.compared, self.identical, self.explained = {}, {}, {}
        self.failures = []
        self.explained_lines = []
        self.flows = 0
        self.certificates = 0

    def count(self, key, same, explained=False):
        self.compared[key] = self.compared.get(key, 0) + 1
        if same:
            self.identical[key] = self.identical.get(key, 0) + 1
        elif explained:
            self.explained[key] = self.explained.get(key, 0) + 1

    def table(self, title):
        print(f"\n{title}")
        print(f"  {'key':<32} {'compared':>9} {'identical':>10} {'explained':>10}")
        for k in sorted(self.compared, key=lambda k: (k.split(".")[0], k)):
            print(f"  {k:<32} {self.compared[k]:>9} {self.identical.get(k, 0):>10}"
                  f" {self.explained.get(k, 0):>10}")


def shorten(v, n=200):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "..."


def same_value(key, ours, theirs):
    if key == "serial":
        return isinstance(theirs, str) and ours.lower() == theirs.lower()
    if key == "signature_algorithm":
        return theirs in (ours, SIGNATURE_NAMES.get(ours))
    if key == "self_signed":
        return theirs is ours
    return ours == theirs


def compare_flow(capture, key, oracle, record, tally, diffs):
    flow = f"{key[0]} {key[1]}"

    def differ(k, ours, theirs, note="", cert=None):
        cause = diffs.explains(capture, flow, k, cert, ours, theirs)
        tally.count(k, False, cause is not None)
        line = (f"{capture} {flow}: {k}: oracle {shorten(ours)}, flowshark {shorten(theirs)}"
                f"{note}")
        if cause:
            tally.explained_lines.append(f"{line} [listed: {cause}]")
        else:
            tally.failures.append(line)

    tally.flows += 1
    for k in HANDSHAKE_KEYS:
        if k not in record:
            differ(k, oracle[k], "<missing>")
        elif record[k] == oracle[k]:
            tally.count(k, True)
        else:
            differ(k, oracle[k], record[k])
    frames = oracle["frames"]
    for side, slot in (("certificates", "server_chain"), ("client_certificates", "client_chain")):
        chain = oracle[slot] or []
        got = record.get(side)
        if not isinstance(got, list):
            differ(side, f"list of {len(chain)}", got if got is not None else "<missing>")
            continue
        if len(got) != len(chain):
            differ(f"{side}.length", len(chain), len(got))
        else:
            tally.count(f"{side}.length", True)
        for i, (o, g) in enumerate(zip(chain, got)):
            tally.certificates += 1
            if not isinstance(g, dict):
                differ(f"{side}[{i}]", "object", g)
                continue
            for ck in CERT_KEYS:
                name = f"{side}.{ck}"
                theirs = g.get(ck, "<missing>")
                if same_value(ck, o[ck], theirs):
                    tally.count(name, True)
                    continue
                note = ""
                if ck in ("subject", "issuer") and theirs == o.get(f"_{ck}_utf8"):
                    note = " (equal to openssl -nameopt RFC2253,-esc_msb: non-ASCII unescaped)"
                if ck == "packet" and isinstance(theirs, int) and 0 <= theirs < len(frames):
                    note = f" (frame {frames[theirs]}, tshark showed it in frame {o['_frame']})"
                differ(name, o[ck], theirs, f" [certificate {i}, sha256 {o['sha256'][:16]}]{note}", o)
            # packet points at the frame tshark showed it in
            pk = g.get("packet")
            ok = isinstance(pk, int) and 0 <= pk < len(frames) and frames[pk] == o["_frame"]
            if ok:
                tally.count(f"{side}.packet_frame", True)
            else:
                differ(f"{side}.packet_frame", o["_frame"],
                       frames[pk] if isinstance(pk, int) and 0 <= pk < len(frames) else pk)


def flowshark_records(flowshark, capture, extra=()):
    proc = subprocess.run([flowshark, "-r", capture, *extra, "--tls", "-q", "--keep-empty",
                           "--no-exclusions"], capture_output=True, env=ENV, timeout=TIMEOUT)
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode not in (0, 2):
        raise OracleError(f"flowshark --tls exited {proc.returncode} on {capture}"
                          f"{' (is --tls implemented?)' if 'tls' in err else ''}: {err[-400:]}")
    records = {}
    for line in text_lines(proc.stdout.decode("utf-8")):
        r = json.loads(line)
        records[(r["protocol"], r["stream"])] = r
    return records


def check_capture(flowshark, capture, label, tally, diffs, oracle=None, extra=()):
    """Compares one capture (extra: options for both tshark and flowshark);
    returns (oracle, records)."""
    if oracle is None:
        oracle = tshark_oracle(capture, extra)
    records = flowshark_records(flowshark, capture, extra)
    for key in sorted(set(oracle) | set(records)):
        if key not in records:
            tally.failures.append(f"{label} {key[0]} {key[1]}: no flowshark record")
        elif key not in oracle:
            tally.failures.append(f"{label} {key[0]} {key[1]}: flowshark record, no oracle flow")
        else:
            compare_flow(label, key, oracle[key], records[key], tally, diffs)
    return oracle, records


def public_oracle(flows):
    """The oracle without its helper keys, for printing."""
    out = {}
    for key, f in sorted(flows.items()):
        d = {k: f[k] for k in HANDSHAKE_KEYS}
        for side, slot in (("certificates", "server_chain"), ("client_certificates", "client_chain")):
            d[side] = [dict(c, frame=c["_frame"]) for c in (f[slot] or [])]
            for c in d[side]:
                for k in [k for k in c if k.startswith("_")]:
                    del c[k]
        if f.get("_later_chains"):
            d["later_certificate_messages"] = f["_later_chains"]
        out[key] = d
    return out


# --------------------------------------------------------------------------
# Crafted captures

def ossl(*args, cwd):
    proc = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, env=ENV,
                          timeout=120)
    if proc.returncode != 0:
        raise OracleError(f"openssl {' '.join(args[:4])}...: "
                          f"{proc.stderr.decode('utf-8', 'replace').strip()[-400:]}")
    return proc.stdout


CA_CONFIG = """\
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/newcerts
serial = {dir}/serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
[ leaf_ext ]
basicConstraints = CA:FALSE
subjectAltName = DNS:expired.test
"""


def make_certificates(d):
    """Every certificate of the crafted cases, in directory d."""
    def key_rsa(name, bits=2048):
        ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}",
             "-out", f"{name}.key", cwd=d)

    def key_ec(name, curve):
        ossl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}",
             "-out", f"{name}.key", cwd=d)

    def ext_file(name, text):
        with open(os.path.join(d, f"{name}.ext"), "w", encoding="utf-8") as f:
            f.write(text)
        return f"{name}.ext"

    def sign(name, subj, issuer, ext, days=365, serial=None):
        ossl("req", "-new", "-utf8", "-key", f"{name}.key", "-subj", subj,
             "-out", f"{name}.csr", cwd=d)
        ossl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem",
             "-CAkey", f"{issuer}.key", "-days", str(days), "-sha256",
             "-extfile", ext_file(name, ext),
             *(["-set_serial", serial] if serial else ["-CAcreateserial"]),
             "-out", f"{name}.pem", cwd=d)

    key_rsa("root")
    ossl("req", "-x509", "-new", "-utf8", "-key", "root.key", "-sha256", "-days", "3650",
         "-subj", "/O=flowshark tests/CN=flowshark test root",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "root.pem", cwd=d)
    key_ec("inter", "P-384")
    sign("inter", "/O=flowshark tests/CN=flowshark test intermediate", "root",
         "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n")
    key_rsa("leaf")
    sign("leaf", "/O=flowshark tests/CN=chain.test", "inter",
         "basicConstraints=CA:FALSE\nsubjectAltName=DNS:chain.test\n", serial="0x00ff01")
    key_rsa("utf8")
    sign("utf8", "/C=DE/O=Café/CN=Zoë Müller", "root",
         "basicConstraints=CA:FALSE\nsubjectAltName=DNS:utf8.test\n")
    key_rsa("sans", 3072)
    sign("sans", "/O=flowshark tests/CN=sans.test", "root",
         "basicConstraints=CA:FALSE\nsubjectAltName=DNS:sans.test,DNS:www.sans.test,"
         "DNS:*.wild.sans.test,IP:127.0.0.1,IP:fd00::1\n")
    key_rsa("self")
    ossl("req", "-x509", "-new", "-key", "self.key", "-sha256", "-days", "30",
         "-subj", "/O=flowshark tests/CN=self.test",
         "-addext", "subjectAltName=DNS:self.test", "-out", "self.pem", cwd=d)
    key_ec("ec", "P-256")
    sign("ec", "/O=flowshark tests/CN=ec.test", "root",
         "basicConstraints=CA:FALSE\nsubjectAltName=DNS:ec.test\n")
    key_rsa("client")
    sign("client", "/O=flowshark tests/CN=flowshark client", "root",
         "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    # Expired: openssl ca with explicit dates (x509 -days cannot go back).
    key_rsa("expired")
    ossl("req", "-new", "-key", "expired.key", "-subj", "/O=flowshark tests/CN=expired.test",
         "-out", "expired.csr", cwd=d)
    os.makedirs(os.path.join(d, "newcerts"), exist_ok=True)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(CA_CONFIG.format(dir=d))
    ossl("ca", "-batch", "-config", "ca.cnf", "-cert", "root.pem", "-keyfile", "root.key",
         "-in", "expired.csr", "-out", "expired.pem", "-notext", "-extensions", "leaf_ext",
         "-startdate", "20200101000000Z", "-enddate", "20210101000000Z", cwd=d)
    with open(os.path.join(d, "inter+root.pem"), "w") as out:
        for n in ("inter", "root"):
            with open(os.path.join(d, f"{n}.pem")) as f:
                out.write(f.read())


def pem_to_oracle(d, name):
    der = ossl("x509", "-in", f"{name}.pem", "-outform", "DER", cwd=d)
    return certificate_oracle(der)


# name, server certificate, chain file, TLS option, client certificate, SNI
CRAFTED = [
    ("chain", "leaf", "inter+root.pem", "-tls1_2", None, "chain.test"),
    ("nonascii", "utf8", None, "-tls1_2", None, "utf8.test"),
    ("sans", "sans", None, "-tls1_2", None, "sans.test"),
    ("expired", "expired", None, "-tls1_2", None, "expired.test"),
    ("selfsigned", "self", None, "-tls1_2", None, "self.test"),
    ("ec", "ec", None, "-tls1_2", None, "ec.test"),
    ("client", "sans", None, "-tls1_2", "client", "sans.test"),
    ("tls13", "leaf", "inter+root.pem", "-tls1_3", None, "chain.test"),
    # The same, s_client writing its key log: Wireshark decrypts the
    # handshake (-o tls.keylog_file), the chain becomes visible.
    ("tls13keylog", "leaf", "inter+root.pem", "-tls1_3", None, "chain.test"),
]


def keylog_options(d, name):
    """The -o that gives tshark and flowshark a case's key log, if any."""
    if not name.endswith("keylog"):
        return ()
    return ("-o", f"tls.keylog_file:{os.path.join(d, name + '.keys')}")


class Namespace:
    """A private network namespace with only its loopback up."""

    def __init__(self):
        self.name = f"fs-tls-{os.getpid()}"
        self.up = False

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        self.up = True
        subprocess.run(["ip", "netns", "exec", self.name, "ip", "link", "set", "lo", "up"],
                       check=True, capture_output=True)
        return self

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.name, *args]

    def __exit__(self, *exc):
        if self.up:
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def stop(proc, sig=signal.SIGTERM):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for_line(proc, word, what):
    """Reads proc's stdout until a line contains word (bounded by WAIT)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise OracleError(f"{what} ended before printing {word}")
        if word in line.decode("utf-8", "replace"):
            return
    raise OracleError(f"{what}: no {word} in {WAIT} s")


def capture_case(ns, d, case, port):
    """Runs one s_server/s_client exchange under dumpcap; returns the capture."""
    name, cert, chain, version, client_cert, sni = case
    pcap = os.path.join(d, f"{name}.pcapng")
    dumpcap = server = None
    try:
        dumpcap = subprocess.Popen(ns.cmd("dumpcap", "-q", "-i", "lo", "-f", f"tcp port {port}",
                                          "-w", pcap), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, env=ENV)
        deadline = time.monotonic() + WAIT
        while not (os.path.exists(pcap) and os.path.getsize(pcap) > 0):
            if dumpcap.poll() is not None:
                raise OracleError(f"dumpcap exited {dumpcap.returncode}: "
                                  f"{dumpcap.stderr.read().decode('utf-8', 'replace')}")
            if time.monotonic() > deadline:
                raise OracleError("dumpcap wrote no capture file")
            time.sleep(0.05)
        time.sleep(0.5)  # the file exists once the filter is compiled; settle
        argv = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1",
                "-cert", f"{cert}.pem", "-key", f"{cert}.key", version, "-alpn", "h2"]
        if chain:
            argv += ["-cert_chain", chain]
        if client_cert:
            # -verifyCAfile: the root verifies the client's certificate but is not
            # added to the server's chain (-CAfile would be).
            argv += ["-Verify", "1", "-verifyCAfile", "root.pem"]
        server = subprocess.Popen(ns.cmd(*argv), cwd=d, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV)
        wait_for_line(server, "ACCEPT", "openssl s_server")
        argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", sni,
                "-alpn", "h2,http/1.1", version]
        if client_cert:
            argv += ["-cert", f"{client_cert}.pem", "-key", f"{client_cert}.key"]
        if name.endswith("keylog"):
            argv += ["-keylogfile", f"{name}.keys"]
        client = subprocess.run(ns.cmd(*argv), cwd=d, stdin=subprocess.DEVNULL,
                                capture_output=True, env=ENV, timeout=WAIT)
        text = client.stdout.decode("utf-8", "replace")
        if "Cipher is (NONE)" in text or "CONNECTED" not in text:
            raise OracleError(f"s_client for {name} did not connect: "
                              f"{client.stderr.decode('utf-8', 'replace')[-400:]}")
        time.sleep(0.5)
    finally:
        stop(server)
        stop(dumpcap, signal.SIGINT)
    return pcap


def crafted_facts(records, oracle_certs, tally):
    """The crafted facts, asserted on flowshark's records (name -> record)."""
    def check(cond, what):
        tally.count("crafted." + what.split(":")[0], cond)
        if not cond:
            tally.failures.append(f"crafted: {what}")

    for name, r in records.items():
        certs = r.get("certificates") or []
        check(r.get("tls_alpn") == ["h2", "http/1.1"], f"alpn: {name}: {r.get('tls_alpn')}")
        # TLS 1.3 sends the selected protocol in EncryptedExtensions: not visible.
        check(r.get("tls_alpn_selected") == ("" if name == "tls13" else "h2"),
              f"alpn_selected: {name}: {r.get('tls_alpn_selected')}")
        if name == "tls13":
            check(r.get("tls_version") == "TLS 1.3" and certs == [],
                  f"tls13: {r.get('tls_version')}, {len(certs)} certificates")
            continue
        if name == "tls13keylog":
            check(r.get("tls_version") == "TLS 1.3" and [c.get("sha256") for c in certs] == [
                oracle_certs[n]["sha256"] for n in ("leaf", "inter", "root")],
                f"tls13keylog: {r.get('tls_version')}, chain of {len(certs)} decrypted")
            continue
        check(r.get("tls_version") == "TLS 1.2", f"version: {name}: {r.get('tls_version')}")
        sha = [c.get("sha256") for c in certs]
        oc = oracle_certs
        if name == "chain":
            check(sha == [oc["leaf"]["sha256"], oc["inter"]["sha256"], oc["root"]["sha256"]],
                  f"chain: leaf, intermediate, root in order: {len(certs)} certificates")
            check([c.get("self_signed") for c in certs] == [False, False, True],
                  f"self_signed: chain {[c.get('self_signed') for c in certs]}")
            check([c.get("public_key") for c in certs] == ["RSA 2048", "EC P-384", "RSA 2048"],
                  f"public_key: chain {[c.get('public_key') for c in certs]}")
            check(len(certs) == 3 and certs[0].get("serial", "").lower() == "ff01",
                  "serial: leaf 0x00ff01 is ff01")
            continue
        check(len(certs) == 1, f"one certificate: {name}: {len(certs)}")
        if not certs:
            continue
        c = certs[0]
        if name == "nonascii":
            subj = c.get("subject", "")
            unescaped = re.sub(rb"\\([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                               subj.encode("utf-8")).decode("utf-8", "replace")
            check("CN=Zoë Müller" in unescaped and "O=Café" in unescaped,
                  f"nonascii: subject {subj!r}")
        if name == "sans":
            check(c.get("san_dns") == ["sans.test", "www.sans.test", "*.wild.sans.test"]
                  and c.get("san_ip") == ["127.0.0.1", "fd00::1"],
                  f"sans: {c.get('san_dns')} {c.get('san_ip')}")
            check(c.get("public_key") == "RSA 3072", f"public_key: sans {c.get('public_key')}")
        if name == "expired":
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            check(c.get("not_before") == "2020-01-01T00:00:00Z"
                  and c.get("not_after") == "2021-01-01T00:00:00Z" and c["not_after"] < now,
                  f"expired: {c.get('not_before')} .. {c.get('not_after')}")
        check(c.get("self_signed") is (name == "selfsigned"),
              f"self_signed: {name}: {c.get('self_signed')}")
        if name == "ec":
            check(c.get("public_key") == "EC P-256", f"public_key: ec {c.get('public_key')}")
        elif name in ("nonascii", "expired", "selfsigned"):
            check(c.get("public_key") == "RSA 2048", f"public_key: {name} {c.get('public_key')}")
        if name == "client":
            cc = r.get("client_certificates") or []
            check([x.get("sha256") for x in cc] == [oc["client"]["sha256"]],
                  f"client: client_certificates {len(cc)}")
        else:
            check(r.get("client_certificates") == [],
                  f"client_certificates empty: {name}: {len(r.get('client_certificates') or [])}")


def crafted(args, tally, diffs, oracle_only):
    d = args.keep or tempfile.mkdtemp(prefix="fs-tls-crafted-")
    os.makedirs(d, exist_ok=True)
    d = os.path.abspath(d)
    try:
        make_certificates(d)
        oracle_certs = {n: pem_to_oracle(d, n) for n in
                        ("root", "inter", "leaf", "utf8", "sans", "self", "ec", "client", "expired")}
        records = {}
        with Namespace() as ns:
            for i, case in enumerate(CRAFTED):
                name = case[0]
                pcap = capture_case(ns, d, case, 4430 + i)
                extra = keylog_options(d, name)
                oracle = tshark_oracle(pcap, extra)
                tls = {k: f for k, f in oracle.items() if f["client"] is not None}
                if len(tls) != 1:
                    raise OracleError(f"crafted {name}: {len(tls)} TLS flows in {pcap}")
                if oracle_only:
                    for key, f in public_oracle(oracle).items():
                        print(json.dumps({"capture": f"crafted/{name}", "protocol": key[0],
                                          "stream": key[1], **f}, ensure_ascii=False))
                    continue
                _, recs = check_capture(args.flowshark, pcap, f"crafted/{name}", tally, diffs,
                                        oracle, extra)
                records[name] = recs[next(iter(tls))] if next(iter(tls)) in recs else {}
                print(f"crafted/{name}: {pcap}", flush=True)
        if not oracle_only:
            crafted_facts(records, oracle_certs, tally)
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def crafted_possible():
    if os.geteuid() != 0:
        return "not root"
    for prog in ("dumpcap", "openssl", "ip"):
        if shutil.which(prog) is None:
            return f"no {prog}"
    probe = f"fs-tls-probe-{os.getpid()}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "ip netns add fails here"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def main():
    global ENV
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--flowshark")
    p.add_argument("--samples", required=True)
    p.add_argument("--oracle-only", action="store_true")
    p.add_argument("--no-samples", action="store_true")
    p.add_argument("--no-crafted", action="store_true")
    p.add_argument("--keep", help="keep the crafted certificates and captures in this directory")
    p.add_argument("only", nargs="*", help="samples to check (default: all)")
    args = p.parse_args()
    if not args.oracle_only and not args.flowshark:
        p.error("--flowshark is required (or --oracle-only)")
    ENV = pinned_env()
    for prog in ("tshark", "openssl"):
        if shutil.which(prog) is None:
            if os.environ.get("CI") == "true":
                print(f"test_tls: no {prog} and CI=true", file=sys.stderr)
                return 1
            print(f"test_tls: skipped: no {prog}")
            return SKIP
    why_not = None if args.no_crafted else crafted_possible()
    if why_not:
        if os.environ.get("CI") == "true":
            print(f"test_tls: crafted captures impossible ({why_not}) and CI=true", file=sys.stderr)
            return 1
        print(f"test_tls: skipped: crafted captures impossible ({why_not})")
        return SKIP
    diffs = Differences(os.path.join(HERE, "differences.txt"))
    tally = Tally()
    try:
        if not args.no_samples:
            names = args.only or sorted(n for n in os.listdir(args.samples)
                                        if n.endswith((".pcap", ".pcapng")))
            for n in names:
                path = os.path.join(args.samples, n)
                oracle = tshark_oracle(path)
                nserver = sum(len(f["server_chain"] or []) for f in oracle.values())
                nclient = sum(len(f["client_chain"] or []) for f in oracle.values())
                later = sum(f.get("_later_chains", 0) for f in oracle.values())
                if args.oracle_only:
                    for key, f in public_oracle(oracle).items():
                        if f["certificates"] or f["client_certificates"] or f["ja3"] or f["ja3s"]:
                            print(json.dumps({"capture": n, "protocol": key[0], "stream": key[1],
                                              **f}, ensure_ascii=False))
                    print(f"# {n}: {len(oracle)} flows, {nserver} server certificates, "
                          f"{nclient} client certificates, {later} later Certificate messages",
                          file=sys.stderr)
                    continue
                before = (len(tally.failures), tally.certificates)
                check_capture(args.flowshark, path, n, tally, diffs, oracle)
                print(f"{n}: {len(oracle)} flows, {nserver}+{nclient} certificates, "
                      f"{len(tally.failures) - before[0]} differences", flush=True)
        if not args.no_crafted:
            crafted(args, tally, diffs, args.oracle_only)
    except OracleError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    if args.oracle_only:
        return 0
    tally.table(f"{tally.flows} flows, {tally.certificates} certificates compared")
    unused = [e for e in diffs.entries if e["used"] == 0]
    for line in tally.explained_lines[:50]:
        print(f"listed: {line}")
    for e in unused:
        print(f"note: differences.txt entry never used: {e['text']}")
    for line in tally.failures[:100]:
        print(f"DIFF: {line}")
    if len(tally.failures) > 100:
        print(f"... {len(tally.failures) - 100} more")
    print(f"\n{'FAIL' if tally.failures else 'PASS'}: {len(tally.failures)} unexplained "
          f"differences, {len(tally.explained_lines)} listed in differences.txt")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
