"""Run the flowshark program and turn its JSON Lines records into Flow objects.

``extract`` has flowcontainer's signature and return value, so that
``from flowshark.extractor import extract`` (or ``from flowshark import
extract``) replaces ``from flowcontainer.extractor import extract``.
"""

import enum
import errno
import json
import os
import re
import shutil
import subprocess
import threading
import warnings

from .flows import Flow, LABEL_KEY, RECORD_KEYS

__all__ = [
    "extract", "flows", "to_pandas", "find_flowshark", "FlowIterator",
    "ExtractResult", "FlowsharkError", "FlowsharkUsageError",
    "FlowsharkNotFoundError", "FlowsharkWarning", "FlowsharkCaptureWarning",
    "DEFAULT_FILTER", "FROM_DIR",
]

#: flowcontainer's default ``filter``. flowshark keeps only IP TCP/UDP flows
#: anyway, so passing it on as ``-Y`` changes nothing; with the flows of
#: every IP protocol (``all_protocols=True`` or ``nfstream=True``) it would
#: remove the ICMP... packets, so it is not passed on then.
DEFAULT_FILTER = "(tcp or udp or gre)"


class _LabelSource(enum.Enum):
    FROM_DIR = "from-dir"

    def __repr__(self):
        return "flowshark.FROM_DIR"


#: ``label=FROM_DIR``: label each flow with the name of its capture's first
#: folder below the directory given (``dataset/youtube/a/x.pcap`` read from
#: ``dataset`` -> ``"youtube"``; None for a capture directly in it); for a
#: capture named directly, the name of the folder holding it. flowshark's
#: ``--label-from-dir``.
FROM_DIR = _LabelSource.FROM_DIR

# Exit statuses of flowshark(1).
EXIT_OK = 0
EXIT_USAGE = 1
EXIT_TRUNCATED = 2
EXIT_CAPTURE = 3
EXIT_FILTER = 4
EXIT_FIELD = 5
EXIT_OUTPUT = 6
EXIT_INIT = 7
EXIT_INTERRUPTED = 8
EXIT_WORKER = 9

_STDERR_LIMIT = 1 << 20  # keep at most 1 MiB of flowshark's messages

# The ranges flowshark's options take: --idle-timeout and --active-timeout
# 1 to 2^31 - 1 seconds, --min-packets and --min-bytes 0 to 2^63 - 1.
_TIMEOUT_MAX = 2147483647
_INT64_MAX = 9223372036854775807


class FlowsharkError(RuntimeError):
    """flowshark failed. ``returncode`` is its exit status (None when it
    could not be started) and ``stderr`` its messages."""

    def __init__(self, message, returncode=None, stderr=""):
        RuntimeError.__init__(self, message)
        self.returncode = returncode
        self.stderr = stderr


class FlowsharkUsageError(FlowsharkError, ValueError):
    """A bad argument: bad display filter (status 4), unknown field name
    (status 5) or bad command line, e.g. a bad ``cmd_parameter`` (status 1).
    A ValueError, and a FlowsharkError."""


class FlowsharkNotFoundError(FlowsharkError):
    """The flowshark program could not be found or run."""


class FlowsharkWarning(UserWarning):
    """flowshark succeeded with a warning (status 2: a capture cut short or
    damaged; the records of its complete packets are all there)."""


class FlowsharkCaptureWarning(FlowsharkWarning):
    """One of several captures failed (it is missing, not a capture, or its
    worker process died) and gives no flows; the other captures' flows are
    returned.

    ``path`` is the capture as flowshark names it (the ``file`` of its flows
    had it worked: as given, or for a capture found in a directory given,
    that directory's path joined with its path below it), ``message``
    flowshark's message about it (the line it wrote on standard error),
    ``error`` the exception that reading this capture alone would raise
    (FileNotFoundError, FlowsharkError...).
    """

    def __init__(self, path, message, error):
        FlowsharkWarning.__init__(
            self, "%s (no flows from this capture; the other captures' flows are kept)"
            % message)
        self.path = path
        self.message = message
        self.error = error


class ExtractResult(dict):
    """What ``extract`` returns: a dict of Flow objects keyed by
    ``(infile, protocol, stream_id)``, as flowcontainer's, plus ``errors``:
    for each capture of a list that failed, its path -> the exception that
    reading it alone would raise (empty when every capture was read)."""

    def __init__(self, *args, **kwargs):
        dict.__init__(self, *args, **kwargs)
        self.errors = {}


# ---------------------------------------------------------------------------
# Finding the program
# ---------------------------------------------------------------------------

def _usable(path):
    """The absolute path of an executable named or given by path, or None."""
    if os.sep in path or (os.altsep and os.altsep in path):
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
        return None
    return shutil.which(path)


