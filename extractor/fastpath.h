/* fastpath.h: --fast, the packets flowshark accounts for without
 * libwireshark. Our own parser reads a packet's link, IP and TCP/UDP
 * headers (tunnels the samples have included); a table keyed by the
 * parsed endpoints learns from the packets libwireshark did dissect which
 * flow (tcp.stream / udp.stream) they belong to and how tshark prints their
 * addresses, and follows the TCP sequence analysis of packet-tcp.c (its
 * retransmission verdicts) over every packet of the flow. dissect.c asks
 * it, packet by packet, whether libwireshark must see the packet.
 * Includes no libwireshark header (only packet.h's plain struct). */
#ifndef FS_FASTPATH_H
#define FS_FASTPATH_H

#include <glib.h>

#include "packet.h"

/* The link types the parser reads (dissect.c maps wiretap's to these). */
enum fs_fast_link {
    FS_FAST_LINK_OTHER = 0, /* not read: every packet goes to libwireshark */
    FS_FAST_LINK_ETHERNET,
    FS_FAST_LINK_SLL,  /* Linux cooked capture v1 */
    FS_FAST_LINK_SLL2, /* Linux cooked capture v2 */
    FS_FAST_LINK_RAW,  /* raw IPv4 or IPv6 */
    FS_FAST_LINK_NULL, /* BSD loopback, family in host order */
    FS_FAST_LINK_LOOP, /* OpenBSD loopback, family in network order */
    FS_FAST_LINK_PPP,
};

/* A parsed packet: its innermost TCP or UDP header and the IP header
 * carrying it. Plain struct; pointers point into the packet's bytes. */
struct fs_fast_parsed {
    guint8 ip_version; /* 4 or 6: the carrying IP header */
    guint8 proto;      /* 6 TCP or 17 UDP */
    guint8 addr_len;   /* 4 or 16 */
    guint8 src[16], dst[16];
    guint16 sport, dport;
    guint32 ip_len;           /* ip.len or ipv6.plen of the carrying header */
    guint32 transport_len;    /* tcp.len (segment length) or udp.length */
    guint32 seq, ack, window; /* TCP: raw sequence and acknowledgement numbers, raw window */
    guint16 tcp_flags;        /* TCP: tcp.flags (12 bits) */
    guint32 tcp_hdr_len;
    guint32 vlan_id;     /* the last VLAN tag's id, 0 without */
    const guint8 *eth;   /* the outermost Ethernet header, or NULL */
    const guint8 *ip;    /* the carrying IP header */
    guint32 ip_captured; /* its bytes captured, at most ip_len + its own header */
};

/* Parses a packet of link type link: caplen bytes captured of a frame of
 * reported_len bytes. TRUE when it found a TCP or UDP header the fast path
 * can account for; FALSE for anything else (not IP, IP fragments, an
 * extension header or tunnel it does not read, a header cut short,
 * lengths that do not add up): libwireshark then sees the packet. */
gboolean fs_fast_parse(enum fs_fast_link link, const guint8 *data, guint32 caplen,
        guint32 reported_len, struct fs_fast_parsed *out);

/* What the table knows of the flows of one capture. */
typedef struct fs_fast_table fs_fast_table;

/* limit: the packets of a flow libwireshark sees before the fast path takes
 * over (besides those that change its state: SYN, FIN, RST). */
fs_fast_table *fs_fast_table_new(guint limit);
void fs_fast_table_free(fs_fast_table *t);

/* A parsed packet's flow in the table, made on its first packet (a flow is
 * a struct of the table; valid until fs_fast_table_free()). */
typedef struct fs_fast_flow fs_fast_flow;
fs_fast_flow *fs_fast_table_lookup(fs_fast_table *t, const struct fs_fast_parsed *p);

/* Whether the packet may bypass libwireshark: its flow was learnt, has had
 * its first `limit` packets dissected, the packet sets no SYN, FIN or RST,
 * and, with a TCP payload, begins no turn of the conversation nor a
 * message libwireshark is to see (fastpath.c, doc/fast-mode.md). */
gboolean fs_fast_may_skip(
        const fs_fast_table *t, const fs_fast_flow *f, const struct fs_fast_parsed *p);

/* The TCP sequence analysis of packet-tcp.c for one more packet of f (any
 * packet, dissected or not, in capture order); TRUE when Wireshark would
 * flag it a retransmission, fast retransmission or spurious
 * retransmission. secs/nsecs: the packet's time. Also notes its payload
 * for fs_fast_may_skip()'s turn and message rules. Nothing for UDP. */
gboolean fs_fast_analyse(
        fs_fast_flow *f, const struct fs_fast_parsed *p, gint64 secs, gint32 nsecs);

/* Whether the fast path has accounted for a packet of f: from then on
 * libwireshark's TCP analysis of f lacks those packets, and the fast path's
 * own verdict on the packets it still dissects is the one that counts
 * (fs_fast_note_skipped() records it, p the packet skipped). */
gboolean fs_fast_has_skipped(const fs_fast_flow *f);
void fs_fast_note_skipped(fs_fast_flow *f, const struct fs_fast_parsed *p);

/* A packet of f that libwireshark dissected: counted, its payload noted
 * (a message libwireshark saw begin); when it was delivered (delivered
 * not NULL) its stream and printed addresses are learnt, after checking
 * that they are the parsed packet's (otherwise the flow is never skipped).
 * A new stream number for the same endpoints (a port reused after FIN or
 * RST) starts the sequence analysis and the ends' payload notes afresh,
 * before this packet is analysed: call it before fs_fast_analyse(). */
void fs_fast_learn(
        fs_fast_flow *f, const struct fs_fast_parsed *p, const struct fs_packet *delivered);

/* Fills pkt's flow header (transport, stream, addresses, ports, lengths,
 * IP version, and with FS_EXTRA_LINK the link values, with
 * FS_EXTRA_IP_BYTES the IP bytes) for a skipped packet of f. */
void fs_fast_fill(
        const fs_fast_flow *f, const struct fs_fast_parsed *p, guint extras, struct fs_packet *pkt);

#endif
