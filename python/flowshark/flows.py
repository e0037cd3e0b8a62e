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

#: The keys the flow meter's timeouts add (--idle-timeout, --active-timeout,
#: --nfstream), right after ``extension``: why the flow ended and which piece
#: of its stream it is. Flow attributes that are None without a timeout.
METER_KEYS = ("expiration_id", "stream_piece")


class Flow(object):
    """One flow, built from one flowshark JSON record: a TCP or UDP flow,
    or with ``all_protocols=True`` (or ``nfstream=True``) a flow of another
    IP protocol too.

    Attributes (flowcontainer's names and meanings):

    src, sport, dst, dport
        the flow's endpoints (addresses as strings, ports as ints). ``src``
        is the end whose port was the larger one in the flow's first packet
        (with ``direction="first"``: the sender of the flow's first packet).
    source, destination
        ``(src, sport)`` and ``(dst, dport)``.
    protocol
        ``"tcp"`` or ``"udp"``; with ``all_protocols=True`` or
        ``nfstream=True`` also the flows of other IP protocols, named by
        Wireshark's display-filter name (``"icmp"``, ``"icmpv6"``,
        ``"igmp"``, ``"gre"``..., ``"ipproto-N"`` when Wireshark has none):
        their ports are 0, their payload sequences empty, and their
        ``stream`` flowshark's own number, per protocol.
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
        the key ``extract`` files it under, unique within one run:
        ``(file, protocol, str(stream))`` as flowcontainer's; with a timeout
        (``idle_timeout``, ``active_timeout``, ``nfstream``), where a stream
        may be cut into several flows, ``(file, protocol, str(stream),
        stream_piece)``; with ``nfstream=True``, whose flow key holds the
        VLAN id too (one stream seen in two VLANs is two flows),
        ``(file, protocol, str(stream), stream_piece, vlan_id)``.
    expiration_id, stream_piece
        with a timeout (``idle_timeout``, ``active_timeout``, ``nfstream``):
        why the flow ended, NFStream's values (0 idle, or still open when the
        capture ended; 1 active), and which piece of its Wireshark stream it
        is (0, 1, 2... in the order they began). None without a timeout.
        They are in ``features`` too, as the record's keys.
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
        "main", "record", "features", "label", "expiration_id",
        "stream_piece", "vlan_key",
    )

    def __init__(self, record, main="payload", vlan_key=False):
        """record: one flowshark JSON record (a dict); main: "payload" or
        "ip"; vlan_key: the VLAN id is part of the flow key (``--nfstream``),
        so of ``key``."""
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
        self.expiration_id = record.get("expiration_id")
        self.stream_piece = record.get("stream_piece")
        self.vlan_key = bool(vlan_key)

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
        key = (self.file, self.protocol, str(self.stream))
        if self.stream_piece is None:
            return key
        key += (self.stream_piece,)
        if self.vlan_key:
            key += (self.record.get("vlan_id"),)
        return key

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
        piece = ""
        if self.stream_piece is not None:
            piece = " piece %d" % (self.stream_piece,)
        return "<Flow %s %s stream %d%s %s:%s -> %s:%s, %d packets (%d with payload)%s>" % (
            self.file, self.protocol, self.stream, piece, self.src, self.sport,
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
