"""What the Python tests of the botnet analyses share (test_graph.py,
test_cflows.py, test_botnet.py, test_payload.py and input_forms.py): the
list of failures, running flowshark, writing a capture's records, reading
records, JSON Lines and CSV rows back, comparing floats, the order of
addresses and the default internal networks, the command line and the exit
status. Standard library only. The scripts import it the way they import
toy_capture.py:

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import fail, run  # noqa: E402
"""
import argparse
import csv
import decimal
import ipaddress
import json
import math
import os
import subprocess

SKIP = 77  # ctest's SKIP_RETURN_CODE (tests/CMakeLists.txt)
REL = 1e-9


# ---- failures and exit status ----

failures = []


def fail(msg):
    """Records a failure and prints it; the test goes on."""
    failures.append(msg)
    print("FAIL:", msg)


def skip(reason):
    """The exit status when a module the test needs is missing, after
    printing reason: 77 (a skip for ctest), or 1 when CI=true."""
    print(reason)
    return 1 if os.environ.get("CI") == "true" else SKIP


def exit_status(passed=None):
    """1 after printing the number of failures when there are any;
    otherwise 0, after printing passed when it is given."""
    if failures:
        print(f"{len(failures)} failures")
        return 1
    if passed:
        print(passed)
    return 0


def arguments(tshark=False):
    """The command line every script takes: --flowshark BIN (and --tshark
    BIN when tshark is true), then the captures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowshark", required=True)
    if tshark:
        ap.add_argument("--tshark", required=True)
    ap.add_argument("captures", nargs="*")
    return ap.parse_args()


# ---- running flowshark ----

def run(args, **kw):
    """subprocess.run with standard output and error captured as text;
    kw goes to subprocess.run (input=, stdin=)."""
    return subprocess.run(args, capture_output=True, text=True, **kw)


def run_bytes(args, stdin=None, check=True):
    """subprocess.run with standard output and error captured as bytes,
    stdin (bytes) as input; when check, a status other than 0 raises
    RuntimeError with the standard error."""
    p = subprocess.run(args, input=stdin, capture_output=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{args}: exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    return p


def write_records(flowshark, capture, path, options=()):
    """Writes the records of capture into path (`flowshark -r CAPTURE
    --keep-empty -q OPTIONS`). Returns True when flowshark exited 0 or 2
    (2: a capture cut short, its records written); otherwise fails with
    its status and standard error and returns False."""
    with open(path, "w") as f:
        p = subprocess.run([flowshark, "-r", capture, "--keep-empty", "-q", *options], stdout=f,
                           stderr=subprocess.PIPE, text=True)
    if p.returncode not in (0, 2):
        fail(f"{os.path.basename(capture)}: flowshark exited {p.returncode}: {p.stderr}")
        return False
    return True


# ---- reading rows back ----

def read_records(path, exact=False):
    """The records of a JSON Lines file, one dict each, skipping empty
    lines as flowshark's record reader does; exact: numbers with a
    fraction or an exponent as decimal.Decimal (timestamps read
    exactly)."""
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line, parse_float=decimal.Decimal if exact else None)


def jsonl(text):
    """The rows of JSON Lines text, skipping empty lines."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def from_csv(text):
    """CSV rows with the JSON types back (numbers, booleans, arrays,
    nulls for empty cells); the host column stays text."""
    out = []
    for row in csv.DictReader(text.splitlines()):
        out.append({k: (row[k] if k == "host" else None if row[k] == "" else json.loads(row[k]))
                    for k in row})
    return out


# ---- values and addresses ----

def close(a, b, abs_tol=REL):
    """Equal to REL relative (abs_tol absolute near 0); None only equals
    None."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL, abs_tol=abs_tol)


def addr_key(text):
    """Sort key of a host: addresses first, IPv4 before IPv6, by value;
    then any other text."""
    try:
        a = ipaddress.ip_address(text)
        return (0, a.version, int(a), "")
    except ValueError:
        return (1, 0, 0, text)


def networks(text):
    """The networks of a comma-separated list (an address is a /32 or
    /128; host bits allowed), as --internal and --whitelist take it."""
    return [ipaddress.ip_network(x.strip(), strict=False) for x in text.split(",") if x.strip()]


# flowshark's default --internal (FS_HOST_INTERNAL_DEFAULT, botnet/hosts.h).
INTERNAL_TEXT = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
INTERNAL = networks(INTERNAL_TEXT)


def inside(host, nets):
    """Whether host (address text) is in one of nets; False for text that
    is not an address."""
    try:
        a = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(a.version == n.version and a in n for n in nets)


def internal(host):
    """Whether host is in the default internal networks."""
    return inside(host, INTERNAL)
