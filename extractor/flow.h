/* flow.h: one flow's state: endpoints by the direction rule, the signed
 * length and timestamp sequences, the Protocol-column values and the
 * extension values with the index of their packet. */
#ifndef FS_FLOW_H
#define FS_FLOW_H

#include <glib.h>

#include "feature.h"
#include "options.h"
#include "packet.h"

/* A packet time as the capture gave it, printed without floating point. */
struct fs_timestamp {
    gint64 secs;
    gint32 nsecs;
    gint32 decimals; /* 6 or 9 */
};

/* One occurrence of a requested field: tshark's text and the index of its
 * packet in ip_lengths. */
struct fs_ext_value {
    char *text; /* owned */
    guint index;
};

/* How packets are counted. Plain struct. */
struct fs_flow_options {
    gboolean udp_data_length; /* payload of UDP = udp.length - 8 */
    guint max_packets;        /* keep only the first N packets in the sequences; 0 = all */
    enum fs_direction direction;
    const fs_feature_set *features; /* borrowed; NULL: no feature modules */
    /* The meter (flow_table.c): 0 = no timeout. */
    gint64 idle_timeout_ms;   /* a packet this long after the flow's last one begins a new flow */
    gint64 active_timeout_ms; /* a packet this long after the flow's first one begins a new flow */
    gboolean vlan_key;        /* packets of other VLAN ids are other flows */
    /* Which -e values a flow stores (flowshark botnet keeps only the
     * payloads its detectors can use, botnet/payload.c): field is the
     * value's index among the -e fields; NULL: every value. */
    fs_value_keep_fn keep_value;
    void *keep_value_data;
};

/* Why a flow ended (expiration_id, NFStream's values). */
enum fs_expiration {
    FS_EXPIRED_IDLE = 0, /* idle timeout, or still open at the end of the capture */
    FS_EXPIRED_ACTIVE = 1,
};

/* A flow. Callers outside flow.c only read its members; fs_flow_add_packet()
 * is the only writer. Every array and string is owned by the flow. */
struct fs_flow {
    enum fs_transport transport;
    guint8 ip_proto; /* 6, 17, or the other IP protocol */
    guint32 stream;  /* tcp.stream, udp.stream; flowshark's own numbering for other protocols */
    guint32 vlan_id; /* the first packet's (with the VLAN key; 0 otherwise) */
    guint piece;     /* 0, 1...: which piece of its stream (timeouts split streams) */
    enum fs_expiration expiration; /* set when the flow ends */
    gint64 first_ms, last_ms;      /* its first and latest packet's time (fs_packet_time_ms) */
    char *src, *dst;
    guint32 sport, dport;
    GPtrArray *protocols;    /* const char * (interned, g_intern_string): distinct Protocol-column
                                values, first-seen order */
    GArray *ip_lengths;      /* gint32, signed by direction */
    GArray *ip_times;        /* private packed times: read with fs_flow_ip_time() */
    GArray *payload_lengths; /* gint32, signed; packets with payload only */
    GArray *payload_index;   /* guint32: each payload packet's index in ip_lengths */
    GArray **ext;            /* ext_count arrays of struct fs_ext_value */
    guint ext_count;
    /* Every packet of the flow, also those beyond options->max_packets. */
    guint64 packets_total, bytes_total;                 /* IP lengths */
    guint64 payload_packets_total, payload_bytes_total; /* transport payload */
    gboolean flow_filter_matched; /* some packet had flow_filter_match (flow_select.h) */
    gpointer *features;           /* one slot per module of options->features; NULL without */
};

/* A new flow whose endpoints follow the direction rule applied to its first
 * packet (which is not added: call fs_flow_add_packet() with it). The
 * caller frees it with fs_flow_free(). ext_count: number of -e fields. */
struct fs_flow *fs_flow_new(const struct fs_packet *first, guint ext_count);

/* The same with options: options->direction picks the src, and the flow
 * gets a slot for each feature module of options->features. */
struct fs_flow *fs_flow_new_with(
        const struct fs_packet *first, guint ext_count, const struct fs_flow_options *options);

/* Ends the flow for its feature modules (nDPI's guess if still unknown).
 * Call once, before writing its record. */
void fs_flow_finish(struct fs_flow *flow, const struct fs_flow_options *options);

/* Frees the flow and all it holds; NULL does nothing. options: those it
 * was made with (its feature slots are freed by their modules). */
void fs_flow_free(struct fs_flow *flow, const struct fs_flow_options *options);

/* TRUE when the packet goes from the flow's src to its dst (the + sign):
 * its source address and port are the flow's src and sport. */
gboolean fs_flow_is_forward(const struct fs_flow *flow, const struct fs_packet *packet);

/* Counts a packet in the totals (and whether it matched --flow-filter) and,
 * unless the flow already holds options->max_packets packets, appends it:
 * its signed lengths, timestamps, Protocol column and the non-empty values
 * of its fields (copied). */
void fs_flow_add_packet(struct fs_flow *flow, const struct fs_packet *packet,
        const struct fs_flow_options *options);

/* The payload length a packet counts with (tcp.len, udp.length, or the UDP
 * data length with options->udp_data_length). */
guint32 fs_flow_payload_length(
        const struct fs_packet *packet, const struct fs_flow_options *options);

/* The time of packet i (i < ip_lengths->len), and of payload packet i
 * (i < payload_lengths->len). */
struct fs_timestamp fs_flow_ip_time(const struct fs_flow *flow, guint i);
struct fs_timestamp fs_flow_payload_time(const struct fs_flow *flow, guint i);

/* Smallest and largest timestamp of the payload packets (payload_only) or
 * of all packets; FALSE when there are none. */
gboolean fs_flow_time_range(const struct fs_flow *flow, gboolean payload_only,
        struct fs_timestamp *first, struct fs_timestamp *last);

#endif
