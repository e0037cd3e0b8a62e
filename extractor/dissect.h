/* dissect.h: dissecting a capture with epan, packet by packet, in one pass
 * or two (as tshark -2), and handing each packet that passes the display
 * filter and belongs to a TCP or UDP flow to a callback, as a struct
 * fs_packet (packet.h). dissect.c is one of the few files that include
 * epan headers (with epan_session.c, capture.c and fields/); this header
 * includes none. */
#ifndef FS_DISSECT_H
#define FS_DISSECT_H

#include <glib.h>

#include "packet.h"
#include "status.h"

/* From capture.h and fields/registry.h, declared here so that this header
 * brings no wiretap or epan header to its users (the scheduler). */
typedef struct fs_capture fs_capture;
typedef struct fs_field_registry fs_field_registry;

/* What to dissect with. Plain struct. */
struct fs_dissect_config {
    const char *display_filter;      /* complete filter text, or NULL */
    const char *flow_filter;         /* --flow-filter text, or NULL: sets flow_filter_match */
    const fs_field_registry *fields; /* borrowed */
    gboolean two_pass;
    gboolean all_protocols; /* --all-protocols: packets of other IP protocols too */
    guint extras;           /* enum fs_packet_extra bits */
    /* TRUE when display_filter is run.h's default filter and nothing else
     * (no -Y, no --all-protocols), exclusions telling whether it has
     * FS_FILTER_EXCLUSIONS: the session may then decide it from the
     * packet's layers and read the flow header from the tcp/udp taps. */
    gboolean default_filter;
    gboolean exclusions;
    /* --fast: the packets of a flow libwireshark sees before flowshark's
     * own parser accounts for the rest (fastpath.h); 0 = the exact mode. */
    guint fast_limit;
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
 * the display filter or the flow filter does not compile. On success free
 * *out with fs_dissector_free(). */
enum fs_status fs_dissector_new(
        const struct fs_dissect_config *config, fs_dissector **out, char **errmsg);

/* Reads and dissects every record of cap (at most once per session),
 * calling cb for each packet of a flow that passes the filter, with
 * flow_filter_match telling whether it also matches the flow filter (with
 * -2, both are applied in the second pass). Returns FS_OK,
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

/* Lets a one-pass session that has run serve another capture: stream
 * numbers, conversations and reassembly state go on as in one long
 * capture made of the captures one after the other (frame numbers
 * continue). For the fuzz target, which would otherwise spend most of each
 * input in epan_new(); flowshark itself gives every capture a fresh
 * session. The session's memory grows with every capture it has read. */
void fs_dissector_continue(fs_dissector *d);

/* Frees the session; NULL does nothing. */
void fs_dissector_free(fs_dissector *d);

#endif