def find_flowshark(flowshark_path=None):
    """The flowshark program to run: ``flowshark_path`` if given, else the
    ``FLOWSHARK`` environment variable if set, else ``flowshark`` on PATH.

    The first of these that is given is used; if it does not name an
    executable, that is an error (no silent fall-back to the next one).
    Raises FlowsharkNotFoundError, whose message names all three.
    """
    env = os.environ.get("FLOWSHARK")
    if flowshark_path is not None:
        value = os.fspath(flowshark_path)
        problem = "the flowshark_path argument %r is not an executable file" % (value,)
    elif env:
        value = env
        problem = "the FLOWSHARK environment variable (%r) is not an executable file" % (value,)
    else:
        value = "flowshark"
        problem = ("no flowshark_path argument was given, the FLOWSHARK "
                   "environment variable is not set, and there is no "
                   "flowshark on PATH")
    found = _usable(value)
    if found:
        return found
    raise FlowsharkNotFoundError(
        "flowshark program not found: %s. Tell where it is in one of three "
        "ways, tried in this order: the flowshark_path= argument, the "
        "FLOWSHARK environment variable, or PATH (cmake --install puts "
        "flowshark in /usr/local/bin)." % problem)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def _fields(extension):
    if extension is None:
        return []
    if isinstance(extension, str):
        extension = [extension]
    fields = []
    for each in extension:
        if not isinstance(each, str):
            raise TypeError("extension must be a field name or a list of "
                            "field names (strings), not %r" % (each,))
        if each != "":
            fields.append(each)
    return fields


def _count(name, value, maximum=None):
    """value, a whole number > 0 (not a bool), at most maximum if given;
    ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("%s must be a positive int, not %r" % (name, value))
    if maximum is not None and value > maximum:
        raise ValueError("%s must be at most %d, not %r" % (name, maximum, value))
    return value


def _amount(name, value):
    """value, a whole number >= 0 (not a bool) that flowshark takes (at most
    2^63 - 1); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("%s must be an int >= 0, not %r" % (name, value))
    if value > _INT64_MAX:
        raise ValueError("%s must be at most %d, not %r" % (name, _INT64_MAX, value))
    return value


def _flow_filter(value):
    """The flow_filter parameter: a display filter (str), or None or ""
    for none; TypeError otherwise."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("flow_filter must be a display filter (a string) or None, not %r"
                        % (value,))
    return value or None


def _choice(name, value, choices):
    if isinstance(value, bool) or value not in choices:
        raise ValueError("%s must be one of %s, not %r"
                         % (name, ", ".join(repr(c) for c in choices), value))
    return value


def _label_args(label):
    """flowshark's options for the label parameter."""
    if label is None:
        return []
    if label is FROM_DIR:
        return ["--label-from-dir"]
    if isinstance(label, str):
        # One argument, so that a label starting with "-" stays a label.
        return ["--label=" + label]
    raise TypeError("label must be a string (the same label for every flow), "
                    "flowshark.FROM_DIR (each capture's folder name) or None, not %r"
                    % (label,))


def _command(program, paths, filter, fields, cmd_parameter, options):
    """flowshark's command line. options: the keyword-only parameters of
    extract (main, keep_empty... label), each checked here."""
    # -q: no progress reports and no summary line on standard error, whose
    # text is read for the failed captures' messages (the exit status says
    # whether any failed).
    cmd = [program, "-q"]
    for path in paths:
        cmd += ["-r", path]
    every_protocol = options["all_protocols"] or options["nfstream"]
    if filter and not (every_protocol and filter == DEFAULT_FILTER):
        cmd += ["-Y", filter]
    for field in fields:
        cmd += ["-e", field]
    if _choice("main", options["main"], ("payload", "ip")) != "payload":
        cmd += ["--main", options["main"]]
    if options["keep_empty"]:
        cmd.append("--keep-empty")
    if options["udp_data_length"]:
        cmd.append("--udp-data-length")
    if not options["exclusions"]:
        cmd.append("--no-exclusions")
    if options["max_packets"] is not None:
        cmd += ["--max-packets", str(_count("max_packets", options["max_packets"]))]
    if options["two_pass"]:
        cmd.append("-2")
    if _choice("direction", options["direction"], ("port", "first")) != "port":
        cmd += ["--direction", options["direction"]]
    if options["stats"]:
        cmd.append("--stats")
    if options["splt"] not in (None, 0):  # 0: off, as NFStream's splt_analysis
        cmd += ["--splt", str(_count("splt", options["splt"]))]
    if _choice("accounting_mode", options["accounting_mode"], (0, 1, 2, 3)) != 0:
        cmd += ["--accounting-mode", str(options["accounting_mode"])]
    if options["ndpi"]:
        cmd.append("--ndpi")
    if options["ndpi_packets"] is not None:
        cmd += ["--ndpi-packets", str(_count("ndpi_packets", options["ndpi_packets"]))]
    if options["tls"]:
        cmd.append("--tls")
    if options["nfstream"]:
        cmd.append("--nfstream")
    for name in ("idle_timeout", "active_timeout"):
        if options[name] is not None:
            cmd += ["--" + name.replace("_", "-"),
                    str(_count(name, options[name], _TIMEOUT_MAX))]
    if options["all_protocols"]:
        cmd.append("--all-protocols")
    flow_filter = _flow_filter(options["flow_filter"])
    if flow_filter is not None:
        cmd += ["--flow-filter", flow_filter]
    for name in ("min_packets", "min_bytes"):
        if options[name] is not None:
            cmd += ["--" + name.replace("_", "-"), str(_amount(name, options[name]))]
    cmd += _label_args(options["label"])
    if cmd_parameter:
        if isinstance(cmd_parameter, str):
            raise TypeError("cmd_parameter must be a list of arguments, not a string")
        cmd += [str(arg) for arg in cmd_parameter]
    return cmd


