/* dissect.h: dissecting a capture with epan, packet by packet, in one pass
 * or two (as tshark -2), and handing each packet that passes the display
 * filter and belongs to a TCP or UDP flow to a callback. */
#ifndef FS_DISSECT_H
#define FS_DISSECT_H

#include <glib.h>

#include "capture.h"
#include "registry.h"
#include "status.h"

enum fs_transport {
    FS_TRANSPORT_TCP = 0,
    FS_TRANSPORT_UDP,
};

/* Room for any IPv4 or IPv6 address text. */
#define FS_ADDR_TEXT_SIZE 64

/* One packet of a flow: the innermost TCP or UDP header (not one quoted in
 * an ICMP error) and the IP header that directly carries it. Plain struct;
 * its pointers are borrowed and valid only during the callback. */
struct fs_packet {
    enum fs_transport transport;
    guint32 stream;              /* tcp.stream / udp.stream */
    char src[FS_ADDR_TEXT_SIZE]; /* ip.src / ipv6.src as tshark prints it */
    char dst[FS_ADDR_TEXT_SIZE];
    guint32 sport, dport;
    guint32 ip_len;        /* ip.len, or ipv6.plen */
    guint32 transport_len; /* tcp.len or udp.length; 0 when absent */
    gint64 ts_secs;        /* absolute time */
    gint32 ts_nsecs;
    int ts_decimals;             /* 6 or 9, from the capture's precision */
    const char *protocol_column; /* _ws.col.Protocol */
    GString *const *values;      /* one per registry field, "" when absent */
    guint32 frame_len;           /* frame.len: the frame's length on the wire */
    guint8 ip_version;           /* 4 or 6: the IP header carrying the transport header */
    /* Filled only with FS_EXTRA_LINK (0 or "" otherwise): */
    guint16 tcp_flags;   /* tcp.flags (0 for UDP): FIN 0x01 ... CWR 0x80 */
    guint32 tcp_hdr_len; /* tcp.hdr_len (0 for UDP) */
    guint32 vlan_id;     /* the last vlan.id of the packet, 0 without VLAN tag */
    char src_mac[18];    /* the first (outermost) eth.src, "" without Ethernet */
    char dst_mac[18];    /* the first eth.dst */
    /* Filled only with FS_EXTRA_IP_BYTES (NULL otherwise): the IP packet
     * from the carrying IP header to the end of its payload, as captured
     * (at most 65535 bytes). For a packet whose transport header is in a
     * reassembled buffer (IP fragments), a copy of the IP header made to
     * describe the reassembled payload, followed by that payload. */
    const guint8 *ip_bytes;
    guint32 ip_bytes_len;
};

typedef void (*fs_packet_cb)(const struct fs_packet *packet, void *user_data);

/* Optional per-packet values (struct fs_packet), each costing work per
 * packet only when asked for. */
enum fs_packet_extra {
    FS_EXTRA_LINK = 1 << 0,     /* MACs, VLAN id, TCP flags and header length */
    FS_EXTRA_IP_BYTES = 1 << 1, /* the IP packet's bytes */
};

/* What to dissect with. Plain struct. */
struct fs_dissect_config {
    const char *display_filter;      /* complete filter text, or NULL */
    const fs_field_registry *fields; /* borrowed */
    gboolean two_pass;
    guint extras; /* enum fs_packet_extra bits */
};

/* Compiles a display filter and throws it away: the check made before any
 * capture is read. FS_ERR_FILTER with Wireshark's message (and a caret line
 * under the offending text) in *errmsg (caller g_free()s). */
enum fs_status fs_dissect_check_filter(const char *text, char **errmsg);

/* A dissection session for one capture: the compiled filter, the columns
 * and a fresh epan session (stream numbers start at 0). It is made before
 * the capture is known, so that a forked worker inherits one that is ready. */
typedef struct fs_dissector fs_dissector;

/* Prepares a session. FS_ERR_FILTER with *errmsg (caller g_free()s) when
 * the filter does not compile. On success free *out with fs_dissector_free(). */
enum fs_status fs_dissector_new(
        const struct fs_dissect_config *config, fs_dissector **out, char **errmsg);

/* Reads and dissects every record of cap (at most once per session),
 * calling cb for each packet of a flow that passes the filter. Returns FS_OK,
 * FS_ERR_TRUNCATED (every complete packet was delivered; *errmsg says what
 * was wrong) or FS_ERR_INTERRUPTED (SIGINT/SIGTERM: reading stopped early).
 * *errmsg is caller g_free()d. */
enum fs_status fs_dissector_run(
        fs_dissector *d, fs_capture *cap, fs_packet_cb cb, void *user_data, char **errmsg);

/* Before fs_dissector_run(): cb is also called for every dissected packet,
 * passing the filter or not, once for each of its TCP/UDP layers that is not
 * quoted in an ICMP error (outer tunnel headers too), with only the header
 * members of the packet filled in (transport, stream, addresses, ports,
 * lengths). The bounded-memory mode numbers streams with it. */
void fs_dissector_set_layers_cb(fs_dissector *d, fs_packet_cb cb, void *user_data);

/* Frees the session; NULL does nothing. */
void fs_dissector_free(fs_dissector *d);

#endif
