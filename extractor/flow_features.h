/* flow_features.h: NFStream's flow features, computed from the packets flowshark
 * keeps: the core counters (--stats: first/last seen, duration, packets,
 * bytes per direction, MACs, VLAN, IP version), the statistical features
 * (--stats: packet size and inter-arrival time min/mean/stddev/max, TCP
 * flag counts) and the early packet sequence (--splt N). Names and
 * definitions are NFStream's; sizes follow the accounting mode. */
#ifndef FS_FLOW_FEATURES_H
#define FS_FLOW_FEATURES_H

#include <glib.h>

#include "dissect.h"
#include "sink.h"

/* How a packet's size is counted (--accounting-mode, NFStream's
 * accounting_mode). */
enum fs_accounting {
    FS_ACCOUNT_LINK = 0,  /* frame.len: the frame on the wire */
    FS_ACCOUNT_IP,        /* ip.len (IPv4), ipv6.plen (IPv6) */
    FS_ACCOUNT_TRANSPORT, /* the IP payload minus the fixed 20-byte TCP or 8-byte UDP header */
    FS_ACCOUNT_PAYLOAD,   /* tcp.len; UDP: udp.length - 8 */
};

/* Which features to compute. Plain struct. */
struct fs_features_config {
    gboolean stats;                /* --stats */
    guint splt;                    /* --splt N: sequence length, 0 = none */
    enum fs_accounting accounting; /* --accounting-mode */
};

/* Running statistics of one series (Welford's method, in NFStream's order
 * of operations). Plain struct; zero it to start. */
struct fs_running {
    guint64 n;
    double mean, m2;
    gint64 min, max;
};

/* Adds a value to the series. */
void fs_running_add(struct fs_running *r, gint64 value);

/* The sample standard deviation (divided by n - 1); 0 when n < 2. */
double fs_running_stddev(const struct fs_running *r);

/* A packet time in milliseconds, as NFStream counts it (truncated). */
gint64 fs_features_time_ms(const struct fs_packet *packet);

/* A packet's size in the accounting mode. */
guint32 fs_features_packet_size(const struct fs_packet *packet, enum fs_accounting accounting);

/* One flow's features. Opaque. */
typedef struct fs_features fs_features;

/* New features for a flow; config is borrowed for the flow's lifetime.
 * Free with fs_features_free(). */
fs_features *fs_features_new(const struct fs_features_config *config);

/* Frees f; NULL does nothing. */
void fs_features_free(fs_features *f);

/* Counts a packet; forward: it goes from the flow's src to its dst. */
void fs_features_add(fs_features *f, const struct fs_packet *packet, gboolean forward);

/* Appends the names of the keys fs_features_emit() writes, in order. */
void fs_features_keys(const struct fs_features_config *config, GPtrArray *keys);

/* Writes the features as keys of the current record. */
void fs_features_emit(const fs_features *f, fs_sink *sink);

#endif