def _input_paths(infile):
    """(paths, directories): the inputs as strings, captures and
    directories, and which of them are directories. If none of them exists,
    raises the error of the first one (without running flowshark); if only
    some do not, flowshark reports them and reads the others."""
    if isinstance(infile, (str, bytes, os.PathLike)):
        items = [infile]
    else:
        try:
            items = list(infile)
        except TypeError:
            raise TypeError("infile must be a path (str or path-like) or a list of "
                            "paths, not %r" % (infile,)) from None
        if not items:
            raise ValueError("no capture file or directory given")
    paths = [os.fspath(p) for p in items]
    first_error = None
    for path in paths:
        if isinstance(path, bytes):
            raise TypeError("capture paths must be str, not bytes")
        if os.path.exists(path):
            break
        first_error = first_error or FileNotFoundError(
            errno.ENOENT, "capture file or directory not found", path)
    else:
        raise first_error
    # flowshark reads standard input for "-": name a file called "-" otherwise.
    paths = [os.path.join(os.curdir, p) if p == "-" else p for p in paths]
    return paths, [p for p in paths if os.path.isdir(p)]


# ---------------------------------------------------------------------------
# Exit status -> exception
# ---------------------------------------------------------------------------

_PREFIX = "flowshark: "
_WARNING_PREFIX = _PREFIX + "warning: "


# An earlier flowshark's progress report of one capture (--progress):
# "flowshark: PATH: 12% of 3.4 MB, 1024 packets".
_PROGRESS = re.compile(r"(\d+% of [0-9.]+ MB, )?\d+ packets")

# Lines about the whole run that name no failure, should they appear (the
# wrapper passes -q, but cmd_parameter may hold --progress): the progress
# line "flowshark: 3/10 captures, 1024 packets, ..." and the summary line
# "flowshark: 10 captures: 9 ok, 1 failed, 0 skipped; ...; 1.2 s".
_RUN_LINES = re.compile(
    r"flowshark: (\d+/\d+ captures, \d+ packets, .*"
    r"|\d+ captures?: \d+ ok, .*; \d+ packets, \d+ flows; [0-9.]+ s)")


def _messages(stderr):
    """flowshark's messages without its progress and summary lines."""
    return "\n".join(line for line in stderr.splitlines()
                     if not _RUN_LINES.fullmatch(line.strip("\r"))).strip()


def _folder_prefix(directory):
    """What flowshark puts before the path below a directory it walks: the
    directory's path without trailing slashes, then one slash."""
    trimmed = directory.rstrip("/") or "/"
    return trimmed if trimmed.endswith("/") else trimmed + "/"


def _named(rest, paths, directories):
    """(capture, why) of a message "flowshark: REST" about a capture: one
    of paths (a set), or one found in one of directories; None otherwise."""
    cuts = []  # where "PATH: why" may be cut
    at = rest.find(": ")
    while at >= 0:
        cuts.append(at)
        at = rest.find(": ", at + 2)
    # Longest first: of "a.pcap" and "a.pcap: x", a line names the longer.
    for at in reversed(cuts):
        if rest[:at] in paths:
            return rest[:at], rest[at + 2:]
    for directory in directories:
        prefix = _folder_prefix(directory)
        if not rest.startswith(prefix):
            continue
        # The file's name may hold ": " too: take the first cut that names
        # an existing file, else the first cut.
        inside = [at for at in cuts if at > len(prefix)]
        for at in inside:
            if os.path.isfile(rest[:at]):
                return rest[:at], rest[at + 2:]
        if inside:
            return rest[:inside[0]], rest[inside[0] + 2:]
    return None


