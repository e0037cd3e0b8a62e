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
};

typedef void (*fs_packet_cb)(const struct fs_packet *packet, void *user_data);

/* What to dissect with. Plain struct. */
struct fs_dissect_config {
    const char *display_filter;      /* complete filter text, or NULL */
    const fs_field_registry *fields; /* borrowed */
    gboolean two_pass;
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
