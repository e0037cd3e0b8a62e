"""Time windows of flows as a pandas DataFrame: ``flowshark window``.

``windows`` runs ``flowshark window --seconds T`` on captures or on
flowshark's JSON Lines records and returns its rows, one per window, as a
DataFrame whose columns are the command's keys in its order
(doc/windows.md defines them). It finds, runs and checks flowshark as
``extract`` does (flowshark.extractor), and raises the same exceptions.
"""

import io
import json
import os
import subprocess
from decimal import Decimal, InvalidOperation

from .extractor import (
    FlowsharkNotFoundError, _check_run, _count, _import_pandas, _input_paths,
    find_flowshark,
)

__all__ = ["windows"]

# flowshark window --seconds takes at most 9 decimals (nanoseconds).
_MAX_DECIMALS = 9


def _seconds(value):
    """flowshark's text for the window length value (int, float, Decimal or
    str): a number of seconds above 0 with at most 9 decimals, in plain
    notation ("10", "0.25"). TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise TypeError("seconds must be a number of seconds (int, float, Decimal or str), "
                        "not %r" % (value,))
    try:
        # repr: a float's shortest text, 0.1 -> "0.1", not its binary value.
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValueError("seconds must be a number of seconds, not %r" % (value,)) from None
    if not number.is_finite() or number <= 0:
        raise ValueError("seconds must be above 0, not %r" % (value,))
    number = number.normalize()
    if number.as_tuple().exponent < -_MAX_DECIMALS:
        raise ValueError("seconds must have at most %d decimals, not %r"
                         % (_MAX_DECIMALS, value))
    return format(number, "f")


def _records_path(records):
    """The records argument as flowshark's --from-records takes it."""
    if isinstance(records, bytes) or not isinstance(records, (str, os.PathLike)):
        raise TypeError("records must be the path (str or path-like) of flowshark's "
                        "JSON Lines records, not %r" % (records,))
    path = os.fspath(records)
    # flowshark reads standard input for "-": name a file called "-" otherwise.
    return os.path.join(os.curdir, path) if path == "-" else path


def _command(program, seconds, paths, records, score, empty_windows, exclusions, jobs,
             cmd_parameter):
    """flowshark window's command line, CSV on standard output: its header
    names the columns even when there is no row."""
    cmd = [program, "window", "--seconds", seconds, "-T", "csv"]
    if records is not None:
        cmd += ["--from-records", records]
    for path in paths:
        cmd += ["-r", path]
    if not exclusions:
        cmd.append("--no-exclusions")
    if jobs is not None:
        cmd += ["-j", str(jobs)]
    if score:
        cmd.append("--score")
    if empty_windows:
        cmd.append("--empty-windows")
    if cmd_parameter:
        if isinstance(cmd_parameter, str):
            raise TypeError("cmd_parameter must be a list of arguments, not a string")
        cmd += [str(arg) for arg in cmd_parameter]
    return cmd


def _frame(pandas, text, time_index):
    """The DataFrame of flowshark window's CSV text (bytes).

    Each cell is the text of the JSON Lines value: read as pandas reads
    numbers, correctly rounded (round_trip), an empty cell (null) as NaN,
    top_features (JSON text) as a list. window_start is read as text, then
    made int64 when every value is an integer, else float64; the exact
    nanoseconds of its text make the index with time_index.
    """
    frame = pandas.read_csv(io.BytesIO(text), float_precision="round_trip",
                            keep_default_na=False, na_values=[""],
                            dtype={"window_start": str},
                            converters={"top_features": json.loads})
    starts = list(frame["window_start"])
    if all(s.lstrip("-").isdigit() for s in starts):
        frame["window_start"] = pandas.Series([int(s) for s in starts], dtype="int64")
    else:
        frame["window_start"] = pandas.Series([float(s) for s in starts], dtype="float64")
    if time_index:
        nanoseconds = [int(Decimal(s).scaleb(_MAX_DECIMALS)) for s in starts]
        frame.index = pandas.DatetimeIndex(
            pandas.to_datetime(nanoseconds, unit="ns", utc=True), name="time")
    return frame