def _is_note(line, paths, directories):
    """A warning line: "flowshark: warning: ..." or "flowshark: PATH:
    warning: ..." (a capture cut short, one without packets); paths: a
    set."""
    if line.startswith(_WARNING_PREFIX):
        return True
    if not line.startswith(_PREFIX):
        return False
    named = _named(line[len(_PREFIX):], paths, directories)
    return named is not None and named[1].startswith("warning: ")


def _capture_error(path, why, message, returncode, stderr):
    """The exception for a capture flowshark could not read: its type from
    why (flowshark's line about it), its text message."""
    if "No such file" in why:
        return FileNotFoundError(errno.ENOENT, message, path)
    if "Permission denied" in why:
        return PermissionError(errno.EACCES, message, path)
    if "Is a directory" in why:
        return IsADirectoryError(errno.EISDIR, message, path)
    return FlowsharkError(message, returncode, stderr)


def _capture_failures(returncode, stderr, paths, directories=()):
    """{path: (message, exception)}, in the order of flowshark's messages,
    for the captures that flowshark reported as failed, with exit status 3
    (could not be opened) or 9 (worker died).

    flowshark reports such a capture with a line "flowshark: PATH: why",
    PATH as given with -r, or for a capture found in a directory given, the
    directory's path and its path below it (warnings start "flowshark:
    warning: " or "flowshark: PATH: warning: ").
    """
    failures = {}
    if returncode not in (EXIT_CAPTURE, EXIT_WORKER):
        return failures
    given = frozenset(paths)
    for line in stderr.splitlines():
        if (not line.startswith(_PREFIX) or line.startswith(_WARNING_PREFIX)
                or _RUN_LINES.fullmatch(line)):
            continue
        named = _named(line[len(_PREFIX):], given, directories)
        if named is None:
            continue
        path, why = named
        if (path not in failures and path not in directories
                and not why.startswith("warning: ") and not _PROGRESS.fullmatch(why)):
            failures[path] = (line, _capture_error(path, line, line, returncode, line))
    return failures


def _raise_for_status(returncode, stderr, paths=(), stacklevel=3, directories=()):
    """Raise the exception for flowshark's exit status; warn for status 2
    (``stacklevel`` counts from the caller of this function)."""
    message = _messages(stderr)
    if returncode == EXIT_OK:
        return
    if returncode == EXIT_TRUNCATED:
        warnings.warn(message or "flowshark: a capture was cut short or damaged",
                      FlowsharkWarning, stacklevel=stacklevel)
        return
    if returncode < 0:
        raise FlowsharkError("flowshark was killed by signal %d%s"
                             % (-returncode, (": " + message) if message else ""),
                             returncode, stderr)
    if returncode in (EXIT_USAGE, EXIT_FILTER, EXIT_FIELD):
        raise FlowsharkUsageError(message or "flowshark: bad argument (exit status %d)"
                                  % returncode, returncode, stderr)
    if returncode == EXIT_CAPTURE:
        failures = _capture_failures(returncode, stderr, paths, directories)
        # The first capture given that failed, else the first reported.
        for path in list(paths) + list(failures):
            if path in failures:
                raise _capture_error(path, failures[path][0], message, returncode, stderr)
        if "No such file" in message:
            raise FileNotFoundError(errno.ENOENT, message)
    raise FlowsharkError(message or "flowshark failed with exit status %d" % returncode,
                         returncode, stderr)


def _partial_failures(returncode, stderr, paths, directories=(), flows_read=0):
    """When some but not all of several captures failed: {path: (message,
    exception)} for the failed ones. Otherwise (every capture read, or every
    one failed, or a failure not tied to a capture) an empty dict.

    The captures in directories are not known in advance: a capture named
    directly that did not fail, or any flow read (failed captures write
    none), says that not every capture failed."""
    failures = _capture_failures(returncode, stderr, paths, directories)
    if failures and (flows_read or any(path not in failures for path in paths
                                       if path not in directories)):
        return failures
    return {}


def _check_run(returncode, stderr, paths, directories, read, stacklevel):
    """After a run of flowshark over the inputs paths (of which directories
    are directories), once its output is read (read: how many records or
    rows it wrote; stderr: its messages, bytes): raise the exception for its
    exit status, or warn, as the command line reports.

    Some captures failed, the others were read: a FlowsharkCaptureWarning
    per failed capture (the captures given in their order, then those found
    in directories) and one FlowsharkWarning with flowshark's other warning
    lines; returns {path: the exception reading it alone would raise}.
    Otherwise returns {} or raises (_raise_for_status). ``stacklevel``
    counts as warnings.warn's, from this function (2: its caller).
    """
    text = stderr.decode("utf-8", "replace")
    # Decoded as file names are, so that the paths in them compare equal to
    # the paths given.
    text_paths = os.fsdecode(stderr)
    failures = _partial_failures(returncode, text_paths, paths, directories, read)
    if not failures:
        _raise_for_status(returncode, text, paths, stacklevel + 1, directories)
        return {}
    errors = {path: error for path, (_, error) in failures.items()}
    for path in list(paths) + list(failures):
        if path in failures:
            message, error = failures.pop(path)
            warnings.warn(FlowsharkCaptureWarning(path, message, error),
                          stacklevel=stacklevel)
    given = frozenset(paths)
    notes = [shown for line, shown in zip(text_paths.splitlines(), text.splitlines())
             if _is_note(line, given, directories)]
    if notes:
        warnings.warn("\n".join(notes), FlowsharkWarning, stacklevel=stacklevel)
    return errors


