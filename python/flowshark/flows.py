"""The Flow object: one flowshark record, with flowcontainer's attribute names."""

__all__ = ["Flow"]

# Keys of a schema-1 record, in the order doc/flow-record.md fixes.
RECORD_KEYS = (
    "file", "protocol", "stream", "src", "sport", "dst", "dport",
    "ext_protocols", "time_start", "time_end", "ip_lengths", "ip_timestamps",
    "payload_lengths", "payload_timestamps", "extension",
)
_RECORD_KEY_SET = frozenset(RECORD_KEYS)

#: The key --label and --label-from-dir add, last in the record: the flow's
#: label (a string, or None). A Flow attribute of its own, not a feature.
LABEL_KEY = "label"


class Flow(object):
    """One TCP or UDP flow, built from one flowshark JSON record.

    Attributes (flowcontainer's names and meanings):

    src, sport, dst, dport
        the flow's endpoints (addresses as strings, ports as ints). ``src``
        is the end whose port was the larger one in the flow's first packet
        (with ``direction="first"``: the sender of the flow's first packet).
    source, destination
        ``(src, sport)`` and ``(dst, dport)``.
    protocol
        ``"tcp"`` or ``"udp"``.
    ip_lengths, ip_timestamps
        one entry per packet: IP length signed by direction (+ src->dst,
        - dst->src) and epoch seconds (float).
    payload_lengths, payload_timestamps
        the same for the packets whose TCP/UDP payload length is not 0.
    lengths, timestamps
        the main sequence: the payload sequence (``main="payload"``, the
        default) or the IP sequence (``main="ip"``).
    time_start, time_end
        smallest and largest timestamp of the main sequence (None for a flow
        kept with ``keep_empty=True`` that has no payload packet).
    extension
        dict: field name -> list of ``(value, packet_index)`` tuples, where
        ``packet_index`` is the packet's 0-based position in ``ip_lengths``.
        A field that never occurred in the flow is absent.
    ext_protocol
        the Protocol-column values of the flow joined by ``"|"`` (a string,
        as flowcontainer), in order of first appearance.

    Attributes flowshark adds:

    file, stream
        the capture path as given and Wireshark's tcp.stream/udp.stream
        number (an int; the result key of ``extract`` holds it as a string,
        as flowcontainer's does).
    key
        ``(file, protocol, str(stream))``, the key ``extract`` files it under.
    ext_protocols
        the Protocol-column values as a list, in order of first appearance.
    main
        ``"payload"`` or ``"ip"``.
    record
        the JSON record itself (a dict), including any key an option adds
        (``packets_total``... with ``max_packets``).
    label
        the label asked for with ``label=`` (extract, flows, to_pandas): the
        text given, or with ``label=FROM_DIR`` the name of the capture's
        first folder below the directory given (None for a capture directly
        in it; for a capture named directly, its folder's name). Only when a
        label was asked for: otherwise reading it raises AttributeError.
    features
        the keys options add to the record, after its own 15, in the
        record's order (but for ``label``, above): a dict (empty without
        such options). ``stats=True`` adds NFStream's ``src_mac`` ...
        ``dst2src_fin_packets``, ``splt=n`` ``splt_direction``, ``splt_ps``,
        ``splt_piat_ms``, ``ndpi=True`` ``application_name`` ...
        ``content_type``, ``max_packets=n`` ``packets_total`` ...
        ``payload_bytes_total`` (README.md, "NFStream features, nDPI labels
        and CSV"; flowshark(1), ADDED KEYS).

    Each key of ``features`` is also an attribute, as in NFStream:
    ``flow.application_name`` is ``flow.features["application_name"]``.
    Reading one the options did not add raises AttributeError.
    """

    __slots__ = (
        "file", "protocol", "stream", "src", "sport", "dst", "dport",
        "ext_protocols", "time_start", "time_end", "ip_lengths",
        "ip_timestamps", "payload_lengths", "payload_timestamps", "extension",
        "main", "record", "features", "label",
    )

    def __init__(self, record, main="payload"):
        if main not in ("payload", "ip"):
            raise ValueError('main must be "payload" or "ip", not %r' % (main,))
        self.record = record
        self.main = main
        self.file = record["file"]
        self.protocol = record["protocol"]
        self.stream = record["stream"]
        self.src = record["src"]
        self.sport = record["sport"]
        self.dst = record["dst"]
        self.dport = record["dport"]
        self.ext_protocols = record["ext_protocols"]
        self.time_start = record["time_start"]
        self.time_end = record["time_end"]
        self.ip_lengths = record["ip_lengths"]
        self.ip_timestamps = record["ip_timestamps"]
        self.payload_lengths = record["payload_lengths"]
        self.payload_timestamps = record["payload_timestamps"]
        self.extension = {
            field: [(pair[0], pair[1]) for pair in pairs]
            for field, pairs in record["extension"].items()
        }
        self.features = {key: value for key, value in record.items()
                         if key not in _RECORD_KEY_SET and key != LABEL_KEY}
        if LABEL_KEY in record:
            self.label = record[LABEL_KEY]

    def __getattr__(self, name):
        # Only called when no attribute has that name (or a slot is unset,
        # as label without a label): the added keys.
        if name == LABEL_KEY:
            raise AttributeError(
                "%r object has no attribute 'label': a flow has a label only when "
                "label= was given (label=\"text\", or label=flowshark.FROM_DIR for "
                "the name of each capture's folder)" % type(self).__name__)
        if not name.startswith("_"):
            try:
                features = object.__getattribute__(self, "features")
            except AttributeError:  # not initialised (copying, unpickling)
                features = {}
            if name in features:
                return features[name]
        raise AttributeError(
            "%r object has no attribute %r (keys such as application_name or "
            "bidirectional_packets are attributes only when the option that adds "
            "them, ndpi=True or stats=True..., was given)" % (type(self).__name__, name))

    def __dir__(self):
        names = set(object.__dir__(self)) | set(self.features)
        if LABEL_KEY not in self.record:
            names.discard(LABEL_KEY)
        return sorted(names)

    # flowcontainer's derived attributes

    @property
    def key(self):
        return (self.file, self.protocol, str(self.stream))

    @property
    def source(self):
        return (self.src, self.sport)

    @property
    def destination(self):
        return (self.dst, self.dport)

    @property
    def lengths(self):
        return self.payload_lengths if self.main == "payload" else self.ip_lengths

    @property
    def timestamps(self):
        return self.payload_timestamps if self.main == "payload" else self.ip_timestamps

    @property
    def ext_protocol(self):
        return "|".join(self.ext_protocols)

    # Python protocol

    def __len__(self):
        """Number of packets in the main sequence."""
        return len(self.lengths)

    def __repr__(self):
        label = ""
        if LABEL_KEY in self.record:
            label = ", label %r" % (self.record[LABEL_KEY],)
        return "<Flow %s %s stream %d %s:%s -> %s:%s, %d packets (%d with payload)%s>" % (
            self.file, self.protocol, self.stream, self.src, self.sport,
            self.dst, self.dport, len(self.ip_lengths), len(self.payload_lengths), label)

    # Flows order by start time, as flowcontainer's do.

    def _start(self):
        return float("inf") if self.time_start is None else self.time_start

    def __lt__(self, other):
        return self._start() < other._start()

    def __le__(self, other):
        return self._start() <= other._start()

    def __gt__(self, other):
        return self._start() > other._start()

    def __ge__(self, other):
        return self._start() >= other._start()