def windows(infile=None, seconds=None, records=None, *, score=False, empty_windows=False,
            exclusions=True, jobs=None, time_index=False, cmd_parameter=(),
            flowshark_path=None):
    """One row per time window of ``seconds`` seconds of the flows of
    captures, or of flowshark's records, as a pandas DataFrame
    (``flowshark window``; keys and definitions: doc/windows.md).

    Parameters
    ----------
    infile : str, path-like or list
        A capture, a directory (every capture in it and its subdirectories,
        as ``extract`` reads it) or a list of both (``-r``). Give either
        ``infile`` or ``records``.
    seconds : int, float, Decimal or str
        The window length in seconds, above 0, at most 9 decimals (10,
        0.25, "0.1") (``--seconds``). Windows are aligned to the epoch:
        a packet at t is in the window starting at floor(t / T) * T.
    records : str or path-like
        Instead of captures: a file of flowshark's JSON Lines records
        (``--from-records``), e.g. of ``flowshark -r CAPTURE --keep-empty``
        (without ``--keep-empty`` the flows without payload are missing).
        Records carry no TCP flags: no ``num_state_*`` columns then.
    score : bool
        Also ``<key>_z``, the robust z-score over the run of num_entries and
        each count_* key, and ``top_features``, the names of the three
        highest (``--score``).
    empty_windows : bool
        Also the windows without entries between the first and the last
        (``--empty-windows``): their counts 0, the rest NaN.
    exclusions : bool
        False: keep what the default exclusions drop (ICMP, retransmissions,
        mDNS, SSDP) (``--no-exclusions``). Captures only.
    jobs : int
        Several captures: this many worker processes at once (``-j``).
        Captures only.
    time_index : bool
        True: the index is the windows' starts as a pandas DatetimeIndex in
        UTC named "time", exact to the nanosecond (made from the command's
        decimal text, not through a float). False (default): a RangeIndex.
    cmd_parameter : list
        More arguments for ``flowshark window`` (not ``-T`` nor ``-w``).
    flowshark_path : str
        The flowshark program; default: $FLOWSHARK, then PATH.

    Returns
    -------
    A DataFrame, one row per window in time order, its columns the
    command's keys in its order: ``window_start`` first (the window's start
    in seconds since the epoch: int64 when T is a whole number of seconds,
    else float64, the double nearest the exact start), the counts
    (int64), ``num_flows_per_conn_mean`` and the distributions (``_max``
    int64, the others float64), from captures the ``num_state_*`` counts,
    with ``score`` the ``_z`` columns (float64) and ``top_features`` (a
    list of three key names per row). A null (an empty window's
    distributions) is NaN, which makes its column float64. With no flow
    at all, no row but the same columns. ``attrs["seconds"]`` is the
    window length as passed to flowshark ("0.25"), ``attrs["errors"]``
    maps each failed capture of a list to its exception (as ``extract``'s
    ``errors``).

    Raises
    ------
    As ``extract``: FileNotFoundError (no such capture, or records file),
    FlowsharkUsageError (a ValueError: a command line flowshark refuses),
    FlowsharkNotFoundError, FlowsharkError (a records file with a line that
    is not a flow record, and any other failure); a capture cut short gives
    a FlowsharkWarning, a failed capture of several a
    FlowsharkCaptureWarning, and the windows of what was read. Before
    flowshark runs: ValueError for a bad ``seconds`` or ``jobs``, neither
    or both of ``infile`` and ``records``, or ``exclusions``/``jobs`` with
    ``records``; TypeError for arguments of the wrong type. ImportError
    without pandas.
    """
    pandas = _import_pandas("windows")
    if seconds is None:
        raise ValueError("seconds (the window length) is required")
    length = _seconds(seconds)
    if (infile is None) == (records is None):
        raise ValueError("give either infile (captures) or records (flowshark's JSON Lines "
                         "records); %s given" % ("both were" if records is not None
                                                 else "neither was"))
    if jobs is not None:
        _count("jobs", jobs)
    paths, directories, records_path = [], [], None
    if records is not None:
        if not exclusions or jobs is not None:
            raise ValueError("exclusions=False and jobs= are for captures (infile=), "
                             "not records=")
        records_path = _records_path(records)
        inputs = [records_path]
    else:
        paths, directories = _input_paths(infile)
        inputs = paths
    program = find_flowshark(flowshark_path)
    cmd = _command(program, length, paths, records_path, score, empty_windows, exclusions,
                   jobs, cmd_parameter)
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    except OSError as exc:
        raise FlowsharkNotFoundError("cannot run flowshark %r: %s" % (cmd[0], exc))
    # A row is a line (no cell holds a newline); the first line is the header.
    rows = max(0, proc.stdout.count(b"\n") - 1)
    # Warnings point at the caller of windows (3 frames up from _check_run).
    errors = _check_run(proc.returncode, proc.stderr, inputs, directories, rows,
                        stacklevel=3)
    frame = _frame(pandas, proc.stdout, time_index)
    frame.attrs["seconds"] = length
    frame.attrs["errors"] = errors
    return frame