# ---------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------

def _drain(stream, chunks):
    """Read stream to its end, keeping the first _STDERR_LIMIT bytes in chunks."""
    size = 0
    try:
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                break
            if size < _STDERR_LIMIT:
                chunks.append(chunk)
                size += len(chunk)
    except (OSError, ValueError):
        pass


class FlowIterator(object):
    """An iterator of Flow objects read from a running flowshark, one record
    at a time as flowshark writes them.

    The process is ``self.process``. When the records are exhausted, the exit
    status is checked (exception or FlowsharkWarning). ``close()`` (also
    called by ``with``, by garbage collection and when iteration ends) stops
    flowshark if it is still running and reaps it.

    Of several captures (a list, or the captures in a directory), one that
    fails gives a FlowsharkCaptureWarning and no flows, and the iteration
    goes on with the others; once the records are exhausted, ``errors`` maps
    each failed capture's path to the exception reading it alone would
    raise. If every capture fails (no flow read and every capture named
    directly failed), that exception is raised instead.

    ``directories``: which of the paths of ``cmd`` are directories.
    ``vlan_key``: the VLAN id is part of the flow key (``--nfstream``), and
    so of each Flow's ``key`` (see Flow).
    """

    def __init__(self, cmd, paths, main="payload", directories=(), vlan_key=False):
        self.command = cmd
        self.main = main
        self.vlan_key = vlan_key
        self.errors = {}
        self._paths = paths
        self._directories = list(directories)
        self._read = 0
        # Frames between the code that iterates and the call that warns
        # should be left out of a warning's location: 1 in extract and
        # to_pandas, so that their warnings point at the caller's line.
        self._wrapper_frames = 0
        self._done = False
        self.process = None
        try:
            self.process = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, bufsize=-1)
        except OSError as exc:
            raise FlowsharkNotFoundError("cannot run flowshark %r: %s" % (cmd[0], exc))
        # Drain standard error in a thread so that flowshark never blocks on
        # a full stderr pipe while we wait on stdout (or the other way round).
        # The thread holds the pipe and a list, never self, so that an
        # abandoned iterator can be garbage-collected (and close itself).
        self._stderr_chunks = []
        self._stderr_thread = threading.Thread(
            target=_drain, args=(self.process.stderr, self._stderr_chunks),
            name="flowshark-stderr", daemon=True)
        self._stderr_thread.start()

    @property
    def stderr(self):
        """flowshark's messages so far (complete once iteration has ended)."""
        return b"".join(self._stderr_chunks).decode("utf-8", "replace")

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        try:
            line = self.process.stdout.readline()
            while line and line.strip() == b"":
                line = self.process.stdout.readline()
        except BaseException:
            self.close()
            raise
        if not line:
            self._finish()
            raise StopIteration
        try:
            record = json.loads(line)
            flow = Flow(record, self.main, vlan_key=self.vlan_key)
            self._read += 1
            return flow
        except (ValueError, KeyError, TypeError) as exc:
            self.close()
            raise FlowsharkError("flowshark printed a line that is not a flow record "
                                 "(%s): %r" % (exc, line[:200]))

    next = __next__

    def _finish(self):
        """End of the records: reap flowshark and check its exit status."""
        self._done = True
        self.process.stdout.close()
        returncode = self.process.wait()
        self._stderr_thread.join()
        self.process.stderr.close()
        # Warnings point at the code that iterates: the caller of __next__
        # (4 frames up from _check_run) or, through extract, its caller.
        self.errors = _check_run(returncode, b"".join(self._stderr_chunks), self._paths,
                                 self._directories, self._read,
                                 stacklevel=4 + self._wrapper_frames)

    def close(self):
        """Stop flowshark if it still runs (records not read are lost) and
        reap it. Safe to call more than once."""
        if self._done or self.process is None:
            return
        self._done = True
        proc = self.process
        if proc.poll() is None:
            try:
                proc.terminate()
            except OSError:
                pass
        try:
            proc.stdout.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self._stderr_thread.join(timeout=10)
        try:
            proc.stderr.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def _prepare(infile, filter, extension, ip_layer, verbose, cmd_parameter,
             split_flag, flowshark_path, **options):
    """The command line and capture paths for the parameters of extract
    (verbose and split_flag are ignored)."""
    if ip_layer:
        raise NotImplementedError(
            "ip_layer=True (flowcontainer's flows of non-TCP/UDP IP protocols "
            "such as GRE/PPTP, L2TP) is not supported: flowshark builds TCP "
            "and UDP flows by default, and with all_protocols=True flows of "
            "every IP protocol, but a packet tunnelled in GRE or L2TP belongs "
            "to the flow of its innermost TCP/UDP header)")
    fields = _fields(extension)  # type check before anything runs
    _label_args(options["label"])
    _flow_filter(options["flow_filter"])
    paths, directories = _input_paths(infile)
    program = find_flowshark(flowshark_path)
    cmd = _command(program, paths, filter, fields, cmd_parameter, options)
    return cmd, paths, directories


