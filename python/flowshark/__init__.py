"""flowshark: flowcontainer's Python API over the flowshark program.

    from flowshark import extract      # instead of: from flowcontainer.extractor import extract
    result = extract("capture.pcap", extension=["tls.handshake.extensions_server_name"])
    for (infile, protocol, stream_id), flow in result.items():
        print(flow.src, flow.sport, flow.dst, flow.dport, flow.payload_lengths)

infile may be a capture, a directory (flowshark reads every capture in it
and its subdirectories) or a list of both; label="text" or label=FROM_DIR
(each capture's folder name) labels the flows (Flow.label). flows() streams
Flow objects as flowshark writes them; to_pandas() returns a DataFrame
(needs pandas). stats=True, splt=n, ndpi=True... add NFStream's
features and nDPI's labels (Flow.features); nfstream=True gives NFStream's
flows (timeouts: idle_timeout=, active_timeout=; all_protocols=True: flows
of every IP protocol), flow_filter=, min_packets=, min_bytes= select flows.
A failed capture of a list gives
a FlowsharkCaptureWarning and an entry in result.errors; the other captures'
flows are kept. The flowshark program is found through the
flowshark_path= argument, the FLOWSHARK environment variable, or PATH.

windows() runs ``flowshark window`` and returns one row per time window
as a DataFrame (needs pandas; columns and definitions: doc/windows.md):

    frame = windows("capture.pcap", seconds=10, score=True)
    frame = windows(records="flows.jsonl", seconds=1, time_index=True)

infile (a capture, a folder or a list, as for extract) or records (a file
of flowshark's JSON Lines records, made with --keep-empty); window_start is
the first column, and time_index=True makes the windows' starts a
DatetimeIndex (UTC, exact to the nanosecond).
"""

from .flows import Flow
from .extractor import (
    DEFAULT_FILTER, FROM_DIR, ExtractResult, FlowIterator, FlowsharkCaptureWarning,
    FlowsharkError, FlowsharkNotFoundError, FlowsharkUsageError,
    FlowsharkWarning, extract, find_flowshark, flows, to_pandas,
)
from .windows import windows

__version__ = "0.1.0"

__all__ = [
    "extract", "flows", "to_pandas", "windows", "find_flowshark", "Flow", "FlowIterator",
    "ExtractResult", "FlowsharkError", "FlowsharkUsageError",
    "FlowsharkNotFoundError", "FlowsharkWarning", "FlowsharkCaptureWarning",
    "DEFAULT_FILTER", "FROM_DIR",
]
