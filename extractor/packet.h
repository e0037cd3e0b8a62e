/* packet.h: a packet as the flow table and the feature modules see it: the
 * flow header of its innermost TCP or UDP layer, its time and sizes, the
 * Protocol column, the -e field values and the optional values that feature
 * modules ask for. Includes no libwireshark header, so that modules that do
 * not dissect never see epan. Made by dissect.c (from a dissected tree) and
 * by packet_io.c (from a worker's results); consumed by flow.c and the
 * feature modules. */
#ifndef FS_PACKET_H
#define FS_PACKET_H

#include <glib.h>

enum fs_transport {
    FS_TRANSPORT_TCP = 0,
    FS_TRANSPORT_UDP,
    FS_TRANSPORT_OTHER, /* another IP protocol (--all-protocols): ip_proto says which */
};

/* Room for any IPv4 or IPv6 address text. */
#define FS_ADDR_TEXT_SIZE 64
/* Room for a MAC address as tshark prints it (aa:bb:cc:dd:ee:ff). */
#define FS_MAC_TEXT_SIZE 18

/* Optional per-packet values (struct fs_packet), each costing work per
 * packet only when a feature module asks for it. */
enum fs_packet_extra {
    FS_EXTRA_LINK = 1 << 0,     /* MACs, VLAN id, TCP flags and header length */
    FS_EXTRA_IP_BYTES = 1 << 1, /* the IP packet's bytes */
};

/* One packet of a flow: the innermost TCP or UDP header (not one quoted in
 * an ICMP error) and the IP header that directly carries it. Plain struct;
 * its pointers are borrowed and valid only while the packet is handed over
 * (a callback, or until the next fs_packet_reader_next()). */
struct fs_packet {
    enum fs_transport transport;
    guint32 stream;              /* tcp.stream / udp.stream; 0 for FS_TRANSPORT_OTHER */
    guint8 ip_proto;             /* IP protocol number (6 TCP, 17 UDP, 1 ICMP...) */
    char src[FS_ADDR_TEXT_SIZE]; /* ip.src / ipv6.src as tshark prints it */
    char dst[FS_ADDR_TEXT_SIZE];
    guint32 sport, dport;
    guint32 ip_len;        /* ip.len, or ipv6.plen */
    guint32 transport_len; /* tcp.len or udp.length; 0 when absent */
    gint64 ts_secs;        /* absolute time, normalised: ts_nsecs in [0, 1e9) */
    gint32 ts_nsecs;
    int ts_decimals;             /* 6 or 9, from the capture's precision */
    const char *protocol_column; /* _ws.col.Protocol; NULL for a packet --fast did not dissect */
    GString *const *values;      /* value_count field texts, "" when absent; NULL when none */
    guint value_count;
    guint32 frame_len; /* frame.len: the length on the wire, at most 2^31 - 1 as tshark */
    guint8 ip_version; /* 4 or 6: the IP header carrying the transport header */
    /* TRUE when the packet matches --flow-filter (checked on every packet
     * delivered); TRUE for every packet when there is no --flow-filter. */
    gboolean flow_filter_match;
    /* Filled only with FS_EXTRA_LINK (0 or "" otherwise): */
    guint16 tcp_flags;              /* tcp.flags (0 for UDP): FIN 0x01 ... CWR 0x80 */
    guint32 tcp_hdr_len;            /* tcp.hdr_len (0 for UDP) */
    guint32 vlan_id;                /* the last vlan.id of the packet, 0 without VLAN tag */
    char src_mac[FS_MAC_TEXT_SIZE]; /* the first (outermost) eth.src, "" without Ethernet */
    char dst_mac[FS_MAC_TEXT_SIZE]; /* the first eth.dst */
    /* Filled only with FS_EXTRA_IP_BYTES (NULL otherwise): the IP packet
     * from the carrying IP header to the end of its payload, as captured
     * (at most 65535 bytes). For a packet whose transport header is in a
     * reassembled buffer (IP fragments), a copy of the IP header made to
     * describe the reassembled payload, followed by that payload. */
    const guint8 *ip_bytes;
    guint32 ip_bytes_len;
};

/* The name of IP protocol number proto as records give it: "tcp", "udp",
 * or the display-filter name of the protocol Wireshark dissects for it
 * ("icmp", "icmpv6", "igmp", "gre"...; "ipproto-N" without one). Needs
 * libwireshark initialised. */
const char *fs_packet_protocol_name(guint8 proto);

typedef void (*fs_packet_cb)(const struct fs_packet *packet, void *user_data);

/* Appends the packet's two ends to key, the same text for either direction
 * of its flow: "A|B" (the addresses) or, with ports, "A|portA|B|portB"; the
 * end with the lower address (then the lower port) comes first. For the
 * keys of tables that number flows by their endpoint pair. */
void fs_packet_append_ends(GString *key, const struct fs_packet *packet, gboolean ports);

/* The seconds beyond which fs_packet_time_ms() saturates (either way,
 * about 146 million years from 1970): every time in milliseconds is then
 * within +-2^62, so the difference of two never overflows a gint64. */
#define FS_PACKET_SECS_MAX (G_GINT64_CONSTANT(4611686018427387904) / 1000 - 1)

/* A packet time in milliseconds, as NFStream counts it: the normalised
 * time's seconds times 1000 plus its fraction's whole milliseconds (the
 * floor of the time in milliseconds). Seconds beyond FS_PACKET_SECS_MAX
 * (a damaged pcapng timestamp) count as FS_PACKET_SECS_MAX. */
gint64 fs_packet_time_ms(const struct fs_packet *packet);

/* Normalises a time so that *nsecs is in [0, 1e9) without changing the
 * instant it denotes (*secs + *nsecs/1e9): a capture record may carry a
 * negative or oversized fraction (crafted or damaged files; wiretap reads a
 * pcap record's ts_usec times 1000 into a signed 32-bit count). */
void fs_packet_normalise_time(gint64 *secs, gint32 *nsecs);

#endif