def _import_pandas(function):
    """The pandas module, for flowshark.<function>; ImportError saying how
    to install it otherwise."""
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "flowshark.%s needs pandas, which is not installed "
            "(Debian: apt-get install python3-pandas; or pip install pandas). "
            "flowshark.extract and flowshark.flows work without it." % function) from exc
    return pandas


# extract, flows and to_pandas take the same parameters; each passes its
# own on as dict(locals()), taken before it defines any other name.

def flows(infile, filter=DEFAULT_FILTER, extension="", ip_layer=False,
          verbose=True, cmd_parameter=(), split_flag=False, *, main="payload",
          keep_empty=False, udp_data_length=False, exclusions=True,
          max_packets=None, two_pass=False, direction="port", stats=False,
          splt=None, accounting_mode=0, ndpi=False, ndpi_packets=None, tls=False,
          nfstream=False, idle_timeout=None, active_timeout=None,
          all_protocols=False, flow_filter=None, min_packets=None,
          min_bytes=None, label=None, flowshark_path=None):
    """Iterate over the flows of a capture as flowshark writes them.

    Same parameters as ``extract``. Returns a FlowIterator (use it in a
    ``for`` loop or a ``with`` block); flowshark's errors are raised when the
    records end (bad filter and unknown field: at the first ``next``).
    """
    cmd, paths, directories = _prepare(**locals())
    # --nfstream (here or in cmd_parameter) puts the VLAN id in the flow key.
    vlan_key = bool(nfstream) or "--nfstream" in [str(a) for a in cmd_parameter or ()]
    return FlowIterator(cmd, paths, main, directories, vlan_key=vlan_key)


