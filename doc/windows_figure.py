#!/usr/bin/env python3
"""Makes doc/windows-scan.png, the figure of doc/windows.md: a few window
features over time for a capture with a port scan.

The capture is the synthetic one of the window test
(tests/window/synthetic_scan.py): five minutes of normal exchanges among
six clients and three servers, a SYN scan of ports 1 to 1000 from one host
to one server (each answered by RST/ACK) at 120 s, SYNs from 300 addresses
to port 80 of one server at 200 s. Written to a temporary folder, then
read with flowshark.windows(..., seconds=10, score=True), and four
features plotted per window with matplotlib (Agg). The numbers quoted in
doc/windows.md are printed.

Usage: python3 doc/windows_figure.py [FLOWSHARK]
FLOWSHARK: the flowshark program; default: $FLOWSHARK, then
build/extractor/flowshark of this tree if built, then PATH.
Needs pandas and matplotlib (Debian: python3-pandas, python3-matplotlib).
"""

import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "window"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import flowshark  # noqa: E402
from synthetic_scan import BURST_AT, SCAN_AT, T0, synthetic_packets, write_pcap  # noqa: E402

SECONDS = 10
OUTPUT = os.path.join(HERE, "windows-scan.png")
# (key, what it counts), top to bottom.
FEATURES = [
    ("num_entries", "packets (entries)"),
    ("count_dst_port", "distinct dst ports"),
    ("count_src_ip", "distinct src addresses"),
    ("num_state_reset", "packets of reset flows"),
]


def program(argv):
    if len(argv) > 1:
        return argv[1]
    built = os.path.join(ROOT, "build", "extractor", "flowshark")
    if not os.environ.get("FLOWSHARK") and os.access(built, os.X_OK):
        return built
    return None  # flowshark.windows looks at $FLOWSHARK, then PATH


def main(argv):
    with tempfile.TemporaryDirectory() as tmp:
        capture = os.path.join(tmp, "synthetic-scan.pcap")
        write_pcap(capture, synthetic_packets())
        frame = flowshark.windows(capture, seconds=SECONDS, score=True, empty_windows=True,
                                  flowshark_path=program(argv))
    t = frame["window_start"] - T0  # seconds from the capture's start
    scan = frame.index[frame["window_start"] == SCAN_AT][0]
    burst = frame.index[frame["window_start"] == BURST_AT][0]

    fig, axes = plt.subplots(len(FEATURES), 1, figsize=(7.5, 7.2), sharex=True)
    for ax, (key, what) in zip(axes, FEATURES):
        values = frame[key]
        ax.bar(t, values, width=SECONDS, align="edge", color="#4878a8", edgecolor="white",
               linewidth=0.5)
        median = values.median()
        ax.axhline(median, color="#c44e52", linewidth=1, linestyle="--")
        ax.set_ylabel(key, fontsize=9)
        ax.set_title("%s (dashed: the median over the run, %g)" % (what, median),
                     fontsize=9, loc="left")
        for row, name in ((scan, "scan"), (burst, "burst")):
            ax.annotate("%s: %d" % (name, values[row]), (t[row] + SECONDS / 2, values[row]),
                        xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8)
        # Logarithmic above 1 (linear from 0 to 1, for the zeros): the
        # normal windows' level shows next to the scan's and burst's.
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(0, values.max() * 4)
        ax.tick_params(labelsize=8)
    axes[-1].set_xlabel("seconds from the start of the capture (windows of %d s; "
                        "y: logarithmic above 1)" % SECONDS, fontsize=9)
    axes[-1].set_xlim(0, t.max() + SECONDS)
    fig.suptitle("flowshark window --seconds %d on a synthetic capture: a SYN scan of 1000 "
                 "ports at %d s,\nSYNs from 300 addresses at %d s"
                 % (SECONDS, SCAN_AT - T0, BURST_AT - T0), fontsize=10)
    fig.tight_layout()
    fig.savefig(OUTPUT, dpi=90)
    print("%s: %d windows of %d s, %d bytes" % (os.path.relpath(OUTPUT, ROOT), len(frame),
                                               SECONDS, os.path.getsize(OUTPUT)))
    keys = [key for key, _ in FEATURES]
    print("median over the run:", ", ".join("%s %g" % (k, frame[k].median()) for k in keys))
    for row, name in ((scan, "scan"), (burst, "burst")):
        r = frame.loc[row]
        print("%s window %d (%d s): %s; top_features %s"
              % (name, r["window_start"], r["window_start"] - T0,
                 ", ".join("%s %d" % (k, r[k]) for k in keys),
                 ", ".join(r["top_features"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
