/* feature_stats.h: helpers of NFStream's statistical features, shared by
 * the stats and SPLT modules (feature_stats.c, feature_splt.c): running
 * statistics and a packet's size in an accounting mode. The modules
 * themselves are reached through feature.h. */
#ifndef FS_FEATURE_STATS_H
#define FS_FEATURE_STATS_H

#include <glib.h>

#include "options.h"
#include "packet.h"

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

/* A packet's size in the accounting mode. */
guint32 fs_feature_packet_size(const struct fs_packet *packet, enum fs_accounting accounting);

#endif