def extract(infile, filter=DEFAULT_FILTER, extension="", ip_layer=False,
            verbose=True, cmd_parameter=(), split_flag=False, *, main="payload",
            keep_empty=False, udp_data_length=False, exclusions=True,
            max_packets=None, two_pass=False, direction="port", stats=False,
            splt=None, accounting_mode=0, ndpi=False, ndpi_packets=None, tls=False,
            nfstream=False, idle_timeout=None, active_timeout=None,
            all_protocols=False, flow_filter=None, min_packets=None,
            min_bytes=None, label=None, flowshark_path=None):
    """Extract the flows of a capture, as flowcontainer.extractor.extract.

    Parameters (flowcontainer's, in its order)
    ----------
    infile : str or path-like, or a list (any iterable) of them
        The capture; any format Wireshark reads. A directory is walked by
        flowshark: every file in it and its subdirectories (sorted by name;
        hidden ones left out) whose content is a capture is read, whatever
        its name, and the other files are passed over silently. A list
        reads several captures and directories in one run, in its order.
    filter : str
        Display filter (Wireshark syntax) keeping only matching packets;
        flowshark's ``-Y``. Empty or None: no filter. The default, "(tcp or
        udp or gre)", is flowcontainer's and changes nothing (flowshark keeps
        only IP TCP/UDP packets).
    extension : str or list of str
        Field(s) to extract (``-e``), e.g. "tls.handshake.extensions_server_name".
    ip_layer : bool
        Must be False: True raises NotImplementedError (not supported).
    verbose : bool
        Accepted and ignored.
    cmd_parameter : list of str
        Extra arguments for flowshark, e.g. ``["-o", "tls.keylog_file:keys.log"]``
        or ``["-d", "tcp.port==8443,tls"]`` (tshark's -o, -d and -2 work).
    split_flag : bool
        Accepted and ignored: flowshark reads a capture of any size in one
        pass, in bounded memory per flow.

    Keyword-only parameters (flowshark's own options)
    ----------
    main : "payload" or "ip"
        The main sequence (``lengths``, ``timestamps``, ``time_start``,
        ``time_end``); ``--main``.
    keep_empty : bool
        Keep flows none of whose packets carries payload (``--keep-empty``).
    udp_data_length : bool
        UDP payload length without the 8-byte header (``--udp-data-length``).
    exclusions : bool
        False keeps ICMP, retransmissions, mDNS and SSDP (``--no-exclusions``).
    max_packets : int
        Keep only each flow's first n packets (``--max-packets``).
    two_pass : bool
        Two-pass dissection, as tshark -2 (``-2``).
    direction : "port" or "first"
        Which end is ``src``: the one with the greater port (default) or the
        sender of the flow's first packet, as NFStream (``--direction``). The
        signs of the sequences and the ``src2dst_``/``dst2src_`` keys follow.
    stats : bool
        Add NFStream's statistical features (``--stats``: ``src_mac`` ...
        ``dst2src_fin_packets``).
    splt : int
        Add ``splt_direction``, ``splt_ps``, ``splt_piat_ms`` for the first
        n packets (``--splt n``); None or 0 (NFStream's value for off): none.
    accounting_mode : 0, 1, 2 or 3
        Packet sizes of ``stats`` and ``splt``: the frame (0, default), the
        IP length (1), the transport bytes (2) or the payload (3), as
        NFStream's accounting_mode (``--accounting-mode``).
    ndpi : bool
        Add nDPI's application labels (``--ndpi``: ``application_name``,
        ``application_category_name``, ``requested_server_name``...).
    ndpi_packets : int
        Packets per flow given to nDPI (``--ndpi-packets``; flowshark's
        default is 20, NFStream's n_dissections).
    tls : bool
        The TLS handshake as data (``--tls``, doc/tls.md): ``tls_version``,
        ``tls_cipher_suite``, ``tls_sni``, ``tls_alpn``,
        ``tls_alpn_selected``, ``ja3``, ``ja3s``, and ``certificates`` /
        ``client_certificates``, lists of dicts (``subject``, ``issuer``,
        ``serial``, ``not_before``, ``not_after``, ``san_dns``, ``san_ip``,
        ``public_key``, ``signature_algorithm``, ``sha1``, ``sha256``,
        ``self_signed``, ``packet``); each is an attribute of the Flow
        (``flow.certificates``) and a column of to_pandas (the lists as
        Python lists).

    Flow meter (doc/nfstream.md; off by default: a flow is one Wireshark
    stream)
    ----------
    nfstream : bool
        NFStream's flows and keys in one option (``--nfstream``):
        direction "first", exclusions off, empty flows kept, ``stats`` and
        ``ndpi``, idle and active timeouts of 120 s and 1800 s, flows of
        every IP protocol, the VLAN id in the flow key, the first fragment
        of a datagram counted. ``idle_timeout`` and ``active_timeout`` given
        too win (``direction`` cannot be set back to "port" here: pass
        ``cmd_parameter=["--direction", "port"]``).
    idle_timeout : int
        Seconds (1 to 2^31 - 1): a packet coming that long after its flow's
        latest packet ends the flow and begins a new one
        (``--idle-timeout``).
    active_timeout : int
        Seconds (1 to 2^31 - 1): a packet coming that long after its flow's
        first packet ends the flow and begins a new one
        (``--active-timeout``). With either timeout (or ``nfstream``) each
        flow has ``expiration_id`` and ``stream_piece``, and the flows of one
        stream are told apart by the piece in their key (Returns, below).
    all_protocols : bool
        Flows of every IP protocol, not only TCP and UDP
        (``--all-protocols``): ``protocol`` is Wireshark's name for it
        ("icmp", "icmpv6", "igmp"...), ports are 0. ICMP and ICMPv6 are
        among the default exclusions: add ``exclusions=False`` to keep them.
        With ``all_protocols`` or ``nfstream`` the default ``filter``
        (flowcontainer's "(tcp or udp or gre)") is not passed on, as it
        would remove those packets; any other filter is.

    Flow selection (after the records' own rules)
    ----------
    flow_filter : str
        Keep the flows with at least one packet matching this display filter,
        with all their packets (``--flow-filter``; ``filter`` removes
        packets instead; with both, it is tried on the packets ``filter``
        kept). None or "": every flow.
    min_packets : int
        Keep the flows of at least n packets (``--min-packets``; n >= 0).
    min_bytes : int
        Keep the flows of at least n bytes, the sum of the IP lengths of all
        their packets (``--min-bytes``; n >= 0).

    label : str or flowshark.FROM_DIR
        Label every flow: with a string, that text (``--label``); with
        ``FROM_DIR``, the name of the capture's first folder below the
        directory given, as datasets keep one folder per class
        (``dataset/youtube/x.pcap`` read from ``dataset`` -> "youtube";
        None for a capture directly in ``dataset``; for a capture named
        directly, the name of its folder) (``--label-from-dir``). The label
        is the flows' ``label`` attribute and a ``label`` column of
        ``to_pandas``; None (default): no label.
    flowshark_path : str
        The flowshark program; default: $FLOWSHARK, then PATH.

    The keys the options add are in each Flow's ``features`` dict and are
    its attributes too (``flow.application_name``); see Flow.

    Returns
    -------
    An ExtractResult: a dict mapping ``(infile, protocol, stream_id)`` to
    Flow, with ``protocol`` "tcp" or "udp" (or another IP protocol's name
    with ``all_protocols``) and ``stream_id`` the stream number as a string
    (as flowcontainer's keys). With a timeout (``idle_timeout``,
    ``active_timeout``, ``nfstream``) a stream may be several flows, and the
    key is ``(infile, protocol, stream_id, stream_piece)``; with
    ``nfstream``, whose flows are keyed by VLAN too, ``(infile, protocol,
    stream_id, stream_piece, vlan_id)`` (``Flow.key``). Its ``errors`` attribute maps each
    failed capture of a list to its exception (see below); it is empty when
    every capture was read.

    Raises
    ------
    FileNotFoundError: the capture does not exist. ValueError
    (FlowsharkUsageError): bad filter, unknown field, bad cmd_parameter.
    A bad value of a keyword-only parameter (``max_packets=0``,
    ``idle_timeout=0``, ``min_bytes=-1``...) raises ValueError before
    flowshark runs; a bad ``flow_filter`` expression, FlowsharkUsageError.
    TypeError: extension or flow_filter not strings. FlowsharkNotFoundError: no flowshark
    program. FlowsharkError (a RuntimeError): anything else flowshark reports.
    A capture cut short gives a FlowsharkWarning and the flows of its complete
    packets.

    Of a list of captures, one that is missing, is not a capture or whose
    worker process died gives a FlowsharkCaptureWarning (naming it, with
    flowshark's message) and no flows, and ``errors[path]`` holds the
    exception reading it alone would raise; the other captures' flows are
    returned, as the command line writes them. So does a capture found in a
    directory that fails once found (a file that is not a capture is not
    one, and is no error). Only when every capture fails (every capture
    named fails and no flow is read) is that exception (the first
    capture's) raised; a directory without any capture raises
    FlowsharkError.
    """
    arguments = dict(locals())
    result = ExtractResult()
    with flows(**arguments) as it:
        it._wrapper_frames = 1
        for flow in it:
            result[flow.key] = flow
    result.errors = it.errors
    return result


def to_pandas(infile, filter=DEFAULT_FILTER, extension="", ip_layer=False,
              verbose=True, cmd_parameter=(), split_flag=False, *, main="payload",
              keep_empty=False, udp_data_length=False, exclusions=True,
              max_packets=None, two_pass=False, direction="port", stats=False,
              splt=None, accounting_mode=0, ndpi=False, ndpi_packets=None, tls=False,
              nfstream=False, idle_timeout=None, active_timeout=None,
              all_protocols=False, flow_filter=None, min_packets=None,
              min_bytes=None, label=None, flowshark_path=None):
    """The flows of a capture as a pandas DataFrame, one row per flow.

    Columns: the record's keys in order (file, protocol, stream, src, sport,
    dst, dport, ext_protocols, time_start, time_end, ip_lengths,
    ip_timestamps, payload_lengths, payload_timestamps, extension — the
    latter a dict of lists of (value, index) tuples), then the keys the
    options add, in the record's order (``expiration_id``, ``stream_piece``
    with a timeout or nfstream, ``packets_total``... with max_packets,
    ``src_mac``... with stats, ``splt_ps``... with splt,
    ``application_name``... with ndpi), and last ``label`` with ``label=``
    (even when there is no row). Same parameters as ``extract``; with
    ``nfstream=True`` one row per NFStream flow, the pieces of a stream cut
    by a timeout told apart by ``stream_piece``.

    The failed captures of a list are reported as by ``extract``, and
    ``attrs["errors"]`` of the DataFrame holds its ``errors`` mapping.
    """
    arguments = dict(locals())
    pandas = _import_pandas("to_pandas")
    rows = []
    columns = list(RECORD_KEYS)
    with flows(**arguments) as it:
        it._wrapper_frames = 1
        for flow in it:
            row = dict(flow.record)
            row["extension"] = flow.extension
            for key in row:
                if key not in columns:
                    columns.append(key)
            rows.append(row)
    if label is not None and LABEL_KEY not in columns:
        columns.append(LABEL_KEY)
    frame = pandas.DataFrame(rows, columns=columns)
    frame.attrs["errors"] = it.errors
    return frame
